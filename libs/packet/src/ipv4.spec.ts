import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeIpv4, encodeIpv4, encodedSizeIpv4, internetChecksum, Ipv4Header, PacketDecodeError } from './index';

const header = (over: Partial<Ipv4Header> = {}): Ipv4Header => ({
  headerLength: 20,
  tos: 0xb8,
  totalLength: 20,
  id: 0x1234,
  dontFragment: true,
  moreFragments: false,
  fragmentOffset: 0,
  ttl: 63,
  protocol: 17,
  checksum: 0,
  src: '192.0.2.1',
  dst: '198.51.100.7',
  options: new Uint8Array(0),
  ...over,
});

function encode(h: Ipv4Header): Uint8Array {
  const buf = new Uint8Array(encodedSizeIpv4(h));
  encodeIpv4(h, buf);
  return buf;
}

describe('IPv4 header', () => {
  test('round trip, with a valid checksum', () => {
    const buf = encode(header());
    assert.equal(internetChecksum(buf, 0, 20), 0);
    const { value, size } = decodeIpv4(buf);
    assert.equal(size, 20);
    assert.deepEqual({ ...value, checksum: 0 }, header());
  });
  test('options: record-route padded to a multiple of 4', () => {
    const options = Uint8Array.from([7, 7, 4, 0, 0, 0, 0, 0]);
    const buf = encode(header({ options, totalLength: 28, headerLength: 28 }));
    const { value, size } = decodeIpv4(buf);
    assert.equal(size, 28);
    assert.deepEqual([...value.options], [...options]);
  });
  test('fragment fields: MF and offset in bytes', () => {
    const v = decodeIpv4(encode(header({ dontFragment: false, moreFragments: true, fragmentOffset: 1480 }))).value;
    assert.deepEqual([v.moreFragments, v.fragmentOffset, v.dontFragment], [true, 1480, false]);
  });
  test('quirk: total length 0 (TSO on the capturing host) reads as the captured length', () => {
    const buf = new Uint8Array(100);
    buf.set(encode(header({ totalLength: 0 })));
    assert.equal(decodeIpv4(buf).value.totalLength, 100);
  });
  test('quirk: a wrong checksum is not an error', () => {
    const buf = encode(header());
    buf[10] = (buf[10] ?? 0) ^ 0xff;
    assert.equal(decodeIpv4(buf).value.src, '192.0.2.1');
  });
  const bad: Array<[string, (b: Uint8Array) => Uint8Array, string]> = [
    ['19 bytes', (b) => b.subarray(0, 19), 'truncated-header'],
    ['version 6 in an IPv4 header', (b) => ((b[0] = 0x65), b), 'bad-version'],
    ['IHL below 5', (b) => ((b[0] = 0x44), b), 'bad-header-length'],
    ['IHL beyond the captured bytes', (b) => ((b[0] = 0x4f), b), 'truncated-header'],
    ['total length below the header', (b) => ((b[3] = 10), b), 'bad-total-length'],
  ];
  for (const [name, mutate, reason] of bad) {
    test(`rejects ${name}`, () => assert.throws(() => decodeIpv4(mutate(encode(header()))), (e: unknown) => e instanceof PacketDecodeError && e.reason === reason));
  }
});
