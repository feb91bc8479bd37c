import { u16be, u32be } from './bytes';
import { PacketDecodeError } from './errors';
import { skipVlanTags, ETHERNET_HEADER_LENGTH } from './ethernet';
import { formatIpv4, formatIpv6 } from './ip-address';
import {
  IPV4_DST_OFFSET,
  IPV4_FLAGS_FRAGMENT_OFFSET,
  IPV4_FLAG_MF,
  IPV4_FRAGMENT_OFFSET_MASK,
  IPV4_FRAGMENT_UNIT,
  IPV4_ID_OFFSET,
  IPV4_IHL_MASK,
  IPV4_MAX_TOTAL_LENGTH,
  IPV4_MIN_HEADER_LENGTH,
  IPV4_PROTOCOL_OFFSET,
  IPV4_SRC_OFFSET,
  IPV4_TOTAL_LENGTH_OFFSET,
  IPV4_TTL_OFFSET,
  IPV4_VERSION_SHIFT,
} from './ipv4';
import {
  IPV6_DST_OFFSET,
  IPV6_FRAGMENT_ID_OFFSET,
  IPV6_FRAGMENT_MORE_MASK,
  IPV6_FRAGMENT_OFFSET_FIELD,
  IPV6_FRAGMENT_OFFSET_MASK,
  IPV6_HEADER_LENGTH,
  IPV6_HOP_LIMIT_OFFSET,
  IPV6_NEXT_HEADER_OFFSET,
  IPV6_PAYLOAD_LENGTH_OFFSET,
  IPV6_SRC_OFFSET,
  IpProtocol,
  Ipv6WalkResult,
  walkIpv6ExtensionHeaders,
} from './ipv6';
import { EtherType, LinkType } from './link-type';
import { ipVersionOfFamily, NULL_HEADER_LENGTH } from './null-loopback';
import { u32le } from './bytes';
import { SLL_HEADER_LENGTH, SLL_PROTOCOL_OFFSET } from './linux-sll';
import { SLL2_HEADER_LENGTH, SLL2_PROTOCOL_OFFSET } from './linux-sll2';
import { TCP_ACK_OFFSET, TCP_DATA_OFFSET_OFFSET, TCP_DATA_OFFSET_SHIFT, TCP_DST_PORT_OFFSET, TCP_FLAGS_OFFSET, TCP_MIN_HEADER_LENGTH, TCP_SEQ_OFFSET, TCP_SRC_PORT_OFFSET } from './tcp';
import { UDP_DST_PORT_OFFSET, UDP_HEADER_LENGTH, UDP_LENGTH_OFFSET, UDP_SRC_PORT_OFFSET } from './udp';

/**
 * One captured frame decoded down to the transport layer, flat so that one object can be reused
 * packet after packet (`decodeFrameInto`). Addresses are text (RFC 5952 for IPv6) because stream
 * keys and SDP compare text.
 */
export interface DecodedFrame {
  linkType: number;
  /** VLAN IDs, outermost first; empty when untagged. */
  vlanIds: number[];
  ipVersion: 4 | 6;
  src: string;
  dst: string;
  /** The upper-layer protocol number (17 UDP, 6 TCP, ...), after IPv6 extension headers. */
  protocol: number;
  /** IPv4 TTL or IPv6 hop limit. */
  ttl: number;
  /** True for a fragment of a larger datagram (not the atomic IPv6 fragment): ports are 0 and payload is the fragment's data. */
  isFragment: boolean;
  fragmentId: number;
  /** In bytes. */
  fragmentOffset: number;
  moreFragments: boolean;
  /** UDP or TCP ports; 0 for other protocols and for fragments. */
  srcPort: number;
  dstPort: number;
  /** TCP only (0 otherwise). */
  tcpSeq: number;
  tcpAck: number;
  tcpFlags: number;
  /** The UDP/TCP payload, or the IP payload for fragments and other protocols: a view into the input, never a copy. */
  payload: Uint8Array;
}

const EMPTY = new Uint8Array(0);

export function newDecodedFrame(): DecodedFrame {
  return {
    linkType: 0,
    vlanIds: [],
    ipVersion: 4,
    src: '',
    dst: '',
    protocol: 0,
    ttl: 0,
    isFragment: false,
    fragmentId: 0,
    fragmentOffset: 0,
    moreFragments: false,
    srcPort: 0,
    dstPort: 0,
    tcpSeq: 0,
    tcpAck: 0,
    tcpFlags: 0,
    payload: EMPTY,
  };
}

/** Decodes a frame of the given LINKTYPE_* down to UDP/TCP. Throws PacketDecodeError. */
export function decodeFrame(linkType: number, data: Uint8Array): DecodedFrame {
  return decodeFrameInto(newDecodedFrame(), linkType, data);
}

const walk: Ipv6WalkResult = { protocol: 0, offset: 0, fragmentHeaderAt: -1 };

/**
 * Like decodeFrame, but fills `out` (every field is overwritten) so the hot path allocates only
 * the address strings. Returns `out`.
 */
