import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeL16 } from '@earshot/codecs';
import { readRaw, type RawCodecMapping } from '@earshot/raw';
import { encodeTelephoneEvent, TELEPHONE_EVENT_SIZE } from '@earshot/rtp';
import { planLeg, renderLeg, resampleLinear, type LegTimelineOptions } from './leg-timeline';
import { buildRawLeg, TELEPHONE_EVENT, type LegPacket } from './testing/raw-leg';

/** L16 at 8 kHz: every sample of packet k is `value(k)`, so the rendered timeline shows which packet went where. */
const L16_8K: RawCodecMapping = { payloadType: 96, encodingName: 'L16', clockRate: 8000, channels: 1 };
const CN: RawCodecMapping = { payloadType: 13, encodingName: 'CN', clockRate: 8000, channels: 1 };
const SPP = 160;
const T0 = 1_700_000_000_000_000;
const value = (k: number): number => (k + 1) * 100;
const block = (v: number, n = SPP): Uint8Array => encodeL16(new Int16Array(n).fill(v));

/** Packet k of a steady 20 ms stream (sequence 1000 + k, timestamp 5000 + 160 k, captured at T0 + 20 ms k), or with overrides. */
function pkt(k: number, o: Partial<LegPacket> = {}): LegPacket {
  return { seq: 1000 + k, ts: 5000 + k * SPP, captureUs: T0 + k * 20_000, payload: block(value(k)), ...o };
}

/** The rendered samples, packet by packet, as the value each 160-sample block holds (0 = silence; NaN = mixed). */
function blocks(samples: Int16Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < samples.length; i += SPP) {
    const b = samples.subarray(i, i + SPP);
    out.push(b.every((s) => s === b[0]) ? (b[0] as number) : Number.NaN);
  }
  return out;
}

function render(packets: LegPacket[], o: LegTimelineOptions & { codecs?: RawCodecMapping[] } = {}): { samples: Int16Array; counts: Record<string, number> } {
  const raw = readRaw(buildRawLeg({ legId: 'caller', direction: 'caller', codecs: o.codecs ?? [L16_8K, TELEPHONE_EVENT, CN], packets }));
  assert.ok(raw.header);
  const plan = planLeg(raw.header, raw.records, o);
  return { samples: renderLeg(plan, 8000, plan.startUs ?? T0), counts: plan.counts };
}

