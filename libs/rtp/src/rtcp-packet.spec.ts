import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  RtcpDecodeError, RtcpPacket, RtcpReceiverReport, RtcpSenderReport, decodeRtcpCompound, decodeRtcpPacket, encodedSizeRtcpPacket,
  looksLikeRtcp, looksLikeRtp, rtcpCompoundBytes, rtcpSenderSsrc,
} from './index';

const block = { ssrc: 0xabcdef01, fractionLost: 25, cumulativeLost: -3, extendedHighestSequence: 0x1ffff, jitter: 42, lastSenderReport: 0x12345678, delaySinceLastSenderReport: 65536 };
const sr: RtcpSenderReport = {
  type: 'sr', ssrc: 0x11223344, ntpSeconds: 0xe8000000, ntpFraction: 0x80000000, rtpTimestamp: 123456, packetCount: 50, octetCount: 8000,
  reports: [block], profileExtension: new Uint8Array(0),
};
const rr: RtcpReceiverReport = { type: 'rr', ssrc: 5, reports: [block, { ...block, ssrc: 9, cumulativeLost: 0x7fffff }], profileExtension: new Uint8Array(0) };

const compounds: [string, RtcpPacket[]][] = [
  ['SR alone, no blocks', [{ ...sr, reports: [] }]],
  ['SR + SDES CNAME', [sr, { type: 'sdes', chunks: [{ ssrc: 0x11223344, items: [{ itemType: 1, text: 'alice@10.0.0.1' }] }] }]],
  ['RR with two blocks + SDES two chunks + BYE with reason', [
    rr,
    { type: 'sdes', chunks: [{ ssrc: 1, items: [{ itemType: 1, text: 'ab' }] }, { ssrc: 2, items: [{ itemType: 1, text: 'abc' }, { itemType: 2, text: 'Bob' }] }] },
    { type: 'bye', ssrcs: [5], reason: 'hangup' },
  ]],
  ['RR + APP + BYE without reason', [
    { ...rr, reports: [] },
    { type: 'app', subtype: 3, ssrc: 5, name: 'QMv1', data: Uint8Array.of(1, 2, 3, 4) },
    { type: 'bye', ssrcs: [5, 6], reason: null },
  ]],
  ['SR + RTPFB NACK kept raw', [sr, { type: 'other', packetType: 205, count: 1, body: Uint8Array.of(0, 0, 0, 5, 0, 0, 0, 6, 0, 10, 0, 0) }]],
  ['SR with profile extension', [{ ...sr, profileExtension: Uint8Array.of(9, 9, 9, 9) }]],
];

describe('RTCP', () => {
  for (const [name, packets] of compounds) {
    test(`round trip: ${name}`, () => {
      const bytes = rtcpCompoundBytes(packets);
      assert.equal(bytes.length, packets.reduce((n, p) => n + encodedSizeRtcpPacket(p), 0));
      const { value, size } = decodeRtcpCompound(bytes);
      assert.equal(size, bytes.length);
      assert.deepEqual(value, packets);
      assert.equal(looksLikeRtcp(bytes), packets[0]?.type === 'sr' || packets[0]?.type === 'rr');
      assert.equal(looksLikeRtp(bytes), false);
    });
  }

  test('decodes a hand-written RR: cumulative lost is sign-extended 24 bits', () => {
    const b = Uint8Array.of(
      0x81, 201, 0, 7, 0, 0, 0, 1, // V=2 RC=1 RR len=7, SSRC 1
      0, 0, 0, 2, 0x40, 0xff, 0xff, 0xfe, // SSRC_1=2, fraction 64, lost -2
      0, 1, 0, 10, 0, 0, 0, 80, 0, 0, 0, 0, 0, 0, 0, 0,
    );
    const { value } = decodeRtcpPacket(b);
    assert.equal(value.type, 'rr');
    if (value.type !== 'rr') return;
    assert.deepEqual(value.reports[0], { ssrc: 2, fractionLost: 64, cumulativeLost: -2, extendedHighestSequence: 65546, jitter: 80, lastSenderReport: 0, delaySinceLastSenderReport: 0 });
  });

  test('quirk: padding on the last packet is stripped', () => {
    // BYE, SC=1, P=1, length 2 words: SSRC then 4 padding bytes ending in 4.
    const b = Uint8Array.of(0xa1, 203, 0, 2, 0, 0, 0, 9, 0, 0, 0, 4);
    const { value } = decodeRtcpPacket(b);
    assert.deepEqual(value, { type: 'bye', ssrcs: [9], reason: null });
  });

  const bad: [string, number[], string][] = [
    ['3 bytes', [0x80, 201, 0], 'truncated-header'],
    ['version 3', [0xc0, 201, 0, 1, 0, 0, 0, 1], 'bad-version'],
    ['length beyond the datagram', [0x80, 201, 0, 5, 0, 0, 0, 1], 'truncated-packet'],
    ['RR says 1 block, has none', [0x81, 201, 0, 1, 0, 0, 0, 1], 'truncated-report'],
    ['SDES without end item', [0x81, 202, 0, 2, 0, 0, 0, 1, 1, 2, 0x61, 0x62], 'truncated-sdes'],
    ['packet type 100', [0x80, 100, 0, 0], 'bad-packet-type'],
    ['padding count 0', [0xa0, 201, 0, 1, 0, 0, 0, 0], 'bad-padding'],
  ];
  for (const [name, bytes, reason] of bad) {
    test(`quirk: ${name} → ${reason}`, () => {
      assert.throws(() => decodeRtcpCompound(Uint8Array.from(bytes)), (e: unknown) => e instanceof RtcpDecodeError && e.reason === reason);
    });
  }

  test('looksLikeRtcp quirks', () => {
    assert.equal(looksLikeRtcp(rtcpCompoundBytes([{ type: 'bye', ssrcs: [1], reason: null }])), false, 'BYE first is not a valid compound');
    const two = rtcpCompoundBytes([rr, { type: 'bye', ssrcs: [1], reason: null }]);
    assert.equal(looksLikeRtcp(two.subarray(0, two.length - 4)), false, 'lengths must add up');
    assert.equal(looksLikeRtcp(Uint8Array.of(0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0)), false, 'RTP PCMU');
  });

  test('fuzz: random and mutated compounds decode or throw RtcpDecodeError', () => {
    const valid = compounds.map(([, p]) => rtcpCompoundBytes(p));
    const mutated = fc.tuple(fc.constantFrom(...valid), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat())
      .map(([b, edits, cut]) => {
        const c = Uint8Array.from(b);
        for (const [i, v] of edits) c[i % c.length] = v;
        return c.subarray(0, cut % (c.length + 1));
      });
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 128 }), mutated), (bytes) => {
      try { decodeRtcpCompound(bytes); } catch (e) { assert.ok(e instanceof RtcpDecodeError, String(e)); }
      looksLikeRtcp(bytes); // must not throw either
    }), { numRuns: 3000 });
  });
});

test('rtcpSenderSsrc reads the first packet\'s sender from the bytes, at an offset too', () => {
  const bytes = rtcpCompoundBytes([sr, { type: 'sdes', chunks: [{ ssrc: 0x11223344, items: [{ itemType: 1, text: 'a@b' }] }] }]);
  assert.equal(looksLikeRtcp(bytes), true);
  assert.equal(rtcpSenderSsrc(bytes), 0x11223344);
  const shifted = new Uint8Array(bytes.length + 3);
  shifted.set(bytes, 3);
  assert.equal(rtcpSenderSsrc(shifted, 3), 0x11223344);
});
