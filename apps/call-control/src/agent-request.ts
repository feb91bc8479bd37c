import { isIP } from 'node:net';
import type { CallEndCause, MediaDescription, MediaMode } from '@earshot/events';
import { staticPayloadType } from '@earshot/rtp';
import { decodeSdp, parseSipUri, SdpDecodeError, SipDecodeError } from '@earshot/sip';
import { mediaDescription } from './call-event-mapper';

/**
 * The JSON a PBX or SBC sends to the agent endpoint, validated field by field. Every problem is an
 * AgentRequestError naming the exact field (`callerMedia.streams[0].codecs[1].payloadType`).
 */

/** A request the agent endpoint answers with a 4xx: the HTTP status, the field at fault and a message for a person. */
export class AgentRequestError extends Error {
  constructor(
    readonly status: 400 | 401 | 404 | 405 | 409 | 413 | 415 | 503,
    message: string,
    readonly field: string | null = null,
  ) {
    super(message);
  }
}

/** A party as the PBX names it. */
export interface AgentParty {
  readonly uri: string;
  readonly user: string | undefined;
  readonly host: string | undefined;
  readonly displayName: string | null;
  readonly assertedIdentity: { readonly uri: string; readonly user: string | undefined; readonly host: string | undefined } | null;
  /** The IP address of the party's phone, for the directory's device match. */
  readonly address: string | null;
}

export interface AgentStartRequest {
  readonly callId: string;
  readonly timeUs: number | undefined;
  readonly caller: AgentParty;
  readonly callee: AgentParty;
  readonly callerMedia: MediaDescription[] | undefined;
  readonly calleeMedia: MediaDescription[] | undefined;
}

export interface AgentMediaRequest {
  readonly timeUs: number | undefined;
  readonly side: 'caller' | 'callee';
  readonly media: MediaDescription[];
}

export interface AgentAnswerRequest {
  readonly timeUs: number | undefined;
  readonly calleeMedia: MediaDescription[] | undefined;
  /** The party that actually answered, when it differs from the one called (a pickup, a hunt group). */
  readonly callee: AgentParty | undefined;
}

export interface AgentStopRequest {
  readonly timeUs: number | undefined;
  readonly endedBy: CallEndCause;
  readonly reason: string | null;
  /** For a call never answered: the final status (default 487). */
  readonly status: number | undefined;
}

/** Earliest and latest accepted `timeUs`: 2000-01-01 and 2100-01-01. */
const MIN_TIME_US = 946_684_800_000_000;
const MAX_TIME_US = 4_102_444_800_000_000;
const MODES: readonly MediaMode[] = ['SENDRECV', 'SENDONLY', 'RECVONLY', 'INACTIVE'];
const END_CAUSES: readonly CallEndCause[] = ['CALLER', 'CALLEE', 'AGENT', 'TIMEOUT', 'UNKNOWN'];
/** What the schema and the topic key take; Call-IDs are far shorter. */
const MAX_CALL_ID = 512;

type Json = unknown;

function bad(field: string, message: string): AgentRequestError {
  return new AgentRequestError(400, `${field} ${message}`, field);
}

function shown(v: Json): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function object(v: Json, field: string, known: readonly string[]): Record<string, Json> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(field, `must be a JSON object, got ${shown(v)}`);
  const o = v as Record<string, Json>;
  for (const k of Object.keys(o)) {
    if (!known.includes(k)) throw bad(field === '(body)' ? k : `${field}.${k}`, `is not a field here (known: ${known.join(', ')})`);
  }
  return o;
}

function at(parent: string, key: string): string {
  return parent === '(body)' ? key : `${parent}.${key}`;
}

function str(o: Record<string, Json>, parent: string, key: string, opts: { required: true; max?: number }): string;
function str(o: Record<string, Json>, parent: string, key: string, opts: { required?: false; max?: number }): string | undefined;
function str(o: Record<string, Json>, parent: string, key: string, opts: { required?: boolean; max?: number }): string | undefined {
  const v = o[key];
  const field = at(parent, key);
  if (v === undefined || v === null) {
    if (opts.required) throw bad(field, 'is required');
    return undefined;
  }
  if (typeof v !== 'string') throw bad(field, `must be a string, got ${shown(v)}`);
  if (v.trim() === '') throw bad(field, 'must not be empty');
  const max = opts.max ?? 1024;
  if (v.length > max) throw bad(field, `must be at most ${max} characters, got ${v.length}`);
  return v;
}

