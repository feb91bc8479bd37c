import { u16be, u32be, w16be, w32be } from './bytes';
import { Decoded } from './decoded';
import { PacketDecodeError, PacketEncodeError } from './errors';
import { formatIpv6, parseIpv6 } from './ip-address';

// IPv6 fixed header (RFC 8200):
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |Version| Traffic Class |           Flow Label                  |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |         Payload Length        |  Next Header  |   Hop Limit   |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                   Source Address (16 bytes)                   |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                 Destination Address (16 bytes)                |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Extension headers followed here: hop-by-hop (0), routing (43), destination options (60),
// mobility (135): | Next Header | Hdr Ext Len (8-byte units, not counting the first 8) | ... |
// fragment (44), always 8 bytes:
// | Next Header |   Reserved    |      Fragment Offset    |Res|M|
// |                         Identification                       |
// authentication (51): length in 4-byte units minus 2. ESP (50) and "no next header" (59) end
// the walk; their protocol number is reported.

export const IPV6_VERSION_OFFSET = 0;
export const IPV6_PAYLOAD_LENGTH_OFFSET = 4;
export const IPV6_NEXT_HEADER_OFFSET = 6;
export const IPV6_HOP_LIMIT_OFFSET = 7;
export const IPV6_SRC_OFFSET = 8;
export const IPV6_DST_OFFSET = 24;
export const IPV6_HEADER_LENGTH = 40;
export const IPV6_VERSION_SHIFT = 28;
export const IPV6_TRAFFIC_CLASS_SHIFT = 20;
export const IPV6_TRAFFIC_CLASS_MASK = 0xff;
export const IPV6_FLOW_LABEL_MASK = 0xfffff;
export const IPV6_EXT_NEXT_HEADER_OFFSET = 0;
export const IPV6_EXT_LENGTH_OFFSET = 1;
export const IPV6_EXT_UNIT = 8;
export const IPV6_FRAGMENT_HEADER_LENGTH = 8;
export const IPV6_FRAGMENT_OFFSET_FIELD = 2;
export const IPV6_FRAGMENT_ID_OFFSET = 4;
export const IPV6_FRAGMENT_OFFSET_MASK = 0xfff8;
export const IPV6_FRAGMENT_MORE_MASK = 0x0001;
export const IPV6_AH_UNIT = 4;

export const IpProtocol = {
  HOP_BY_HOP: 0,
  ICMP: 1,
  TCP: 6,
  UDP: 17,
  ROUTING: 43,
  FRAGMENT: 44,
  ESP: 50,
  AH: 51,
  ICMPV6: 58,
  NO_NEXT_HEADER: 59,
  DESTINATION_OPTIONS: 60,
  MOBILITY: 135,
} as const;

/** More extension headers than any sane packet; bounds the walk on garbage. */
export const IPV6_MAX_EXTENSION_HEADERS = 16;

export interface Ipv6ExtensionHeader {
  /** The protocol number of this header (0, 43, 44, 51, 60, 135). */
  type: number;
  /** Its raw bytes including the next-header and length fields. */
  data: Uint8Array;
}

export interface Ipv6Fragment {
  /** In bytes. */
  offset: number;
  moreFragments: boolean;
  id: number;
}

export interface Ipv6Header {
  trafficClass: number;
  flowLabel: number;
  /** Bytes after the fixed header, extension headers included; 0 (jumbogram or offload) reads as the captured length. */
  payloadLength: number;
  /** The Next Header field of the fixed header. */
  nextHeader: number;
  hopLimit: number;
  src: string;
  dst: string;
  extensionHeaders: Ipv6ExtensionHeader[];
  /** The upper-layer protocol after the extension headers (17 UDP, 6 TCP, 59 none, 50 ESP, ...). */
  protocol: number;
  /** Set when a fragment header was seen; the upper layer then starts at `size` only if offset is 0. */
  fragment: Ipv6Fragment | null;
}

