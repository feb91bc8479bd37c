import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LiveMixer, resamplePcm } from './live-mixer';
import { endlessWavHeader } from './live-wav';

const tone = (n: number, v: number): Int16Array => new Int16Array(n).fill(v);

describe('LiveMixer', () => {
  test('plays the first packet delayMs after the playout position, silence before', () => {
    const m = new LiveMixer({ delayMs: 100 }); // 800 samples
    m.take(80);
    m.add('a', 1_000_000, 0, 8000, tone(160, 1000));
    const out = m.take(1200);
    assert.equal(out.indexOf(1000), 800);
    assert.equal(out.lastIndexOf(1000), 959);
    assert.equal(out[799], 0);
  });

  test('mixes both directions by capture time, clipped to 16 bits', () => {
    const m = new LiveMixer({ delayMs: 100 });
    m.add('caller', 1_000_000, 0, 8000, tone(160, 20000));
    m.add('callee', 1_010_000, 5000, 8000, tone(160, 20000)); // 10 ms later: 80 samples later
    const out = m.take(1200);
    assert.equal(out[800], 20000);
    assert.equal(out[880], 32767, 'overlap clipped');
    assert.equal(out[1039], 20000);
  });

  test('places packets of a stream by RTP timestamp, whatever their capture jitter', () => {
    const m = new LiveMixer({ delayMs: 100 });
    m.add('a', 1_000_000, 0, 8000, tone(160, 100));
    m.add('a', 1_024_000, 160, 8000, tone(160, 100)); // captured 4 ms late: still right after the first
    const out = m.take(1200);
    assert.equal(out.slice(800, 1120).every((v) => v === 100), true);
    assert.equal(out[1120], 0);
  });

  test('drops a late packet and re-anchors after steady lateness', () => {
    const m = new LiveMixer({ delayMs: 100, reanchorAfterLate: 3 });
    m.add('a', 1_000_000, 0, 8000, tone(160, 100));
    m.take(2000);
    for (let k = 1; k <= 3; k++) m.add('a', 1_000_000 + k * 20_000, k * 160, 8000, tone(160, 100)); // all already past
    assert.equal(m.stats.late, 3);
    assert.equal(m.stats.reanchored, 1);
    m.add('a', 1_080_000, 640, 8000, tone(160, 7));
    const out = m.take(1200);
    // The third late packet (captured at 1.06 s) re-anchored delayMs ahead; the next, 20 ms later, plays 160 samples after that.
    assert.equal(out.indexOf(7), 960, 'after re-anchoring, delayMs behind again');
  });

  test('a batch that would be late moves playout back once: the rest of the call plays continuously', () => {
    const m = new LiveMixer({ delayMs: 100 }); // 800 samples
    m.arrive(1_000_000);
    m.add('a', 1_000_000, 0, 8000, tone(160, 1));
    m.take(1000); // the first packet played; the next batch comes 0.5 s of capture later but 1 s of playout later
    m.take(8000 - 1000);
    m.arrive(1_500_000);
    for (let k = 0; k < 10; k++) m.add('a', 1_500_000 + k * 20_000, 4000 + k * 160, 8000, tone(160, 2));
    assert.equal(m.stats.lateBatches, 1);
    const out = m.take(3000);
    assert.equal(out.indexOf(2), 800, 'the late batch plays delayMs ahead of playout');
    assert.equal(out.slice(800, 2400).every((v) => v === 2), true, 'all of it, without a hole');
  });

  test('when batches keep arriving with time to spare, playout catches up to delayMs ahead', () => {
    const m = new LiveMixer({ delayMs: 100, catchUpWindowMs: 500, catchUpMs: 50 });
    m.arrive(1_000_000); // placed 800 samples ahead
    m.take(400);
    // From now on each 100 ms batch arrives 300 ms of capture ahead of where it had to be: 200 ms to spare beyond delayMs.
    for (let b = 0; b < 8; b++) {
      const at = 1_000_000 + 100_000 * b + 300_000;
      m.arrive(at);
      m.take(800);
    }
    assert.equal(m.stats.caughtUp, 1);
    const before = m.position;
    m.arrive(1_000_000 + 100_000 * 8 + 300_000);
    m.add('a', 1_000_000 + 100_000 * 8 + 300_000, 0, 8000, tone(160, 5));
    const out = m.take(3000);
    assert.ok(Math.abs(out.indexOf(5) - 800) <= 160, `after catching up the next batch plays about delayMs ahead (at ${out.indexOf(5)} of ${before})`);
  });
});

test('resamplePcm: 16 kHz to 8 kHz averages pairs; other rates interpolate', () => {
  assert.deepEqual([...resamplePcm(Int16Array.from([10, 20, 30, 50]), 16000, 8000)], [15, 40]);
  assert.equal(resamplePcm(tone(441, 5), 44100, 8000).length, 80);
});

test('endlessWavHeader: a PCM16 mono header whose sizes say "read on"', () => {
  const h = endlessWavHeader(8000);
  assert.equal(h.length, 44);
  assert.equal(h.toString('ascii', 0, 4), 'RIFF');
  assert.equal(h.readUInt32LE(4), 0xffffffff);
  assert.equal(h.readUInt32LE(24), 8000);
  assert.equal(h.readUInt16LE(34), 16);
  assert.equal(h.readUInt32LE(40), 0xffffffff - 36);
});