export function decodeFrameInto(out: DecodedFrame, linkType: number, data: Uint8Array): DecodedFrame {
  out.linkType = linkType;
  out.vlanIds.length = 0;
  let version: number;
  let o: number;
  switch (linkType) {
    case LinkType.ETHERNET: {
      if (data.length < ETHERNET_HEADER_LENGTH) throw new PacketDecodeError('Ethernet header truncated', 'truncated-header');
      const typeOffset = skipVlanTags(data, 0, out.vlanIds);
      version = versionOfEtherType(u16be(data, typeOffset));
      o = typeOffset + 2;
      break;
    }
    case LinkType.LINUX_SLL:
      if (data.length < SLL_HEADER_LENGTH) throw new PacketDecodeError('Linux SLL header truncated', 'truncated-header');
      version = versionOfEtherType(u16be(data, SLL_PROTOCOL_OFFSET));
      o = SLL_HEADER_LENGTH;
      break;
    case LinkType.LINUX_SLL2:
      if (data.length < SLL2_HEADER_LENGTH) throw new PacketDecodeError('Linux SLL2 header truncated', 'truncated-header');
      version = versionOfEtherType(u16be(data, SLL2_PROTOCOL_OFFSET));
      o = SLL2_HEADER_LENGTH;
      break;
    case LinkType.NULL:
    case LinkType.LOOP: {
      if (data.length < NULL_HEADER_LENGTH) throw new PacketDecodeError('loopback header truncated', 'truncated-header');
      let family = linkType === LinkType.LOOP ? u32be(data, 0) : u32le(data, 0);
      if (family > 0xffff) family = u32be(data, 0);
      version = ipVersionOfFamily(family);
      if (version === 0) throw new PacketDecodeError(`loopback address family ${family} is not IP`, 'not-ip');
      o = NULL_HEADER_LENGTH;
      break;
    }
    case LinkType.RAW:
    case 12: // DLT_RAW as some BSDs write it
    case 14:
      if (data.length < 1) throw new PacketDecodeError('empty raw IP frame', 'truncated-header');
      version = (data[0] ?? 0) >>> 4;
      o = 0;
      break;
    case LinkType.IPV4:
      version = 4;
      o = 0;
      break;
    case LinkType.IPV6:
      version = 6;
      o = 0;
      break;
    default:
      throw new PacketDecodeError(`link type ${linkType} is not supported`, 'unsupported-link-type');
  }
  if (version === 4) decodeIpv4Into(out, data, o);
  else if (version === 6) decodeIpv6Into(out, data, o);
  else throw new PacketDecodeError(`IP version ${version}`, 'bad-version');
  return out;
}

function versionOfEtherType(etherType: number): number {
  if (etherType === EtherType.IPV4) return 4;
  if (etherType === EtherType.IPV6) return 6;
  throw new PacketDecodeError(`EtherType 0x${etherType.toString(16).padStart(4, '0')} is not IP`, 'not-ip');
}

function decodeIpv4Into(out: DecodedFrame, b: Uint8Array, o: number): void {
  const available = b.length - o;
  if (available < IPV4_MIN_HEADER_LENGTH) throw new PacketDecodeError('IPv4 header truncated', 'truncated-header');
  const vihl = b[o] ?? 0;
  if (vihl >>> IPV4_VERSION_SHIFT !== 4) throw new PacketDecodeError(`IPv4 version is ${vihl >>> IPV4_VERSION_SHIFT}`, 'bad-version');
  const hl = (vihl & IPV4_IHL_MASK) * 4;
  if (hl < IPV4_MIN_HEADER_LENGTH) throw new PacketDecodeError(`IPv4 header length ${hl}`, 'bad-header-length');
  let total = u16be(b, o + IPV4_TOTAL_LENGTH_OFFSET);
  // 0 is what a capture on the sender shows for TSO super-packets: trust the captured length.
  if (total === 0) total = Math.min(available, IPV4_MAX_TOTAL_LENGTH);
  if (total < hl) throw new PacketDecodeError(`IPv4 total length ${total} below header length ${hl}`, 'bad-total-length');
  if (total > available) throw new PacketDecodeError(`IPv4 packet of ${total} bytes, ${available} captured`, 'truncated-packet');
  const ff = u16be(b, o + IPV4_FLAGS_FRAGMENT_OFFSET);
  out.ipVersion = 4;
  out.src = formatIpv4(b, o + IPV4_SRC_OFFSET);
  out.dst = formatIpv4(b, o + IPV4_DST_OFFSET);
  out.protocol = b[o + IPV4_PROTOCOL_OFFSET] ?? 0;
  out.ttl = b[o + IPV4_TTL_OFFSET] ?? 0;
  out.fragmentId = u16be(b, o + IPV4_ID_OFFSET);
  out.fragmentOffset = (ff & IPV4_FRAGMENT_OFFSET_MASK) * IPV4_FRAGMENT_UNIT;
  out.moreFragments = (ff & IPV4_FLAG_MF) !== 0;
  out.isFragment = out.moreFragments || out.fragmentOffset !== 0;
  // The IP total length, not the frame, bounds the payload: Ethernet pads short frames.
  decodeTransportInto(out, b, o + hl, o + total);
}

