import { u16be, u32be, w16be, w32be } from '@earshot/bytes';
import { Decoded, RtcpDecodeError } from './rtp-error';

/** One reception report block (RFC 3550 §6.4.1). */
export interface RtcpReportBlock {
  ssrc: number;
  /** Fraction lost since the previous report, as the 8-bit fixed-point value (lost/expected × 256). */
  fractionLost: number;
  /** Cumulative packets lost, signed 24-bit (duplicates can make it negative). */
  cumulativeLost: number;
  extendedHighestSequence: number;
  jitter: number;
  lastSenderReport: number;
  delaySinceLastSenderReport: number;
}

export interface RtcpSenderReport {
  type: 'sr';
  ssrc: number;
  ntpSeconds: number;
  ntpFraction: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  reports: RtcpReportBlock[];
  /** Profile-specific extension after the report blocks, raw (usually empty). */
  profileExtension: Uint8Array;
}

export interface RtcpReceiverReport {
  type: 'rr';
  ssrc: number;
  reports: RtcpReportBlock[];
  profileExtension: Uint8Array;
}

/** One SDES item; `itemType` 1 = CNAME, 2 = NAME, ... 8 = PRIV (RFC 3550 §6.5). Text as UTF-8. */
export interface RtcpSdesItem {
  itemType: number;
  text: string;
}

export interface RtcpSourceDescription {
  type: 'sdes';
  chunks: { ssrc: number; items: RtcpSdesItem[] }[];
}

export interface RtcpBye {
  type: 'bye';
  ssrcs: number[];
  reason: string | null;
}

/** APP packets are kept raw: the subtype, SSRC, 4-character name and the data bytes. */
export interface RtcpApp {
  type: 'app';
  subtype: number;
  ssrc: number;
  name: string;
  data: Uint8Array;
}

/** Any other packet type (RTPFB, PSFB, XR, ...), kept raw: the count field and the body after the 4-byte header. */
export interface RtcpOther {
  type: 'other';
  packetType: number;
  count: number;
  body: Uint8Array;
}

export type RtcpPacket = RtcpSenderReport | RtcpReceiverReport | RtcpSourceDescription | RtcpBye | RtcpApp | RtcpOther;

export const RTCP_PT_SR = 200;
export const RTCP_PT_RR = 201;
export const RTCP_PT_SDES = 202;
export const RTCP_PT_BYE = 203;
export const RTCP_PT_APP = 204;
const RTCP_PT_MIN = 192;
const RTCP_PT_MAX = 223;
const RTCP_HEADER_SIZE = 4;
const WORD = 4;
const VERSION = 2;
const VERSION_SHIFT = 6;
const PADDING_BIT = 0x20;
const COUNT_MASK = 0x1f;
const OFF_PT = 1;
const OFF_LENGTH = 2;
const SR_SENDER_INFO_SIZE = 24; // SSRC + NTP (8) + RTP ts + packets + octets
const RR_SSRC_SIZE = 4;
const REPORT_BLOCK_SIZE = 24;
const SDES_END = 0;
const APP_NAME_SIZE = 4;
const utf8 = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

/*
 * RFC 3550 §6.4.1 (SR; RR is the same without the sender info), every RTCP packet starts with
 * the first word:
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|    RC   |   PT=SR=200   |      length (words - 1)       |
 * |                         SSRC of sender                        |
 * |              NTP timestamp, most significant word             |
 * |             NTP timestamp, least significant word             |
 * |                         RTP timestamp                         |
 * |                     sender's packet count                     |
 * |                      sender's octet count                     |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * |                 SSRC_1 (SSRC of first source)                 | report
 * | fraction lost |       cumulative number of packets lost       | block
 * |           extended highest sequence number received           |   1
 * |                      interarrival jitter                      |
 * |                         last SR (LSR)                         |
 * |                   delay since last SR (DLSR)                  |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * SDES (§6.5): chunks of SSRC + items (type, length, text) ended by a zero byte, padded to a word.
 * BYE (§6.6): SC SSRCs, then optionally a length byte and reason text.
 * APP (§6.7): subtype in the count field, SSRC, 4 ASCII name bytes, data.
 */
