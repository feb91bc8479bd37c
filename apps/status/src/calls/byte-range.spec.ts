import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseByteRange } from './byte-range';

test('Range header cases (RFC 9110 §14)', () => {
  const cases: Array<[string | undefined, number, ReturnType<typeof parseByteRange>]> = [
    [undefined, 100, { kind: 'full' }],
    ['bytes=0-9', 100, { kind: 'partial', start: 0, end: 9 }],
    ['bytes=90-', 100, { kind: 'partial', start: 90, end: 99 }],
    ['bytes=90-500', 100, { kind: 'partial', start: 90, end: 99 }],
    ['bytes=-10', 100, { kind: 'partial', start: 90, end: 99 }],
    ['bytes=-500', 100, { kind: 'partial', start: 0, end: 99 }],
    ['bytes=100-', 100, { kind: 'unsatisfiable' }],
    ['bytes=100-200', 100, { kind: 'unsatisfiable' }],
    ['bytes=-0', 100, { kind: 'unsatisfiable' }],
    ['bytes=0-', 0, { kind: 'unsatisfiable' }],
    // ignored: malformed, another unit, several ranges, end before start
    ['bytes=a-b', 100, { kind: 'full' }],
    ['items=0-1', 100, { kind: 'full' }],
    ['bytes=0-1,5-6', 100, { kind: 'full' }],
    ['bytes=9-3', 100, { kind: 'full' }],
    ['bytes=-', 100, { kind: 'full' }],
  ];
  for (const [header, size, expected] of cases) assert.deepEqual(parseByteRange(header, size), expected, `${header} of ${size}`);
});
