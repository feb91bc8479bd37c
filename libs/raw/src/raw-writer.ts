import { RawEncodeError } from './raw-error';
import {
  RAW_KIND_CODES, RAW_RECORD_PREFIX_SIZE, RawCodecChangeRecord, RawDtmfRecord, RawHeader, RawRecord, RawSsrcChangeRecord,
  RawTrailerRecord, encodeRawHeader, encodeRawRecord, encodedSizeRawHeader, encodedSizeRawRecord,
} from './raw-format';

/** Options of RawWriter. */
export interface RawWriterOptions {
  /** Initial size of the internal buffer in bytes; it doubles when full. Default 65536. */
  initialCapacity?: number;
}

const RTP_TIME_SIZE = 8;
const TWO_32 = 0x100000000;

/**
 * Builds a .raw file as bytes: the header on construction, then records in the order they are
 * written (arrival order for RTP), then the trailer. It does no I/O: the app calls take() to get
 * the bytes written so far and appends them to its temporary file (then fsync, rename). The same
 * calls give the same bytes: nothing reads a clock or a random source.
 */
export class RawWriter {
  private buf: Buffer;
  private len = 0;
  private records = 0;
  private closed = false;
  private written = 0;

  constructor(header: RawHeader, options: RawWriterOptions = {}) {
    this.buf = Buffer.alloc(Math.max(1024, options.initialCapacity ?? 65536));
    this.ensure(encodedSizeRawHeader(header));
    this.len += encodeRawHeader(header, this.buf, this.len);
  }

  /** Records written so far (the trailer not counted). */
  get recordCount(): number { return this.records; }
  /** Total bytes produced so far, taken or not. */
  get bytesWritten(): number { return this.written + this.len; }
  /** True once the trailer is written. */
  get isClosed(): boolean { return this.closed; }

  /** Appends one RTP packet as received with its capture time (µs). The hot path: no allocation unless the buffer grows. */
  writeRtp(captureTimeUs: number, packet: Uint8Array): void {
    this.open();
    if (!Number.isSafeInteger(captureTimeUs) || captureTimeUs < 0) {
      throw new RawEncodeError(`rtp.captureTimeUs must be a non-negative integer of µs, got ${captureTimeUs}`, { reason: 'value-out-of-range' });
    }
    const body = RTP_TIME_SIZE + packet.length;
    this.ensure(RAW_RECORD_PREFIX_SIZE + body);
    const b = this.buf;
    let o = this.len;
    b[o] = RAW_KIND_CODES.rtp;
    b.writeUInt32BE(body, o + 1);
    b.writeUInt32BE(Math.floor(captureTimeUs / TWO_32), o + 5);
    b.writeUInt32BE(captureTimeUs % TWO_32, o + 9);
    o += RAW_RECORD_PREFIX_SIZE + RTP_TIME_SIZE;
    b.set(packet, o);
    this.len = o + packet.length;
    this.records++;
  }

  writeSsrcChange(r: Omit<RawSsrcChangeRecord, 'kind'>): void { this.write({ kind: 'ssrc-change', ...r }); }
  writeDtmf(r: Omit<RawDtmfRecord, 'kind'>): void { this.write({ kind: 'dtmf', ...r }); }
  writeCodecChange(r: Omit<RawCodecChangeRecord, 'kind'>): void { this.write({ kind: 'codec-change', ...r }); }

  /** Appends the trailer with the leg's counts; `records` is filled in. No record may follow. */
  writeTrailer(t: Omit<RawTrailerRecord, 'kind' | 'records'>): void {
    this.write({ kind: 'trailer', ...t, records: this.records });
  }

  /** Appends any record (the trailer closes the writer). */
  write(r: RawRecord): void {
    this.open();
    if (r.kind === 'trailer' && r.records !== this.records) {
      throw new RawEncodeError(`trailer.records is ${r.records} but ${this.records} records were written`, { reason: 'record-count-mismatch' });
    }
    this.ensure(encodedSizeRawRecord(r));
    this.len += encodeRawRecord(r, this.buf, this.len);
    if (r.kind === 'trailer') this.closed = true;
    else this.records++;
  }

  /** The bytes written since the last take (a copy the caller owns), and the internal buffer is reused. */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.len);
    this.buf.copy(out, 0, 0, this.len);
    this.written += this.len;
    this.len = 0;
    return out;
  }

  private open(): void {
    if (this.closed) throw new RawEncodeError('the trailer is written; no record may follow it', { reason: 'writer-closed' });
  }

  private ensure(n: number): void {
    if (this.buf.length - this.len >= n) return;
    let cap = this.buf.length * 2;
    while (cap - this.len < n) cap *= 2;
    const next = Buffer.alloc(cap);
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
}
