/** Bytes of the canonical 44-byte WAV header. */
export const WAV_HEADER_SIZE = 44;
/** The size fields of an endless stream: the largest a RIFF file can claim. */
const ENDLESS = 0xffffffff;

/**
 * The header of an endless PCM16 mono WAV, as live monitoring streams it: RIFF and data sizes set
 * to the largest value, so a player reads on until the connection ends (browsers' media elements
 * and ffmpeg/sox all play such a stream as it arrives).
 */
export function endlessWavHeader(sampleRate: number): Buffer {
  const b = Buffer.alloc(WAV_HEADER_SIZE);
  b.write('RIFF', 0, 'ascii');
  b.writeUInt32LE(ENDLESS, 4);
  b.write('WAVE', 8, 'ascii');
  b.write('fmt ', 12, 'ascii');
  b.writeUInt32LE(16, 16); // fmt chunk size
  b.writeUInt16LE(1, 20); // PCM
  b.writeUInt16LE(1, 22); // mono
  b.writeUInt32LE(sampleRate, 24);
  b.writeUInt32LE(sampleRate * 2, 28); // byte rate
  b.writeUInt16LE(2, 32); // block align
  b.writeUInt16LE(16, 34); // bits per sample
  b.write('data', 36, 'ascii');
  b.writeUInt32LE(ENDLESS - 36, 40);
  return b;
}

/** PCM16 samples as little-endian bytes. */
export function pcmBytes(pcm: Int16Array): Buffer {
  const b = Buffer.alloc(pcm.length * 2);
  for (let i = 0; i < pcm.length; i++) b.writeInt16LE(pcm[i] as number, i * 2);
  return b;
}
