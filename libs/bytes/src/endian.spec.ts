import { test } from 'node:test';
import assert from 'node:assert/strict';
import { u16be, u16le, u32be, u32le, w16be, w16le, w32be, w32le } from './index';

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
