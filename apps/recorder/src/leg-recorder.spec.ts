import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readRaw, type RawRecord } from '@earshot/raw';
import { lookupIn } from './call-media';
import { LegRecorder, type LegSummary } from './leg-recorder';
import { dtmfPayload, rtp, type RtpSpec } from './recorder-test-kit';

const CODECS = [
  { payloadType: 0, encodingName: 'PCMU', clockRate: 8000, channels: 1 },
  { payloadType: 8, encodingName: 'PCMA', clockRate: 8000, channels: 1 },
  { payloadType: 101, encodingName: 'telephone-event', clockRate: 8000, channels: 1 },
];
const T0 = 1_700_000_000_000_000;

/** A 20 ms packet i of a stream (seq/ts offsets), sent at T0 + 20 ms × i unless `t` is given. */
const p = (i: number, o: Partial<RtpSpec> & { t?: number } = {}) => ({
  t: o.t ?? T0 + i * 20_000,
  spec: { seq: (o.seq ?? 1000 + i), ts: o.ts ?? 160 * i, ssrc: o.ssrc ?? 0xabc, pt: o.pt ?? 0, ...(o.payload ? { payload: o.payload } : {}) },
});

function record(packets: Array<{ t: number; spec: RtpSpec }>): { summary: LegSummary; records: RawRecord[]; bytes: Buffer } {
  const first = packets[0];
  assert.ok(first);
  const leg = new LegRecorder({ callId: 'c', legId: 'caller', side: 'CALLER', srcIp: '10.0.0.1', srcPort: 4000, dstIp: '10.0.0.2', dstPort: 5000 },
    first.t, first.spec.ssrc, CODECS);
  const lookup = lookupIn(CODECS);
  for (const x of packets) leg.push(x.t, rtp(x.spec), lookup);
  const summary = leg.close(T0 + 10_000_000, 'bye');
  const bytes = leg.take();
  const read = readRaw(bytes);
  assert.equal(read.error, null);
  return { summary, records: read.records, bytes };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('leg recording quirks (every packet kept as received, stats per RFC 3550)', () => {
  const cases: Array<{ name: string; packets: Array<{ t: number; spec: RtpSpec }>; expect: Partial<LegSummary['stats']>; steady?: boolean }> = [
    { name: 'clean', packets: range(10).map((i) => p(i)), expect: { packets: 10, expected: 10, lost: 0 } },
    { name: 'reordering', packets: [0, 1, 3, 2, 4].map((i) => p(i)), expect: { packets: 5, expected: 5, lost: 0, outOfOrder: 1 } },
    { name: 'duplicates kept in the file, counted', packets: [0, 1, 1, 2, 2].map((i) => p(i)), expect: { packets: 5, expected: 3, lost: 0, duplicated: 2 } },
    { name: 'loss', packets: [0, 1, 4, 5].map((i) => p(i)), expect: { packets: 4, expected: 6, lost: 2 } },
    { name: 'sequence wrap-around', packets: range(6).map((i) => p(i, { seq: (0xfffd + i) & 0xffff })), expect: { packets: 6, expected: 6, lost: 0 } },
    { name: 'timestamp wrap-around', packets: range(6).map((i) => p(i, { ts: (0xffffff00 + 160 * i) >>> 0 })), expect: { packets: 6, expected: 6, lost: 0 }, steady: true },
    { name: 'silence suppression: a timestamp gap is not loss; CN (13) kept',
      packets: [p(0), p(1), p(2, { pt: 13, payload: new Uint8Array([40]) }), p(50, { seq: 1003 }), p(51, { seq: 1004 })],
      expect: { packets: 5, expected: 5, lost: 0 } },
    { name: 'ptime change 20 → 30 ms', packets: [...range(3).map((i) => p(i)), ...range(3).map((i) => ({ t: T0 + 60_000 + i * 30_000, spec: { seq: 1003 + i, ts: 480 + 240 * i, ssrc: 0xabc, pt: 0, payload: new Uint8Array(240) } }))],
      expect: { packets: 6, expected: 6, lost: 0 }, steady: true },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const { summary, records } = record(c.packets);
      if (c.steady) assert.ok(summary.stats.maxJitterMs < 0.001, `no jitter for packets sent on time, got ${summary.stats.maxJitterMs}`);
      for (const [k, v] of Object.entries(c.expect)) assert.equal((summary.stats as unknown as Record<string, unknown>)[k], v, k);
      const rtpRecords = records.filter((r) => r.kind === 'rtp');
      assert.equal(rtpRecords.length, c.packets.length, 'every packet is a record');
      c.packets.forEach((x, i) => {
        const r = rtpRecords[i];
        assert.ok(r && r.kind === 'rtp');
        assert.deepEqual(Buffer.from(r.packet), rtp(x.spec), `packet ${i} byte for byte`);
        assert.equal(r.captureTimeUs, x.t);
      });
    });
  }

  test('SSRC change mid-call: an ssrc-change record, counts per SSRC summed', () => {
    const { summary, records } = record([p(0), p(1), p(2, { ssrc: 0xdef, seq: 7 }), p(3, { ssrc: 0xdef, seq: 8 })]);
    assert.deepEqual(records.filter((r) => r.kind === 'ssrc-change').map((r) => r.kind === 'ssrc-change' && [r.previousSsrc, r.ssrc]), [[0xabc, 0xdef]]);
    assert.deepEqual(summary.ssrcs, [0xabc, 0xdef]);
    assert.equal(summary.stats.lost, 0);
    assert.equal(summary.stats.expected, 4);
  });

  test('codec change mid-call (PCMU → PCMA): a codec-change record before the first PCMA packet', () => {
    const { summary, records } = record([p(0), p(1), p(2, { pt: 8 }), p(3, { pt: 8 })]);
    const kinds = records.map((r) => (r.kind === 'codec-change' ? `codec-change ${r.payloadType} ${r.encodingName}` : r.kind));
    assert.deepEqual(kinds, ['rtp', 'rtp', 'codec-change 8 PCMA', 'rtp', 'rtp']);
    assert.deepEqual(summary.codecs, ['PCMU', 'PCMA']);
  });

  test('RFC 4733 DTMF: one dtmf record and one digit per key press, the packets still kept, no codec change', () => {
    const ev = (i: number, end: boolean, dur: number) => p(i, { pt: 101, ts: 160 * 2, payload: dtmfPayload(5, end, dur) });
    const { summary, records } = record([p(0), p(1), ev(2, false, 160), ev(3, false, 320), ev(4, true, 480), ev(5, true, 480), ev(6, true, 480), p(7)]);
    const dtmf = records.filter((r) => r.kind === 'dtmf');
    assert.equal(dtmf.length, 1);
    assert.ok(dtmf[0]?.kind === 'dtmf');
    assert.deepEqual([dtmf[0].event, dtmf[0].ended, dtmf[0].duration, dtmf[0].rtpTimestamp, dtmf[0].captureTimeUs], [5, true, 480, 320, T0 + 40_000]);
    assert.deepEqual(summary.stats.dtmf, [{ digit: '5', captureTimeUs: T0 + 40_000, durationMs: 60 }]);
    assert.equal(records.filter((r) => r.kind === 'rtp').length, 8);
    assert.equal(records.filter((r) => r.kind === 'codec-change').length, 0);
  });

  test('not RTP: skipped and counted, nothing written', () => {
    const leg = new LegRecorder({ callId: 'c', legId: 'caller', side: 'CALLER', srcIp: '10.0.0.1', srcPort: 1, dstIp: '10.0.0.2', dstPort: 2 }, T0, 1, CODECS);
    assert.equal(leg.push(T0, Buffer.from([1, 2, 3]), lookupIn(CODECS)), false);
    assert.equal(leg.packetCount, 0);
  });

  test('deterministic: the same packets give the same bytes', () => {
    const packets = [0, 2, 1, 1, 5].map((i) => p(i));
    assert.deepEqual(record(packets).bytes, record(packets).bytes);
  });
});
