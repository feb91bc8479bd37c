import type { Decoded } from '@earshot/bytes';
import { SipDecodeError } from './sip-error';
import { canonicalSipHeaderName, normalizeSipHeaderName } from './sip-header-names';
import { parseSipNameAddr, type SipNameAddr } from './sip-name-addr';

/**
 * A SIP message (RFC 3261 §7):
 *
 *   generic-message  =  start-line *message-header CRLF [ message-body ]
 *   start-line       =  Request-Line / Status-Line
 *   Request-Line     =  Method SP Request-URI SP SIP-Version CRLF
 *   Status-Line      =  SIP-Version SP Status-Code SP Reason-Phrase CRLF
 *   message-header   =  field-name HCOLON field-value CRLF   (continuation lines start with SP/HTAB)
 *
 * Decoding keeps every header line in order (name as written, long lower-case name, unfolded
 * value) and parses eagerly the four headers every dialog needs: Call-ID, From, To and CSeq.
 * Other headers have typed accessors in `sip-headers.ts`.
 */

// Decoded<T> is defined once, beside the byte helpers every decoder uses.
export type { Decoded };

/** One header line, unfolded. Comma-joined values stay joined; the accessors split them. */
export interface SipHeader {
  /** The lower-case long name (`v` and `VIA` → `via`). */
  readonly name: string;
  /** The name as written on the wire. */
  readonly rawName: string;
  /** The value, continuation lines joined by one space, outer whitespace trimmed. */
  readonly value: string;
}

/** CSeq: the sequence number and the method of the transaction. */
export interface SipCSeq {
  readonly seq: number;
  /** Upper-case method. */
  readonly method: string;
}

interface SipMessageBase {
  /** `SIP/2.0`, upper-case. */
  readonly version: string;
  readonly headers: readonly SipHeader[];
  readonly callId: string;
  readonly from: SipNameAddr;
  readonly to: SipNameAddr;
  readonly cseq: SipCSeq;
  /** Content-Length when present; undefined when absent (allowed on UDP, where the body is the rest of the datagram). */
  readonly contentLength: number | undefined;
  readonly body: Uint8Array;
}

export interface SipRequest extends SipMessageBase {
  readonly kind: 'request';
  /** Upper-case method (`INVITE`, `ACK`, `BYE`, ...). */
  readonly method: string;
  readonly requestUri: string;
}

export interface SipResponse extends SipMessageBase {
  readonly kind: 'response';
  readonly status: number;
  readonly reasonPhrase: string;
}

export type SipMessage = SipRequest | SipResponse;

export interface SipDecodeOptions {
  /**
   * Whether a missing Content-Length is an error (`missing-content-length`). Default false: on UDP the
   * body is the rest of the datagram (RFC 3261 §18.3); the stream framer sets its own boundaries.
   */
  readonly requireContentLength?: boolean;
}

