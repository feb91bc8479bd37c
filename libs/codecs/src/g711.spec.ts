import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { PCMA_TABLE, PCMU_TABLE, codecFor, decodePcma, decodePcmu, encodePcma, encodePcmu } from './index';

/** ITU-T G.711 μ-law expansion, written from the recommendation: 14-bit magnitude ×4 = 16-bit scale. */
function ituMulaw(code: number): number {
  const u = ~code & 0xff;
  const sign = u & 0x80;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  const magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
  return (sign ? -magnitude : magnitude) | 0; // | 0: no -0 for code 0x7F
}

/** ITU-T G.711 A-law expansion: 13-bit magnitude ×8 = 16-bit scale; bit 7 set means positive. */
function ituAlaw(code: number): number {
  const a = code ^ 0x55;
  const exponent = (a >> 4) & 0x07;
  const mantissa = a & 0x0f;
  const magnitude = exponent === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  return a & 0x80 ? magnitude : -magnitude;
}

const ALL_CODES = Uint8Array.from({ length: 256 }, (_, i) => i);

/** Decodes `payload` with sox (`-t ul` or `-t al`) through temp files. */
function soxDecode(type: 'ul' | 'al', payload: Uint8Array): Int16Array {
  const dir = mkdtempSync(join(tmpdir(), 'earshot-g711-'));
  try {
    writeFileSync(join(dir, 'in.raw'), payload);
    execFileSync('sox', ['-t', type, '-r', '8000', '-c', '1', join(dir, 'in.raw'), '-t', 's16', '-e', 'signed-integer', '-b', '16', '-L', join(dir, 'out.raw')]);
    const b = readFileSync(join(dir, 'out.raw'));
    const out = new Int16Array(b.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = b.readInt16LE(2 * i);
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('G.711', () => {
  test('PCMU: all 256 codes bit-exact to the ITU-T formula', () => {
    assert.deepEqual([...decodePcmu(ALL_CODES)], [...ALL_CODES].map(ituMulaw));
    assert.deepEqual([...PCMU_TABLE], [...ALL_CODES].map(ituMulaw));
  });

  test('PCMA: all 256 codes bit-exact to the ITU-T formula', () => {
    assert.deepEqual([...decodePcma(ALL_CODES)], [...ALL_CODES].map(ituAlaw));
    assert.deepEqual([...PCMA_TABLE], [...ALL_CODES].map(ituAlaw));
  });

  const named: [string, 'PCMU' | 'PCMA', number, number][] = [
    ['μ-law 0xFF is +0', 'PCMU', 0xff, 0],
    ['μ-law 0x7F is -0 (also 0)', 'PCMU', 0x7f, 0],
    ['μ-law 0x00 is the negative peak', 'PCMU', 0x00, -32124],
    ['μ-law 0x80 is the positive peak', 'PCMU', 0x80, 32124],
    ['A-law 0xD5 is the smallest positive (silence)', 'PCMA', 0xd5, 8],
    ['A-law 0x55 is the smallest negative', 'PCMA', 0x55, -8],
    ['A-law 0xAA is the positive peak', 'PCMA', 0xaa, 32256],
    ['A-law 0x2A is the negative peak', 'PCMA', 0x2a, -32256],
  ];
  for (const [name, codec, code, value] of named) {
    test(`quirk: ${name}`, () => assert.equal((codec === 'PCMU' ? decodePcmu : decodePcma)(Uint8Array.of(code))[0], value));
  }

  test('PCMU and PCMA: bit-exact against sox on every code and on a random call-length payload', () => {
    const random = Uint8Array.from({ length: 8000 * 5 }, (_, i) => (i * 2654435761) >>> 24);
    for (const payload of [ALL_CODES, random]) {
      assert.deepEqual([...decodePcmu(payload)], [...soxDecode('ul', payload)]);
      assert.deepEqual([...decodePcma(payload)], [...soxDecode('al', payload)]);
    }
  });

  test('encode then decode gives the same value back (encoders used by tests to build payloads)', () => {
    const mu = decodePcmu(ALL_CODES);
    const a = decodePcma(ALL_CODES);
    assert.deepEqual([...decodePcmu(encodePcmu(mu))], [...mu]);
    assert.deepEqual([...decodePcma(encodePcma(a))], [...a]);
  });

  test('fuzz: encoding any 16-bit value and decoding stays within one quantization step', () => {
    fc.assert(fc.property(fc.integer({ min: -32768, max: 32767 }), (v) => {
      const s = Int16Array.of(v);
      for (const [enc, dec] of [[encodePcmu, decodePcmu], [encodePcma, decodePcma]] as const) {
        const back = dec(enc(s))[0] as number;
        const clipped = Math.max(-32256, Math.min(32256, v));
        // Segment step is at most 1024 at the top of the range (2048 wide / 2).
        assert.ok(Math.abs(back - clipped) <= 1024, `${v} → ${back}`);
      }
    }), { numRuns: 5000 });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (p) => {
      const c = codecFor('pcmu', 8000);
      assert.ok(c);
      assert.deepEqual([...c.decode(p)], [...p].map(ituMulaw));
    }));
  });
});
