import { f64be, u16be, u32be, u64be, w16be, w32be, w64be, wf64be } from '@earshot/bytes';
import { Decoded, RawDecodeError, RawEncodeError } from './raw-error';

/*
 * The .raw recording format, version 1 (docs/raw-format.md). All integers big-endian.
 *
 * File header:
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |      'E'      |      'S'      |      'R'      |      'A'      |
 * |      'W'      |  version = 1  |   header body length (u32) ...
 *   ...           |  header body: call id (u16 len + UTF-8), leg id (u16 len + UTF-8),
 * direction (u8), protocol (u8, 17 = UDP), src ip (u8 len + ASCII), src port (u16),
 * dst ip (u8 len + ASCII), dst port (u16), created capture time µs (u64), SSRC count (u16) +
 * SSRCs (u32 each), codec count (u8) + codecs (PT u8, clock rate u32, channels u8, name u8 len +
 * ASCII). Bytes after these, up to the body length, are skipped (later minor additions).
 *
 * Record (repeated to the end of the file):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     kind      |                body length (u32) ...
 *   ...           |  body ...
 * rtp (1):          capture time µs (u64), the RTP packet as received (rest of the body)
 * ssrc-change (2):  capture time µs (u64), previous SSRC (u32), new SSRC (u32)
 * dtmf (3):         capture time µs (u64), SSRC (u32), RTP timestamp of the start (u32), event (u8),
 *                   flags (u8, bit 0 = ended), volume (u8), duration in timestamp units (u32)
 * codec-change (4): capture time µs (u64), PT (u8), clock rate (u32), channels (u8), name (u8 len + ASCII)
 * trailer (5):      end capture time µs (u64), records before it (u32), packets, expected, lost,
 *                   duplicated, late, out of order, restarts (u32 each), jitter ms (f64),
 *                   max jitter ms (f64), end reason (u8 len + ASCII)
 * Unknown kinds are kept as raw bytes; bytes after the known fields of a record are skipped.
 */

export const RAW_MAGIC = 'ESRAW';
export const RAW_VERSION = 1;
const MAGIC_BYTES = Uint8Array.from(RAW_MAGIC, (c) => c.charCodeAt(0));
const OFF_VERSION = 5;
const OFF_HEADER_LENGTH = 6;
/** Magic, version and header body length. */
export const RAW_HEADER_PREFIX_SIZE = 10;
/** Kind and body length. */
export const RAW_RECORD_PREFIX_SIZE = 5;
const OFF_RECORD_LENGTH = 1;
const PROTOCOL_UDP = 17;

export type LegDirection = 'unknown' | 'caller' | 'callee';
const DIRECTIONS: readonly LegDirection[] = ['unknown', 'caller', 'callee'];

/** One payload type of the leg: what the SDP's rtpmap said. */
export interface RawCodecMapping {
  payloadType: number;
  encodingName: string;
  clockRate: number;
  channels: number;
}

export interface RawHeader {
  callId: string;
  /** The leg within the call (e.g. `caller` / `callee` or a stream id); free text. */
  legId: string;
  /** Whose voice this leg carries: the caller's (left channel), the callee's (right), or unknown. */
  direction: LegDirection;
  /** The 5-tuple the packets travelled on (protocol UDP). */
  srcIp: string;
  srcPort: number;
  dstIp: string;
  dstPort: number;
  /** SSRC(s) known when the file was started; later ones come as ssrc-change records. */
  ssrcs: number[];
  codecs: RawCodecMapping[];
  /** Capture time (µs since the epoch) of the packet or event that started the recording. */
  createdCaptureTimeUs: number;
}

export interface RawRtpRecord { kind: 'rtp'; captureTimeUs: number; packet: Uint8Array }
export interface RawSsrcChangeRecord { kind: 'ssrc-change'; captureTimeUs: number; previousSsrc: number; ssrc: number }
export interface RawDtmfRecord {
  kind: 'dtmf'; captureTimeUs: number; ssrc: number; rtpTimestamp: number; event: number; ended: boolean; volume: number; duration: number;
}
export interface RawCodecChangeRecord { kind: 'codec-change'; captureTimeUs: number; payloadType: number; encodingName: string; clockRate: number; channels: number }
export interface RawTrailerRecord {
  kind: 'trailer';
  /** Capture time (µs) the leg ended at. */
  captureTimeUs: number;
  /** How many records precede the trailer (the reader checks it). */
  records: number;
  packets: number;
  expected: number;
  lost: number;
  duplicated: number;
  late: number;
  outOfOrder: number;
  restarts: number;
  jitterMs: number;
  maxJitterMs: number;
  /** Why the leg ended: `bye`, `idle-timeout`, `shutdown`, ... */
  endReason: string;
}
/** A record of a kind this version does not know, kept raw. */
export interface RawUnknownRecord { kind: 'unknown'; code: number; body: Uint8Array }

