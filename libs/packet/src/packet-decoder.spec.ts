import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTcpFrame, buildUdpFrames, decodeCaptureFile, PacketDecoder, PcapWriter, TcpFlags, TcpStreamChunk, UdpDatagram } from './index';

const invite = (size: number): Uint8Array => {
  const body = 'v=0\r\n' + 'a=x-filler:'.padEnd(size, 'x') + '\r\n';
  return new TextEncoder().encode(`INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060\r\nContent-Type: application/sdp\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
};

describe('PacketDecoder', () => {
  test('a large SIP INVITE over UDP in IPv4 fragments, out of order, between RTP packets, through a pcap file', () => {
    const sip = invite(3800);
    const fragments = buildUdpFrames({ src: '192.0.2.1', dst: '192.0.2.2', srcPort: 5060, dstPort: 5060, payload: sip, mtu: 1500, ipId: 4242, vlanIds: [7] });
    assert.equal(fragments.length, 3);
    const rtp = (seq: number): Uint8Array => buildUdpFrames({ src: '192.0.2.10', dst: '192.0.2.11', srcPort: 20000, dstPort: 30000, payload: Uint8Array.of(0x80, 0, 0, seq), vlanIds: [7] })[0] ?? new Uint8Array(0);
    const w = new PcapWriter({ resolution: 'ns' });
    const order = [rtp(1), fragments[2], rtp(2), fragments[0], fragments[0], fragments[1], rtp(3)];
    order.forEach((f, i) => w.write(f ?? new Uint8Array(0), 1700000000, i * 20_000_000));
    const got: UdpDatagram[] = [];
    const pd = new PacketDecoder({ onUdp: (d) => got.push(d) });
    for (const r of decodeCaptureFile(w.toBytes())) pd.push(r);
    assert.deepEqual(got.map((d) => d.dstPort), [30000, 30000, 5060, 30000]);
    const whole = got[2];
    assert.ok(whole);
    assert.equal(new TextDecoder().decode(whole.payload), new TextDecoder().decode(sip));
    assert.deepEqual([whole.reassembled, whole.src, whole.vlanIds, whole.tsNanos], [true, '192.0.2.1', [7], 100_000_000]);
    assert.deepEqual(pd.counters.snapshot(), { frames: 7, fragments: 4, 'fragments.duplicate-fragment': 1, 'fragments.reassembled': 1, udp: 4 });
  });

  test('a fragmented INVITE over IPv6 is reassembled too', () => {
    const sip = invite(2000);
    const got: UdpDatagram[] = [];
    const pd = new PacketDecoder({ onUdp: (d) => got.push(d) });
    buildUdpFrames({ src: '2001:db8::1', dst: '2001:db8::2', srcPort: 5060, dstPort: 5060, payload: sip, mtu: 1280 })
      .reverse()
      .forEach((data, i) => pd.push({ linkType: 1, tsSec: 1, tsNanos: i, capturedLength: data.length, originalLength: data.length, data, interfaceId: 0 }));
    assert.equal(got.length, 1);
    assert.equal(got[0]?.payload.length, sip.length);
  });

  test('SIP over TCP: ordered stream bytes with capture timestamps', () => {
    const chunks: TcpStreamChunk[] = [];
    const pd = new PacketDecoder({ onTcpData: (c) => chunks.push(c) });
    const spec = { src: '198.51.100.1', dst: '198.51.100.2', srcPort: 40000, dstPort: 5060 };
    const frames = [
      buildTcpFrame({ ...spec, seq: 999, flags: TcpFlags.SYN, payload: new Uint8Array(0) }),
      buildTcpFrame({ ...spec, seq: 1007, payload: new TextEncoder().encode('sip:b SIP/2.0\r\n') }),
      buildTcpFrame({ ...spec, seq: 1000, payload: new TextEncoder().encode('INVITE ') }),
    ];
    frames.forEach((data, i) => pd.push({ linkType: 1, tsSec: 10 + i, tsNanos: 0, capturedLength: data.length, originalLength: data.length, data, interfaceId: 0 }));
    assert.equal(chunks.map((c) => new TextDecoder().decode(c.data)).join(''), 'INVITE sip:b SIP/2.0\r\n');
    assert.deepEqual(chunks.map((c) => c.tsSec), [12, 12]);
    assert.equal(pd.counters.get('tcp'), 3);
  });

  test('bad frames are counted by reason, never thrown; good ones beside them still come out', () => {
    const got: UdpDatagram[] = [];
    const pd = new PacketDecoder({ onUdp: (d) => got.push(d) });
    const good = buildUdpFrames({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, payload: Uint8Array.of(1) })[0] ?? new Uint8Array(0);
    const inputs: Array<[number, Uint8Array]> = [
      [1, new Uint8Array(3)],
      [1, good],
      [99, good],
      [1, good.subarray(0, 30)],
      [1, Uint8Array.from(Buffer.from('ffffffffffff0200000000010806' + '00'.repeat(28), 'hex'))],
      [1, good],
    ];
    inputs.forEach(([linkType, data]) => pd.push({ linkType, tsSec: 0, tsNanos: 0, capturedLength: data.length, originalLength: data.length, data, interfaceId: 0 }));
    assert.equal(got.length, 2);
    assert.deepEqual(pd.counters.snapshot(), {
      'dropped.not-ip': 1,
      'dropped.truncated-header': 2,
      'dropped.unsupported-link-type': 1,
      frames: 6,
      udp: 2,
    });
  });

  test('fragment timeout follows capture time', () => {
    const pd = new PacketDecoder({ reassembly: { timeoutSeconds: 5 } });
    const [first] = buildUdpFrames({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, payload: new Uint8Array(3000), mtu: 1500 });
    assert.ok(first);
    pd.push({ linkType: 1, tsSec: 100, tsNanos: 0, capturedLength: first.length, originalLength: first.length, data: first, interfaceId: 0 });
    const other = buildUdpFrames({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, payload: Uint8Array.of(1) })[0] ?? new Uint8Array(0);
    pd.push({ linkType: 1, tsSec: 106, tsNanos: 0, capturedLength: other.length, originalLength: other.length, data: other, interfaceId: 0 });
    assert.equal(pd.counters.get('fragments.dropped.timeout'), 1);
  });
});
