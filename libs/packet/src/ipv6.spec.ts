import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeIpv6, encodeIpv6, encodedSizeIpv6, IpProtocol, Ipv6ExtensionHeader, Ipv6Header, ipv6FragmentHeader, PacketDecodeError } from './index';

const ext = (type: number, units: number): Ipv6ExtensionHeader => {
  const data = new Uint8Array((units + 1) * 8);
  data[1] = units;
  return { type, data };
};

const header = (extensionHeaders: Ipv6ExtensionHeader[] = [], protocol: number = IpProtocol.UDP): Ipv6Header => ({
  trafficClass: 0xb8,
  flowLabel: 0xabcde,
  payloadLength: extensionHeaders.reduce((n, e) => n + e.data.length, 0) + 8,
  nextHeader: extensionHeaders[0]?.type ?? protocol,
  hopLimit: 64,
  src: '2001:db8::1',
  dst: 'fe80::1:2',
  extensionHeaders,
  protocol,
  fragment: null,
});

function encode(h: Ipv6Header): Uint8Array {
  const buf = new Uint8Array(encodedSizeIpv6(h) + 8);
  encodeIpv6(h, buf);
  return buf;
}

describe('IPv6 header and extension headers', () => {
  const cases: Array<[string, Ipv6ExtensionHeader[], number]> = [
    ['no extension headers', [], 40],
    ['hop-by-hop', [ext(IpProtocol.HOP_BY_HOP, 0)], 48],
    ['hop-by-hop, routing (24 bytes), destination options', [ext(IpProtocol.HOP_BY_HOP, 0), ext(IpProtocol.ROUTING, 2), ext(IpProtocol.DESTINATION_OPTIONS, 0)], 80],
    ['atomic fragment (offset 0, M clear)', [ipv6FragmentHeader({ offset: 0, moreFragments: false, id: 7 })], 48],
  ];
  for (const [name, exts, size] of cases) {
    test(name, () => {
      const h = header(exts);
      const d = decodeIpv6(encode(h));
      assert.equal(d.size, size);
      assert.equal(d.value.protocol, IpProtocol.UDP);
      assert.deepEqual(d.value.extensionHeaders.map((e) => e.type), exts.map((e) => e.type));
      assert.equal(d.value.src, '2001:db8::1');
      assert.equal(d.value.trafficClass, 0xb8);
      assert.equal(d.value.flowLabel, 0xabcde);
    });
  }
  test('a fragment header stops the walk and reports offset, M and id', () => {
    const d = decodeIpv6(encode(header([ext(IpProtocol.DESTINATION_OPTIONS, 0), ipv6FragmentHeader({ offset: 1232, moreFragments: true, id: 0xdeadbeef })])));
    assert.deepEqual(d.value.fragment, { offset: 1232, moreFragments: true, id: 0xdeadbeef });
    assert.equal(d.value.protocol, IpProtocol.UDP);
    assert.equal(d.size, 56);
  });
  test('AH length counts 4-byte units minus 2', () => {
    const ah = new Uint8Array(24);
    ah[1] = 4; // (4 + 2) * 4 = 24
    const d = decodeIpv6(encode(header([{ type: IpProtocol.AH, data: ah }], IpProtocol.TCP)));
    assert.equal(d.size, 64);
    assert.equal(d.value.protocol, IpProtocol.TCP);
  });
  test('ESP and no-next-header end the walk', () => {
    assert.equal(decodeIpv6(encode(header([], IpProtocol.ESP))).value.protocol, IpProtocol.ESP);
    assert.equal(decodeIpv6(encode(header([ext(0, 0)], IpProtocol.NO_NEXT_HEADER))).value.protocol, IpProtocol.NO_NEXT_HEADER);
  });
  test('round trip', () => {
    const h = header([ext(IpProtocol.HOP_BY_HOP, 1)]);
    const d = decodeIpv6(encode(h)).value;
    assert.deepEqual({ ...d, extensionHeaders: d.extensionHeaders.map((e) => e.type) }, { ...h, extensionHeaders: [0] });
  });
  const bad: Array<[string, Uint8Array, string]> = [
    ['39 bytes', encode(header()).subarray(0, 39), 'truncated-header'],
    ['version 4', (() => { const b = encode(header()); b[0] = 0x40; return b; })(), 'bad-version'],
    ['an extension header longer than the packet', (() => { const b = encode(header([ext(0, 0)])); b[41] = 200; return b; })(), 'truncated-header'],
    ['a loop of 17 hop-by-hop headers', encode(header(Array.from({ length: 17 }, () => ext(0, 0)))), 'too-many-extension-headers'],
  ];
  for (const [name, bytes, reason] of bad) {
    test(`rejects ${name}`, () => assert.throws(() => decodeIpv6(bytes), (e: unknown) => e instanceof PacketDecodeError && e.reason === reason));
  }
});