describe('leg timeline: playout order and placement on the capture timeline', () => {
  test('loss, reordering and duplicates: silence of exactly the lost packets, reordered packets in place, duplicates once', () => {
    // Sent 0..9; 3 and 7 lost; 6 arrives before 5; 2 arrives twice (again after 4); 9 twice in a row.
    const arrival = [0, 1, 2, 4, 2, 6, 5, 8, 9, 9].map((k) => pkt(k, { captureUs: T0 + 20_000 * k + (k === 5 ? 25_000 : 0) }));
    const { samples, counts } = render(arrival);
    assert.equal(samples.length, 10 * SPP);
    assert.deepEqual(blocks(samples), [value(0), value(1), value(2), 0, value(4), value(5), value(6), 0, value(8), value(9)]);
    assert.deepEqual(counts, { audio: 8, duplicate: 2 });
  });

  test('a gap with no packets (silence suppression) is silence of its RTP timestamp duration', () => {
    // 1 s of nothing between packet 4 and the next (sequence continues, timestamp jumps by 8000).
    const ps = [0, 1, 2, 3, 4].map((k) => pkt(k));
    for (let k = 5; k < 8; k++) ps.push(pkt(k, { ts: 5000 + k * SPP + 8000, captureUs: T0 + k * 20_000 + 1_000_000 }));
    const { samples } = render(ps);
    assert.equal(samples.length, 8 * SPP + 8000);
    assert.deepEqual(blocks(samples.subarray(0, 5 * SPP)), [0, 1, 2, 3, 4].map(value));
    assert.ok(samples.subarray(5 * SPP, 5 * SPP + 8000).every((s) => s === 0));
    assert.deepEqual(blocks(samples.subarray(5 * SPP + 8000)), [5, 6, 7].map(value));
  });

  test('telephone events and comfort noise take sequence numbers but are not rendered: their time is silence', () => {
    const ev = new Uint8Array(TELEPHONE_EVENT_SIZE);
    encodeTelephoneEvent({ event: 5, end: false, volume: 10, duration: 160 }, ev, 0);
    const ps = [pkt(0), pkt(1), pkt(2, { pt: 101, payload: ev }), pkt(3, { pt: 101, ts: 5000 + 2 * SPP, payload: ev }), pkt(4), pkt(5, { pt: 13, payload: Uint8Array.of(40) }), pkt(6)];
    const { samples, counts } = render(ps);
    assert.deepEqual(blocks(samples), [value(0), value(1), 0, 0, value(4), 0, value(6)]);
    assert.deepEqual(counts, { audio: 4, 'telephone-event': 2, 'comfort-noise': 1 });
  });

  test('sequence and timestamp wrap-around keep the stream continuous', () => {
    const ps = Array.from({ length: 8 }, (_, k) => pkt(k, { seq: (65532 + k) & 0xffff, ts: (0x100000000 - 3 * SPP + k * SPP) >>> 0 }));
    [ps[4], ps[5]] = [ps[5] as LegPacket, ps[4] as LegPacket]; // reordered across the wrap
    const { samples, counts } = render(ps);
    assert.deepEqual(blocks(samples), [0, 1, 2, 3, 4, 5, 6, 7].map(value));
    assert.equal(counts.audio, 8);
  });

  test('an SSRC change is placed by the capture time of its first packet', () => {
    const ps = [0, 1, 2].map((k) => pkt(k));
    // New source 100 ms after packet 2 (a gap of 4 packets), with unrelated sequence and timestamp bases.
    for (let k = 0; k < 3; k++) ps.push({ seq: 7 + k, ts: 900_000 + k * SPP, captureUs: T0 + 140_000 + k * 20_000, payload: block(value(10 + k)), ssrc: 0xabcdef });
    const { samples } = render(ps);
    assert.deepEqual(blocks(samples), [value(0), value(1), value(2), 0, 0, 0, 0, value(10), value(11), value(12)]);
  });

  test('timestamps restarted without a new SSRC (beyond the drift limit) are re-anchored by capture time', () => {
    const ps = [0, 1, 2].map((k) => pkt(k));
    for (let k = 3; k < 6; k++) ps.push(pkt(k, { ts: 12_345_678 + (k - 3) * SPP }));
    const { samples, counts } = render(ps);
    assert.deepEqual(blocks(samples), [0, 1, 2, 3, 4, 5].map(value));
    assert.equal(counts.audio, 6);
  });

  test('a packet beyond the reorder window is dropped from the audio and counted late', () => {
    const ps = Array.from({ length: 120 }, (_, k) => pkt(k)).filter((p) => p.seq !== 1005);
    ps.push(pkt(5, { captureUs: T0 + 120 * 20_000 })); // 114 packets behind
    const { samples, counts } = render(ps);
    assert.equal(counts.late, 1);
    assert.equal(samples[5 * SPP], 0);
    assert.equal(samples[6 * SPP], value(6));
  });

  test('a stray packet with a wild sequence number is left out; a confirmed restart is kept', () => {
    const stray = [pkt(0), pkt(1), pkt(2, { seq: 40_000 }), pkt(3)];
    assert.deepEqual(blocks(render(stray).samples), [value(0), value(1), 0, value(3)]);
    const restart = [pkt(0), pkt(1), pkt(2, { seq: 40_000 }), pkt(3, { seq: 40_001 })];
    const r = render(restart);
    assert.deepEqual(blocks(r.samples), [0, 1, 2, 3].map(value));
    assert.equal(r.counts.stray, undefined);
  });

  test('codecs outside recordedCodecs and unsupported ones are not rendered, by reason', () => {
    const ps = [0, 1].map((k) => pkt(k));
    assert.deepEqual(render(ps, { recordedCodecs: ['pcmu'] }).counts, { 'not-recorded:L16': 2 });
    assert.deepEqual(render(ps, { recordedCodecs: ['L16'] }).counts, { audio: 2 });
    const g729: RawCodecMapping = { payloadType: 18, encodingName: 'G729', clockRate: 8000, channels: 1 };
    assert.deepEqual(render([pkt(0, { pt: 18, payload: new Uint8Array(20) })], { codecs: [g729] }).counts, { 'unsupported:G729': 1 });
  });

  test('a packet that is not RTP is counted and the rest rendered', () => {
    const ps = [pkt(0), pkt(1, { payload: block(value(1)) }), pkt(2)];
    const bytes = buildRawLeg({ legId: 'caller', direction: 'caller', codecs: [L16_8K], packets: ps });
    const raw = readRaw(bytes);
    assert.ok(raw.header);
    const second = raw.records[1];
    assert.ok(second?.kind === 'rtp');
    second.packet[0] = 0x00; // version 0
    const plan = planLeg(raw.header, raw.records);
    assert.deepEqual(blocks(renderLeg(plan, 8000, T0)), [value(0), 0, value(2)]);
    assert.equal(plan.counts['bad-rtp'], 1);
  });

  test('rendering at a higher rate resamples; at the leg rate samples are untouched', () => {
    const raw = readRaw(buildRawLeg({ legId: 'caller', direction: 'caller', codecs: [L16_8K], packets: [pkt(0), pkt(1)] }));
    assert.ok(raw.header);
    const plan = planLeg(raw.header, raw.records);
    const at16 = renderLeg(plan, 16000, T0);
    assert.equal(at16.length, 4 * SPP);
    assert.equal(at16[0], value(0));
    assert.equal(at16[2 * SPP + 10], value(1));
    // The capture-time offset of the origin moves the leg: 10 ms later origin → 80 samples fewer at 8 kHz.
    assert.equal(renderLeg(plan, 8000, T0 - 10_000).length, 2 * SPP + 80);
    assert.deepEqual([...resampleLinear(Int16Array.of(0, 100), 4)], [0, 50, 100, 100]);
  });
});