/** Decodes one RTCP packet at `offset` (its length field says where it ends). Throws RtcpDecodeError only. */
export function decodeRtcpPacket(buf: Uint8Array, offset = 0): Decoded<RtcpPacket> {
  if (offset < 0 || buf.length - offset < RTCP_HEADER_SIZE) {
    throw new RtcpDecodeError('RTCP packet shorter than its 4-byte header', { reason: 'truncated-header' });
  }
  const b0 = buf[offset] as number;
  if (b0 >>> VERSION_SHIFT !== VERSION) throw new RtcpDecodeError(`RTCP version ${b0 >>> VERSION_SHIFT}, expected 2`, { reason: 'bad-version' });
  const count = b0 & COUNT_MASK;
  const packetType = buf[offset + OFF_PT] as number;
  const size = (u16be(buf, offset + OFF_LENGTH) + 1) * WORD;
  if (buf.length - offset < size) {
    throw new RtcpDecodeError(`RTCP packet says ${size} bytes, only ${buf.length - offset} left`, { reason: 'truncated-packet' });
  }
  let end = offset + size;
  if (b0 & PADDING_BIT) {
    const pad = buf[end - 1] as number;
    if (pad === 0 || pad > size - RTCP_HEADER_SIZE) throw new RtcpDecodeError(`RTCP padding count ${pad} does not fit`, { reason: 'bad-padding' });
    end -= pad;
  }
  const start = offset + RTCP_HEADER_SIZE;
  let value: RtcpPacket;
  switch (packetType) {
    case RTCP_PT_SR: {
      if (end - start < SR_SENDER_INFO_SIZE + count * REPORT_BLOCK_SIZE) {
        throw new RtcpDecodeError(`RTCP SR too short for ${count} report blocks`, { reason: 'truncated-report' });
      }
      const rb = start + SR_SENDER_INFO_SIZE;
      value = {
        type: 'sr',
        ssrc: u32be(buf, start),
        ntpSeconds: u32be(buf, start + 4),
        ntpFraction: u32be(buf, start + 8),
        rtpTimestamp: u32be(buf, start + 12),
        packetCount: u32be(buf, start + 16),
        octetCount: u32be(buf, start + 20),
        reports: decodeReportBlocks(buf, rb, count),
        profileExtension: buf.subarray(rb + count * REPORT_BLOCK_SIZE, end),
      };
      break;
    }
    case RTCP_PT_RR: {
      if (end - start < RR_SSRC_SIZE + count * REPORT_BLOCK_SIZE) {
        throw new RtcpDecodeError(`RTCP RR too short for ${count} report blocks`, { reason: 'truncated-report' });
      }
      const rb = start + RR_SSRC_SIZE;
      value = {
        type: 'rr',
        ssrc: u32be(buf, start),
        reports: decodeReportBlocks(buf, rb, count),
        profileExtension: buf.subarray(rb + count * REPORT_BLOCK_SIZE, end),
      };
      break;
    }
    case RTCP_PT_SDES:
      value = { type: 'sdes', chunks: decodeSdesChunks(buf, start, end, count) };
      break;
    case RTCP_PT_BYE: {
      if (end - start < count * WORD) throw new RtcpDecodeError(`RTCP BYE too short for ${count} SSRCs`, { reason: 'truncated-bye' });
      const ssrcs: number[] = [];
      let pos = start;
      for (let i = 0; i < count; i++, pos += WORD) ssrcs.push(u32be(buf, pos));
      let reason: string | null = null;
      if (pos < end) {
        const len = buf[pos] as number;
        if (end - pos - 1 < len) throw new RtcpDecodeError('RTCP BYE reason overruns the packet', { reason: 'truncated-bye' });
        reason = utf8.decode(buf.subarray(pos + 1, pos + 1 + len));
      }
      value = { type: 'bye', ssrcs, reason };
      break;
    }
    case RTCP_PT_APP: {
      if (end - start < WORD + APP_NAME_SIZE) throw new RtcpDecodeError('RTCP APP shorter than SSRC and name', { reason: 'truncated-app' });
      value = {
        type: 'app',
        subtype: count,
        ssrc: u32be(buf, start),
        name: String.fromCharCode(...buf.subarray(start + WORD, start + WORD + APP_NAME_SIZE)),
        data: buf.subarray(start + WORD + APP_NAME_SIZE, end),
      };
      break;
    }
    default:
      if (packetType < RTCP_PT_MIN || packetType > RTCP_PT_MAX) {
        throw new RtcpDecodeError(`packet type ${packetType} is not RTCP (192-223)`, { reason: 'bad-packet-type' });
      }
      value = { type: 'other', packetType, count, body: buf.subarray(start, end) };
  }
  return { value, size };
}

