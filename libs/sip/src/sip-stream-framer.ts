import { ReasonCounters } from '@earshot/errors';
import { SipOptionsError } from './sip-error';
import { findSipHeaderEnd, unfoldSipHeaderLines } from './sip-message';

/** Options of a SipStreamFramer. */
export interface SipStreamFramerOptions {
  /**
   * Largest header section (start line to the empty line) kept while waiting for its end; past it
   * the bytes are treated as garbage. Default 65536.
   */
  readonly maxHeaderBytes?: number;
  /** Largest Content-Length accepted; a larger one is treated as garbage. Default 1048576 (1 MiB). */
  readonly maxBodyBytes?: number;
}

const CR = 0x0d;
const LF = 0x0a;
const REQUEST_LINE_RE = /^[A-Za-z][A-Za-z0-9.!%*_+`'~-]* \S+ SIP\/\d+\.\d+$/i;
const STATUS_LINE_RE = /^SIP\/\d+\.\d+ [1-6]\d\d( .*)?$/i;
const latin1 = new TextDecoder('latin1');

/** Whether a line (without its line break) can start a SIP message. */
function isStartLine(line: string): boolean {
  return REQUEST_LINE_RE.test(line) || STATUS_LINE_RE.test(line);
}

/**
 * Splits one direction of a TCP (or TLS-decrypted) byte stream into SIP messages by Content-Length
 * (RFC 3261 §18.3). Feed it the contiguous bytes the TCP reassembler gives, in order; each `push`
 * returns the whole messages completed so far, as byte arrays to decode with `decodeSipMessage`.
 *
 * CRLF keep-alives (RFC 5626 §4.4.1) between messages are skipped. Bytes that cannot start a
 * message (garbage, or the tail of a message whose start was lost) are dropped up to the next line
 * that looks like a request or status line, and counted in `counters`:
 * `keepalive`, `garbage-bytes`, `resync`, `bad-content-length`, `missing-content-length`,
 * `header-too-long`, `messages`.
 */
export class SipStreamFramer {
  /** Counters by reason, for the caller to merge into its own. */
  readonly counters = new ReasonCounters();
  private readonly maxHeaderBytes: number;
  private readonly maxBodyBytes: number;
  private pending: Uint8Array = new Uint8Array(0);

  constructor(options: SipStreamFramerOptions = {}) {
    this.maxHeaderBytes = checkInt('sipStreamFramer.maxHeaderBytes', options.maxHeaderBytes, 65_536, 256, 16_777_216);
    this.maxBodyBytes = checkInt('sipStreamFramer.maxBodyBytes', options.maxBodyBytes, 1_048_576, 0, 268_435_456);
  }

  /** Bytes held while waiting for the rest of a message. */
  get bufferedBytes(): number {
    return this.pending.length;
  }

  /** Adds the next bytes of the stream; returns the messages they complete, in order. */
  push(chunk: Uint8Array): Uint8Array[] {
    if (chunk.length > 0) {
      if (this.pending.length === 0) {
        this.pending = chunk.slice();
      } else {
        const joined = new Uint8Array(this.pending.length + chunk.length);
        joined.set(this.pending);
        joined.set(chunk, this.pending.length);
        this.pending = joined;
      }
    }
    const out: Uint8Array[] = [];
    let pos = 0;
    const buf = this.pending;
    for (;;) {
      const keepaliveStart = pos;
      while (pos < buf.length && (buf[pos] === CR || buf[pos] === LF)) pos++;
      if (pos > keepaliveStart) this.counters.inc('keepalive');
      if (pos >= buf.length) break;

      const lineEnd = buf.indexOf(LF, pos);
      if (lineEnd < 0) {
        if (buf.length - pos > this.maxHeaderBytes) pos = this.dropGarbage(buf, pos, buf.length, 'header-too-long');
        break; // wait for the rest of the start line
      }
      const startLine = latin1.decode(buf.subarray(pos, buf[lineEnd - 1] === CR ? lineEnd - 1 : lineEnd));
      if (!isStartLine(startLine)) {
        pos = this.resync(buf, pos);
        continue;
      }
      const end = findSipHeaderEnd(buf, pos, Math.min(buf.length, pos + this.maxHeaderBytes));
      if (end === undefined) {
        if (buf.length - pos >= this.maxHeaderBytes) {
          this.counters.inc('header-too-long');
          pos = this.resync(buf, lineEnd + 1);
          continue;
        }
        break; // wait for the end of the headers
      }
      const length = contentLengthOf(latin1.decode(buf.subarray(pos, end.headerEnd)));
      if (length === 'bad' || (typeof length === 'number' && length > this.maxBodyBytes)) {
        this.counters.inc('bad-content-length');
        pos = this.resync(buf, lineEnd + 1);
        continue;
      }
      if (length === undefined) this.counters.inc('missing-content-length'); // RFC 3261 §20.14: 0 on a stream
      const messageEnd = end.bodyStart + (length ?? 0);
      if (messageEnd > buf.length) break; // wait for the rest of the body
      out.push(buf.slice(pos, messageEnd));
      this.counters.inc('messages');
      pos = messageEnd;
    }
    this.pending = pos === 0 ? buf : buf.slice(pos);
    return out;
  }

  /** Drops bytes from `pos` to the next line that can start a message (or all complete lines); returns the new position. */
  private resync(buf: Uint8Array, pos: number): number {
    let lineStart = pos;
    for (;;) {
      const lf = buf.indexOf(LF, lineStart);
      if (lf < 0) break; // the last, incomplete line may still become a start line
      const next = lf + 1;
      const nextLf = buf.indexOf(LF, next);
      if (nextLf < 0) {
        lineStart = next;
        break;
      }
      const line = latin1.decode(buf.subarray(next, buf[nextLf - 1] === CR ? nextLf - 1 : nextLf));
      if (isStartLine(line)) {
        lineStart = next;
        break;
      }
      lineStart = next;
    }
    // A first line that itself looked bad must go even when nothing better follows yet.
    if (lineStart === pos) {
      const lf = buf.indexOf(LF, pos);
      lineStart = lf < 0 ? buf.length : lf + 1;
    }
    return this.dropGarbage(buf, pos, lineStart, 'resync');
  }

  private dropGarbage(_buf: Uint8Array, from: number, to: number, reason: string): number {
    this.counters.inc(reason);
    this.counters.inc('garbage-bytes', to - from);
    return to;
  }
}

/** The Content-Length of a header section: a number, undefined when absent, 'bad' when malformed or conflicting. */
function contentLengthOf(head: string): number | 'bad' | undefined {
  let length: number | undefined;
  const lines = unfoldSipHeaderLines(head);
  for (let i = 1; i < lines.length; i++) {
    const m = /^\s*(content-length|l)\s*:\s*(.*?)\s*$/i.exec(lines[i] as string);
    if (!m) continue;
    if (!/^\d{1,9}$/.test(m[2] as string)) return 'bad';
    const n = Number(m[2]);
    if (length !== undefined && length !== n) return 'bad';
    length = n;
  }
  return length;
}

function checkInt(path: string, value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new SipOptionsError(`${path} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}
