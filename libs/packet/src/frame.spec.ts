import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildIpFrames, buildTcpFrame, buildUdpFrame, buildUdpFrames, decodeFrame, IpProtocol, ipv6FragmentHeader, LinkType, PacketDecodeError, TcpFlags } from './index';

const payload = new TextEncoder().encode('v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n');

describe('decodeFrame across link types', () => {
  const cases: Array<{ name: string; linkType: number; src: string; dst: string; vlanIds?: number[]; nullByteOrder?: 'le' | 'be' }> = [
    { name: 'Ethernet IPv4', linkType: LinkType.ETHERNET, src: '10.1.1.1', dst: '10.1.1.2' },
    { name: 'Ethernet IPv6', linkType: LinkType.ETHERNET, src: '2001:db8::a', dst: '2001:db8::b' },
    { name: 'Ethernet 802.1Q', linkType: LinkType.ETHERNET, src: '10.1.1.1', dst: '10.1.1.2', vlanIds: [42] },
    { name: 'Ethernet QinQ', linkType: LinkType.ETHERNET, src: '10.1.1.1', dst: '10.1.1.2', vlanIds: [300, 42] },
    { name: 'Linux SLL', linkType: LinkType.LINUX_SLL, src: '10.1.1.1', dst: '10.1.1.2' },
    { name: 'Linux SLL2 IPv6', linkType: LinkType.LINUX_SLL2, src: '::1', dst: '::1' },
    { name: 'raw IP (101) IPv4', linkType: LinkType.RAW, src: '127.0.0.1', dst: '127.0.0.1' },
    { name: 'raw IP (101) IPv6', linkType: LinkType.RAW, src: '::1', dst: 'fe80::1' },
    { name: 'raw IPv4 (228)', linkType: LinkType.IPV4, src: '127.0.0.1', dst: '127.0.0.2' },
    { name: 'raw IPv6 (229)', linkType: LinkType.IPV6, src: '::1', dst: '::2' },
    { name: 'null loopback, little-endian family', linkType: LinkType.NULL, src: '127.0.0.1', dst: '127.0.0.1' },
    { name: 'null loopback, big-endian family', linkType: LinkType.NULL, src: '127.0.0.1', dst: '127.0.0.1', nullByteOrder: 'be' },
    { name: 'null loopback IPv6 (macOS family 30)', linkType: LinkType.NULL, src: '::1', dst: '::1' },
  ];
  for (const c of cases) {
    test(`UDP over ${c.name}`, () => {
      const frame = buildUdpFrame({ ...c, srcPort: 5060, dstPort: 5062, payload });
      const f = decodeFrame(c.linkType, frame);
      assert.equal(f.ipVersion, c.src.includes(':') ? 6 : 4);
      assert.equal(f.src, c.src);
      assert.equal(f.dst, c.dst);
      assert.equal(f.protocol, IpProtocol.UDP);
      assert.deepEqual([f.srcPort, f.dstPort], [5060, 5062]);
      assert.deepEqual(f.vlanIds, c.vlanIds ?? []);
      assert.deepEqual(Buffer.from(f.payload), Buffer.from(payload));
      assert.equal(f.payload.buffer, frame.buffer, 'payload is a view, not a copy');
    });
  }
});

