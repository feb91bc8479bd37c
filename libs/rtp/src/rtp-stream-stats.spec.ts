import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RtpStreamStats } from './index';

describe('RtpStreamStats', () => {
  test('perfectly paced stream: zero jitter, capture times kept', () => {
    const s = new RtpStreamStats({ clockRate: 8000 });
    for (let i = 0; i < 100; i++) s.push(i, 1000 + i * 160, 5_000_000 + i * 20_000);
    const sum = s.summary();
    assert.equal(sum.jitter, 0);
    assert.deepEqual([sum.expected, sum.received, sum.lost, sum.firstCaptureTimeUs, sum.lastCaptureTimeUs], [100, 100, 0, 5_000_000, 5_000_000 + 99 * 20_000]);
  });

  test('jitter follows RFC 3550 A.8 (computed by hand) in timestamp units and ms', () => {
    // Arrival offsets (ms) against a 20 ms grid: 0, +5, 0, +5, ... → |D| = 5 ms = 40 units each step.
    const s = new RtpStreamStats({ clockRate: 8000 });
    let j = 0;
    for (let i = 0; i < 50; i++) {
      s.push(i, i * 160, i * 20_000 + (i % 2) * 5_000);
      if (i > 0) j += (40 - j) / 16;
    }
    const sum = s.summary();
    assert.ok(Math.abs(sum.jitter - j) < 1e-9, `${sum.jitter} vs ${j}`);
    assert.ok(Math.abs(sum.jitterMs - j / 8) < 1e-9);
    assert.ok(sum.maxJitterMs >= sum.jitterMs);
  });

  test('timestamp wrap-around does not disturb jitter', () => {
    const s = new RtpStreamStats({ clockRate: 8000 });
    for (let i = 0; i < 20; i++) s.push(i, (0xffffff00 + i * 160) >>> 0, i * 20_000);
    assert.equal(s.summary().jitter, 0);
    assert.ok(s.extendedTimestamp > 0xffffffff);
  });

  test('G.722: clock 8000 even though audio is 16 kHz; jitter in ms uses the clock rate', () => {
    const s = new RtpStreamStats({ clockRate: 8000 });
    s.push(1, 0, 0);
    s.push(2, 160, 30_000); // 10 ms late = 80 units
    assert.ok(Math.abs(s.summary().jitterMs - 80 / 16 / 8) < 1e-9);
  });

  test('rejects a missing clock rate', () => {
    assert.throws(() => new RtpStreamStats({ clockRate: 0 }), RangeError);
  });
});
