import { u16be, w16be } from './bytes';
import { Decoded } from './decoded';
import { PacketDecodeError, PacketEncodeError } from './errors';

// Linux "cooked" capture, LINKTYPE_LINUX_SLL (113), what `tcpdump -i any` wrote before SLL2:
//
// +---------------------------+
// |         Packet type       | 2 bytes (0 to us, 1 broadcast, 2 multicast, 3 other host, 4 sent by us)
// |        ARPHRD_ type       | 2 bytes
// | Link-layer address length | 2 bytes
// |    Link-layer address     | 8 bytes (first `length` bytes used)
// |        Protocol type      | 2 bytes (an EtherType for IP)
// +---------------------------+

export const SLL_PACKET_TYPE_OFFSET = 0;
export const SLL_ARPHRD_OFFSET = 2;
export const SLL_ADDRESS_LENGTH_OFFSET = 4;
export const SLL_ADDRESS_OFFSET = 6;
export const SLL_ADDRESS_FIELD_LENGTH = 8;
export const SLL_PROTOCOL_OFFSET = 14;
export const SLL_HEADER_LENGTH = 16;

export interface LinuxSllHeader {
  packetType: number;
  arphrdType: number;
  /** The link-layer address bytes actually used (at most 8). */
  address: Uint8Array;
  protocol: number;
}

export function decodeLinuxSll(buf: Uint8Array, offset = 0): Decoded<LinuxSllHeader> {
  if (buf.length < offset + SLL_HEADER_LENGTH) {
    throw new PacketDecodeError(`Linux SLL header needs ${SLL_HEADER_LENGTH} bytes`, 'truncated-header');
  }
  const addressLength = Math.min(u16be(buf, offset + SLL_ADDRESS_LENGTH_OFFSET), SLL_ADDRESS_FIELD_LENGTH);
  return {
    value: {
      packetType: u16be(buf, offset + SLL_PACKET_TYPE_OFFSET),
      arphrdType: u16be(buf, offset + SLL_ARPHRD_OFFSET),
      address: buf.slice(offset + SLL_ADDRESS_OFFSET, offset + SLL_ADDRESS_OFFSET + addressLength),
      protocol: u16be(buf, offset + SLL_PROTOCOL_OFFSET),
    },
    size: SLL_HEADER_LENGTH,
  };
}

export function encodedSizeLinuxSll(_h: LinuxSllHeader): number {
  return SLL_HEADER_LENGTH;
}

export function encodeLinuxSll(h: LinuxSllHeader, buf: Uint8Array, offset = 0): number {
  if (buf.length < offset + SLL_HEADER_LENGTH) throw new PacketEncodeError('buffer too small for SLL header', 'buffer-too-small');
  if (h.address.length > SLL_ADDRESS_FIELD_LENGTH) throw new PacketEncodeError('SLL address longer than 8 bytes', 'bad-address');
  buf.fill(0, offset, offset + SLL_HEADER_LENGTH);
  w16be(buf, offset + SLL_PACKET_TYPE_OFFSET, h.packetType);
  w16be(buf, offset + SLL_ARPHRD_OFFSET, h.arphrdType);
  w16be(buf, offset + SLL_ADDRESS_LENGTH_OFFSET, h.address.length);
  buf.set(h.address, offset + SLL_ADDRESS_OFFSET);
  w16be(buf, offset + SLL_PROTOCOL_OFFSET, h.protocol);
  return SLL_HEADER_LENGTH;
}