/** Where an extension-header walk stopped; a caller-owned object so the walk allocates nothing. */
export interface Ipv6WalkResult {
  /** The upper-layer protocol (or 59, 50, or the fragment header's next header). */
  protocol: number;
  /** Offset of the first byte after the walked headers. */
  offset: number;
  /** Offset of the fragment header, or -1. The walk stops after a fragment header. */
  fragmentHeaderAt: number;
}

/**
 * Walks extension headers from offset `o` (the header there has type `next`) up to `end`, stopping
 * at the upper layer, after a fragment header, or at ESP / no-next-header. Fills `out`. Calls
 * `onHeader` with each header's type and span when given. Shared with the frame decoder.
 */
export function walkIpv6ExtensionHeaders(
  buf: Uint8Array,
  o: number,
  end: number,
  next: number,
  out: Ipv6WalkResult,
  onHeader: ((type: number, start: number, length: number) => void) | null,
): void {
  out.fragmentHeaderAt = -1;
  for (let count = 0; ; count++) {
    let length: number;
    if (next === IpProtocol.HOP_BY_HOP || next === IpProtocol.ROUTING || next === IpProtocol.DESTINATION_OPTIONS || next === IpProtocol.MOBILITY) {
      if (end < o + 2) throw new PacketDecodeError('IPv6 extension header truncated', 'truncated-header');
      length = ((buf[o + IPV6_EXT_LENGTH_OFFSET] ?? 0) + 1) * IPV6_EXT_UNIT;
    } else if (next === IpProtocol.AH) {
      if (end < o + 2) throw new PacketDecodeError('IPv6 AH header truncated', 'truncated-header');
      length = ((buf[o + IPV6_EXT_LENGTH_OFFSET] ?? 0) + 2) * IPV6_AH_UNIT;
    } else if (next === IpProtocol.FRAGMENT) {
      length = IPV6_FRAGMENT_HEADER_LENGTH;
    } else {
      out.protocol = next;
      out.offset = o;
      return;
    }
    if (count === IPV6_MAX_EXTENSION_HEADERS) throw new PacketDecodeError('too many IPv6 extension headers', 'too-many-extension-headers');
    if (end < o + length) throw new PacketDecodeError('IPv6 extension header truncated', 'truncated-header');
    if (onHeader !== null) onHeader(next, o, length);
    const type = next;
    next = buf[o + IPV6_EXT_NEXT_HEADER_OFFSET] ?? 0;
    if (type === IpProtocol.FRAGMENT) {
      out.fragmentHeaderAt = o;
      out.protocol = next;
      out.offset = o + length;
      return;
    }
    o += length;
  }
}

export function decodeIpv6(buf: Uint8Array, offset = 0): Decoded<Ipv6Header> {
  const available = buf.length - offset;
  if (available < IPV6_HEADER_LENGTH) throw new PacketDecodeError(`IPv6 header needs ${IPV6_HEADER_LENGTH} bytes`, 'truncated-header');
  const first = u32be(buf, offset + IPV6_VERSION_OFFSET);
  if (first >>> IPV6_VERSION_SHIFT !== 6) throw new PacketDecodeError(`IPv6 version is ${first >>> IPV6_VERSION_SHIFT}`, 'bad-version');
  let payloadLength = u16be(buf, offset + IPV6_PAYLOAD_LENGTH_OFFSET);
  if (payloadLength === 0) payloadLength = available - IPV6_HEADER_LENGTH;
  const end = Math.min(buf.length, offset + IPV6_HEADER_LENGTH + payloadLength);
  const nextHeader = buf[offset + IPV6_NEXT_HEADER_OFFSET] ?? 0;
  const extensionHeaders: Ipv6ExtensionHeader[] = [];
  let fragment: Ipv6Fragment | null = null;
  const walk: Ipv6WalkResult = { protocol: 0, offset: 0, fragmentHeaderAt: -1 };
  walkIpv6ExtensionHeaders(buf, offset + IPV6_HEADER_LENGTH, end, nextHeader, walk, (type, start, length) => {
    extensionHeaders.push({ type, data: buf.subarray(start, start + length) });
  });
  if (walk.fragmentHeaderAt >= 0) {
    const f = u16be(buf, walk.fragmentHeaderAt + IPV6_FRAGMENT_OFFSET_FIELD);
    fragment = { offset: f & IPV6_FRAGMENT_OFFSET_MASK, moreFragments: (f & IPV6_FRAGMENT_MORE_MASK) !== 0, id: u32be(buf, walk.fragmentHeaderAt + IPV6_FRAGMENT_ID_OFFSET) };
  }
  return {
    value: {
      trafficClass: (first >>> IPV6_TRAFFIC_CLASS_SHIFT) & IPV6_TRAFFIC_CLASS_MASK,
      flowLabel: first & IPV6_FLOW_LABEL_MASK,
      payloadLength,
      nextHeader,
      hopLimit: buf[offset + IPV6_HOP_LIMIT_OFFSET] ?? 0,
      src: formatIpv6(buf, offset + IPV6_SRC_OFFSET),
      dst: formatIpv6(buf, offset + IPV6_DST_OFFSET),
      extensionHeaders,
      protocol: walk.protocol,
      fragment,
    },
    size: walk.offset - offset,
  };
}