describe('decodeFrame quirks', () => {
  test('Ethernet padding after a short IP packet is not payload', () => {
    const frame = buildUdpFrame({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, payload: Uint8Array.of(0x80) });
    const padded = new Uint8Array(60);
    padded.set(frame);
    assert.equal(decodeFrame(1, padded).payload.length, 1);
  });
  test('TCP segment: ports, seq/ack, flags and payload', () => {
    const frame = buildTcpFrame({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 5060, dstPort: 40000, seq: 4294967290, ack: 7, flags: TcpFlags.PSH | TcpFlags.ACK, payload });
    const f = decodeFrame(1, frame);
    assert.deepEqual([f.protocol, f.srcPort, f.dstPort, f.tcpSeq, f.tcpAck, f.tcpFlags, f.payload.length], [6, 5060, 40000, 4294967290, 7, 0x18, payload.length]);
  });
  test('IPv6 with hop-by-hop and destination options before UDP', () => {
    const hbh = { type: IpProtocol.HOP_BY_HOP, data: new Uint8Array(8) };
    const dst = { type: IpProtocol.DESTINATION_OPTIONS, data: new Uint8Array(16) };
    dst.data[1] = 1;
    const frame = buildUdpFrame({ src: '2001:db8::1', dst: '2001:db8::2', srcPort: 5060, dstPort: 5060, payload, ipv6ExtensionHeaders: [hbh, dst] });
    const f = decodeFrame(1, frame);
    assert.deepEqual([f.protocol, f.dstPort, f.payload.length], [17, 5060, payload.length]);
  });
  test('IPv4 first fragment: flagged, no ports, IP payload', () => {
    const [first, second] = buildUdpFrames({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 5060, dstPort: 5060, payload: new Uint8Array(3000), mtu: 1500, ipId: 99 });
    assert.ok(first && second);
    const f1 = decodeFrame(1, first);
    assert.deepEqual([f1.isFragment, f1.moreFragments, f1.fragmentOffset, f1.fragmentId, f1.srcPort, f1.payload.length], [true, true, 0, 99, 0, 1480]);
    const f2 = decodeFrame(1, second);
    assert.deepEqual([f2.isFragment, f2.moreFragments, f2.fragmentOffset], [true, true, 1480]);
  });
  test('IPv6 fragment header', () => {
    const frames = buildUdpFrames({ src: '2001:db8::1', dst: '2001:db8::2', srcPort: 5060, dstPort: 5060, payload: new Uint8Array(2000), mtu: 1280, ipId: 5 });
    assert.equal(frames.length, 2);
    const last = frames[1];
    assert.ok(last);
    const f = decodeFrame(1, last);
    assert.deepEqual([f.isFragment, f.moreFragments, f.fragmentOffset, f.fragmentId, f.protocol], [true, false, 1232, 5, 17]);
  });
  test('atomic IPv6 fragment decodes as a whole datagram', () => {
    const frame = buildUdpFrame({ src: '::1', dst: '::1', srcPort: 7, dstPort: 9, payload, ipv6ExtensionHeaders: [ipv6FragmentHeader({ offset: 0, moreFragments: false, id: 1 })] });
    const f = decodeFrame(1, frame);
    assert.deepEqual([f.isFragment, f.dstPort], [false, 9]);
  });
  test('other protocols pass the IP payload through', () => {
    const [frame] = buildIpFrames({ src: '10.0.0.1', dst: '10.0.0.2' }, IpProtocol.ICMP, Uint8Array.of(8, 0, 0, 0));
    assert.ok(frame);
    const f = decodeFrame(1, frame);
    assert.deepEqual([f.protocol, f.srcPort, f.payload.length], [1, 0, 4]);
  });
  const bad: Array<[string, number, () => Uint8Array, string]> = [
    ['ARP', 1, () => Uint8Array.from(Buffer.from('ffffffffffff0200000000010806' + '00'.repeat(28), 'hex')), 'not-ip'],
    ['an unknown link type', 147, () => new Uint8Array(40), 'unsupported-link-type'],
    ['loopback family AF_UNIX', 0, () => Uint8Array.of(1, 0, 0, 0, 0x45), 'not-ip'],
    ['raw frame with version 5', 101, () => Uint8Array.of(0x50), 'bad-version'],
    ['EtherType IPv4 carrying version 6', 1, () => { const f = buildUdpFrame({ src: '::1', dst: '::1', srcPort: 1, dstPort: 2, payload }); f[12] = 0x08; f[13] = 0x00; return f; }, 'bad-version'],
    ['IPv4 packet cut by the snap length', 1, () => buildUdpFrame({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, payload }).subarray(0, 50), 'truncated-packet'],
    ['UDP length beyond the IP payload', 1, () => { const f = buildUdpFrame({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, payload }); f[14 + 20 + 4] = 0xff; return f; }, 'bad-udp-length'],
    ['empty frame', 1, () => new Uint8Array(0), 'truncated-header'],
  ];
  for (const [name, linkType, bytes, reason] of bad) {
    test(`rejects ${name} with reason ${reason}`, () => assert.throws(() => decodeFrame(linkType, bytes()), (e: unknown) => e instanceof PacketDecodeError && e.reason === reason));
  }
});
