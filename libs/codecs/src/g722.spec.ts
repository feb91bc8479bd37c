import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { G722Decoder, G722Encoder, codecFor } from './index';

const RATE = 16000;
/** Minimum round-trip SNR: G.722 at 64 kbit/s is good for ~45 dB on a clean tone; 25 dB is a safe floor. */
const MIN_SNR_DB = 25;

function sine(hz: number, seconds: number, amplitude: number): Int16Array {
  return Int16Array.from({ length: RATE * seconds }, (_, i) => Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / RATE)));
}

/** A speech-like test signal: a 150 Hz → 4 kHz chirp with a slow amplitude envelope and a 300 Hz partial. */
function chirp(seconds: number): Int16Array {
  const n = RATE * seconds;
  let phase = 0;
  return Int16Array.from({ length: n }, (_, i) => {
    phase += (2 * Math.PI * (150 + (3850 * i) / n)) / RATE;
    const env = 0.55 + 0.45 * Math.sin((2 * Math.PI * 3 * i) / RATE);
    return Math.round(env * (9000 * Math.sin(phase) + 2500 * Math.sin((2 * Math.PI * 300 * i) / RATE)));
  });
}

/** Best SNR (dB) over codec delays 0..40 samples, skipping the start-up transient; returns [snr, delay]. */
function alignedSnr(ref: Int16Array, out: Int16Array): [number, number] {
  let best: [number, number] = [-Infinity, 0];
  for (let lag = 0; lag <= 40; lag++) {
    let sig = 0;
    let err = 0;
    for (let i = 1600; i + lag < out.length; i++) {
      const r = ref[i] as number;
      const d = (out[i + lag] as number) - r;
      sig += r * r;
      err += d * d;
    }
    const snr = 10 * Math.log10(sig / err);
    if (snr > best[0]) best = [snr, lag];
  }
  return best;
}

/** Decodes G.722 in 20 ms packets (160 bytes) through the registry, as the converter does. */
function decodeInPackets(bitstream: Uint8Array): Int16Array {
  const codec = codecFor('G722', 8000);
  assert.ok(codec);
  const out = new Int16Array(codec.samplesPerPacket(bitstream.length));
  let o = 0;
  for (let i = 0; i < bitstream.length; i += 160) o += codec.decodeInto(bitstream.subarray(i, i + 160), out, o);
  return out;
}

describe('G.722 (64 kbit/s)', () => {
  // A 1 kHz tone repeats every 16 samples, so its best alignment is only known modulo 16.
  const signals: [string, Int16Array, number][] = [
    ['1 kHz sine at -10 dBFS', sine(1000, 1, 10000), 16],
    ['speech-like chirp 150 Hz-4 kHz', chirp(2), Infinity],
  ];
  for (const [name, signal, period] of signals) {
    test(`round trip through our encoder and decoder: ${name} above ${MIN_SNR_DB} dB SNR, codec delay 22 samples`, () => {
      const bits = new G722Encoder().encode(signal);
      assert.equal(bits.length, signal.length / 2);
      const [snr, lag] = alignedSnr(signal, decodeInPackets(bits));
      assert.ok(snr > MIN_SNR_DB, `${name}: SNR ${snr.toFixed(1)} dB`);
      assert.equal(period === Infinity ? lag : lag % period, period === Infinity ? 22 : 22 % period); // 2 × 11-sample QMF group delay
    });
  }

  test('packetized decoding equals one-shot decoding (state carries across packets)', () => {
    const bits = new G722Encoder().encode(chirp(1));
    assert.deepEqual([...decodeInPackets(bits)], [...new G722Decoder().decode(bits)]);
  });

  test('silence stays silent; reset restores the initial state', () => {
    const bits = new G722Encoder().encode(new Int16Array(3200));
    const d = new G722Decoder();
    const first = d.decode(bits);
    // The ADPCM idle pattern leaves a few LSBs of noise (ffmpeg's decoder gives the same samples).
    assert.ok(first.every((v) => Math.abs(v) <= 4), 'digital silence decodes to near zero');
    d.decode(new G722Encoder().encode(chirp(1)));
    d.reset();
    assert.deepEqual([...d.decode(bits)], [...first]);
  });

  // ffmpeg's G.722 (libavcodec) is an independent implementation of the same recommendation.
  const ffmpeg = spawnSync('ffmpeg', ['-version']).status === 0;
  test('bit-exact against ffmpeg (libavcodec g722) in both directions', () => {
    // tools/bootstrap.sh installs ffmpeg: a missing reference is a failure, never a silent skip.
    assert.ok(ffmpeg, 'ffmpeg not installed: run tools/bootstrap.sh (apt-get install ffmpeg)');
    const dir = mkdtempSync(join(tmpdir(), 'earshot-g722-'));
    try {
      const signal = chirp(2);
      const ours = new G722Encoder().encode(signal);
      writeFileSync(join(dir, 'ours.g722'), ours);
      execFileSync('ffmpeg', ['-y', '-loglevel', 'error', '-f', 'g722', '-i', join(dir, 'ours.g722'), '-f', 's16le', join(dir, 'ff.raw')]);
      const ffPcm = readFileSync(join(dir, 'ff.raw'));
      const ourPcm = new G722Decoder().decode(ours);
      assert.deepEqual([...ourPcm], Array.from({ length: ffPcm.length / 2 }, (_, i) => ffPcm.readInt16LE(2 * i)));
      writeFileSync(join(dir, 'in.raw'), Buffer.from(signal.buffer, signal.byteOffset, signal.byteLength));
      execFileSync('ffmpeg', ['-y', '-loglevel', 'error', '-f', 's16le', '-ar', '16000', '-ac', '1', '-i', join(dir, 'in.raw'), '-c:a', 'g722', '-f', 'g722', join(dir, 'ff.g722')]);
      assert.deepEqual([...ours], [...readFileSync(join(dir, 'ff.g722'))]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('fuzz: any bytes decode to two samples per byte, deterministically, never throwing', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (b) => {
      const x = new G722Decoder().decode(b);
      assert.equal(x.length, 2 * b.length);
      assert.deepEqual(x, new G722Decoder().decode(b));
    }), { numRuns: 300 });
  });
});
