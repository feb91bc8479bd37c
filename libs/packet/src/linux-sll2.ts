import { u16be, u32be, w16be, w32be } from './bytes';
import { Decoded } from './decoded';
import { PacketDecodeError, PacketEncodeError } from './errors';

// Linux "cooked" capture v2, LINKTYPE_LINUX_SLL2 (276), what `tcpdump -i any` writes today:
//
//  0                   1                   2                   3
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |         Protocol type         |       Reserved (MBZ)          |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                        Interface index                        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |          ARPHRD_ type         |  Packet type  | Addr. length  |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                  Link-layer address (8 bytes)                 |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

export const SLL2_PROTOCOL_OFFSET = 0;
export const SLL2_INTERFACE_INDEX_OFFSET = 4;
export const SLL2_ARPHRD_OFFSET = 8;
export const SLL2_PACKET_TYPE_OFFSET = 10;
export const SLL2_ADDRESS_LENGTH_OFFSET = 11;
export const SLL2_ADDRESS_OFFSET = 12;
export const SLL2_ADDRESS_FIELD_LENGTH = 8;
export const SLL2_HEADER_LENGTH = 20;

export interface LinuxSll2Header {
  protocol: number;
  interfaceIndex: number;
  arphrdType: number;
  packetType: number;
  address: Uint8Array;
}

export function decodeLinuxSll2(buf: Uint8Array, offset = 0): Decoded<LinuxSll2Header> {
  if (buf.length < offset + SLL2_HEADER_LENGTH) {
    throw new PacketDecodeError(`Linux SLL2 header needs ${SLL2_HEADER_LENGTH} bytes`, 'truncated-header');
  }
  const addressLength = Math.min(buf[offset + SLL2_ADDRESS_LENGTH_OFFSET] ?? 0, SLL2_ADDRESS_FIELD_LENGTH);
  return {
    value: {
      protocol: u16be(buf, offset + SLL2_PROTOCOL_OFFSET),
      interfaceIndex: u32be(buf, offset + SLL2_INTERFACE_INDEX_OFFSET),
      arphrdType: u16be(buf, offset + SLL2_ARPHRD_OFFSET),
      packetType: buf[offset + SLL2_PACKET_TYPE_OFFSET] ?? 0,
      address: buf.slice(offset + SLL2_ADDRESS_OFFSET, offset + SLL2_ADDRESS_OFFSET + addressLength),
    },
    size: SLL2_HEADER_LENGTH,
  };
}

export function encodedSizeLinuxSll2(_h: LinuxSll2Header): number {
  return SLL2_HEADER_LENGTH;
}

export function encodeLinuxSll2(h: LinuxSll2Header, buf: Uint8Array, offset = 0): number {
  if (buf.length < offset + SLL2_HEADER_LENGTH) throw new PacketEncodeError('buffer too small for SLL2 header', 'buffer-too-small');
  if (h.address.length > SLL2_ADDRESS_FIELD_LENGTH) throw new PacketEncodeError('SLL2 address longer than 8 bytes', 'bad-address');
  buf.fill(0, offset, offset + SLL2_HEADER_LENGTH);
  w16be(buf, offset + SLL2_PROTOCOL_OFFSET, h.protocol);
  w32be(buf, offset + SLL2_INTERFACE_INDEX_OFFSET, h.interfaceIndex);
  w16be(buf, offset + SLL2_ARPHRD_OFFSET, h.arphrdType);
  buf[offset + SLL2_PACKET_TYPE_OFFSET] = h.packetType;
  buf[offset + SLL2_ADDRESS_LENGTH_OFFSET] = h.address.length;
  buf.set(h.address, offset + SLL2_ADDRESS_OFFSET);
  return SLL2_HEADER_LENGTH;
}
