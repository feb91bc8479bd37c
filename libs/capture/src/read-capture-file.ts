import { createReadStream } from 'node:fs';
import { CaptureFileDecoder, CaptureFileDecoderOptions, CaptureFileError, CaptureRecord } from '@earshot/packet';
import { CaptureError } from './errors';

/** Options of readCaptureFile. */
export interface ReadCaptureFileOptions extends CaptureFileDecoderOptions {
  /** Bytes read from disk at a time. Default 1 MiB. */
  chunkSize?: number;
}

/**
 * Streams the records of a pcap or pcapng file without loading it whole (memory stays around one
 * chunk plus the largest record). Records come in file order; their data are views into the chunk
 * they were read with.
 *
 * Throws CaptureFileError (from @earshot/packet), with the path in the message, for a file that
 * is not a capture file (`not-a-capture-file`) or is corrupt or truncated (`truncated-record`, ...)
 * — after yielding every record before the bad spot. Throws CaptureError `file-unreadable` when the
 * file cannot be read at all.
 */
export async function* readCaptureFile(path: string, options: ReadCaptureFileOptions = {}): AsyncGenerator<CaptureRecord, void, undefined> {
  const decoder = new CaptureFileDecoder(options);
  const stream = createReadStream(path, { highWaterMark: options.chunkSize ?? 1024 * 1024 });
  const batch: CaptureRecord[] = [];
  const collect = (r: CaptureRecord): void => {
    batch.push(r);
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let failure: unknown;
      try {
        decoder.push(chunk, collect);
      } catch (e) {
        failure = e;
      }
      // Records before a bad spot are yielded before the error surfaces.
      for (let i = 0; i < batch.length; i++) yield batch[i] as CaptureRecord;
      batch.length = 0;
      if (failure !== undefined) throw failure;
    }
    decoder.end();
  } catch (e) {
    if (e instanceof CaptureFileError) throw new CaptureFileError(`${path}: ${e.message}`, e.reason);
    if (e instanceof Error && 'code' in e) throw new CaptureError(`${path}: cannot read: ${e.message}`, { reason: 'file-unreadable', cause: e });
    throw e;
  } finally {
    stream.destroy();
  }
}
