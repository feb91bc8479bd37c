import { test } from 'node:test';
import assert from 'node:assert/strict';
import { f64be, u16be, u16le, u32be, u32le, u64be, w16be, w16le, w32be, w32le, w64be, wf64be } from './index';

test('each width and byte order reads back what it wrote, unsigned, at an offset', () => {
  const cases: Array<{ name: string; value: number; write: (b: Uint8Array, o: number, v: number) => void; read: (b: Uint8Array, o: number) => number; bytes: number[] }> = [
    { name: 'u16 big-endian', value: 0xbeef, write: w16be, read: u16be, bytes: [0xbe, 0xef] },
    { name: 'u16 little-endian', value: 0xbeef, write: w16le, read: u16le, bytes: [0xef, 0xbe] },
    { name: 'u32 big-endian, top bit set', value: 0xdeadbeef, write: w32be, read: u32be, bytes: [0xde, 0xad, 0xbe, 0xef] },
    { name: 'u32 little-endian, top bit set', value: 0xdeadbeef, write: w32le, read: u32le, bytes: [0xef, 0xbe, 0xad, 0xde] },
  ];
  for (const c of cases) {
    const b = new Uint8Array(2 + c.bytes.length);
    c.write(b, 2, c.value);
    assert.deepEqual([...b.subarray(2)], c.bytes, c.name);
    assert.equal(c.read(b, 2), c.value, c.name);
  }
});

test('u64 round-trips capture times up to 2^53 and f64 round-trips doubles, big-endian', () => {
  const b = new Uint8Array(10);
  w64be(b, 2, 2 ** 53 - 1);
  assert.deepEqual([...b.subarray(2)], [0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  assert.equal(u64be(b, 2), 2 ** 53 - 1);
  w64be(b, 2, 1_763_942_400_123_456);
  assert.equal(u64be(b, 2), 1_763_942_400_123_456);
  wf64be(b, 1, 12.375);
  assert.deepEqual([...b.subarray(1, 9)], [0x40, 0x28, 0xc0, 0, 0, 0, 0, 0]);
  assert.equal(f64be(b, 1), 12.375);
});
