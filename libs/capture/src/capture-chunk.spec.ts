import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CaptureRecord } from '@earshot/packet';
import { decodeCaptureChunk } from './capture-chunk';
import { CaptureError } from './errors';

/** A chunk as the capture thread writes it: 4 × u32 in host order, then the bytes padded to 4. */
function chunkOf(records: Array<{ sec: number; nanos: number; data: number[]; originalLength?: number }>): ArrayBuffer {
  const size = records.reduce((n, r) => n + 16 + Math.ceil(r.data.length / 4) * 4, 0);
  const buffer = new ArrayBuffer(size);
  const words = new Uint32Array(buffer);
  const bytes = new Uint8Array(buffer);
  let offset = 0;
  for (const r of records) {
    words.set([r.sec, r.nanos, r.data.length, r.originalLength ?? r.data.length], offset / 4);
    bytes.set(r.data, offset + 16);
    offset += 16 + Math.ceil(r.data.length / 4) * 4;
  }
  return buffer;
}

test('a chunk decodes to its records, padding skipped, data as views, totals added up', () => {
  const chunk = chunkOf([
    { sec: 1_800_000_000, nanos: 999_999_999, data: [1, 2, 3, 4, 5] },
    { sec: 1_800_000_001, nanos: 7, data: [9, 8, 7, 6], originalLength: 1500 },
    { sec: 1_800_000_001, nanos: 8, data: [] },
  ]);
  const out: CaptureRecord[] = [];
  const totals = { packets: 0, bytes: 0, truncated: 0 };
  decodeCaptureChunk(chunk, 1, out, totals);
  assert.deepEqual(
    out.map((r) => [r.linkType, r.tsSec, r.tsNanos, r.capturedLength, r.originalLength, [...r.data], r.interfaceId]),
    [
      [1, 1_800_000_000, 999_999_999, 5, 5, [1, 2, 3, 4, 5], 0],
      [1, 1_800_000_001, 7, 4, 1500, [9, 8, 7, 6], 0],
      [1, 1_800_000_001, 8, 0, 0, [], 0],
    ],
  );
  assert.equal(out[0]?.data.buffer, chunk, 'records are views into the chunk, not copies');
  assert.deepEqual(totals, { packets: 3, bytes: 9, truncated: 1 });
});

test('a chunk whose record runs past its end is refused', () => {
  const chunk = chunkOf([{ sec: 1, nanos: 2, data: [1, 2, 3, 4] }]);
  new Uint32Array(chunk)[2] = 40;
  assert.throws(
    () => decodeCaptureChunk(chunk, 1, [], { packets: 0, bytes: 0, truncated: 0 }),
    (e: unknown) => e instanceof CaptureError && e.reason === 'capture-failed' && e.message === 'capture chunk of 20 bytes has a record of 40 bytes at 0',
  );
});