function decodeReportBlocks(buf: Uint8Array, pos: number, count: number): RtcpReportBlock[] {
  const out: RtcpReportBlock[] = [];
  for (let i = 0; i < count; i++, pos += REPORT_BLOCK_SIZE) {
    const lost24 = ((buf[pos + 5] as number) << 16) | ((buf[pos + 6] as number) << 8) | (buf[pos + 7] as number);
    out.push({
      ssrc: u32be(buf, pos),
      fractionLost: buf[pos + 4] as number,
      cumulativeLost: (lost24 << 8) >> 8, // sign-extend 24 bits
      extendedHighestSequence: u32be(buf, pos + 8),
      jitter: u32be(buf, pos + 12),
      lastSenderReport: u32be(buf, pos + 16),
      delaySinceLastSenderReport: u32be(buf, pos + 20),
    });
  }
  return out;
}

function decodeSdesChunks(buf: Uint8Array, pos: number, end: number, count: number): RtcpSourceDescription['chunks'] {
  const chunks: RtcpSourceDescription['chunks'] = [];
  for (let c = 0; c < count; c++) {
    if (end - pos < WORD) throw new RtcpDecodeError('RTCP SDES chunk truncated', { reason: 'truncated-sdes' });
    const chunkStart = pos;
    const ssrc = u32be(buf, pos);
    pos += WORD;
    const items: RtcpSdesItem[] = [];
    for (;;) {
      if (pos >= end) throw new RtcpDecodeError('RTCP SDES chunk has no end item', { reason: 'truncated-sdes' });
      const itemType = buf[pos] as number;
      if (itemType === SDES_END) {
        // The end item is followed by zero bytes up to the next word boundary of the chunk.
        pos = chunkStart + Math.ceil((pos + 1 - chunkStart) / WORD) * WORD;
        if (pos > end) throw new RtcpDecodeError('RTCP SDES chunk padding overruns the packet', { reason: 'truncated-sdes' });
        break;
      }
      if (end - pos < 2) throw new RtcpDecodeError('RTCP SDES item truncated', { reason: 'truncated-sdes' });
      const len = buf[pos + 1] as number;
      if (end - pos - 2 < len) throw new RtcpDecodeError('RTCP SDES item text overruns the packet', { reason: 'truncated-sdes' });
      items.push({ itemType, text: utf8.decode(buf.subarray(pos + 2, pos + 2 + len)) });
      pos += 2 + len;
    }
    chunks.push({ ssrc, items });
  }
  return chunks;
}

/**
 * Decodes a compound RTCP packet (RFC 3550 §6.1): packets back to back to the end of `buf`.
 * Throws RtcpDecodeError only.
 */
export function decodeRtcpCompound(buf: Uint8Array, offset = 0): Decoded<RtcpPacket[]> {
  const packets: RtcpPacket[] = [];
  let pos = offset;
  if (buf.length - offset < RTCP_HEADER_SIZE) throw new RtcpDecodeError('empty RTCP compound packet', { reason: 'truncated-header' });
  while (pos < buf.length) {
    const { value, size } = decodeRtcpPacket(buf, pos);
    packets.push(value);
    pos += size;
  }
  return { value: packets, size: pos - offset };
}

