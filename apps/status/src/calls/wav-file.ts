import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';

/** Where the samples of a PCM WAV file are and how they are laid out. */
export interface WavLayout {
  channels: number;
  sampleRate: number;
  bitsPerSample: 8 | 16;
  blockAlign: number;
  dataOffset: number;
  dataBytes: number;
}

export class WavFormatError extends Error {}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
/** Chunks before `data` (fmt, LIST, fact) fit well within this. */
const HEADER_READ = 64 * 1024;

/** Reads the RIFF chunk list up to `data`: 8- or 16-bit integer PCM only (what the converter writes). */
export async function readWavLayout(path: string): Promise<WavLayout> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const buf = Buffer.alloc(Math.min(HEADER_READ, size));
    await file.read(buf, 0, buf.length, 0);
    if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') throw new WavFormatError('not a RIFF/WAVE file');
    let offset = 12;
    let fmt: Omit<WavLayout, 'dataOffset' | 'dataBytes'> | undefined;
    while (offset + 8 <= buf.length) {
      const id = buf.toString('ascii', offset, offset + 4);
      const chunkSize = buf.readUInt32LE(offset + 4);
      const body = offset + 8;
      if (id === 'fmt ') {
        if (body + 16 > buf.length) throw new WavFormatError('truncated fmt chunk');
        const format = buf.readUInt16LE(body);
        const bits = buf.readUInt16LE(body + 14);
        if ((format !== WAVE_FORMAT_PCM && format !== WAVE_FORMAT_EXTENSIBLE) || (bits !== 8 && bits !== 16)) {
          throw new WavFormatError(`unsupported WAV encoding (format ${format}, ${bits} bits)`);
        }
        fmt = { channels: buf.readUInt16LE(body + 2), sampleRate: buf.readUInt32LE(body + 4), blockAlign: buf.readUInt16LE(body + 12), bitsPerSample: bits };
        if (fmt.channels < 1 || fmt.blockAlign !== fmt.channels * (bits / 8)) throw new WavFormatError('inconsistent fmt chunk');
      } else if (id === 'data') {
        if (!fmt) throw new WavFormatError('data chunk before fmt chunk');
        const dataBytes = Math.min(chunkSize, size - body);
        return { ...fmt, dataOffset: body, dataBytes: dataBytes - (dataBytes % fmt.blockAlign) };
      }
      offset = body + chunkSize + (chunkSize % 2);
    }
    throw new WavFormatError('no data chunk');
  } finally {
    await file.close();
  }
}

/**
 * The waveform: the highest absolute sample (0..1) of each channel in each of `points` equal
 * slices of the audio, interleaved by point (`[p0c0, p0c1, p1c0, ...]`). Read as a stream, so a
 * long call does not sit in memory.
 */
export async function wavPeaks(path: string, layout: WavLayout, points: number): Promise<{ points: number; peaks: number[] }> {
  const frames = layout.dataBytes / layout.blockAlign;
  const n = Math.max(0, Math.min(points, frames));
  const peaks = new Array<number>(n * layout.channels).fill(0);
  if (n === 0) return { points: 0, peaks };
  const bytesPerSample = layout.bitsPerSample / 8;
  let frame = 0;
  let carry = Buffer.alloc(0);
  const stream = createReadStream(path, { start: layout.dataOffset, end: layout.dataOffset + layout.dataBytes - 1, highWaterMark: 256 * 1024 });
  for await (const piece of stream as AsyncIterable<Buffer>) {
    const chunk = carry.length ? Buffer.concat([carry, piece]) : piece;
    const whole = chunk.length - (chunk.length % layout.blockAlign);
    for (let pos = 0; pos < whole; pos += layout.blockAlign, frame++) {
      const base = Math.floor((frame * n) / frames) * layout.channels;
      for (let c = 0; c < layout.channels; c++) {
        const at = pos + c * bytesPerSample;
        const v = bytesPerSample === 2 ? Math.abs(chunk.readInt16LE(at)) / 32768 : Math.abs(chunk.readUInt8(at) - 128) / 128;
        if (v > (peaks[base + c] ?? 0)) peaks[base + c] = v;
      }
    }
    carry = Buffer.from(chunk.subarray(whole));
  }
  return { points: n, peaks: peaks.map((v) => Math.round(v * 10000) / 10000) };
}
