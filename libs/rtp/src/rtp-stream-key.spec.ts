import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RtpStreamKeyError, canonicalIp, endpointString, mediaKey, mediaKeyOf, parseEndpoint, parseRtpStreamKey, rtpStreamKeyString } from './index';

describe('RTP stream keys', () => {
  const canon: [string, string][] = [
    ['10.0.0.1', '10.0.0.1'],
    ['010.000.000.001', '10.0.0.1'],
    ['::1', '::1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['2001:DB8::0:1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0db8:0000:0000:0000:ff00:0042:8329', '2001:db8::ff00:42:8329'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ['fe80::1%eth0', 'fe80::1%eth0'],
    ['::', '::'],
  ];
  for (const [input, out] of canon) test(`canonicalIp quirk: ${input} → ${out}`, () => assert.equal(canonicalIp(input), out));

  for (const bad of ['', '1.2.3', '256.1.1.1', '1::2::3', '12345::', 'g::1', '1:2:3:4:5:6:7:8:9', 'example.com']) {
    test(`canonicalIp rejects "${bad}"`, () => assert.throws(() => canonicalIp(bad), (e: unknown) => e instanceof RtpStreamKeyError && e.reason === 'bad-ip'));
  }

  test('mediaKey is the same for both directions; IPv6 in brackets', () => {
    const a = { ip: '10.0.0.2', port: 5000 };
    const b = { ip: '10.0.0.1', port: 4000 };
    assert.equal(mediaKey(a, b), '10.0.0.1:4000|10.0.0.2:5000');
    assert.equal(mediaKey(b, a), mediaKey(a, b));
    assert.equal(mediaKey({ ip: '::1', port: 4000 }, { ip: '0::1', port: 3000 }), '[::1]:3000|[::1]:4000');
    const key = { srcIp: '10.0.0.2', srcPort: 5000, dstIp: '10.0.0.1', dstPort: 4000, protocol: 'udp' as const, ssrc: 1 };
    assert.equal(mediaKeyOf(key), mediaKeyOf({ ...key, srcIp: key.dstIp, srcPort: key.dstPort, dstIp: key.srcIp, dstPort: key.srcPort, ssrc: 2 }));
  });

  test('stream key string round trip', () => {
    const k = { srcIp: '2001:db8::1', srcPort: 40000, dstIp: '10.1.2.3', dstPort: 8000, protocol: 'udp' as const, ssrc: 0xbadcafe };
    const s = rtpStreamKeyString(k);
    assert.equal(s, 'udp [2001:db8::1]:40000>10.1.2.3:8000 ssrc=0badcafe');
    assert.deepEqual(parseRtpStreamKey(s), k);
    assert.deepEqual(parseEndpoint('[::1]:9'), { ip: '::1', port: 9 });
    assert.throws(() => parseEndpoint('::1:9'), RtpStreamKeyError);
    assert.throws(() => endpointString('1.2.3.4', 70000), RtpStreamKeyError);
    assert.throws(() => parseRtpStreamKey('tcp 1.2.3.4:1>1.2.3.4:2 ssrc=00000000'), RtpStreamKeyError);
  });

  test('fuzz: mediaKey symmetric, stream keys round-trip; parsers throw only RtpStreamKeyError', () => {
    const ip = fc.oneof(fc.ipV4(), fc.ipV6());
    const ep = fc.record({ ip, port: fc.integer({ min: 0, max: 65535 }) });
    fc.assert(fc.property(ep, ep, fc.nat({ max: 0xffffffff }), (a, b, ssrc) => {
      assert.equal(mediaKey(a, b), mediaKey(b, a));
      const k = { srcIp: canonicalIp(a.ip), srcPort: a.port, dstIp: canonicalIp(b.ip), dstPort: b.port, protocol: 'udp' as const, ssrc };
      assert.deepEqual(parseRtpStreamKey(rtpStreamKeyString(k)), k);
      assert.equal(canonicalIp(canonicalIp(a.ip)), canonicalIp(a.ip));
    }), { numRuns: 1000 });
    fc.assert(fc.property(fc.string({ maxLength: 60 }), (s) => {
      for (const f of [canonicalIp, parseEndpoint, parseRtpStreamKey]) {
        try { f(s); } catch (e) { assert.ok(e instanceof RtpStreamKeyError, String(e)); }
      }
    }), { numRuns: 2000 });
  });
});
