import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WaveFile } from 'wavefile';
import { encodeWav } from './wav-encoding';

describe('WAV encoding', () => {
  test('the same bytes as wavefile packing the samples itself, for stereo and mono', () => {
    const samples = Int16Array.from({ length: 2000 }, (_, i) => ((i * 7919) % 65536) - 32768);
    for (const [channels, rate] of [[2, 8000], [1, 16000]] as const) {
      const reference = new WaveFile();
      reference.fromScratch(channels, rate, '16', samples);
      assert.deepEqual(Buffer.from(encodeWav(samples, channels, rate)), Buffer.from(reference.toBuffer()));
    }
  });

  test('a canonical 44-byte PCM header that a reader takes back to the same samples', () => {
    const samples = Int16Array.of(1, -2, 3, -4, 32767, -32768);
    const bytes = encodeWav(samples, 2, 8000);
    assert.equal(bytes.length, 44 + 12);
    assert.equal(Buffer.from(bytes.subarray(0, 4)).toString('latin1'), 'RIFF');
    const back = new WaveFile(bytes);
    const fmt = back.fmt as { numChannels: number; sampleRate: number; bitsPerSample: number; audioFormat: number };
    assert.deepEqual([fmt.audioFormat, fmt.numChannels, fmt.sampleRate, fmt.bitsPerSample], [1, 2, 8000, 16]);
    assert.deepEqual([...back.getSamples(true, Int16Array)], [...samples]);
  });

  test('an empty call is a valid WAV with no frames', () => {
    assert.equal(encodeWav(new Int16Array(0), 1, 8000).length, 44);
  });
});
