import { u16be, w16be } from './bytes';
import { Decoded } from './decoded';
import { PacketDecodeError, PacketEncodeError } from './errors';
import { isVlanTpid } from './link-type';

// Ethernet II (IEEE 802.3) with any number of 802.1Q / 802.1ad tags (up to MAX_VLAN_TAGS):
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                    Destination MAC (6 bytes)                  |
// +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                               |                               |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
// |                      Source MAC (6 bytes)                     |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | TPID 0x8100/0x88a8/0x9100 (*) | PCP |D|      VLAN ID (*)      |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |           EtherType           |  payload ...
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// (*) repeated once per tag, outermost first.

export const ETHERNET_MAC_LENGTH = 6;
export const ETHERNET_DST_OFFSET = 0;
export const ETHERNET_SRC_OFFSET = 6;
export const ETHERNET_TYPE_OFFSET = 12;
export const ETHERNET_HEADER_LENGTH = 14;
export const VLAN_TAG_LENGTH = 4;
export const VLAN_TCI_OFFSET = 2;
export const VLAN_ID_MASK = 0x0fff;
export const VLAN_PCP_SHIFT = 13;
export const VLAN_DEI_MASK = 0x1000;
/** More tags than any real network stacks; bounds the loop on garbage. */
export const MAX_VLAN_TAGS = 8;

export interface VlanTag {
  /** 0x8100 (802.1Q), 0x88a8 (802.1ad) or 0x9100. */
  tpid: number;
  /** 12-bit VLAN ID. */
  id: number;
  /** 3-bit priority code point. Default 0. */
  priority: number;
  /** Drop eligible indicator. Default false. */
  dropEligible: boolean;
}

export interface EthernetHeader {
  /** "aa:bb:cc:dd:ee:ff". */
  dst: string;
  src: string;
  /** Outermost first; empty when untagged. */
  vlans: VlanTag[];
  /** The EtherType after the tags (values <= 1500 are 802.3 lengths, passed through). */
  etherType: number;
}

function formatMac(b: Uint8Array, o: number): string {
  let s = '';
  for (let i = 0; i < ETHERNET_MAC_LENGTH; i++) {
    s += (b[o + i] ?? 0).toString(16).padStart(2, '0');
    if (i < ETHERNET_MAC_LENGTH - 1) s += ':';
  }
  return s;
}

function writeMac(text: string, b: Uint8Array, o: number): void {
  const parts = text.split(':');
  if (parts.length !== ETHERNET_MAC_LENGTH || !parts.every((p) => /^[0-9a-fA-F]{2}$/.test(p))) {
    throw new PacketEncodeError(`not a MAC address: "${text}"`, 'bad-mac');
  }
  parts.forEach((p, i) => (b[o + i] = parseInt(p, 16)));
}

/**
 * Walks the tags after the source MAC: returns the offset of the final EtherType field and
 * appends each tag's VLAN ID to `vlanIds`. Shared with the allocation-free frame decoder.
 */
export function skipVlanTags(buf: Uint8Array, offset: number, vlanIds: number[] | null): number {
  let o = offset + ETHERNET_TYPE_OFFSET;
  for (let tags = 0; ; tags++) {
    if (buf.length < o + 2) throw new PacketDecodeError('Ethernet header truncated', 'truncated-header');
    const type = u16be(buf, o);
    if (!isVlanTpid(type)) return o;
    if (tags === MAX_VLAN_TAGS) throw new PacketDecodeError(`more than ${MAX_VLAN_TAGS} VLAN tags`, 'too-many-vlan-tags');
    if (buf.length < o + VLAN_TAG_LENGTH + 2) throw new PacketDecodeError('VLAN tag truncated', 'truncated-header');
    if (vlanIds !== null) vlanIds.push(u16be(buf, o + VLAN_TCI_OFFSET) & VLAN_ID_MASK);
    o += VLAN_TAG_LENGTH;
  }
}

/** Decodes an Ethernet II header and its VLAN tags. Throws PacketDecodeError. */
export function decodeEthernet(buf: Uint8Array, offset = 0): Decoded<EthernetHeader> {
  if (buf.length < offset + ETHERNET_HEADER_LENGTH) {
    throw new PacketDecodeError(`Ethernet header needs ${ETHERNET_HEADER_LENGTH} bytes`, 'truncated-header');
  }
  const typeOffset = skipVlanTags(buf, offset, null);
  const vlans: VlanTag[] = [];
  for (let o = offset + ETHERNET_TYPE_OFFSET; o < typeOffset; o += VLAN_TAG_LENGTH) {
    const tci = u16be(buf, o + VLAN_TCI_OFFSET);
    vlans.push({
      tpid: u16be(buf, o),
      id: tci & VLAN_ID_MASK,
      priority: tci >>> VLAN_PCP_SHIFT,
      dropEligible: (tci & VLAN_DEI_MASK) !== 0,
    });
  }
  return {
    value: {
      dst: formatMac(buf, offset + ETHERNET_DST_OFFSET),
      src: formatMac(buf, offset + ETHERNET_SRC_OFFSET),
      vlans,
      etherType: u16be(buf, typeOffset),
    },
    size: typeOffset + 2 - offset,
  };
}

export function encodedSizeEthernet(h: EthernetHeader): number {
  return ETHERNET_HEADER_LENGTH + VLAN_TAG_LENGTH * h.vlans.length;
}

export function encodeEthernet(h: EthernetHeader, buf: Uint8Array, offset = 0): number {
  const size = encodedSizeEthernet(h);
  if (buf.length < offset + size) throw new PacketEncodeError('buffer too small for Ethernet header', 'buffer-too-small');
  writeMac(h.dst, buf, offset + ETHERNET_DST_OFFSET);
  writeMac(h.src, buf, offset + ETHERNET_SRC_OFFSET);
  let o = offset + ETHERNET_TYPE_OFFSET;
  for (const v of h.vlans) {
    w16be(buf, o, v.tpid);
    w16be(buf, o + VLAN_TCI_OFFSET, ((v.priority & 0x7) << VLAN_PCP_SHIFT) | (v.dropEligible ? VLAN_DEI_MASK : 0) | (v.id & VLAN_ID_MASK));
    o += VLAN_TAG_LENGTH;
  }
  w16be(buf, o, h.etherType);
  return size;
}