function decodeIpv6Into(out: DecodedFrame, b: Uint8Array, o: number): void {
  const available = b.length - o;
  if (available < IPV6_HEADER_LENGTH) throw new PacketDecodeError('IPv6 header truncated', 'truncated-header');
  if ((b[o] ?? 0) >>> 4 !== 6) throw new PacketDecodeError(`IPv6 version is ${(b[o] ?? 0) >>> 4}`, 'bad-version');
  let payloadLength = u16be(b, o + IPV6_PAYLOAD_LENGTH_OFFSET);
  if (payloadLength === 0) payloadLength = available - IPV6_HEADER_LENGTH;
  const end = o + IPV6_HEADER_LENGTH + payloadLength;
  if (end > b.length) throw new PacketDecodeError(`IPv6 payload of ${payloadLength} bytes, ${available - IPV6_HEADER_LENGTH} captured`, 'truncated-packet');
  walkIpv6ExtensionHeaders(b, o + IPV6_HEADER_LENGTH, end, b[o + IPV6_NEXT_HEADER_OFFSET] ?? 0, walk, null);
  out.ipVersion = 6;
  out.src = formatIpv6(b, o + IPV6_SRC_OFFSET);
  out.dst = formatIpv6(b, o + IPV6_DST_OFFSET);
  out.protocol = walk.protocol;
  out.ttl = b[o + IPV6_HOP_LIMIT_OFFSET] ?? 0;
  if (walk.fragmentHeaderAt >= 0) {
    const f = u16be(b, walk.fragmentHeaderAt + IPV6_FRAGMENT_OFFSET_FIELD);
    out.fragmentOffset = f & IPV6_FRAGMENT_OFFSET_MASK;
    out.moreFragments = (f & IPV6_FRAGMENT_MORE_MASK) !== 0;
    out.fragmentId = u32be(b, walk.fragmentHeaderAt + IPV6_FRAGMENT_ID_OFFSET);
  } else {
    out.fragmentOffset = 0;
    out.moreFragments = false;
    out.fragmentId = 0;
  }
  out.isFragment = out.moreFragments || out.fragmentOffset !== 0;
  decodeTransportInto(out, b, walk.offset, end);
}

/**
 * Fills ports, TCP fields and payload of `out` from the transport header in b[start, end) for
 * `out.protocol`; for fragments and other protocols the payload is the whole span. Used again on a
 * reassembled datagram (after clearing isFragment).
 */
export function decodeTransportInto(out: DecodedFrame, b: Uint8Array, start: number, end: number): void {
  out.srcPort = 0;
  out.dstPort = 0;
  out.tcpSeq = 0;
  out.tcpAck = 0;
  out.tcpFlags = 0;
  if (out.isFragment) {
    out.payload = b.subarray(start, end);
    return;
  }
  if (out.protocol === IpProtocol.UDP) {
    if (end - start < UDP_HEADER_LENGTH) throw new PacketDecodeError('UDP header truncated', 'truncated-header');
    let length = u16be(b, start + UDP_LENGTH_OFFSET);
    if (length === 0 && out.ipVersion === 6) length = end - start; // RFC 2675 jumbogram
    if (length < UDP_HEADER_LENGTH) throw new PacketDecodeError(`UDP length ${length} below 8`, 'bad-udp-length');
    if (length > end - start) throw new PacketDecodeError(`UDP length ${length} beyond the IP payload of ${end - start}`, 'bad-udp-length');
    out.srcPort = u16be(b, start + UDP_SRC_PORT_OFFSET);
    out.dstPort = u16be(b, start + UDP_DST_PORT_OFFSET);
    out.payload = b.subarray(start + UDP_HEADER_LENGTH, start + length);
  } else if (out.protocol === IpProtocol.TCP) {
    if (end - start < TCP_MIN_HEADER_LENGTH) throw new PacketDecodeError('TCP header truncated', 'truncated-header');
    const hl = ((b[start + TCP_DATA_OFFSET_OFFSET] ?? 0) >>> TCP_DATA_OFFSET_SHIFT) * 4;
    if (hl < TCP_MIN_HEADER_LENGTH) throw new PacketDecodeError(`TCP data offset ${hl}`, 'bad-header-length');
    if (hl > end - start) throw new PacketDecodeError('TCP options truncated', 'truncated-header');
    out.srcPort = u16be(b, start + TCP_SRC_PORT_OFFSET);
    out.dstPort = u16be(b, start + TCP_DST_PORT_OFFSET);
    out.tcpSeq = u32be(b, start + TCP_SEQ_OFFSET);
    out.tcpAck = u32be(b, start + TCP_ACK_OFFSET);
    out.tcpFlags = b[start + TCP_FLAGS_OFFSET] ?? 0;
    out.payload = b.subarray(start + hl, end);
  } else {
    out.payload = b.subarray(start, end);
  }
}
