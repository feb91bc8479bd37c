import { u32be } from '@earshot/bytes';
import { RawDecodeError } from './raw-error';
import {
  RAW_HEADER_PREFIX_SIZE, RAW_RECORD_PREFIX_SIZE, RawHeader, RawRecord, RawTrailerRecord, decodeRawHeader, decodeRawRecord,
} from './raw-format';

/** What reading a whole .raw gives: everything valid up to the first problem, and the problem. */
export interface RawReadResult {
  header: RawHeader | null;
  /** Records in file order, the trailer excluded. */
  records: RawRecord[];
  trailer: RawTrailerRecord | null;
  /** Why reading stopped early (truncated-header, truncated-record, missing-trailer, ...), or null. */
  error: RawDecodeError | null;
}

/**
 * Parses a .raw file from chunks as they arrive (or one whole buffer). push() returns the records
 * each chunk completes; a malformed record stops the reader (error set, later chunks ignored) and
 * every record before it is kept. end() reports truncation: a file that stops inside the header
 * or a record, or has no trailer. Records' byte fields are subarrays of the pushed chunks (or of
 * a concatenation of them): copy them if the chunks' memory is reused.
 */
export class RawReader {
  header: RawHeader | null = null;
  trailer: RawTrailerRecord | null = null;
  error: RawDecodeError | null = null;
  private parts: Uint8Array[] = [];
  private partsLength = 0;
  /** Bytes needed before parsing can make progress. */
  private needed = RAW_HEADER_PREFIX_SIZE;
  private count = 0;
  /** File offset of the next unparsed byte, for messages. */
  private offset = 0;

  /** Feeds the next chunk; returns the records it completes (never the trailer; see `trailer`). */
  push(chunk: Uint8Array): RawRecord[] {
    if (this.error || chunk.length === 0) return [];
    this.parts.push(chunk);
    this.partsLength += chunk.length;
    if (this.partsLength < this.needed) return [];
    // Concatenate only once enough bytes for progress are there: no quadratic copying of a large record.
    const joined = this.parts.length === 1 ? (this.parts[0] as Uint8Array) : Buffer.concat(this.parts, this.partsLength);
    // A plain Uint8Array view (no copy), so records' byte fields are the same type whatever was pushed.
    const data = new Uint8Array(joined.buffer, joined.byteOffset, joined.length);
    this.parts = [];
    this.partsLength = 0;
    this.needed = RAW_RECORD_PREFIX_SIZE;
    const out: RawRecord[] = [];
    let pos = 0;
    try {
      if (!this.header) {
        try {
          const { value, size } = decodeRawHeader(data, 0);
          this.header = value;
          pos = size;
          this.offset = size;
        } catch (e) {
          if (!(e instanceof RawDecodeError) || e.reason !== 'truncated-header') throw e;
          const needed = data.length < RAW_HEADER_PREFIX_SIZE ? RAW_HEADER_PREFIX_SIZE : RAW_HEADER_PREFIX_SIZE + u32be(data, HEADER_LENGTH_OFFSET);
          this.keep(data, 0, needed);
          return out;
        }
      }
      while (pos < data.length) {
        if (this.trailer) throw new RawDecodeError(`${data.length - pos} bytes after the trailer`, { reason: 'data-after-trailer' });
        if (data.length - pos < RAW_RECORD_PREFIX_SIZE) {
          this.keep(data, pos, RAW_RECORD_PREFIX_SIZE);
          return out;
        }
        const bodyLength = u32be(data, pos + 1);
        if (bodyLength > MAX_RECORD_BODY) {
          throw new RawDecodeError(`record ${this.count} at byte ${this.offset} says ${bodyLength} bytes (max ${MAX_RECORD_BODY})`, { reason: 'bad-record' });
        }
        const size = RAW_RECORD_PREFIX_SIZE + bodyLength;
        if (data.length - pos < size) {
          this.keep(data, pos, size);
          return out;
        }
        const { value } = decodeRawRecord(data, pos);
        pos += size;
        this.offset += size;
        if (value.kind === 'trailer') {
          if (value.records !== this.count) {
            throw new RawDecodeError(`trailer says ${value.records} records, the file has ${this.count}`, { reason: 'record-count-mismatch' });
          }
          this.trailer = value;
        } else {
          this.count++;
          out.push(value);
        }
      }
    } catch (e) {
      if (!(e instanceof RawDecodeError)) throw e;
      this.error = e;
    }
    return out;
  }

  /** Ends the input: sets and returns the error for a file that stops early or has no trailer (null when complete). */
  end(): RawDecodeError | null {
    if (this.error) return this.error;
    if (!this.header) {
      this.error = new RawDecodeError(`file header truncated: ${this.partsLength} bytes, need ${this.needed}`, { reason: 'truncated-header' });
    } else if (this.partsLength > 0) {
      this.error = new RawDecodeError(
        `file ends inside record ${this.count} at byte ${this.offset}: ${this.partsLength} of ${this.needed} bytes`, { reason: 'truncated-record' },
      );
    } else if (!this.trailer) {
      this.error = new RawDecodeError(`file ends after ${this.count} records without a trailer (the recording was not closed)`, { reason: 'missing-trailer' });
    }
    return this.error;
  }

  /** Keeps the unparsed tail (copied: the caller may reuse its chunk) until `needed` bytes are there. */
  private keep(data: Uint8Array, pos: number, needed: number): void {
    const rest = new Uint8Array(data.subarray(pos));
    this.parts = [rest];
    this.partsLength = rest.length;
    this.needed = needed;
  }
}

const HEADER_LENGTH_OFFSET = 6;
/** A record body larger than this is corrupt (an RTP packet is < 64 KiB). */
const MAX_RECORD_BODY = 1 << 24;

/** Reads a whole .raw buffer: the header, every record before any problem, the trailer, and the problem. */
export function readRaw(buf: Uint8Array): RawReadResult {
  const r = new RawReader();
  const records = r.push(buf);
  const error = r.end();
  return { header: r.header, records, trailer: r.trailer, error };
}