export type RawRecord = RawRtpRecord | RawSsrcChangeRecord | RawDtmfRecord | RawCodecChangeRecord | RawTrailerRecord | RawUnknownRecord;

export const RAW_KIND_CODES = { rtp: 1, 'ssrc-change': 2, dtmf: 3, 'codec-change': 4, trailer: 5 } as const;
const SIZE_TIME = 8;
const SIZE_SSRC_CHANGE = SIZE_TIME + 8;
const SIZE_DTMF = SIZE_TIME + 4 + 4 + 1 + 1 + 1 + 4;
const SIZE_CODEC_FIXED = SIZE_TIME + 1 + 4 + 1 + 1;
const SIZE_TRAILER_FIXED = SIZE_TIME + 8 * 4 + 8 + 8 + 1;
const DTMF_ENDED = 0x01;

const utf8Enc = new TextEncoder();
const utf8Dec = new TextDecoder('utf-8');


function check(cond: boolean, field: string, value: unknown, what: string): void {
  if (!cond) throw new RawEncodeError(`${field} must be ${what}, got ${JSON.stringify(value)}`, { reason: 'value-out-of-range' });
}
const isU = (v: number, max: number): boolean => Number.isInteger(v) && v >= 0 && v <= max;
function checkTime(field: string, v: number): void { check(Number.isSafeInteger(v) && v >= 0, field, v, 'a non-negative integer of µs'); }
function ascii8(field: string, s: string): Uint8Array {
  check(/^[\x20-\x7e]{0,255}$/.test(s), field, s, 'printable ASCII of at most 255 characters');
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}
function utf8x16(field: string, s: string): Uint8Array {
  const b = utf8Enc.encode(s);
  check(b.length <= 0xffff, field, s.slice(0, 40), 'at most 65535 UTF-8 bytes');
  return b;
}

/** Reads bytes with a length check before every read, throwing RawDecodeError(reason). */
class Cursor {
  constructor(readonly b: Uint8Array, public pos: number, readonly end: number, readonly reason: string) {}
  need(n: number, what: string): void {
    if (this.end - this.pos < n) throw new RawDecodeError(`${what}: need ${n} bytes, ${this.end - this.pos} left`, { reason: this.reason });
  }
  u8(what: string): number { this.need(1, what); return this.b[this.pos++] as number; }
  u16(what: string): number { this.need(2, what); const v = u16be(this.b, this.pos); this.pos += 2; return v; }
  u32(what: string): number { this.need(4, what); const v = u32be(this.b, this.pos); this.pos += 4; return v; }
  u64(what: string): number {
    this.need(8, what);
    const hi = u32be(this.b, this.pos);
    if (hi > 0x1fffff) throw new RawDecodeError(`${what} exceeds 2^53`, { reason: 'bad-record' });
    const v = u64be(this.b, this.pos); this.pos += 8; return v;
  }
  f64(what: string): number { this.need(8, what); const v = f64be(this.b, this.pos); this.pos += 8; return v; }
  bytes(n: number, what: string): Uint8Array { this.need(n, what); const v = this.b.subarray(this.pos, this.pos + n); this.pos += n; return v; }
  str8(what: string): string { const n = this.u8(what); return String.fromCharCode(...this.bytes(n, what)); }
  utf8x16(what: string): string { const n = this.u16(what); return utf8Dec.decode(this.bytes(n, what)); }
}

