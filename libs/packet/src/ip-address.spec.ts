import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIpv6, parseIpv4, parseIpv6, formatIpv4, PacketEncodeError } from './index';

describe('IPv6 text form (RFC 5952)', () => {
  const cases: Array<[name: string, text: string, canonical: string]> = [
    ['loopback', '0:0:0:0:0:0:0:1', '::1'],
    ['unspecified', '::', '::'],
    ['documentation prefix', '2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['longest zero run wins', '2001:db8:0:0:1:0:0:0', '2001:db8:0:0:1::'],
    ['first run wins a tie', '2001:0:0:1:0:0:1:1', '2001::1:0:0:1:1'],
    ['a single zero group is not compressed', '2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['IPv4-mapped keeps the dotted quad', '::ffff:192.0.2.1', '::ffff:192.0.2.1'],
    ['uppercase input', 'FE80::ABCD', 'fe80::abcd'],
  ];
  for (const [name, text, canonical] of cases) {
    test(name, () => assert.equal(formatIpv6(parseIpv6(text), 0), canonical));
  }
  test('rejects malformed text with PacketEncodeError', () => {
    for (const bad of ['1::2::3', '12345::', '1:2:3:4:5:6:7', 'x::', '1:2:3:4:5:6:7:8:9']) {
      assert.throws(() => parseIpv6(bad), PacketEncodeError, bad);
    }
  });
});

describe('IPv4 text form', () => {
  test('round trip', () => assert.equal(formatIpv4(parseIpv4('192.168.10.255'), 0), '192.168.10.255'));
  test('rejects out-of-range and malformed', () => {
    for (const bad of ['256.1.1.1', '1.2.3', '1.2.3.4.5', 'a.b.c.d', '']) assert.throws(() => parseIpv4(bad), PacketEncodeError, bad);
  });
});
