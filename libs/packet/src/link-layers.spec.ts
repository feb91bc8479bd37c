import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeLinuxSll,
  decodeLinuxSll2,
  decodeNullLoopback,
  encodeLinuxSll,
  encodeLinuxSll2,
  encodeNullLoopback,
  ipVersionOfFamily,
  PacketDecodeError,
} from './index';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));

describe('Linux cooked capture (SLL, 113)', () => {
  test('decodes a packet sent by us with a 6-byte address', () => {
    const { value, size } = decodeLinuxSll(hex('0004 0001 0006 020000000001 0000 0800'));
    assert.equal(size, 16);
    assert.deepEqual(value, { packetType: 4, arphrdType: 1, address: hex('020000000001'), protocol: 0x0800 });
  });
  test('quirk: address length above 8 is capped at the 8-byte field', () => {
    assert.equal(decodeLinuxSll(hex('0000 0001 00ff 0102030405060708 86dd')).value.address.length, 8);
  });
  test('round trip', () => {
    const h = { packetType: 0, arphrdType: 772, address: new Uint8Array(0), protocol: 0x86dd };
    const buf = new Uint8Array(16);
    encodeLinuxSll(h, buf);
    assert.deepEqual(decodeLinuxSll(buf).value, h);
  });
  test('truncated', () => assert.throws(() => decodeLinuxSll(new Uint8Array(15)), PacketDecodeError));
});

describe('Linux cooked capture v2 (SLL2, 276)', () => {
  test('decodes the fields', () => {
    const { value, size } = decodeLinuxSll2(hex('0800 0000 00000003 0001 04 06 0200000000010000'));
    assert.equal(size, 20);
    assert.deepEqual(value, { protocol: 0x0800, interfaceIndex: 3, arphrdType: 1, packetType: 4, address: hex('020000000001') });
  });
  test('round trip', () => {
    const h = { protocol: 0x86dd, interfaceIndex: 0xfffffffe, arphrdType: 1, packetType: 2, address: hex('0a0b') };
    const buf = new Uint8Array(20);
    encodeLinuxSll2(h, buf);
    assert.deepEqual(decodeLinuxSll2(buf).value, h);
  });
  test('truncated', () => assert.throws(() => decodeLinuxSll2(new Uint8Array(19)), PacketDecodeError));
});

describe('BSD loopback (null, 0)', () => {
  const cases: Array<[string, string, number, 'le' | 'be', 0 | 4 | 6]> = [
    ['AF_INET written little-endian (Linux, x86 BSD)', '02000000', 2, 'le', 4],
    ['AF_INET written big-endian (old SPARC/PowerPC)', '00000002', 2, 'be', 4],
    ['AF_INET6 of macOS, little-endian', '1e000000', 30, 'le', 6],
    ['AF_INET6 of FreeBSD, big-endian', '0000001c', 28, 'be', 6],
    ['AF_INET6 of OpenBSD', '18000000', 24, 'le', 6],
    ['not IP (AF_UNIX)', '01000000', 1, 'le', 0],
  ];
  for (const [name, bytes, family, order, version] of cases) {
    test(name, () => {
      const { value } = decodeNullLoopback(hex(bytes));
      assert.deepEqual(value, { family, byteOrder: order });
      assert.equal(ipVersionOfFamily(value.family), version);
    });
  }
  test('round trip both byte orders', () => {
    for (const byteOrder of ['le', 'be'] as const) {
      const buf = new Uint8Array(4);
      encodeNullLoopback({ family: 10, byteOrder }, buf);
      assert.deepEqual(decodeNullLoopback(buf).value, { family: 10, byteOrder });
    }
  });
});
