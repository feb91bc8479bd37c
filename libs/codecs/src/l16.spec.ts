import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CodecDecodeError, decodeL16, decodeL16Into, encodeL16 } from './index';

describe('L16', () => {
  const cases: [string, number[], number[]][] = [
    ['big-endian, signed', [0x00, 0x01, 0xff, 0xff, 0x80, 0x00, 0x7f, 0xff], [1, -1, -32768, 32767]],
    ['empty', [], []],
  ];
  for (const [name, bytes, samples] of cases) {
    test(name, () => {
      assert.deepEqual([...decodeL16(Uint8Array.from(bytes))], samples);
      assert.deepEqual([...encodeL16(Int16Array.from(samples))], bytes);
    });
  }

  test('quirk: odd byte count → odd-length', () => {
    assert.throws(() => decodeL16(Uint8Array.of(1, 2, 3)), (e: unknown) => e instanceof CodecDecodeError && e.reason === 'odd-length');
  });

  test('decodeInto writes at an offset', () => {
    const out = new Int16Array(4);
    assert.equal(decodeL16Into(Uint8Array.of(0, 5, 0, 6), out, 2), 2);
    assert.deepEqual([...out], [0, 0, 5, 6]);
  });

  test('fuzz: round trip of any samples; any bytes decode or throw CodecDecodeError', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: -32768, max: 32767 }), { maxLength: 200 }), (s) => {
      assert.deepEqual([...decodeL16(encodeL16(Int16Array.from(s)))], s);
    }));
    fc.assert(fc.property(fc.uint8Array({ maxLength: 101 }), (b) => {
      try { assert.equal(decodeL16(b).length, b.length / 2); } catch (e) { assert.ok(e instanceof CodecDecodeError); }
    }));
  });
});
