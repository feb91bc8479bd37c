import { u16be, u32be, w16be, w32be } from './bytes';
import { Decoded } from './decoded';
import { PacketDecodeError, PacketEncodeError } from './errors';

// TCP header (RFC 9293):
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |          Source Port          |       Destination Port        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                        Sequence Number                        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                    Acknowledgment Number                      |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  Data |       |C|E|U|A|P|R|S|F|                               |
// | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |           Checksum            |         Urgent Pointer        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                    Options                    |    Padding    |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

export const TCP_SRC_PORT_OFFSET = 0;
export const TCP_DST_PORT_OFFSET = 2;
export const TCP_SEQ_OFFSET = 4;
export const TCP_ACK_OFFSET = 8;
export const TCP_DATA_OFFSET_OFFSET = 12;
export const TCP_FLAGS_OFFSET = 13;
export const TCP_WINDOW_OFFSET = 14;
export const TCP_CHECKSUM_OFFSET = 16;
export const TCP_URGENT_OFFSET = 18;
export const TCP_MIN_HEADER_LENGTH = 20;
export const TCP_DATA_OFFSET_SHIFT = 4;

export const TcpFlags = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
} as const;

export interface TcpHeader {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** Bytes, 20 to 60; derived from `options` when encoding. */
  headerLength: number;
  /** TcpFlags bits. */
  flags: number;
  window: number;
  checksum: number;
  urgent: number;
  /** Raw option bytes (padded to a multiple of 4 when encoding). Default empty. */
  options: Uint8Array;
}

export function decodeTcp(buf: Uint8Array, offset = 0): Decoded<TcpHeader> {
  if (buf.length < offset + TCP_MIN_HEADER_LENGTH) throw new PacketDecodeError(`TCP header needs ${TCP_MIN_HEADER_LENGTH} bytes`, 'truncated-header');
  const headerLength = ((buf[offset + TCP_DATA_OFFSET_OFFSET] ?? 0) >>> TCP_DATA_OFFSET_SHIFT) * 4;
  if (headerLength < TCP_MIN_HEADER_LENGTH) throw new PacketDecodeError(`TCP data offset ${headerLength} below 20`, 'bad-header-length');
  if (buf.length < offset + headerLength) throw new PacketDecodeError('TCP options truncated', 'truncated-header');
  return {
    value: {
      srcPort: u16be(buf, offset + TCP_SRC_PORT_OFFSET),
      dstPort: u16be(buf, offset + TCP_DST_PORT_OFFSET),
      seq: u32be(buf, offset + TCP_SEQ_OFFSET),
      ack: u32be(buf, offset + TCP_ACK_OFFSET),
      headerLength,
      flags: buf[offset + TCP_FLAGS_OFFSET] ?? 0,
      window: u16be(buf, offset + TCP_WINDOW_OFFSET),
      checksum: u16be(buf, offset + TCP_CHECKSUM_OFFSET),
      urgent: u16be(buf, offset + TCP_URGENT_OFFSET),
      options: buf.subarray(offset + TCP_MIN_HEADER_LENGTH, offset + headerLength),
    },
    size: headerLength,
  };
}

export function encodedSizeTcp(h: Pick<TcpHeader, 'options'>): number {
  return TCP_MIN_HEADER_LENGTH + Math.ceil(h.options.length / 4) * 4;
}

/** Writes the header with `checksum` as given; `headerLength` is derived from the options. */
export function encodeTcp(h: TcpHeader, buf: Uint8Array, offset = 0): number {
  const size = encodedSizeTcp(h);
  if (size > 60) throw new PacketEncodeError('TCP options longer than 40 bytes', 'options-too-long');
  if (buf.length < offset + size) throw new PacketEncodeError('buffer too small for TCP header', 'buffer-too-small');
  buf.fill(0, offset, offset + size);
  w16be(buf, offset + TCP_SRC_PORT_OFFSET, h.srcPort);
  w16be(buf, offset + TCP_DST_PORT_OFFSET, h.dstPort);
  w32be(buf, offset + TCP_SEQ_OFFSET, h.seq >>> 0);
  w32be(buf, offset + TCP_ACK_OFFSET, h.ack >>> 0);
  buf[offset + TCP_DATA_OFFSET_OFFSET] = (size / 4) << TCP_DATA_OFFSET_SHIFT;
  buf[offset + TCP_FLAGS_OFFSET] = h.flags;
  w16be(buf, offset + TCP_WINDOW_OFFSET, h.window);
  w16be(buf, offset + TCP_CHECKSUM_OFFSET, h.checksum);
  w16be(buf, offset + TCP_URGENT_OFFSET, h.urgent);
  buf.set(h.options, offset + TCP_MIN_HEADER_LENGTH);
  return size;
}
