import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mixCall, stereoChannelsOf, type RenderedLeg } from './call-mix';

const leg = (legId: string, side: RenderedLeg['side'], samples: number[]): RenderedLeg => ({ legId, side, samples: Int16Array.from(samples) });

describe('call mix: legs into WAV channels', () => {
  test('stereo: caller left, callee right, the shorter leg ends in silence', () => {
    const m = mixCall([leg('callee', 'callee', [7, 8, 9]), leg('caller', 'caller', [1, 2])], 'stereo');
    assert.deepEqual([m.channels, m.frames, [...m.interleaved]], [2, 3, [1, 7, 2, 8, 0, 9]]);
  });

  test('mono: a saturating sum of every leg', () => {
    const m = mixCall([leg('caller', 'caller', [30000, -30000, 5]), leg('callee', 'callee', [30000, -30000])], 'mono');
    assert.deepEqual([m.channels, m.frames, [...m.interleaved]], [1, 3, [32767, -32768, 5]]);
  });

  test('legs of unknown side fill the empty channels in legId order, then go to both', () => {
    assert.deepEqual(stereoChannelsOf([{ legId: 'leg-2', side: 'unknown' }, { legId: 'leg-1', side: 'unknown' }]), [[1], [0]]);
    assert.deepEqual(stereoChannelsOf([{ legId: 'leg-1', side: 'unknown' }, { legId: 'caller', side: 'caller' }]), [[1], [0]]);
    assert.deepEqual(stereoChannelsOf([{ legId: 'a', side: 'caller' }, { legId: 'b', side: 'callee' }, { legId: 'leg-1', side: 'unknown' }]), [[0], [1], [0, 1]]);
    const m = mixCall([leg('caller', 'caller', [1]), leg('callee', 'callee', [2]), leg('leg-1', 'unknown', [10])], 'stereo');
    assert.deepEqual([...m.interleaved], [11, 12]);
  });

  test('no legs: no frames', () => {
    assert.deepEqual(mixCall([], 'stereo').frames, 0);
  });
});
