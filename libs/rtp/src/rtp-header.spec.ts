import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  RtpDecodeError, RtpPacket, decodeRtpPacket, encodeRtpPacket, encodedSizeRtpPacket, looksLikeRtp, rtpExtensionForm, rtpPacketBytes,
} from './index';

const base: RtpPacket = {
  marker: false, payloadType: 0, sequenceNumber: 1000, timestamp: 160000, ssrc: 0x11223344,
  csrcs: [], extension: null, payload: new Uint8Array(160).fill(0xff), paddingSize: 0,
};

const roundTrips: [string, RtpPacket][] = [
  ['plain PCMU', base],
  ['marker, dynamic PT 101', { ...base, marker: true, payloadType: 101, payload: Uint8Array.of(1, 0x8a, 0, 160) }],
  ['max sequence and timestamp', { ...base, sequenceNumber: 0xffff, timestamp: 0xffffffff, ssrc: 0xffffffff }],
  ['two CSRCs', { ...base, csrcs: [1, 0xdeadbeef] }],
  ['fifteen CSRCs', { ...base, csrcs: Array.from({ length: 15 }, (_, i) => i + 1) }],
  ['one-byte extension (RFC 8285)', { ...base, extension: { profile: 0xbede, data: Uint8Array.of(0x10, 0xaa, 0, 0) } }],
  ['two-byte extension (RFC 8285)', { ...base, extension: { profile: 0x1000, data: Uint8Array.of(1, 2, 0xaa, 0xbb) } }],
  ['empty extension body', { ...base, extension: { profile: 0xbede, data: new Uint8Array(0) } }],
  ['padding 4 bytes (SRTP-style block)', { ...base, paddingSize: 4 }],
  ['padding only, empty payload', { ...base, payload: new Uint8Array(0), paddingSize: 1 }],
  ['everything', { ...base, marker: true, csrcs: [7], extension: { profile: 0x1003, data: new Uint8Array(8).fill(9) }, paddingSize: 3 }],
];

describe('RTP header', () => {
  for (const [name, p] of roundTrips) {
    test(`round trip: ${name}`, () => {
      const bytes = rtpPacketBytes(p);
      assert.equal(bytes.length, encodedSizeRtpPacket(p));
      const { value, size } = decodeRtpPacket(bytes);
      assert.equal(size, bytes.length);
      assert.deepEqual(value, p);
      assert.equal(looksLikeRtp(bytes), true);
    });
  }

  test('decodes a hand-written packet and the payload is a subarray (no copy)', () => {
    // V=2 P=0 X=0 CC=0 | M=1 PT=8 | seq 0x1234 | ts 0x01020304 | ssrc 0xcafebabe | payload d5 d5
    const b = Uint8Array.of(0x80, 0x88, 0x12, 0x34, 1, 2, 3, 4, 0xca, 0xfe, 0xba, 0xbe, 0xd5, 0xd5);
    const { value } = decodeRtpPacket(b);
    assert.equal(value.marker, true);
    assert.equal(value.payloadType, 8);
    assert.equal(value.sequenceNumber, 0x1234);
    assert.equal(value.timestamp, 0x01020304);
    assert.equal(value.ssrc, 0xcafebabe);
    assert.equal(value.payload.buffer, b.buffer);
    assert.equal(value.payload.byteOffset, 12);
    assert.equal(rtpExtensionForm({ profile: 0xbede, data: new Uint8Array(0) }), 'one-byte');
    assert.equal(rtpExtensionForm({ profile: 0x100f, data: new Uint8Array(0) }), 'two-byte');
    assert.equal(rtpExtensionForm({ profile: 0xabcd, data: new Uint8Array(0) }), 'other');
  });

  test('decodes at an offset inside a larger buffer', () => {
    const inner = rtpPacketBytes({ ...base, payload: Uint8Array.of(1, 2, 3) });
    const outer = new Uint8Array(5 + inner.length);
    outer.set(inner, 5);
    const { value, size } = decodeRtpPacket(outer, 5);
    assert.equal(size, inner.length);
    assert.deepEqual([...value.payload], [1, 2, 3]);
  });

  const bad: [string, number[], string][] = [
    ['11 bytes', [0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0], 'truncated-header'],
    ['version 1', [0x40, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0], 'bad-version'],
    ['CC=2 but one CSRC', [0x82, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 'truncated-csrc'],
    ['X set, no extension header', [0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xbe, 0xde], 'truncated-extension'],
    ['extension length overruns', [0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xbe, 0xde, 0, 2, 1, 2, 3, 4], 'truncated-extension'],
    ['padding count 0', [0xa0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0], 'bad-padding'],
    ['padding larger than the body', [0xa0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 5, 9], 'bad-padding'],
    ['padding bit, no body', [0xa0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0], 'bad-padding'],
  ];
  for (const [name, bytes, reason] of bad) {
    test(`quirk: ${name} → ${reason}`, () => {
      assert.throws(() => decodeRtpPacket(Uint8Array.from(bytes)), (e: unknown) => e instanceof RtpDecodeError && e.reason === reason);
      assert.equal(looksLikeRtp(Uint8Array.from(bytes)), false);
    });
  }

  const heuristic: [string, number[], boolean][] = [
    ['RTCP SR (PT 200 = M + 72)', [0x80, 200, 0, 6, ...new Array(24).fill(0)], false],
    ['RTCP RR (PT 201)', [0x81, 201, 0, 7, ...new Array(28).fill(0)], false],
    ['unassigned PT 50', [0x80, 50, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1], false],
    ['STUN binding request (version 0)', [0x00, 0x01, 0, 0, 0x21, 0x12, 0xa4, 0x42, 0, 0, 0, 0], false],
    ['PT 0 header only', [0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1], true],
    ['PT 127 with marker', [0x80, 0xff, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1], true],
  ];
  for (const [name, bytes, expected] of heuristic) {
    test(`looksLikeRtp quirk: ${name} → ${expected}`, () => assert.equal(looksLikeRtp(Uint8Array.from(bytes)), expected));
  }

  test('encode refuses values that do not fit', () => {
    const buf = new Uint8Array(2000);
    assert.throws(() => encodeRtpPacket({ ...base, csrcs: new Array(16).fill(1) }, buf), RtpDecodeError);
    assert.throws(() => encodeRtpPacket({ ...base, extension: { profile: 0xbede, data: new Uint8Array(3) } }, buf), RtpDecodeError);
    assert.throws(() => encodeRtpPacket(base, new Uint8Array(10)), RtpDecodeError);
  });

  test('fuzz: random and mutated bytes decode or throw RtpDecodeError; looksLikeRtp agrees with decode', () => {
    const valid = roundTrips.map(([, p]) => rtpPacketBytes(p));
    const mutated = fc.tuple(fc.constantFrom(...valid), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat())
      .map(([b, edits, cut]) => {
        const c = Uint8Array.from(b);
        for (const [i, v] of edits) c[i % c.length] = v;
        return c.subarray(0, cut % (c.length + 1));
      });
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), mutated), (bytes) => {
      let decoded = false;
      try {
        decodeRtpPacket(bytes);
        decoded = true;
      } catch (e) {
        assert.ok(e instanceof RtpDecodeError, String(e));
      }
      if (looksLikeRtp(bytes)) assert.ok(decoded, 'looksLikeRtp accepted a packet decode rejects');
    }), { numRuns: 3000 });
  });
});