export function encodedSizeIpv6(h: Pick<Ipv6Header, 'extensionHeaders'>): number {
  return IPV6_HEADER_LENGTH + h.extensionHeaders.reduce((n, e) => n + e.data.length, 0);
}

/**
 * Writes the fixed header and the extension headers (their bytes as given, with each Next Header
 * field rewritten to chain them, the last one pointing at `protocol`). `nextHeader` is derived.
 */
export function encodeIpv6(h: Ipv6Header, buf: Uint8Array, offset = 0): number {
  const size = encodedSizeIpv6(h);
  if (buf.length < offset + size) throw new PacketEncodeError('buffer too small for IPv6 header', 'buffer-too-small');
  w32be(
    buf,
    offset + IPV6_VERSION_OFFSET,
    ((6 << IPV6_VERSION_SHIFT) | ((h.trafficClass & IPV6_TRAFFIC_CLASS_MASK) << IPV6_TRAFFIC_CLASS_SHIFT) | (h.flowLabel & IPV6_FLOW_LABEL_MASK)) >>> 0,
  );
  w16be(buf, offset + IPV6_PAYLOAD_LENGTH_OFFSET, h.payloadLength);
  const first = h.extensionHeaders[0];
  buf[offset + IPV6_NEXT_HEADER_OFFSET] = first === undefined ? h.protocol : first.type;
  buf[offset + IPV6_HOP_LIMIT_OFFSET] = h.hopLimit;
  buf.set(parseIpv6(h.src), offset + IPV6_SRC_OFFSET);
  buf.set(parseIpv6(h.dst), offset + IPV6_DST_OFFSET);
  let o = offset + IPV6_HEADER_LENGTH;
  h.extensionHeaders.forEach((e, i) => {
    buf.set(e.data, o);
    buf[o + IPV6_EXT_NEXT_HEADER_OFFSET] = h.extensionHeaders[i + 1]?.type ?? h.protocol;
    o += e.data.length;
  });
  return size;
}

/** An 8-byte IPv6 fragment extension header (for building fragmented test packets). */
export function ipv6FragmentHeader(fragment: Ipv6Fragment): Ipv6ExtensionHeader {
  const data = new Uint8Array(IPV6_FRAGMENT_HEADER_LENGTH);
  w16be(data, IPV6_FRAGMENT_OFFSET_FIELD, (fragment.offset & IPV6_FRAGMENT_OFFSET_MASK) | (fragment.moreFragments ? IPV6_FRAGMENT_MORE_MASK : 0));
  w32be(data, IPV6_FRAGMENT_ID_OFFSET, fragment.id);
  return { type: IpProtocol.FRAGMENT, data };
}
