import { internetChecksum, onesComplementSum, w16be } from './bytes';
import { PacketEncodeError } from './errors';
import { encodeEthernet, encodedSizeEthernet, EthernetHeader } from './ethernet';
import { parseIpAddress } from './ip-address';
import { encodeIpv4, encodedSizeIpv4, IPV4_FRAGMENT_UNIT } from './ipv4';
import { encodeIpv6, encodedSizeIpv6, IpProtocol, Ipv6ExtensionHeader, ipv6FragmentHeader } from './ipv6';
import { EtherType, LinkType } from './link-type';
import { encodeLinuxSll, SLL_HEADER_LENGTH } from './linux-sll';
import { encodeLinuxSll2, SLL2_HEADER_LENGTH } from './linux-sll2';
import { AF_INET, encodeNullLoopback, NULL_HEADER_LENGTH } from './null-loopback';
import { encodeTcp, encodedSizeTcp, TCP_CHECKSUM_OFFSET } from './tcp';
import { encodeUdp, UDP_CHECKSUM_OFFSET, UDP_HEADER_LENGTH } from './udp';

/** How a built IP packet is wrapped; every field is optional. */
export interface LinkSpec {
  /** LINKTYPE_* of the frame: 1 Ethernet, 0 null, 101/228/229 raw, 113 SLL, 276 SLL2. Default 1. */
  linkType?: number;
  /** Ethernet VLAN IDs, outermost first; with two or more the outer tags use TPID 0x88a8. Default none. */
  vlanIds?: number[];
  /** Default "02:00:00:00:00:02". */
  dstMac?: string;
  /** Default "02:00:00:00:00:01". */
  srcMac?: string;
  /** For link type 0: the byte order of the family field. Default 'le'. */
  nullByteOrder?: 'le' | 'be';
}

/** What both builders share: addresses (IPv4 or IPv6 text, both the same version) and IP fields. */
export interface IpSpec extends LinkSpec {
  src: string;
  dst: string;
  /** TTL / hop limit. Default 64. */
  ttl?: number;
  /** IPv4 identification (also the IPv6 fragment id). Default 1. */
  ipId?: number;
  /** IPv4 options bytes. Default none. */
  ipv4Options?: Uint8Array;
  /** IPv6 extension headers before the upper layer (their next-header fields are chained for you). Default none. */
  ipv6ExtensionHeaders?: Ipv6ExtensionHeader[];
  /**
   * Largest IP packet; a larger datagram is fragmented (IPv4 fragments, or IPv6 fragment headers).
   * Default: no fragmentation.
   */
  mtu?: number;
}

