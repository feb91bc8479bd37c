import { endianness } from 'node:os';
import { WaveFile } from 'wavefile';

/** The WaveFile fields this module sets beside fromScratch (wavefile types `data` as `object`). */
interface WaveDataChunk { chunkId: string; chunkSize: number; samples: Uint8Array }

const LITTLE_ENDIAN_HOST = endianness() === 'LE';

/**
 * A canonical RIFF/WAVE PCM file (44-byte header, 16-bit little-endian samples) built by
 * `wavefile`. wavefile packs samples one value at a time (~150 ms for a minute of stereo), so the
 * data chunk is given to it already packed: the Int16Array's bytes on a little-endian host, a
 * byte-swapped copy otherwise. The bytes are the same as fromScratch(channels, rate, '16', samples)
 * gives (a test checks it).
 */
export function encodeWav(interleaved: Int16Array, channels: number, sampleRate: number): Uint8Array {
  const wav = new WaveFile();
  wav.fromScratch(channels, sampleRate, '16', new Int16Array(0));
  const data = wav.data as WaveDataChunk;
  data.samples = littleEndianBytes(interleaved);
  data.chunkSize = data.samples.length;
  return wav.toBuffer();
}

function littleEndianBytes(samples: Int16Array): Uint8Array {
  const bytes = new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
  if (LITTLE_ENDIAN_HOST) return bytes;
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < out.length; i += 2) {
    out[i] = bytes[i + 1] as number;
    out[i + 1] = bytes[i] as number;
  }
  return out;
}
