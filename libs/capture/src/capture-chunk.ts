import type { CaptureRecord } from '@earshot/packet';
import { CaptureError } from './errors';
import { RECORD_HEADER_BYTES } from './native-pcap';

/** What decodeCaptureChunk adds up while it decodes. */
export interface ChunkTotals {
  packets: number;
  /** Captured bytes. */
  bytes: number;
  /** Records whose original length exceeds the captured one. */
  truncated: number;
}

/**
 * Decodes a chunk written by the earshot_pcap capture thread into CaptureRecords appended to `out`.
 * Each record is four u32 in host byte order (ts seconds, ts nanoseconds, captured length,
 * original length) followed by the captured bytes padded to 4; the data are views into the chunk,
 * which nothing writes to again. Throws CaptureError `capture-failed` for a chunk that does not
 * add up (a bug, never expected).
 */
export function decodeCaptureChunk(chunk: ArrayBuffer, linkType: number, out: CaptureRecord[], totals: ChunkTotals): void {
  const words = new Uint32Array(chunk, 0, chunk.byteLength >>> 2);
  const end = chunk.byteLength;
  let offset = 0;
  while (offset < end) {
    const w = offset >>> 2;
    const capturedLength = words[w + 2] as number;
    const originalLength = words[w + 3] as number;
    const dataStart = offset + RECORD_HEADER_BYTES;
    if (dataStart + capturedLength > end) {
      throw new CaptureError(`capture chunk of ${end} bytes has a record of ${capturedLength} bytes at ${offset}`, { reason: 'capture-failed' });
    }
    out.push({
      linkType,
      tsSec: words[w] as number,
      tsNanos: words[w + 1] as number,
      capturedLength,
      originalLength,
      data: new Uint8Array(chunk, dataStart, capturedLength),
      interfaceId: 0,
    });
    totals.packets++;
    totals.bytes += capturedLength;
    if (originalLength > capturedLength) totals.truncated++;
    offset = dataStart + ((capturedLength + 3) & ~3);
  }
}