const CR = 0x0d;
const LF = 0x0a;
/** Longest header section we accept (headers of real INVITEs stay well under 8 KiB). */
export const MAX_SIP_HEADER_BYTES = 65_536;
const TOKEN_RE = /^[A-Za-z0-9.!%*_+`'~-]+$/;
const VERSION_RE = /^SIP\/\d+\.\d+$/i;

const utf8 = new TextDecoder('utf-8', { fatal: false });
const utf8Encoder = new TextEncoder();

/**
 * Finds the end of the header section at or after `offset`: the index just after the empty line
 * (CRLFCRLF, or bare LFLF from sloppy senders), and where the header text ends. -1 when not found.
 */
export function findSipHeaderEnd(buf: Uint8Array, offset: number, limit = buf.length): { headerEnd: number; bodyStart: number } | undefined {
  for (let i = offset; i < limit; i++) {
    if (buf[i] !== LF) continue;
    if (buf[i + 1] === LF && i + 1 < limit) return { headerEnd: i, bodyStart: i + 2 };
    if (buf[i + 1] === CR && buf[i + 2] === LF && i + 2 < limit) return { headerEnd: i, bodyStart: i + 3 };
  }
  return undefined;
}

/** Splits header text into lines (CRLF or LF) and joins continuation lines (RFC 3261 §7.3.1). */
export function unfoldSipHeaderLines(text: string): string[] {
  const lines: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if ((line.startsWith(' ') || line.startsWith('\t')) && lines.length > 0) {
      lines[lines.length - 1] = `${(lines[lines.length - 1] as string).trimEnd()} ${line.trim()}`;
    } else {
      lines.push(line);
    }
  }
  return lines;
}

/** Parses one header line `name HCOLON value`. */
export function parseSipHeaderLine(line: string): SipHeader {
  const colon = line.indexOf(':');
  if (colon < 0) throw new SipDecodeError('bad-header-line', `header line without a colon: ${JSON.stringify(line.slice(0, 80))}`);
  const rawName = line.slice(0, colon).trim();
  if (!TOKEN_RE.test(rawName)) throw new SipDecodeError('bad-header-name', `bad header name ${JSON.stringify(rawName.slice(0, 80))}`);
  return { name: normalizeSipHeaderName(rawName), rawName, value: line.slice(colon + 1).trim() };
}

/** The first value of a header (`name` in any case or compact form), undefined when absent. */
export function getSipHeader(message: { readonly headers: readonly SipHeader[] }, name: string): string | undefined {
  const key = normalizeSipHeaderName(name);
  for (const h of message.headers) if (h.name === key) return h.value;
  return undefined;
}

/** Every header line of that name, in order (repeated headers are kept apart). */
export function getSipHeaders(message: { readonly headers: readonly SipHeader[] }, name: string): string[] {
  const key = normalizeSipHeaderName(name);
  return message.headers.filter((h) => h.name === key).map((h) => h.value);
}

/** Parses a Content-Length value; all occurrences must agree. */
function parseContentLength(values: string[]): number | undefined {
  if (values.length === 0) return undefined;
  let length: number | undefined;
  for (const v of values) {
    if (!/^\d{1,9}$/.test(v)) throw new SipDecodeError('bad-content-length', `bad Content-Length ${JSON.stringify(v.slice(0, 40))}`);
    const n = Number(v);
    if (length !== undefined && n !== length) throw new SipDecodeError('bad-content-length', `conflicting Content-Length headers ${length} and ${n}`);
    length = n;
  }
  return length;
}

/** Parses a CSeq value `4711 INVITE`. */
export function parseSipCSeq(value: string): SipCSeq {
  const m = /^(\d{1,10})\s+([A-Za-z0-9.!%*_+`'~-]+)$/.exec(value.trim());
  if (!m) throw new SipDecodeError('bad-cseq', `bad CSeq ${JSON.stringify(value.slice(0, 80))}`);
  const seq = Number(m[1]);
  if (seq > 0xffffffff) throw new SipDecodeError('bad-cseq', `CSeq number out of range: ${m[1]}`);
  return { seq, method: (m[2] as string).toUpperCase() };
}

function required(headers: SipHeader[], name: string, reason: string): string {
  const v = getSipHeader({ headers }, name);
  if (v === undefined || v === '') throw new SipDecodeError(reason, `missing ${canonicalSipHeaderName(name)} header`);
  return v;
}

function nameAddr(headers: SipHeader[], name: string): SipNameAddr {
  const v = required(headers, name, `missing-${name}`);
  try {
    return parseSipNameAddr(v);
  } catch (e) {
    throw new SipDecodeError(`bad-${name}`, `bad ${canonicalSipHeaderName(name)} header ${JSON.stringify(v.slice(0, 120))}: ${(e as Error).message}`, e);
  }
}

/**
 * Decodes one SIP message from `buf` at `offset`. Throws SipDecodeError (never anything else).
 *
 * With a Content-Length the message ends after that many body bytes (size says where); without one
 * the body is the rest of `buf` (one UDP datagram = one message).
 */
