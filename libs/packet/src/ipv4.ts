import { internetChecksum, u16be, w16be } from './bytes';
import { Decoded } from './decoded';
import { PacketDecodeError, PacketEncodeError } from './errors';
import { formatIpv4, parseIpv4 } from './ip-address';

// IPv4 header (RFC 791):
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |Version|  IHL  |Type of Service|          Total Length         |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |         Identification        |Flags|      Fragment Offset    |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  Time to Live |    Protocol   |         Header Checksum       |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                       Source Address                          |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                    Destination Address                        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                    Options                    |    Padding    |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The checksum is not validated: captures taken on the sending host carry checksums the NIC
// fills in later (offload), and a wrong checksum does not make SIP or RTP unreadable.

export const IPV4_VERSION_IHL_OFFSET = 0;
export const IPV4_TOS_OFFSET = 1;
export const IPV4_TOTAL_LENGTH_OFFSET = 2;
export const IPV4_ID_OFFSET = 4;
export const IPV4_FLAGS_FRAGMENT_OFFSET = 6;
export const IPV4_TTL_OFFSET = 8;
export const IPV4_PROTOCOL_OFFSET = 9;
export const IPV4_CHECKSUM_OFFSET = 10;
export const IPV4_SRC_OFFSET = 12;
export const IPV4_DST_OFFSET = 16;
export const IPV4_MIN_HEADER_LENGTH = 20;
export const IPV4_MAX_HEADER_LENGTH = 60;
export const IPV4_VERSION_SHIFT = 4;
export const IPV4_IHL_MASK = 0x0f;
export const IPV4_FLAG_DF = 0x4000;
export const IPV4_FLAG_MF = 0x2000;
export const IPV4_FRAGMENT_OFFSET_MASK = 0x1fff;
/** Fragment offsets count 8-byte units. */
export const IPV4_FRAGMENT_UNIT = 8;
export const IPV4_MAX_TOTAL_LENGTH = 0xffff;

export interface Ipv4Header {
  /** Bytes, a multiple of 4 from 20 to 60. Derived from `options` when encoding. */
  headerLength: number;
  tos: number;
  /**
   * Header plus payload bytes. When a capture on the sending host shows 0 (TCP segmentation
   * offload), the decoder reports the captured length instead.
   */
  totalLength: number;
  id: number;
  dontFragment: boolean;
  moreFragments: boolean;
  /** In bytes (the field times 8). */
  fragmentOffset: number;
  ttl: number;
  protocol: number;
  checksum: number;
  src: string;
  dst: string;
  /** Raw option bytes (padded to a multiple of 4 when encoding). Default empty. */
  options: Uint8Array;
}

export function decodeIpv4(buf: Uint8Array, offset = 0): Decoded<Ipv4Header> {
  const available = buf.length - offset;
  if (available < IPV4_MIN_HEADER_LENGTH) throw new PacketDecodeError(`IPv4 header needs ${IPV4_MIN_HEADER_LENGTH} bytes`, 'truncated-header');
  const vihl = buf[offset + IPV4_VERSION_IHL_OFFSET] ?? 0;
  if (vihl >>> IPV4_VERSION_SHIFT !== 4) throw new PacketDecodeError(`IPv4 version is ${vihl >>> IPV4_VERSION_SHIFT}`, 'bad-version');
  const headerLength = (vihl & IPV4_IHL_MASK) * 4;
  if (headerLength < IPV4_MIN_HEADER_LENGTH) throw new PacketDecodeError(`IPv4 header length ${headerLength} below 20`, 'bad-header-length');
  if (available < headerLength) throw new PacketDecodeError('IPv4 options truncated', 'truncated-header');
  let totalLength = u16be(buf, offset + IPV4_TOTAL_LENGTH_OFFSET);
  if (totalLength === 0) totalLength = Math.min(available, IPV4_MAX_TOTAL_LENGTH);
  if (totalLength < headerLength) throw new PacketDecodeError(`IPv4 total length ${totalLength} below header length ${headerLength}`, 'bad-total-length');
  const ff = u16be(buf, offset + IPV4_FLAGS_FRAGMENT_OFFSET);
  return {
    value: {
      headerLength,
      tos: buf[offset + IPV4_TOS_OFFSET] ?? 0,
      totalLength,
      id: u16be(buf, offset + IPV4_ID_OFFSET),
      dontFragment: (ff & IPV4_FLAG_DF) !== 0,
      moreFragments: (ff & IPV4_FLAG_MF) !== 0,
      fragmentOffset: (ff & IPV4_FRAGMENT_OFFSET_MASK) * IPV4_FRAGMENT_UNIT,
      ttl: buf[offset + IPV4_TTL_OFFSET] ?? 0,
      protocol: buf[offset + IPV4_PROTOCOL_OFFSET] ?? 0,
      checksum: u16be(buf, offset + IPV4_CHECKSUM_OFFSET),
      src: formatIpv4(buf, offset + IPV4_SRC_OFFSET),
      dst: formatIpv4(buf, offset + IPV4_DST_OFFSET),
      options: buf.subarray(offset + IPV4_MIN_HEADER_LENGTH, offset + headerLength),
    },
    size: headerLength,
  };
}

export function encodedSizeIpv4(h: Pick<Ipv4Header, 'options'>): number {
  return IPV4_MIN_HEADER_LENGTH + Math.ceil(h.options.length / 4) * 4;
}

/**
 * Writes the header (not the payload) with `totalLength` as given and a correct checksum;
 * `headerLength` and `checksum` of `h` are ignored.
 */
export function encodeIpv4(h: Ipv4Header, buf: Uint8Array, offset = 0): number {
  const size = encodedSizeIpv4(h);
  if (size > IPV4_MAX_HEADER_LENGTH) throw new PacketEncodeError('IPv4 options longer than 40 bytes', 'options-too-long');
  if (buf.length < offset + size) throw new PacketEncodeError('buffer too small for IPv4 header', 'buffer-too-small');
  if (h.fragmentOffset % IPV4_FRAGMENT_UNIT !== 0 || h.fragmentOffset > IPV4_FRAGMENT_OFFSET_MASK * IPV4_FRAGMENT_UNIT) {
    throw new PacketEncodeError(`IPv4 fragment offset ${h.fragmentOffset} is not a multiple of 8 below 65536`, 'bad-fragment-offset');
  }
  buf.fill(0, offset, offset + size);
  buf[offset + IPV4_VERSION_IHL_OFFSET] = (4 << IPV4_VERSION_SHIFT) | (size / 4);
  buf[offset + IPV4_TOS_OFFSET] = h.tos;
  w16be(buf, offset + IPV4_TOTAL_LENGTH_OFFSET, h.totalLength);
  w16be(buf, offset + IPV4_ID_OFFSET, h.id);
  w16be(
    buf,
    offset + IPV4_FLAGS_FRAGMENT_OFFSET,
    (h.dontFragment ? IPV4_FLAG_DF : 0) | (h.moreFragments ? IPV4_FLAG_MF : 0) | (h.fragmentOffset / IPV4_FRAGMENT_UNIT),
  );
  buf[offset + IPV4_TTL_OFFSET] = h.ttl;
  buf[offset + IPV4_PROTOCOL_OFFSET] = h.protocol;
  buf.set(parseIpv4(h.src), offset + IPV4_SRC_OFFSET);
  buf.set(parseIpv4(h.dst), offset + IPV4_DST_OFFSET);
  buf.set(h.options, offset + IPV4_MIN_HEADER_LENGTH);
  w16be(buf, offset + IPV4_CHECKSUM_OFFSET, internetChecksum(buf, offset, offset + size));
  return size;
}