/** How many bytes encodeRtcpPacket will write (SR, RR, SDES and BYE; APP and others are written back raw). */
export function encodedSizeRtcpPacket(p: RtcpPacket): number {
  switch (p.type) {
    case 'sr': return RTCP_HEADER_SIZE + SR_SENDER_INFO_SIZE + p.reports.length * REPORT_BLOCK_SIZE + p.profileExtension.length;
    case 'rr': return RTCP_HEADER_SIZE + RR_SSRC_SIZE + p.reports.length * REPORT_BLOCK_SIZE + p.profileExtension.length;
    case 'sdes': {
      let n = RTCP_HEADER_SIZE;
      for (const c of p.chunks) {
        let chunk = WORD;
        for (const it of c.items) chunk += 2 + utf8Encoder.encode(it.text).length;
        chunk += 1;
        n += Math.ceil(chunk / WORD) * WORD;
      }
      return n;
    }
    case 'bye': {
      const reason = p.reason === null ? 0 : 1 + utf8Encoder.encode(p.reason).length;
      return RTCP_HEADER_SIZE + p.ssrcs.length * WORD + Math.ceil(reason / WORD) * WORD;
    }
    case 'app': return RTCP_HEADER_SIZE + WORD + APP_NAME_SIZE + p.data.length;
    case 'other': return RTCP_HEADER_SIZE + p.body.length;
  }
}

/** Encodes one RTCP packet into `buf` at `offset`; returns the bytes written. Throws RtcpDecodeError on values that do not fit. */
export function encodeRtcpPacket(p: RtcpPacket, buf: Uint8Array, offset = 0): number {
  const size = encodedSizeRtcpPacket(p);
  if (size % WORD !== 0) throw new RtcpDecodeError(`RTCP packet of ${size} bytes is not a whole number of words`, { reason: 'not-word-aligned' });
  if (buf.length - offset < size) throw new RtcpDecodeError(`buffer too small: need ${size} bytes`, { reason: 'buffer-too-small' });
  buf.fill(0, offset, offset + size);
  let count: number;
  let pt: number;
  let pos = offset + RTCP_HEADER_SIZE;
  switch (p.type) {
    case 'sr':
      count = p.reports.length; pt = RTCP_PT_SR;
      w32be(buf, pos, p.ssrc); w32be(buf, pos + 4, p.ntpSeconds); w32be(buf, pos + 8, p.ntpFraction);
      w32be(buf, pos + 12, p.rtpTimestamp); w32be(buf, pos + 16, p.packetCount); w32be(buf, pos + 20, p.octetCount);
      pos = encodeReportBlocks(p.reports, buf, pos + SR_SENDER_INFO_SIZE);
      buf.set(p.profileExtension, pos);
      break;
    case 'rr':
      count = p.reports.length; pt = RTCP_PT_RR;
      w32be(buf, pos, p.ssrc);
      pos = encodeReportBlocks(p.reports, buf, pos + RR_SSRC_SIZE);
      buf.set(p.profileExtension, pos);
      break;
    case 'sdes':
      count = p.chunks.length; pt = RTCP_PT_SDES;
      for (const c of p.chunks) {
        const chunkStart = pos;
        w32be(buf, pos, c.ssrc); pos += WORD;
        for (const it of c.items) {
          const text = utf8Encoder.encode(it.text);
          if (text.length > 255) throw new RtcpDecodeError('SDES item longer than 255 bytes', { reason: 'sdes-item-too-long' });
          buf[pos] = it.itemType; buf[pos + 1] = text.length; buf.set(text, pos + 2); pos += 2 + text.length;
        }
        pos += 1; // end item (already zero)
        pos = chunkStart + Math.ceil((pos - chunkStart) / WORD) * WORD;
      }
      break;
    case 'bye':
      count = p.ssrcs.length; pt = RTCP_PT_BYE;
      for (const s of p.ssrcs) { w32be(buf, pos, s); pos += WORD; }
      if (p.reason !== null) {
        const text = utf8Encoder.encode(p.reason);
        if (text.length > 255) throw new RtcpDecodeError('BYE reason longer than 255 bytes', { reason: 'bye-reason-too-long' });
        buf[pos] = text.length; buf.set(text, pos + 1);
      }
      break;
    case 'app':
      count = p.subtype; pt = RTCP_PT_APP;
      w32be(buf, pos, p.ssrc);
      for (let i = 0; i < APP_NAME_SIZE; i++) buf[pos + WORD + i] = p.name.charCodeAt(i) & 0xff;
      buf.set(p.data, pos + WORD + APP_NAME_SIZE);
      break;
    case 'other':
      count = p.count; pt = p.packetType;
      buf.set(p.body, pos);
      break;
  }
  if (count > COUNT_MASK) throw new RtcpDecodeError(`count ${count} does not fit 5 bits`, { reason: 'count-too-large' });
  buf[offset] = (VERSION << VERSION_SHIFT) | count;
  buf[offset + OFF_PT] = pt;
  w16be(buf, offset + OFF_LENGTH, size / WORD - 1);
  return size;
}