export function decodeSipMessage(buf: Uint8Array, offset = 0, options: SipDecodeOptions = {}): Decoded<SipMessage> {
  if (offset < 0 || offset > buf.length) throw new SipDecodeError('truncated-message', `offset ${offset} outside ${buf.length} bytes`);
  let start = offset;
  // Leading CRLFs are keep-alives or padding before the start line (RFC 3261 §7.5 says ignore them).
  while (start < buf.length && (buf[start] === CR || buf[start] === LF)) start++;
  if (start >= buf.length) throw new SipDecodeError('empty-message', 'no SIP message, only line breaks or nothing');
  const end = findSipHeaderEnd(buf, start, Math.min(buf.length, start + MAX_SIP_HEADER_BYTES));
  if (end === undefined) {
    throw new SipDecodeError(buf.length - start >= MAX_SIP_HEADER_BYTES ? 'header-too-long' : 'truncated-header', 'no empty line ends the header section');
  }
  const lines = unfoldSipHeaderLines(utf8.decode(buf.subarray(start, end.headerEnd)));
  const startLine = lines[0] ?? '';
  const headers = lines.slice(1).filter((l) => l !== '').map(parseSipHeaderLine);

  const contentLength = parseContentLength(getSipHeaders({ headers }, 'content-length'));
  if (contentLength === undefined && options.requireContentLength) {
    throw new SipDecodeError('missing-content-length', 'Content-Length is required on a stream transport');
  }
  const available = buf.length - end.bodyStart;
  if (contentLength !== undefined && contentLength > available) {
    throw new SipDecodeError('truncated-body', `Content-Length ${contentLength} but only ${available} body bytes`);
  }
  const bodyLength = contentLength ?? available;
  const body = buf.slice(end.bodyStart, end.bodyStart + bodyLength);
  const size = end.bodyStart + bodyLength - offset;

  const callId = required(headers, 'call-id', 'missing-call-id');
  const from = nameAddr(headers, 'from');
  const to = nameAddr(headers, 'to');
  const cseq = parseSipCSeq(required(headers, 'cseq', 'missing-cseq'));
  const common = { headers, callId, from, to, cseq, contentLength, body };

  const parts = startLine.split(' ');
  if (startLine.toUpperCase().startsWith('SIP/')) {
    const version = (parts[0] ?? '').toUpperCase();
    const statusText = parts[1] ?? '';
    if (!VERSION_RE.test(version)) throw new SipDecodeError('bad-version', `bad SIP version ${JSON.stringify(version.slice(0, 20))}`);
    if (!/^[1-6]\d\d$/.test(statusText)) throw new SipDecodeError('bad-status-line', `bad status code in ${JSON.stringify(startLine.slice(0, 80))}`);
    return { value: { kind: 'response', version, status: Number(statusText), reasonPhrase: parts.slice(2).join(' ').trim(), ...common }, size };
  }
  if (parts.length !== 3) throw new SipDecodeError('bad-start-line', `not a SIP request or status line: ${JSON.stringify(startLine.slice(0, 80))}`);
  const [method, requestUri, versionText] = parts as [string, string, string];
  if (!TOKEN_RE.test(method)) throw new SipDecodeError('bad-method', `bad method ${JSON.stringify(method.slice(0, 20))}`);
  if (!VERSION_RE.test(versionText)) throw new SipDecodeError('bad-version', `bad SIP version ${JSON.stringify(versionText.slice(0, 20))}`);
  if (requestUri === '' || !requestUri.includes(':')) throw new SipDecodeError('bad-request-uri', `bad Request-URI ${JSON.stringify(requestUri.slice(0, 80))}`);
  return { value: { kind: 'request', version: versionText.toUpperCase(), method: method.toUpperCase(), requestUri, ...common }, size };
}

/** The wire text of the start line and headers (header names as they were written), ending with the empty line. */
function headText(message: SipMessage): string {
  const startLine = message.kind === 'request'
    ? `${message.method} ${message.requestUri} ${message.version}`
    : `${message.version} ${message.status} ${message.reasonPhrase}`;
  return `${startLine}\r\n${message.headers.map((h) => `${h.rawName}: ${h.value}\r\n`).join('')}\r\n`;
}

/** How many bytes encodeSipMessage will write. */
export function encodedSizeSipMessage(message: SipMessage): number {
  return utf8Encoder.encode(headText(message)).length + message.body.length;
}

/**
 * Encodes `message` into `buf` at `offset`; returns the bytes written. Headers are written as they
 * are in `message.headers` (folded lines come out unfolded); Content-Length is not recomputed.
 */
export function encodeSipMessage(message: SipMessage, buf: Uint8Array, offset = 0): number {
  const head = utf8Encoder.encode(headText(message));
  const size = head.length + message.body.length;
  if (offset + size > buf.length) throw new SipDecodeError('buffer-too-small', `need ${size} bytes at ${offset}, have ${buf.length - offset}`);
  buf.set(head, offset);
  buf.set(message.body, offset + head.length);
  return size;
}