function int(o: Record<string, Json>, parent: string, key: string, min: number, max: number): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    throw bad(at(parent, key), `must be an integer from ${min} to ${max}, got ${shown(v)}`);
  }
  return v;
}

function oneOf<T extends string>(o: Record<string, Json>, parent: string, key: string, values: readonly T[]): T | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) throw bad(at(parent, key), `must be one of ${values.join(', ')}, got ${shown(v)}`);
  return v as T;
}

function uriParts(uri: string, field: string): { uri: string; user: string | undefined; host: string | undefined } {
  try {
    const u = parseSipUri(uri);
    if (!['sip', 'sips', 'tel'].includes(u.scheme)) throw bad(field, `must be a sip:, sips: or tel: URI, got ${shown(uri)}`);
    return { uri, user: u.user, host: u.host };
  } catch (e) {
    if (e instanceof SipDecodeError) throw bad(field, `must be a sip:, sips: or tel: URI (${e.message})`);
    throw e;
  }
}

function timeUs(o: Record<string, Json>): number | undefined {
  return int(o, '(body)', 'timeUs', MIN_TIME_US, MAX_TIME_US);
}

/** A party: `{ uri, displayName?, assertedIdentity?, address? }`. */
export function parseParty(v: Json, field: string): AgentParty {
  const o = object(v, field, ['uri', 'displayName', 'assertedIdentity', 'address']);
  const uri = uriParts(str(o, field, 'uri', { required: true }), at(field, 'uri'));
  const displayName = str(o, field, 'displayName', { max: 256 }) ?? null;
  const pai = str(o, field, 'assertedIdentity', {});
  const address = str(o, field, 'address', { max: 64 }) ?? null;
  if (address !== null && isIP(address) === 0) throw bad(at(field, 'address'), `must be an IPv4 or IPv6 address, got ${shown(address)}`);
  return { ...uri, displayName, assertedIdentity: pai === undefined ? null : uriParts(pai, at(field, 'assertedIdentity')), address };
}

/** One explicit stream: `{ media?, address, port, rtcpPort?, mode?, ptimeMs?, codecs }`. */
function parseStream(v: Json, field: string): MediaDescription {
  const o = object(v, field, ['media', 'address', 'port', 'rtcpPort', 'mode', 'ptimeMs', 'codecs']);
  const media = str(o, field, 'media', { max: 32 }) ?? 'audio';
  const address = str(o, field, 'address', { required: true, max: 64 });
  if (isIP(address) === 0) throw bad(at(field, 'address'), `must be an IPv4 or IPv6 address, got ${shown(address)}`);
  const port = int(o, field, 'port', 0, 65535);
  if (port === undefined) throw bad(at(field, 'port'), 'is required');
  const rtcpPort = int(o, field, 'rtcpPort', 1, 65535) ?? null;
  const mode = oneOf(o, field, 'mode', MODES) ?? 'SENDRECV';
  const ptimeMs = int(o, field, 'ptimeMs', 1, 1000) ?? null;
  const codecsField = at(field, 'codecs');
  const list = o['codecs'];
  if (!Array.isArray(list)) throw bad(codecsField, list === undefined ? 'is required' : `must be an array, got ${shown(list)}`);
  if (list.length === 0 || list.length > 64) throw bad(codecsField, `must list 1 to 64 codecs, got ${list.length}`);
  const codecs = list.map((c: Json, i) => {
    const cf = `${codecsField}[${i}]`;
    const co = object(c, cf, ['payloadType', 'name', 'clockRate', 'channels', 'fmtp']);
    const payloadType = int(co, cf, 'payloadType', 0, 127);
    if (payloadType === undefined) throw bad(at(cf, 'payloadType'), 'is required');
    const known = staticPayloadType(payloadType);
    const name = str(co, cf, 'name', { max: 64 }) ?? known?.encodingName;
    if (name === undefined) throw bad(at(cf, 'name'), `is required for payload type ${payloadType} (not a static one)`);
    const clockRate = int(co, cf, 'clockRate', 1, 1_000_000) ?? known?.clockRate;
    if (clockRate === undefined) throw bad(at(cf, 'clockRate'), `is required for payload type ${payloadType} (not a static one)`);
    return { payloadType, name, clockRate, channels: int(co, cf, 'channels', 1, 8) ?? known?.channels ?? 1, fmtp: str(co, cf, 'fmtp', {}) ?? null };
  });
  return { media, address, port, rtcpPort, mode, ptimeMs, codecs };
}

