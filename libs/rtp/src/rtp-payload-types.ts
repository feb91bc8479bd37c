/**
 * The static payload types of the RTP/AVP profile (RFC 3551 §6, tables 4 and 5): what an RTP
 * payload type number below 96 means when no SDP rtpmap says otherwise. It lives in the RTP lib
 * because it is part of the RTP profile, not of any codec or of SDP: SDP falls back to it for an
 * m= format without rtpmap, the recorder for a packet whose type its call's SDP did not list, the
 * converter when it picks a decoder. One table, so they cannot disagree.
 */

/** One static payload type: encoding name as SDP spells it, RTP clock rate, channels. */
export interface StaticPayloadType {
  readonly payloadType: number;
  readonly encodingName: string;
  readonly clockRate: number;
  readonly channels: number;
}

const table: ReadonlyArray<readonly [number, string, number, number]> = [
  [0, 'PCMU', 8000, 1],
  [3, 'GSM', 8000, 1],
  [4, 'G723', 8000, 1],
  [5, 'DVI4', 8000, 1],
  [6, 'DVI4', 16000, 1],
  [7, 'LPC', 8000, 1],
  [8, 'PCMA', 8000, 1],
  // G.722's RTP clock is 8000 although it samples at 16 kHz (an error in RFC 1890 kept for compatibility).
  [9, 'G722', 8000, 1],
  [10, 'L16', 44100, 2],
  [11, 'L16', 44100, 1],
  [12, 'QCELP', 8000, 1],
  [13, 'CN', 8000, 1],
  [14, 'MPA', 90000, 1],
  [15, 'G728', 8000, 1],
  [16, 'DVI4', 11025, 1],
  [17, 'DVI4', 22050, 1],
  [18, 'G729', 8000, 1],
  [25, 'CelB', 90000, 1],
  [26, 'JPEG', 90000, 1],
  [28, 'nv', 90000, 1],
  [31, 'H261', 90000, 1],
  [32, 'MPV', 90000, 1],
  [33, 'MP2T', 90000, 1],
  [34, 'H263', 90000, 1],
];

/** RFC 3551's static payload types, by number. */
export const RTP_AVP_STATIC_PAYLOAD_TYPES: ReadonlyMap<number, StaticPayloadType> = new Map(
  table.map(([payloadType, encodingName, clockRate, channels]) => [payloadType, Object.freeze({ payloadType, encodingName, clockRate, channels })]),
);

/** The static meaning of `payloadType`, or undefined (dynamic 96-127, unassigned or reserved). */
export function staticPayloadType(payloadType: number): StaticPayloadType | undefined {
  return RTP_AVP_STATIC_PAYLOAD_TYPES.get(payloadType);
}
