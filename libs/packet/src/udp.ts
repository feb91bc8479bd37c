import { u16be, w16be } from './bytes';
import { Decoded } from './decoded';
import { PacketDecodeError, PacketEncodeError } from './errors';

// UDP header (RFC 768):
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |          Source Port          |       Destination Port        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |            Length             |           Checksum            |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

export const UDP_SRC_PORT_OFFSET = 0;
export const UDP_DST_PORT_OFFSET = 2;
export const UDP_LENGTH_OFFSET = 4;
export const UDP_CHECKSUM_OFFSET = 6;
export const UDP_HEADER_LENGTH = 8;

export interface UdpHeader {
  srcPort: number;
  dstPort: number;
  /** Header plus payload bytes. */
  length: number;
  /** Not validated (offload makes it wrong in captures taken on the sender). */
  checksum: number;
}

/** Decodes the 8-byte header; the payload is the `length - 8` bytes after it (the caller checks they were captured). */
export function decodeUdp(buf: Uint8Array, offset = 0): Decoded<UdpHeader> {
  if (buf.length < offset + UDP_HEADER_LENGTH) throw new PacketDecodeError(`UDP header needs ${UDP_HEADER_LENGTH} bytes`, 'truncated-header');
  const length = u16be(buf, offset + UDP_LENGTH_OFFSET);
  if (length < UDP_HEADER_LENGTH) throw new PacketDecodeError(`UDP length ${length} below 8`, 'bad-udp-length');
  return {
    value: {
      srcPort: u16be(buf, offset + UDP_SRC_PORT_OFFSET),
      dstPort: u16be(buf, offset + UDP_DST_PORT_OFFSET),
      length,
      checksum: u16be(buf, offset + UDP_CHECKSUM_OFFSET),
    },
    size: UDP_HEADER_LENGTH,
  };
}

export function encodedSizeUdp(_h: UdpHeader): number {
  return UDP_HEADER_LENGTH;
}

export function encodeUdp(h: UdpHeader, buf: Uint8Array, offset = 0): number {
  if (buf.length < offset + UDP_HEADER_LENGTH) throw new PacketEncodeError('buffer too small for UDP header', 'buffer-too-small');
  w16be(buf, offset + UDP_SRC_PORT_OFFSET, h.srcPort);
  w16be(buf, offset + UDP_DST_PORT_OFFSET, h.dstPort);
  w16be(buf, offset + UDP_LENGTH_OFFSET, h.length);
  w16be(buf, offset + UDP_CHECKSUM_OFFSET, h.checksum);
  return UDP_HEADER_LENGTH;
}