/** Media of one side: `{ sdp }` (an SDP body) or `{ streams: [...] }` (explicit endpoints and codecs). */
export function parseMedia(v: Json, field: string): MediaDescription[] {
  const o = object(v, field, ['sdp', 'streams']);
  if ((o['sdp'] === undefined) === (o['streams'] === undefined)) throw bad(field, 'must have exactly one of sdp or streams');
  if (o['sdp'] !== undefined) {
    const sdp = str(o, field, 'sdp', { required: true, max: 65_536 });
    try {
      return decodeSdp(sdp.includes('\r\n') ? sdp : sdp.replace(/\n/g, '\r\n')).media.map(mediaDescription);
    } catch (e) {
      if (e instanceof SdpDecodeError) throw bad(at(field, 'sdp'), `is not a usable SDP: ${e.message}`);
      throw e;
    }
  }
  const streams = o['streams'];
  if (!Array.isArray(streams)) throw bad(at(field, 'streams'), `must be an array, got ${shown(streams)}`);
  if (streams.length === 0 || streams.length > 16) throw bad(at(field, 'streams'), `must list 1 to 16 streams, got ${streams.length}`);
  return streams.map((s: Json, i) => parseStream(s, `${at(field, 'streams')}[${i}]`));
}

/** POST /v1/calls */
export function parseStartRequest(body: Json): AgentStartRequest {
  const o = object(body, '(body)', ['callId', 'timeUs', 'caller', 'callee', 'callerMedia', 'calleeMedia']);
  const callId = str(o, '(body)', 'callId', { required: true, max: MAX_CALL_ID });
  if ([...callId].some((c) => c.charCodeAt(0) < 0x20)) throw bad('callId', 'must not contain control characters');
  const t = timeUs(o);
  if (o['caller'] === undefined) throw bad('caller', 'is required');
  if (o['callee'] === undefined) throw bad('callee', 'is required');
  return {
    callId,
    timeUs: t,
    caller: parseParty(o['caller'], 'caller'),
    callee: parseParty(o['callee'], 'callee'),
    callerMedia: o['callerMedia'] === undefined ? undefined : parseMedia(o['callerMedia'], 'callerMedia'),
    calleeMedia: o['calleeMedia'] === undefined ? undefined : parseMedia(o['calleeMedia'], 'calleeMedia'),
  };
}

/** POST /v1/calls/{callId}/media */
export function parseMediaRequest(body: Json): AgentMediaRequest {
  const o = object(body, '(body)', ['timeUs', 'side', 'sdp', 'streams']);
  const side = oneOf(o, '(body)', 'side', ['caller', 'callee'] as const);
  if (side === undefined) throw bad('side', 'is required (caller or callee)');
  const { timeUs: _t, side: _s, ...media } = o;
  if (media['sdp'] === undefined && media['streams'] === undefined) throw bad('(body)', 'must have exactly one of sdp or streams');
  // The media fields sit at the top level here; errors name them as such.
  return { timeUs: timeUs(o), side, media: parseMedia(media, '(body)') };
}

/** POST /v1/calls/{callId}/answer */
export function parseAnswerRequest(body: Json): AgentAnswerRequest {
  const o = object(body ?? {}, '(body)', ['timeUs', 'calleeMedia', 'callee']);
  return {
    timeUs: timeUs(o),
    calleeMedia: o['calleeMedia'] === undefined ? undefined : parseMedia(o['calleeMedia'], 'calleeMedia'),
    callee: o['callee'] === undefined ? undefined : parseParty(o['callee'], 'callee'),
  };
}

/** POST /v1/calls/{callId}/stop */
export function parseStopRequest(body: Json): AgentStopRequest {
  const o = object(body ?? {}, '(body)', ['timeUs', 'endedBy', 'reason', 'status']);
  return {
    timeUs: timeUs(o),
    endedBy: oneOf(o, '(body)', 'endedBy', END_CAUSES) ?? 'AGENT',
    reason: str(o, '(body)', 'reason', { max: 512 }) ?? null,
    status: int(o, '(body)', 'status', 300, 699),
  };
}
