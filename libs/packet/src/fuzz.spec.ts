// One fuzz test per parser: random bytes and mutations of valid input either decode or throw the
// parser's own error class, never anything else, and never hang.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  buildTcpFrame,
  buildUdpFrame,
  buildUdpFrames,
  CaptureFileDecoder,
  CaptureFileError,
  decodeEthernet,
  decodeFrame,
  decodeIpv4,
  decodeIpv6,
  decodeLinuxSll,
  decodeLinuxSll2,
  decodeNullLoopback,
  decodePcapGlobalHeader,
  decodeTcp,
  decodeUdp,
  IpReassembler,
  LinkType,
  PacketDecodeError,
  PacketDecoder,
  PcapWriter,
  TcpStreamReassembler,
} from './index';

const payload = new TextEncoder().encode('INVITE sip:x SIP/2.0\r\n\r\n');
const seeds: Uint8Array[] = [
  buildUdpFrame({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 5060, dstPort: 5060, payload, vlanIds: [1, 2] }),
  buildUdpFrame({ src: '2001:db8::1', dst: '2001:db8::2', srcPort: 5060, dstPort: 5060, payload, ipv6ExtensionHeaders: [{ type: 0, data: new Uint8Array(8) }] }),
  buildTcpFrame({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 5060, dstPort: 5060, seq: 1, payload }),
  ...buildUdpFrames({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 5060, dstPort: 5060, payload: new Uint8Array(3000), mtu: 1500 }),
];

/** Random bytes, or a seed with some bytes overwritten and maybe cut short. */
function inputs(valid: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const mutated = fc
    .tuple(fc.constantFrom(...valid), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.option(fc.nat()))
    .map(([seed, edits, cut]) => {
      const b = seed.slice();
      for (const [at, v] of edits) if (b.length > 0) b[at % b.length] = v;
      return cut === null ? b : b.subarray(0, cut % (b.length + 1));
    });
  return fc.oneof(fc.uint8Array({ maxLength: 200 }), mutated);
}

function onlyOwnErrors(run: () => unknown, errorClass: new (...args: never[]) => Error): void {
  try {
    run();
  } catch (e) {
    assert.ok(e instanceof errorClass, `threw ${String(e)}`);
  }
}

const runs = { numRuns: 2000 };

describe('fuzz: header decoders throw only PacketDecodeError', () => {
  const parsers: Array<[string, (b: Uint8Array) => unknown, number]> = [
    ['decodeEthernet', (b) => decodeEthernet(b), 0],
    ['decodeLinuxSll', (b) => decodeLinuxSll(b), 0],
    ['decodeLinuxSll2', (b) => decodeLinuxSll2(b), 0],
    ['decodeNullLoopback', (b) => decodeNullLoopback(b), 0],
    ['decodeIpv4', (b) => decodeIpv4(b, 14), 14],
    ['decodeIpv6', (b) => decodeIpv6(b, 14), 14],
    ['decodeUdp', (b) => decodeUdp(b, 34), 34],
    ['decodeTcp', (b) => decodeTcp(b, 34), 34],
  ];
  for (const [name, parse] of parsers) {
    test(name, () => fc.assert(fc.property(inputs(seeds), (b) => onlyOwnErrors(() => parse(b), PacketDecodeError)), runs));
  }
  test('decodeFrame over every supported link type', () => {
    const types = [0, 1, 12, 101, 108, 113, 228, 229, 276, 147];
    fc.assert(fc.property(inputs(seeds), fc.constantFrom(...types), (b, lt) => onlyOwnErrors(() => decodeFrame(lt, b), PacketDecodeError)), runs);
  });
});

describe('fuzz: pipelines never throw on bad packets', () => {
  test('PacketDecoder with reassembly counts everything', () => {
    fc.assert(
      fc.property(fc.array(inputs(seeds), { maxLength: 20 }), (frames) => {
        const pd = new PacketDecoder({ onTcpData: () => undefined });
        frames.forEach((data, i) => pd.push({ linkType: LinkType.ETHERNET, tsSec: i, tsNanos: 0, capturedLength: data.length, originalLength: data.length, data, interfaceId: 0 }));
        pd.flush();
        assert.equal(pd.counters.get('frames'), frames.length);
      }),
      { numRuns: 500 },
    );
  });
  test('IpReassembler and TcpStreamReassembler take arbitrary fragments and segments', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ off: fc.integer({ min: 0, max: 70000 }), len: fc.integer({ min: 0, max: 100 }), more: fc.boolean(), seq: fc.nat(), flags: fc.integer({ min: 0, max: 255 }) }), { maxLength: 40 }),
        (items) => {
          const ip = new IpReassembler({ maxPendingBytes: 500 });
          let delivered = 0;
          const tcp = new TcpStreamReassembler({ maxBufferedBytesPerDirection: 300, onData: (c) => (delivered += c.data.length) });
          items.forEach((x, i) => {
            ip.push({ src: 'a', dst: 'b', protocol: 17, fragmentId: 1, fragmentOffset: x.off - (x.off % 8), moreFragments: x.more, payload: new Uint8Array(x.len) }, i);
            tcp.push({ ipVersion: 4, src: 'a', srcPort: 1, dst: 'b', dstPort: 2, tcpSeq: x.seq >>> 0, tcpFlags: x.flags, payload: new Uint8Array(x.len) }, i, 0);
          });
          tcp.flush();
          assert.ok(ip.pendingBytes <= 500);
          assert.ok(delivered <= items.reduce((n, x) => n + x.len, 0));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('fuzz: capture file decoder throws only CaptureFileError', () => {
  const w = new PcapWriter({ resolution: 'ns' });
  seeds.forEach((s, i) => w.write(s, i, i));
  const pcap = w.toBytes();
  test('decodePcapGlobalHeader', () => fc.assert(fc.property(inputs([pcap.subarray(0, 24)]), (b) => onlyOwnErrors(() => decodePcapGlobalHeader(b), CaptureFileError)), runs));
  test('CaptureFileDecoder over mutated pcap and pcapng in random chunks', () => {
    const ng = Uint8Array.from(Buffer.from('0a0d0d0a1c0000004d3c2b1a01000000ffffffffffffffff1c000000' + '01000000140000000100000000000000' + '14000000', 'hex'));
    fc.assert(
      fc.property(inputs([pcap, ng]), fc.integer({ min: 1, max: 64 }), (b, chunk) =>
        onlyOwnErrors(() => {
          const d = new CaptureFileDecoder({ maxRecordLength: 1 << 20 });
          for (let i = 0; i < b.length; i += chunk) d.push(b.subarray(i, i + chunk), () => undefined);
          d.end();
        }, CaptureFileError),
      ),
      runs,
    );
  });
});
