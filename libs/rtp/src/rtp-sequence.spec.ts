import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RtpSequenceClass, RtpSequenceTracker, RtpTimestampExtender } from './index';

function run(seqs: number[], opts = {}): { t: RtpSequenceTracker; classes: RtpSequenceClass[]; ext: number[] } {
  const t = new RtpSequenceTracker(opts);
  const classes: RtpSequenceClass[] = [];
  const ext: number[] = [];
  for (const s of seqs) { classes.push(t.push(s)); ext.push(t.extendedSequence); }
  return { t, classes, ext };
}

describe('RtpSequenceTracker', () => {
  test('in order across the 16-bit wrap', () => {
    const { t, classes, ext } = run([65534, 65535, 0, 1]);
    assert.deepEqual(classes, ['in-order', 'in-order', 'in-order', 'in-order']);
    assert.deepEqual(ext, [65534, 65535, 65536, 65537]);
    assert.deepEqual([t.expected, t.received, t.lost], [4, 4, 0]);
  });

  const quirks: [string, number[], RtpSequenceClass[], { expected: number; received: number; lost: number; duplicated: number; outOfOrder: number; tooLate: number }][] = [
    ['loss of two', [10, 11, 14, 15], ['in-order', 'in-order', 'in-order', 'in-order'], { expected: 6, received: 4, lost: 2, duplicated: 0, outOfOrder: 0, tooLate: 0 }],
    ['duplicate of the last', [10, 11, 11, 12], ['in-order', 'in-order', 'duplicate', 'in-order'], { expected: 3, received: 3, lost: 0, duplicated: 1, outOfOrder: 0, tooLate: 0 }],
    ['duplicate of an older one', [10, 11, 12, 11], ['in-order', 'in-order', 'in-order', 'duplicate'], { expected: 3, received: 3, lost: 0, duplicated: 1, outOfOrder: 0, tooLate: 0 }],
    ['swap fills the gap', [10, 12, 11, 13], ['in-order', 'in-order', 'out-of-order', 'in-order'], { expected: 4, received: 4, lost: 0, duplicated: 0, outOfOrder: 1, tooLate: 0 }],
    ['reorder across the wrap', [65534, 0, 65535, 1], ['in-order', 'in-order', 'out-of-order', 'in-order'], { expected: 4, received: 4, lost: 0, duplicated: 0, outOfOrder: 1, tooLate: 0 }],
    ['packet before the first one', [100, 101, 99], ['in-order', 'in-order', 'out-of-order'], { expected: 3, received: 3, lost: 0, duplicated: 0, outOfOrder: 1, tooLate: 0 }],
    ['too late (200 behind)', [0, ...Array.from({ length: 250 }, (_, i) => i + 2), 1], ['in-order', ...new Array<RtpSequenceClass>(250).fill('in-order'), 'too-late'], { expected: 252, received: 252, lost: 0, duplicated: 0, outOfOrder: 0, tooLate: 1 }],
  ];
  for (const [name, seqs, classes, counts] of quirks) {
    test(`quirk: ${name}`, () => {
      const { t, classes: got } = run(seqs);
      assert.deepEqual(got, classes);
      assert.deepEqual({ expected: t.expected, received: t.received, lost: t.lost, duplicated: t.duplicated, outOfOrder: t.outOfOrder, tooLate: t.tooLate }, counts);
    });
  }

  test('a single stray far packet is held, not counted; two sequential ones restart the sequence', () => {
    const stray = run([10, 11, 30000, 12]);
    assert.deepEqual(stray.classes, ['in-order', 'in-order', 'jump', 'in-order']);
    assert.deepEqual([stray.t.expected, stray.t.received, stray.t.restarts], [3, 3, 0]);

    const restart = run([10, 11, 30000, 30001, 30002]);
    assert.deepEqual(restart.classes, ['in-order', 'in-order', 'jump', 'restart', 'in-order']);
    assert.deepEqual([restart.t.expected, restart.t.received, restart.t.lost, restart.t.restarts], [5, 5, 0, 1]);
    // Extended numbers keep rising so records stay sortable.
    assert.ok(restart.ext.every((e, i) => i === 0 || e > (restart.ext[i - 1] as number)), restart.ext.join());
    assert.equal(restart.ext[3], (restart.ext[2] as number) + 1);
  });

  test('probation: the source is valid after minSequential packets, which are then counted', () => {
    const { t, classes } = run([500, 900, 901, 902], { minSequential: 2 });
    assert.deepEqual(classes, ['probation', 'probation', 'in-order', 'in-order']);
    assert.deepEqual([t.expected, t.received], [3, 3]);
  });

  test('timestamp extension across the 32-bit wrap, both directions', () => {
    const x = new RtpTimestampExtender();
    assert.deepEqual([0xffffff00, 0x40, 0xfffffff0, 0x200].map((v) => x.extend(v)), [0xffffff00, 0x100000040, 0xfffffff0, 0x100000200]);
  });

  test('fuzz: any permutation with duplicates of a contiguous range counts exactly', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 1, max: 300 }), fc.array(fc.nat(), { maxLength: 30 }), fc.nat(),
      (start, n, dupIdx, seed) => {
        const seqs = Array.from({ length: n }, (_, i) => (start + i) & 0xffff);
        // Local shuffle (displacement ≤ 20) keeps everything within maxMisorder.
        let s = seed;
        for (let i = 0; i < n; i++) {
          s = (s * 1103515245 + 12345) & 0x7fffffff;
          const j = Math.min(n - 1, i + (s % 21));
          [seqs[i], seqs[j]] = [seqs[j] as number, seqs[i] as number];
        }
        const withDups = [...seqs];
        for (const d of dupIdx) withDups.splice((d % (withDups.length + 1)), 0, seqs[d % n] as number);
        const { t } = run(withDups);
        assert.equal(t.received, n);
        assert.equal(t.expected, n);
        assert.equal(t.lost, 0);
        assert.equal(t.duplicated, dupIdx.length);
      },
    ), { numRuns: 500 });
  });
});
