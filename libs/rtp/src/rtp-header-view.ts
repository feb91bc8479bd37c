import { u16be, u32be } from '@earshot/bytes';
import {
  CSRC_COUNT_MASK, CSRC_SIZE, EXTENSION_BIT, EXTENSION_HEADER_SIZE, EXTENSION_WORD, MARKER_BIT, PADDING_BIT, PAYLOAD_TYPE_MASK,
  RTP_FIXED_HEADER_SIZE, RTP_VERSION, VERSION_SHIFT,
} from './rtp-header';

/*
 * Zero-copy reads of an RTP header (RFC 3550 §5.1) straight from the packet bytes at `offset`:
 * the per-packet path of a recorder or collector needs a field or two, not a decoded RtpPacket
 * (which allocates the CSRC list, the extension and a payload view). Field readers assume the
 * caller checked `isRtpV2Header` first (they read the fixed 12 bytes and nothing else).
 */

/** Whether `buf[offset, end)` is long enough for the fixed header and says version 2. */
export function isRtpV2Header(buf: Uint8Array, offset = 0, end = buf.length): boolean {
  return offset >= 0 && end - offset >= RTP_FIXED_HEADER_SIZE && ((buf[offset] ?? 0) >>> VERSION_SHIFT) === RTP_VERSION;
}

/** The version field (2 for RTP as it is used; 0/1 are older or not RTP). */
export function rtpVersion(buf: Uint8Array, offset = 0): number {
  return (buf[offset] ?? 0) >>> VERSION_SHIFT;
}

export function rtpMarker(buf: Uint8Array, offset = 0): boolean {
  return ((buf[offset + 1] ?? 0) & MARKER_BIT) !== 0;
}

export function rtpPayloadType(buf: Uint8Array, offset = 0): number {
  return (buf[offset + 1] ?? 0) & PAYLOAD_TYPE_MASK;
}

export function rtpSequenceNumber(buf: Uint8Array, offset = 0): number {
  return u16be(buf, offset + 2);
}

/** The 32-bit media timestamp, unsigned. */
export function rtpTimestamp(buf: Uint8Array, offset = 0): number {
  return u32be(buf, offset + 4);
}

/** The 32-bit SSRC, unsigned. */
export function rtpSsrc(buf: Uint8Array, offset = 0): number {
  return u32be(buf, offset + 8);
}

/**
 * Where the payload starts (after the CSRCs and the header extension), or -1 when those overrun
 * `end`. The packet is `buf[offset, end)`: RTP has no length field, the UDP payload is the packet.
 */
export function rtpPayloadOffset(buf: Uint8Array, offset = 0, end = buf.length): number {
  if (!isRtpV2Header(buf, offset, end)) return -1;
  const b0 = buf[offset] ?? 0;
  let pos = offset + RTP_FIXED_HEADER_SIZE + (b0 & CSRC_COUNT_MASK) * CSRC_SIZE;
  if (pos > end) return -1;
  if (b0 & EXTENSION_BIT) {
    if (end - pos < EXTENSION_HEADER_SIZE) return -1;
    pos += EXTENSION_HEADER_SIZE + u16be(buf, pos + 2) * EXTENSION_WORD;
    if (pos > end) return -1;
  }
  return pos;
}

/** Where the payload ends (before any padding), or -1 when the header or the padding count does not fit. */
export function rtpPayloadEnd(buf: Uint8Array, offset = 0, end = buf.length): number {
  const start = rtpPayloadOffset(buf, offset, end);
  if (start < 0) return -1;
  if (((buf[offset] ?? 0) & PADDING_BIT) === 0) return end;
  if (end <= start) return -1;
  const padding = buf[end - 1] ?? 0;
  return padding === 0 || padding > end - start ? -1 : end - padding;
}
