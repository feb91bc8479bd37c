import { u16be, u32be, w16be, w32be } from '@earshot/bytes';
import { Decoded, RtpDecodeError } from './rtp-error';

/**
 * RTP header extension (RFC 3550 §5.3.1), kept as raw bytes.
 *
 * `profile` is the 16-bit "defined by profile" field: 0xBEDE for the RFC 8285 one-byte form,
 * 0x1000-0x100F for the two-byte form (the low nibble is "appbits"). `data` is the extension body
 * (`length` × 4 bytes, without the 4-byte extension header), a subarray of the packet.
 */
export interface RtpHeaderExtension {
  profile: number;
  data: Uint8Array;
}

/** One RTP packet: the fixed header, CSRCs, extension, payload and padding. */
export interface RtpPacket {
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrcs: number[];
  extension: RtpHeaderExtension | null;
  /** The payload without padding: a subarray of the decoded buffer (no copy). */
  payload: Uint8Array;
  /** Padding bytes after the payload, including the count byte; 0 = P bit clear. */
  paddingSize: number;
}

/** The RFC 8285 "defined by profile" value of the one-byte header form. */
export const RTP_EXTENSION_ONE_BYTE_PROFILE = 0xbede;
/** The RFC 8285 two-byte form: 0x100X, X = appbits. */
export const RTP_EXTENSION_TWO_BYTE_PROFILE = 0x1000;
const TWO_BYTE_PROFILE_MASK = 0xfff0;

export const RTP_VERSION = 2;
export const RTP_FIXED_HEADER_SIZE = 12;
const OFF_FLAGS = 0;
const OFF_PT = 1;
const OFF_SEQ = 2;
const OFF_TS = 4;
const OFF_SSRC = 8;
export const VERSION_SHIFT = 6;
export const PADDING_BIT = 0x20;
export const EXTENSION_BIT = 0x10;
export const CSRC_COUNT_MASK = 0x0f;
export const MARKER_BIT = 0x80;
export const PAYLOAD_TYPE_MASK = 0x7f;
export const CSRC_SIZE = 4;
export const EXTENSION_HEADER_SIZE = 4;
export const EXTENSION_WORD = 4;

/** Which RFC 8285 form an extension uses. */
export function rtpExtensionForm(ext: RtpHeaderExtension): 'one-byte' | 'two-byte' | 'other' {
  if (ext.profile === RTP_EXTENSION_ONE_BYTE_PROFILE) return 'one-byte';
  if ((ext.profile & TWO_BYTE_PROFILE_MASK) === RTP_EXTENSION_TWO_BYTE_PROFILE) return 'two-byte';
  return 'other';
}

/*
 * RFC 3550 §5.1:
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           timestamp                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           synchronization source (SSRC) identifier            |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * |            contributing source (CSRC) identifiers             |
 * |                             ....                              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * RFC 3550 §5.3.1 (if X):
 * |      defined by profile       |           length              |
 * |                        header extension                       |
 * payload ... then, if P, padding whose last byte counts the padding bytes.
 */
/**
 * Decodes one RTP packet occupying `buf` from `offset` to the end (RTP has no length field: the
 * UDP payload is the packet). Throws RtpDecodeError only.
 */
export function decodeRtpPacket(buf: Uint8Array, offset = 0): Decoded<RtpPacket> {
  const end = buf.length;
  if (offset < 0 || end - offset < RTP_FIXED_HEADER_SIZE) {
    throw new RtpDecodeError(`RTP packet of ${Math.max(0, end - offset)} bytes is shorter than the 12-byte fixed header`, { reason: 'truncated-header' });
  }
  const b0 = buf[offset + OFF_FLAGS] as number;
  const b1 = buf[offset + OFF_PT] as number;
  const version = b0 >>> VERSION_SHIFT;
  if (version !== RTP_VERSION) throw new RtpDecodeError(`RTP version ${version}, expected 2`, { reason: 'bad-version' });
  const csrcCount = b0 & CSRC_COUNT_MASK;
  let pos = offset + RTP_FIXED_HEADER_SIZE;
  if (end - pos < csrcCount * CSRC_SIZE) {
    throw new RtpDecodeError(`RTP packet too short for ${csrcCount} CSRCs`, { reason: 'truncated-csrc' });
  }
  const csrcs: number[] = [];
  for (let i = 0; i < csrcCount; i++, pos += CSRC_SIZE) csrcs.push(u32be(buf, pos));
  let extension: RtpHeaderExtension | null = null;
  if (b0 & EXTENSION_BIT) {
    if (end - pos < EXTENSION_HEADER_SIZE) throw new RtpDecodeError('RTP packet too short for its extension header', { reason: 'truncated-extension' });
    const profile = ((buf[pos] as number) << 8) | (buf[pos + 1] as number);
    const words = ((buf[pos + 2] as number) << 8) | (buf[pos + 3] as number);
    pos += EXTENSION_HEADER_SIZE;
    const len = words * EXTENSION_WORD;
    if (end - pos < len) throw new RtpDecodeError(`RTP extension of ${len} bytes overruns the packet`, { reason: 'truncated-extension' });
    extension = { profile, data: buf.subarray(pos, pos + len) };
    pos += len;
  }
  let paddingSize = 0;
  if (b0 & PADDING_BIT) {
    if (end <= pos) throw new RtpDecodeError('RTP padding bit set but no padding byte', { reason: 'bad-padding' });
    paddingSize = buf[end - 1] as number;
    if (paddingSize === 0 || paddingSize > end - pos) {
      throw new RtpDecodeError(`RTP padding count ${paddingSize} does not fit the ${end - pos} bytes after the header`, { reason: 'bad-padding' });
    }
  }
  return {
    value: {
      marker: (b1 & MARKER_BIT) !== 0,
      payloadType: b1 & PAYLOAD_TYPE_MASK,
      sequenceNumber: u16be(buf, offset + OFF_SEQ),
      timestamp: u32be(buf, offset + OFF_TS),
      ssrc: u32be(buf, offset + OFF_SSRC),
      csrcs,
      extension,
      payload: buf.subarray(pos, end - paddingSize),
      paddingSize,
    },
    size: end - offset,
  };
}