/** Decodes the file header at `offset`. Throws RawDecodeError (bad-magic, unsupported-version, truncated-header, bad-header). */
export function decodeRawHeader(buf: Uint8Array, offset = 0): Decoded<RawHeader> {
  const avail = buf.length - offset;
  for (let i = 0; i < MAGIC_BYTES.length && i < avail; i++) {
    if (buf[offset + i] !== MAGIC_BYTES[i]) throw new RawDecodeError('not a .raw recording (no "ESRAW" magic)', { reason: 'bad-magic' });
  }
  if (avail < RAW_HEADER_PREFIX_SIZE) throw new RawDecodeError(`file header truncated: ${avail} of at least ${RAW_HEADER_PREFIX_SIZE} bytes`, { reason: 'truncated-header' });
  const version = buf[offset + OFF_VERSION] as number;
  if (version !== RAW_VERSION) throw new RawDecodeError(`.raw version ${version}; this reader knows version ${RAW_VERSION}`, { reason: 'unsupported-version' });
  const bodyLength = u32be(buf, offset + OFF_HEADER_LENGTH);
  const size = RAW_HEADER_PREFIX_SIZE + bodyLength;
  if (avail < size) throw new RawDecodeError(`file header truncated: ${avail} of ${size} bytes`, { reason: 'truncated-header' });
  const c = new Cursor(buf, offset + RAW_HEADER_PREFIX_SIZE, offset + size, 'bad-header');
  const callId = c.utf8x16('call id');
  const legId = c.utf8x16('leg id');
  const dir = c.u8('direction');
  const direction = DIRECTIONS[dir];
  if (direction === undefined) throw new RawDecodeError(`unknown leg direction ${dir}`, { reason: 'bad-header' });
  const protocol = c.u8('protocol');
  if (protocol !== PROTOCOL_UDP) throw new RawDecodeError(`protocol ${protocol}, expected 17 (UDP)`, { reason: 'bad-header' });
  const srcIp = c.str8('src ip');
  const srcPort = c.u16('src port');
  const dstIp = c.str8('dst ip');
  const dstPort = c.u16('dst port');
  const createdCaptureTimeUs = c.u64('created capture time');
  const ssrcCount = c.u16('SSRC count');
  const ssrcs: number[] = [];
  for (let i = 0; i < ssrcCount; i++) ssrcs.push(c.u32('SSRC'));
  const codecCount = c.u8('codec count');
  const codecs: RawCodecMapping[] = [];
  for (let i = 0; i < codecCount; i++) {
    const payloadType = c.u8('payload type');
    const clockRate = c.u32('clock rate');
    const channels = c.u8('channels');
    codecs.push({ payloadType, encodingName: c.str8('encoding name'), clockRate, channels });
  }
  return { value: { callId, legId, direction, srcIp, srcPort, dstIp, dstPort, ssrcs, codecs, createdCaptureTimeUs }, size };
}

function headerParts(h: RawHeader): { callId: Uint8Array; legId: Uint8Array; srcIp: Uint8Array; dstIp: Uint8Array; names: Uint8Array[]; body: number } {
  const callId = utf8x16('header.callId', h.callId);
  const legId = utf8x16('header.legId', h.legId);
  const srcIp = ascii8('header.srcIp', h.srcIp);
  const dstIp = ascii8('header.dstIp', h.dstIp);
  const names = h.codecs.map((k, i) => ascii8(`header.codecs[${i}].encodingName`, k.encodingName));
  const body = 2 + callId.length + 2 + legId.length + 1 + 1 + 1 + srcIp.length + 2 + 1 + dstIp.length + 2 + 8 + 2 + 4 * h.ssrcs.length + 1
    + names.reduce((n, b) => n + 1 + 4 + 1 + 1 + b.length, 0);
  return { callId, legId, srcIp, dstIp, names, body };
}

export function encodedSizeRawHeader(h: RawHeader): number {
  return RAW_HEADER_PREFIX_SIZE + headerParts(h).body;
}

