import { u32be, u32le, w32be, w32le } from './bytes';
import { Decoded } from './decoded';
import { PacketDecodeError, PacketEncodeError } from './errors';

// BSD loopback, LINKTYPE_NULL (0): a 4-byte address family in the byte order of the host that
// captured, then the IP packet. (LINKTYPE_LOOP, 108, is the same with the family big-endian.)
//
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                 Address family (host byte order)              |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The family fits in 16 bits, so a value above 0xffff read little-endian means the writer was
// big-endian. AF_INET is 2 everywhere; AF_INET6 is 10 (Linux), 24 (NetBSD, OpenBSD), 28 (FreeBSD,
// DragonFly), 30 (macOS, iOS).

export const NULL_FAMILY_OFFSET = 0;
export const NULL_HEADER_LENGTH = 4;
export const AF_INET = 2;
export const AF_INET6_VALUES: readonly number[] = [10, 24, 28, 30];

export interface NullLoopbackHeader {
  family: number;
  /** The byte order the family was written in. */
  byteOrder: 'le' | 'be';
}

/** 4 or 6 for the IP families, 0 for any other. */
export function ipVersionOfFamily(family: number): 0 | 4 | 6 {
  if (family === AF_INET) return 4;
  return AF_INET6_VALUES.includes(family) ? 6 : 0;
}

export function decodeNullLoopback(buf: Uint8Array, offset = 0): Decoded<NullLoopbackHeader> {
  if (buf.length < offset + NULL_HEADER_LENGTH) {
    throw new PacketDecodeError(`loopback header needs ${NULL_HEADER_LENGTH} bytes`, 'truncated-header');
  }
  const le = u32le(buf, offset + NULL_FAMILY_OFFSET);
  const value: NullLoopbackHeader = le > 0xffff ? { family: u32be(buf, offset + NULL_FAMILY_OFFSET), byteOrder: 'be' } : { family: le, byteOrder: 'le' };
  return { value, size: NULL_HEADER_LENGTH };
}

export function encodedSizeNullLoopback(_h: NullLoopbackHeader): number {
  return NULL_HEADER_LENGTH;
}

export function encodeNullLoopback(h: NullLoopbackHeader, buf: Uint8Array, offset = 0): number {
  if (buf.length < offset + NULL_HEADER_LENGTH) throw new PacketEncodeError('buffer too small for loopback header', 'buffer-too-small');
  if (h.byteOrder === 'be') w32be(buf, offset + NULL_FAMILY_OFFSET, h.family);
  else w32le(buf, offset + NULL_FAMILY_OFFSET, h.family);
  return NULL_HEADER_LENGTH;
}