/** How many bytes encodeRtpPacket will write. */
export function encodedSizeRtpPacket(p: RtpPacket): number {
  const ext = p.extension ? EXTENSION_HEADER_SIZE + p.extension.data.length : 0;
  return RTP_FIXED_HEADER_SIZE + p.csrcs.length * CSRC_SIZE + ext + p.payload.length + p.paddingSize;
}

/** Encodes `p` into `buf` at `offset`; returns the bytes written. Throws RtpDecodeError on values that do not fit. */
export function encodeRtpPacket(p: RtpPacket, buf: Uint8Array, offset = 0): number {
  const size = encodedSizeRtpPacket(p);
  if (buf.length - offset < size) throw new RtpDecodeError(`buffer too small: need ${size} bytes`, { reason: 'buffer-too-small' });
  if (p.csrcs.length > CSRC_COUNT_MASK) throw new RtpDecodeError(`${p.csrcs.length} CSRCs, at most 15`, { reason: 'too-many-csrcs' });
  if (p.paddingSize > 255) throw new RtpDecodeError(`padding ${p.paddingSize} bytes, at most 255`, { reason: 'bad-padding' });
  if (p.extension && p.extension.data.length % EXTENSION_WORD !== 0) {
    throw new RtpDecodeError('RTP extension length must be a multiple of 4 bytes', { reason: 'bad-extension-length' });
  }
  buf[offset + OFF_FLAGS] = (RTP_VERSION << VERSION_SHIFT) | (p.paddingSize > 0 ? PADDING_BIT : 0) | (p.extension ? EXTENSION_BIT : 0) | p.csrcs.length;
  buf[offset + OFF_PT] = (p.marker ? MARKER_BIT : 0) | (p.payloadType & PAYLOAD_TYPE_MASK);
  w16be(buf, offset + OFF_SEQ, p.sequenceNumber);
  w32be(buf, offset + OFF_TS, p.timestamp);
  w32be(buf, offset + OFF_SSRC, p.ssrc);
  let pos = offset + RTP_FIXED_HEADER_SIZE;
  for (const c of p.csrcs) { w32be(buf, pos, c); pos += CSRC_SIZE; }
  if (p.extension) {
    w16be(buf, pos, p.extension.profile);
    w16be(buf, pos + 2, p.extension.data.length / EXTENSION_WORD);
    buf.set(p.extension.data, pos + EXTENSION_HEADER_SIZE);
    pos += EXTENSION_HEADER_SIZE + p.extension.data.length;
  }
  buf.set(p.payload, pos);
  pos += p.payload.length;
  if (p.paddingSize > 0) {
    buf.fill(0, pos, pos + p.paddingSize - 1);
    buf[pos + p.paddingSize - 1] = p.paddingSize;
    pos += p.paddingSize;
  }
  return pos - offset;
}

/** Encodes `p` into a new Uint8Array of exactly its size (a convenience for tests and tools). */
export function rtpPacketBytes(p: RtpPacket): Uint8Array {
  const out = new Uint8Array(encodedSizeRtpPacket(p));
  encodeRtpPacket(p, out, 0);
  return out;
}

/** First RTCP packet type as seen in the second byte with the marker bit folded in (200-204 → 72-76). */
const RTCP_PT_CONFLICT_MIN = 72;
const RTCP_PT_CONFLICT_MAX = 76;
const STATIC_PT_MAX = 34;
const DYNAMIC_PT_MIN = 96;

/**
 * A strict check for RTP in a UDP payload not announced in SDP: version 2, a payload type that is
 * static (0-34) or dynamic (96-127) and so never the RTCP range 72-76, long enough for its CSRCs
 * and extension, and padding consistent with the length. Never throws.
 */
export function looksLikeRtp(udpPayload: Uint8Array): boolean {
  const len = udpPayload.length;
  if (len < RTP_FIXED_HEADER_SIZE) return false;
  const b0 = udpPayload[OFF_FLAGS] as number;
  if (b0 >>> VERSION_SHIFT !== RTP_VERSION) return false;
  const pt = (udpPayload[OFF_PT] as number) & PAYLOAD_TYPE_MASK;
  if (pt >= RTCP_PT_CONFLICT_MIN && pt <= RTCP_PT_CONFLICT_MAX) return false;
  if (pt > STATIC_PT_MAX && pt < DYNAMIC_PT_MIN) return false;
  let header = RTP_FIXED_HEADER_SIZE + (b0 & CSRC_COUNT_MASK) * CSRC_SIZE;
  if (b0 & EXTENSION_BIT) {
    if (len < header + EXTENSION_HEADER_SIZE) return false;
    header += EXTENSION_HEADER_SIZE + u16be(udpPayload, header + 2) * EXTENSION_WORD;
  }
  if (len < header) return false;
  if (b0 & PADDING_BIT) {
    const pad = udpPayload[len - 1] as number;
    if (pad === 0 || pad > len - header) return false;
  }
  return true;
}