/** Encodes the file header; returns the bytes written. Throws RawEncodeError with the field path on bad values. */
export function encodeRawHeader(h: RawHeader, buf: Uint8Array, offset = 0): number {
  const p = headerParts(h);
  check(DIRECTIONS.includes(h.direction), 'header.direction', h.direction, `one of ${DIRECTIONS.join(', ')}`);
  check(isU(h.srcPort, 0xffff), 'header.srcPort', h.srcPort, 'a port 0-65535');
  check(isU(h.dstPort, 0xffff), 'header.dstPort', h.dstPort, 'a port 0-65535');
  checkTime('header.createdCaptureTimeUs', h.createdCaptureTimeUs);
  check(h.ssrcs.length <= 0xffff, 'header.ssrcs', h.ssrcs.length, 'at most 65535 SSRCs');
  h.ssrcs.forEach((s, i) => check(isU(s, 0xffffffff), `header.ssrcs[${i}]`, s, 'a 32-bit unsigned integer'));
  check(h.codecs.length <= 0xff, 'header.codecs', h.codecs.length, 'at most 255 codecs');
  h.codecs.forEach((k, i) => {
    check(isU(k.payloadType, 127), `header.codecs[${i}].payloadType`, k.payloadType, 'an integer 0-127');
    check(isU(k.clockRate, 0xffffffff) && k.clockRate > 0, `header.codecs[${i}].clockRate`, k.clockRate, 'a positive integer');
    check(isU(k.channels, 0xff), `header.codecs[${i}].channels`, k.channels, 'an integer 0-255');
  });
  const size = RAW_HEADER_PREFIX_SIZE + p.body;
  if (buf.length - offset < size) throw new RawEncodeError(`buffer too small: need ${size} bytes`, { reason: 'buffer-too-small' });
  buf.set(MAGIC_BYTES, offset);
  buf[offset + OFF_VERSION] = RAW_VERSION;
  w32be(buf, offset + OFF_HEADER_LENGTH, p.body);
  let o = offset + RAW_HEADER_PREFIX_SIZE;
  w16be(buf, o, p.callId.length); buf.set(p.callId, o + 2); o += 2 + p.callId.length;
  w16be(buf, o, p.legId.length); buf.set(p.legId, o + 2); o += 2 + p.legId.length;
  buf[o++] = DIRECTIONS.indexOf(h.direction);
  buf[o++] = PROTOCOL_UDP;
  buf[o++] = p.srcIp.length; buf.set(p.srcIp, o); o += p.srcIp.length;
  w16be(buf, o, h.srcPort); o += 2;
  buf[o++] = p.dstIp.length; buf.set(p.dstIp, o); o += p.dstIp.length;
  w16be(buf, o, h.dstPort); o += 2;
  w64be(buf, o, h.createdCaptureTimeUs); o += 8;
  w16be(buf, o, h.ssrcs.length); o += 2;
  for (const s of h.ssrcs) { w32be(buf, o, s); o += 4; }
  buf[o++] = h.codecs.length;
  h.codecs.forEach((k, i) => {
    const name = p.names[i] as Uint8Array;
    buf[o++] = k.payloadType; w32be(buf, o, k.clockRate); o += 4; buf[o++] = k.channels;
    buf[o++] = name.length; buf.set(name, o); o += name.length;
  });
  return o - offset;
}

/** Decodes one record at `offset`. Throws RawDecodeError (truncated-record, bad-record). */
export function decodeRawRecord(buf: Uint8Array, offset = 0): Decoded<RawRecord> {
  if (buf.length - offset < RAW_RECORD_PREFIX_SIZE) {
    throw new RawDecodeError(`record header truncated: ${buf.length - offset} of ${RAW_RECORD_PREFIX_SIZE} bytes`, { reason: 'truncated-record' });
  }
  const code = buf[offset] as number;
  const bodyLength = u32be(buf, offset + OFF_RECORD_LENGTH);
  const size = RAW_RECORD_PREFIX_SIZE + bodyLength;
  if (buf.length - offset < size) throw new RawDecodeError(`record truncated: ${buf.length - offset} of ${size} bytes`, { reason: 'truncated-record' });
  const start = offset + RAW_RECORD_PREFIX_SIZE;
  const c = new Cursor(buf, start, offset + size, 'bad-record');
  let value: RawRecord;
  switch (code) {
    case RAW_KIND_CODES.rtp:
      value = { kind: 'rtp', captureTimeUs: c.u64('rtp capture time'), packet: buf.subarray(start + SIZE_TIME, offset + size) };
      break;
    case RAW_KIND_CODES['ssrc-change']:
      value = { kind: 'ssrc-change', captureTimeUs: c.u64('capture time'), previousSsrc: c.u32('previous SSRC'), ssrc: c.u32('SSRC') };
      break;
    case RAW_KIND_CODES.dtmf: {
      const captureTimeUs = c.u64('capture time');
      const ssrc = c.u32('SSRC');
      const rtpTimestamp = c.u32('RTP timestamp');
      const event = c.u8('event');
      const flags = c.u8('flags');
      value = { kind: 'dtmf', captureTimeUs, ssrc, rtpTimestamp, event, ended: (flags & DTMF_ENDED) !== 0, volume: c.u8('volume'), duration: c.u32('duration') };
      break;
    }
    case RAW_KIND_CODES['codec-change']: {
      const captureTimeUs = c.u64('capture time');
      const payloadType = c.u8('payload type');
      const clockRate = c.u32('clock rate');
      const channels = c.u8('channels');
      value = { kind: 'codec-change', captureTimeUs, payloadType, encodingName: c.str8('encoding name'), clockRate, channels };
      break;
    }
    case RAW_KIND_CODES.trailer:
      value = {
        kind: 'trailer', captureTimeUs: c.u64('end capture time'), records: c.u32('records'), packets: c.u32('packets'), expected: c.u32('expected'),
        lost: c.u32('lost'), duplicated: c.u32('duplicated'), late: c.u32('late'), outOfOrder: c.u32('out of order'), restarts: c.u32('restarts'),
        jitterMs: c.f64('jitter'), maxJitterMs: c.f64('max jitter'), endReason: c.str8('end reason'),
      };
      break;
    default:
      value = { kind: 'unknown', code, body: buf.subarray(start, offset + size) };
  }
  return { value, size };
}