export interface UdpFrameSpec extends IpSpec {
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

export interface TcpFrameSpec extends IpSpec {
  srcPort: number;
  dstPort: number;
  seq: number;
  /** Default 0. */
  ack?: number;
  /** TcpFlags bits. Default ACK|PSH (0x18). */
  flags?: number;
  /** Default 65535. */
  window?: number;
  payload: Uint8Array;
}

const ETHERNET_VLAN_TPID = 0x8100;
const ETHERNET_QINQ_TPID = 0x88a8;

/** Builds the frame(s) of one UDP datagram: one frame, or several IP fragments when `mtu` requires. */
export function buildUdpFrames(spec: UdpFrameSpec): Uint8Array[] {
  const segment = new Uint8Array(UDP_HEADER_LENGTH + spec.payload.length);
  encodeUdp({ srcPort: spec.srcPort, dstPort: spec.dstPort, length: segment.length, checksum: 0 }, segment);
  segment.set(spec.payload, UDP_HEADER_LENGTH);
  w16be(segment, UDP_CHECKSUM_OFFSET, transportChecksum(spec, IpProtocol.UDP, segment) || 0xffff);
  return buildIpFrames(spec, IpProtocol.UDP, segment);
}

/** Builds one UDP frame; throws PacketEncodeError `needs-fragmentation` if `mtu` would split it. */
export function buildUdpFrame(spec: UdpFrameSpec): Uint8Array {
  return single(buildUdpFrames(spec));
}

/** Builds the frame(s) of one TCP segment (with a correct checksum). */
export function buildTcpFrames(spec: TcpFrameSpec): Uint8Array[] {
  const header = { srcPort: spec.srcPort, dstPort: spec.dstPort, seq: spec.seq, ack: spec.ack ?? 0, headerLength: 20, flags: spec.flags ?? 0x18, window: spec.window ?? 65535, checksum: 0, urgent: 0, options: new Uint8Array(0) };
  const hl = encodedSizeTcp(header);
  const segment = new Uint8Array(hl + spec.payload.length);
  encodeTcp(header, segment);
  segment.set(spec.payload, hl);
  w16be(segment, TCP_CHECKSUM_OFFSET, transportChecksum(spec, IpProtocol.TCP, segment));
  return buildIpFrames(spec, IpProtocol.TCP, segment);
}

export function buildTcpFrame(spec: TcpFrameSpec): Uint8Array {
  return single(buildTcpFrames(spec));
}

function single(frames: Uint8Array[]): Uint8Array {
  const [first, ...rest] = frames;
  if (first === undefined || rest.length > 0) throw new PacketEncodeError('the datagram needs fragmentation; use the *Frames builder', 'needs-fragmentation');
  return first;
}

function transportChecksum(spec: IpSpec, protocol: number, segment: Uint8Array): number {
  const src = parseIpAddress(spec.src).bytes;
  const dst = parseIpAddress(spec.dst).bytes;
  let sum = onesComplementSum(src, 0, src.length);
  sum = onesComplementSum(dst, 0, dst.length, sum);
  sum += protocol + segment.length;
  return internetChecksum(segment, 0, segment.length, sum);
}

/**
 * Wraps an upper-layer segment in IP (fragmenting when `mtu` says so) and the link layer of
 * `spec.linkType`; returns one frame per IP packet.
 */
export function buildIpFrames(spec: IpSpec, protocol: number, segment: Uint8Array): Uint8Array[] {
  const src = parseIpAddress(spec.src);
  const dst = parseIpAddress(spec.dst);
  if (src.version !== dst.version) throw new PacketEncodeError(`source ${spec.src} and destination ${spec.dst} are different IP versions`, 'mixed-ip-versions');
  const packets = src.version === 4 ? ipv4Packets(spec, protocol, segment) : ipv6Packets(spec, protocol, segment);
  return packets.map((p) => wrapLink(spec, src.version, p));
}

function ipv4Packets(spec: IpSpec, protocol: number, segment: Uint8Array): Uint8Array[] {
  const options = spec.ipv4Options ?? new Uint8Array(0);
  const hl = encodedSizeIpv4({ options });
  const maxData = spec.mtu === undefined ? segment.length : Math.floor((spec.mtu - hl) / IPV4_FRAGMENT_UNIT) * IPV4_FRAGMENT_UNIT;
  if (maxData <= 0) throw new PacketEncodeError(`mtu ${spec.mtu} leaves no room for data`, 'bad-mtu');
  const out: Uint8Array[] = [];
  for (let off = 0; off < segment.length || off === 0; off += maxData) {
    const data = segment.subarray(off, off + maxData);
    const more = off + maxData < segment.length;
    const p = new Uint8Array(hl + data.length);
    encodeIpv4(
      { headerLength: hl, tos: 0, totalLength: p.length, id: spec.ipId ?? 1, dontFragment: false, moreFragments: more, fragmentOffset: off, ttl: spec.ttl ?? 64, protocol, checksum: 0, src: spec.src, dst: spec.dst, options },
      p,
    );
    p.set(data, hl);
    out.push(p);
    if (!more) break;
  }
  return out;
}

function ipv6Packets(spec: IpSpec, protocol: number, segment: Uint8Array): Uint8Array[] {
  const ext = spec.ipv6ExtensionHeaders ?? [];
  const base = { trafficClass: 0, flowLabel: 0, nextHeader: 0, hopLimit: spec.ttl ?? 64, src: spec.src, dst: spec.dst, protocol, fragment: null };
  const whole = encodedSizeIpv6({ extensionHeaders: ext }) + segment.length;
  if (spec.mtu === undefined || whole <= spec.mtu) {
    const p = new Uint8Array(whole);
    const hl = encodeIpv6({ ...base, payloadLength: whole - 40, extensionHeaders: ext }, p);
    p.set(segment, hl);
    return [p];
  }
  const hl = encodedSizeIpv6({ extensionHeaders: [...ext, ipv6FragmentHeader({ offset: 0, moreFragments: false, id: 0 })] });
  const maxData = Math.floor((spec.mtu - hl) / IPV4_FRAGMENT_UNIT) * IPV4_FRAGMENT_UNIT;
  if (maxData <= 0) throw new PacketEncodeError(`mtu ${spec.mtu} leaves no room for data`, 'bad-mtu');
  const out: Uint8Array[] = [];
  for (let off = 0; off < segment.length; off += maxData) {
    const data = segment.subarray(off, off + maxData);
    const frag = ipv6FragmentHeader({ offset: off, moreFragments: off + maxData < segment.length, id: spec.ipId ?? 1 });
    const p = new Uint8Array(hl + data.length);
    encodeIpv6({ ...base, payloadLength: p.length - 40, extensionHeaders: [...ext, frag] }, p);
    p.set(data, hl);
    out.push(p);
  }
  return out;
}

/** Puts an IP packet behind the link-layer header of `spec.linkType`. */
export function wrapLink(spec: LinkSpec, ipVersion: 4 | 6, packet: Uint8Array): Uint8Array {
  const linkType = spec.linkType ?? LinkType.ETHERNET;
  const etherType = ipVersion === 4 ? EtherType.IPV4 : EtherType.IPV6;
  let header: Uint8Array;
  switch (linkType) {
    case LinkType.ETHERNET: {
      const ids = spec.vlanIds ?? [];
      const eth: EthernetHeader = {
        dst: spec.dstMac ?? '02:00:00:00:00:02',
        src: spec.srcMac ?? '02:00:00:00:00:01',
        vlans: ids.map((id, i) => ({ tpid: i < ids.length - 1 ? ETHERNET_QINQ_TPID : ETHERNET_VLAN_TPID, id, priority: 0, dropEligible: false })),
        etherType,
      };
      header = new Uint8Array(encodedSizeEthernet(eth));
      encodeEthernet(eth, header);
      break;
    }
    case LinkType.LINUX_SLL:
      header = new Uint8Array(SLL_HEADER_LENGTH);
      encodeLinuxSll({ packetType: 0, arphrdType: 1, address: new Uint8Array([2, 0, 0, 0, 0, 1]), protocol: etherType }, header);
      break;
    case LinkType.LINUX_SLL2:
      header = new Uint8Array(SLL2_HEADER_LENGTH);
      encodeLinuxSll2({ protocol: etherType, interfaceIndex: 1, arphrdType: 1, packetType: 0, address: new Uint8Array([2, 0, 0, 0, 0, 1]) }, header);
      break;
    case LinkType.NULL:
      header = new Uint8Array(NULL_HEADER_LENGTH);
      encodeNullLoopback({ family: ipVersion === 4 ? AF_INET : 30, byteOrder: spec.nullByteOrder ?? 'le' }, header);
      break;
    case LinkType.RAW:
    case LinkType.IPV4:
    case LinkType.IPV6:
      if ((linkType === LinkType.IPV4 && ipVersion !== 4) || (linkType === LinkType.IPV6 && ipVersion !== 6)) {
        throw new PacketEncodeError(`link type ${linkType} cannot carry IPv${ipVersion}`, 'bad-link-type');
      }
      return packet;
    default:
      throw new PacketEncodeError(`cannot build frames of link type ${linkType}`, 'bad-link-type');
  }
  const frame = new Uint8Array(header.length + packet.length);
  frame.set(header);
  frame.set(packet, header.length);
  return frame;
}