function encodeReportBlocks(reports: RtcpReportBlock[], buf: Uint8Array, pos: number): number {
  for (const r of reports) {
    w32be(buf, pos, r.ssrc);
    buf[pos + 4] = r.fractionLost & 0xff;
    const lost = r.cumulativeLost & 0xffffff;
    buf[pos + 5] = lost >>> 16; buf[pos + 6] = (lost >>> 8) & 0xff; buf[pos + 7] = lost & 0xff;
    w32be(buf, pos + 8, r.extendedHighestSequence);
    w32be(buf, pos + 12, r.jitter);
    w32be(buf, pos + 16, r.lastSenderReport);
    w32be(buf, pos + 20, r.delaySinceLastSenderReport);
    pos += REPORT_BLOCK_SIZE;
  }
  return pos;
}

/** Encodes packets back to back into one new compound buffer. */
export function rtcpCompoundBytes(packets: RtcpPacket[]): Uint8Array {
  const out = new Uint8Array(packets.reduce((n, p) => n + encodedSizeRtcpPacket(p), 0));
  let pos = 0;
  for (const p of packets) pos += encodeRtcpPacket(p, out, pos);
  return out;
}

/**
 * Zero-copy read of the SSRC after the first RTCP header (the sender of an SR/RR, the first source
 * of SDES, BYE, APP): the stream an RTCP packet belongs to. Assumes `looksLikeRtcp` accepted the
 * bytes (it checks there are at least 8).
 */
export function rtcpSenderSsrc(buf: Uint8Array, offset = 0): number {
  return u32be(buf, offset + RTCP_HEADER_SIZE);
}

/**
 * A strict check for RTCP in a UDP payload: a compound packet whose first packet is SR or RR
 * (RFC 3550 §6.1), every packet version 2 with an RTCP type (192-223), lengths that add up
 * exactly to the datagram, and padding only on the last packet. Never throws.
 */
export function looksLikeRtcp(udpPayload: Uint8Array): boolean {
  const len = udpPayload.length;
  if (len < 8 || len % WORD !== 0) return false;
  const firstPt = udpPayload[OFF_PT] as number;
  if (firstPt !== RTCP_PT_SR && firstPt !== RTCP_PT_RR) return false;
  let pos = 0;
  while (pos < len) {
    if (len - pos < RTCP_HEADER_SIZE) return false;
    const b0 = udpPayload[pos] as number;
    if (b0 >>> VERSION_SHIFT !== VERSION) return false;
    const pt = udpPayload[pos + OFF_PT] as number;
    if (pt < RTCP_PT_MIN || pt > RTCP_PT_MAX) return false;
    const size = (u16be(udpPayload, pos + OFF_LENGTH) + 1) * WORD;
    if (len - pos < size) return false;
    if ((b0 & PADDING_BIT) && pos + size !== len) return false;
    pos += size;
  }
  return pos === len;
}