function recordBodySize(r: RawRecord): number {
  switch (r.kind) {
    case 'rtp': return SIZE_TIME + r.packet.length;
    case 'ssrc-change': return SIZE_SSRC_CHANGE;
    case 'dtmf': return SIZE_DTMF;
    case 'codec-change': return SIZE_CODEC_FIXED + r.encodingName.length;
    case 'trailer': return SIZE_TRAILER_FIXED + r.endReason.length;
    case 'unknown': return r.body.length;
  }
}

export function encodedSizeRawRecord(r: RawRecord): number {
  return RAW_RECORD_PREFIX_SIZE + recordBodySize(r);
}

/** Encodes one record; returns the bytes written. Throws RawEncodeError on values out of range. */
export function encodeRawRecord(r: RawRecord, buf: Uint8Array, offset = 0): number {
  const body = recordBodySize(r);
  const size = RAW_RECORD_PREFIX_SIZE + body;
  if (buf.length - offset < size) throw new RawEncodeError(`buffer too small: need ${size} bytes`, { reason: 'buffer-too-small' });
  let o = offset + RAW_RECORD_PREFIX_SIZE;
  if (r.kind !== 'unknown') { checkTime(`${r.kind}.captureTimeUs`, r.captureTimeUs); w64be(buf, o, r.captureTimeUs); o += SIZE_TIME; }
  switch (r.kind) {
    case 'rtp':
      buf.set(r.packet, o);
      break;
    case 'ssrc-change':
      check(isU(r.previousSsrc, 0xffffffff) && isU(r.ssrc, 0xffffffff), 'ssrc-change.ssrc', r, '32-bit unsigned SSRCs');
      w32be(buf, o, r.previousSsrc); w32be(buf, o + 4, r.ssrc);
      break;
    case 'dtmf':
      check(isU(r.ssrc, 0xffffffff) && isU(r.rtpTimestamp, 0xffffffff) && isU(r.event, 0xff) && isU(r.volume, 0xff) && isU(r.duration, 0xffffffff), 'dtmf', r, 'in range');
      w32be(buf, o, r.ssrc); w32be(buf, o + 4, r.rtpTimestamp); buf[o + 8] = r.event; buf[o + 9] = r.ended ? DTMF_ENDED : 0;
      buf[o + 10] = r.volume; w32be(buf, o + 11, r.duration);
      break;
    case 'codec-change': {
      check(isU(r.payloadType, 127) && isU(r.clockRate, 0xffffffff) && r.clockRate > 0 && isU(r.channels, 0xff), 'codec-change', r, 'in range');
      const name = ascii8('codec-change.encodingName', r.encodingName);
      buf[o] = r.payloadType; w32be(buf, o + 1, r.clockRate); buf[o + 5] = r.channels; buf[o + 6] = name.length; buf.set(name, o + 7);
      break;
    }
    case 'trailer': {
      const counts = [r.records, r.packets, r.expected, r.lost, r.duplicated, r.late, r.outOfOrder, r.restarts];
      counts.forEach((v) => check(isU(v, 0xffffffff), 'trailer counts', v, '32-bit unsigned integers'));
      check(Number.isFinite(r.jitterMs) && Number.isFinite(r.maxJitterMs), 'trailer.jitterMs', r.jitterMs, 'finite');
      const reason = ascii8('trailer.endReason', r.endReason);
      for (const v of counts) { w32be(buf, o, v); o += 4; }
      wf64be(buf, o, r.jitterMs); wf64be(buf, o + 8, r.maxJitterMs); o += 16;
      buf[o] = reason.length; buf.set(reason, o + 1);
      break;
    }
    case 'unknown':
      check(isU(r.code, 0xff) && !Object.values(RAW_KIND_CODES).includes(r.code as 1), 'unknown.code', r.code, 'an unassigned kind 0-255');
      buf.set(r.body, o);
      break;
  }
  buf[offset] = r.kind === 'unknown' ? r.code : RAW_KIND_CODES[r.kind];
  w32be(buf, offset + OFF_RECORD_LENGTH, body);
  return size;
}
