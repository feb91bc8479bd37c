import { EarshotError } from '@earshot/errors';
import type {
  AuditEntry, CallEvent, DirectoryEntry, MediaDescription, RecordingEvent, ServiceConfig, ServiceHeartbeat,
} from '@earshot/events';

// Event → row mapping of the projection (001-projection.sql), as pure functions: no SQL here.

/** An event the projector refuses to store (it goes to `<topic>.dlq`); `reason` says why. */
export class ProjectionRejectedError extends EarshotError {
  constructor(message: string, reason: string) {
    super(message, { reason: `projection-${reason}`, retriable: false });
  }
}

/** Latest instant PostgreSQL's timestamptz and a JS Date both hold comfortably: 9999-12-31T23:59:59.999Z. */
const MAX_MS = 253_402_300_799_999;

/** A Unix time in milliseconds as a Date; a time before 1970 or after 9999 is refused. */
export function msToDate(ms: number, field: string): Date {
  if (!Number.isFinite(ms) || ms < 0 || ms > MAX_MS) throw new ProjectionRejectedError(`${field} is out of range: ${ms}`, 'time-out-of-range');
  return new Date(ms);
}

/** A capture time in microseconds as a Date (millisecond precision, as timestamptz keeps microseconds but Date does not). */
export function usToDate(us: number, field: string): Date {
  return msToDate(Math.floor(us / 1000), field);
}

export type CallState = 'ringing' | 'answered' | 'ended' | 'failed';

/** A row of projection.calls (has_recording is kept by the store from projection.recordings). */
export interface CallRow {
  callId: string;
  state: CallState;
  direction: string;
  source: string;
  callerUri: string;
  callerUser: string | null;
  callerName: string | null;
  callerAsserted: string | null;
  calleeUri: string;
  calleeUser: string | null;
  calleeName: string | null;
  calleeAsserted: string | null;
  recordedUserId: string | null;
  startedAt: Date;
  answeredAt: Date | null;
  endedAt: Date | null;
  durationMs: number | null;
  endedBy: string | null;
  failureStatus: number | null;
  reason: string | null;
  codecs: string[];
  callerMedia: MediaDescription[];
  calleeMedia: MediaDescription[];
  lastSequence: number;
  callControlInstance: string;
}

/** Payload types that are not voice: kept out of the call's codec list. */
const NOT_VOICE = new Set(['telephone-event', 'cn', 'comfort-noise']);

/** The voice encodings of a party's audio m-lines, in order, without repeats. */
export function voiceCodecs(media: readonly MediaDescription[]): string[] {
  const out: string[] = [];
  for (const m of media) {
    if (m.media !== 'audio' || m.port === 0) continue;
    for (const c of m.codecs) if (!NOT_VOICE.has(c.name.toLowerCase()) && !out.includes(c.name)) out.push(c.name);
  }
  return out;
}

/** Both lists' names once each, sorted: the same set whatever order the events came in. */
function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])].sort();
}

const TERMINAL: ReadonlySet<CallState> = new Set(['ended', 'failed']);

/**
 * The calls row after `e`. Events of a call normally arrive in sequence order; one that arrives
 * after a later one never takes the row back: the parties, direction and media come from the
 * highest sequence seen, the state only moves forward (ringing → answered → ended/failed), and
 * the times are filled in by whichever event carries them (started = earliest capture time).
 */
export function applyCallEvent(row: CallRow | null, e: CallEvent): CallRow {
  if (!Number.isInteger(e.sequence) || e.sequence < 0) throw new ProjectionRejectedError(`sequence must be a non-negative integer, got ${e.sequence}`, 'bad-sequence');
  const at = usToDate(e.captureTimeUs, 'captureTimeUs');
  const newest = row === null || e.sequence > row.lastSequence;
  const latest: Omit<CallRow, 'state' | 'startedAt' | 'answeredAt' | 'endedAt' | 'durationMs' | 'endedBy' | 'failureStatus' | 'reason' | 'codecs' | 'lastSequence'> = newest
    ? {
      callId: e.callId, direction: e.direction, source: e.source,
      callerUri: e.caller.uri, callerUser: e.caller.user, callerName: e.caller.displayName, callerAsserted: e.caller.assertedIdentity,
      calleeUri: e.callee.uri, calleeUser: e.callee.user, calleeName: e.callee.displayName, calleeAsserted: e.callee.assertedIdentity,
      recordedUserId: e.recordedUserId, callerMedia: e.callerMedia, calleeMedia: e.calleeMedia, callControlInstance: e.instanceId,
    }
    : row;

  let state: CallState = row?.state ?? 'ringing';
  let answeredAt = row?.answeredAt ?? null;
  let endedAt = row?.endedAt ?? null;
  let endedBy = row?.endedBy ?? null;
  let failureStatus = row?.failureStatus ?? null;
  let reason = row?.reason ?? null;
  if (e.kind === 'ANSWERED') {
    if (answeredAt === null || at < answeredAt) answeredAt = at;
    if (state === 'ringing') state = 'answered';
  } else if (e.kind === 'MEDIA_UPDATED') {
    // A re-INVITE or UPDATE: media changed within the call, its state did not.
  } else if (e.kind === 'ENDED' || e.kind === 'FAILED') {
    // The first end seen stays, unless this one is newer than everything seen so far.
    if (!TERMINAL.has(state) || newest) {
      state = e.kind === 'ENDED' ? 'ended' : 'failed';
      endedAt = at;
      endedBy = e.endedBy;
      failureStatus = e.failureStatus;
      reason = e.reason;
    }
  }
  const startedAt = row === null || at < row.startedAt ? at : row.startedAt;
  const durationMs = state === 'ended' && answeredAt !== null && endedAt !== null ? Math.max(0, endedAt.getTime() - answeredAt.getTime()) : null;
  return {
    ...latest,
    state, startedAt, answeredAt, endedAt, durationMs, endedBy, failureStatus, reason,
    codecs: union(row?.codecs ?? [], union(voiceCodecs(e.callerMedia), voiceCodecs(e.calleeMedia))),
    lastSequence: newest ? e.sequence : (row?.lastSequence ?? e.sequence),
  };
}

/** A row of projection.call_timeline: the event's own fields in columns, the rest in `detail`. */
export interface TimelineRow {
  eventId: string;
  callId: string;
  topic: string;
  kind: string;
  captureTime: Date;
  instanceId: string;
  detail: Record<string, unknown>;
}

export function timelineRow(topic: string, e: CallEvent | RecordingEvent): TimelineRow {
  const { eventId, callId, kind, captureTimeUs, instanceId, ...detail } = e;
  if (eventId === '') throw new ProjectionRejectedError('eventId is empty', 'missing-event-id');
  return { eventId, callId, topic, kind, captureTime: usToDate(captureTimeUs, 'captureTimeUs'), instanceId, detail: { ...detail, captureTimeUs } };
}

/** A row of projection.legs. */
export interface LegRow {
  callId: string;
  legId: string;
  side: string;
  source: string;
  destination: string;
  ssrcs: number[];
  codecs: string[];
  rawPath: string;
  rawSha256: string | null;
  state: 'recording' | 'completed';
  firstPacketAt: Date;
  lastPacketAt: Date;
  packets: number | null;
  expected: number | null;
  lost: number | null;
  duplicated: number | null;
  outOfOrder: number | null;
  late: number | null;
  jitterMs: number | null;
  maxJitterMs: number | null;
  dtmf: unknown[];
  recorderInstance: string;
}

/** The legs row of a LEG_STARTED or LEG_COMPLETED event. */
export function legRow(e: RecordingEvent): LegRow {
  if (e.kind !== 'LEG_STARTED' && e.kind !== 'LEG_COMPLETED') throw new Error(`legRow called with ${e.kind}`);
  const leg = e.leg;
  if (leg === null) throw new ProjectionRejectedError(`${e.kind} without a leg`, 'missing-leg');
  const s = e.kind === 'LEG_COMPLETED' ? e.stats : null;
  return {
    callId: e.callId, legId: leg.legId, side: leg.side, source: leg.source, destination: leg.destination,
    ssrcs: leg.ssrcs, codecs: leg.codecs, rawPath: leg.rawPath, rawSha256: leg.rawSha256,
    state: e.kind === 'LEG_COMPLETED' ? 'completed' : 'recording',
    firstPacketAt: usToDate(leg.firstCaptureTimeUs, 'leg.firstCaptureTimeUs'),
    lastPacketAt: usToDate(leg.lastCaptureTimeUs, 'leg.lastCaptureTimeUs'),
    packets: s?.packets ?? null, expected: s?.expected ?? null, lost: s?.lost ?? null, duplicated: s?.duplicated ?? null,
    outOfOrder: s?.outOfOrder ?? null, late: s?.late ?? null, jitterMs: s?.jitterMs ?? null, maxJitterMs: s?.maxJitterMs ?? null,
    dtmf: s?.dtmf ?? [], recorderInstance: e.instanceId,
  };
}

/** A row of projection.recordings. */
export interface RecordingRow {
  callId: string;
  state: 'completed' | 'converted' | 'failed';
  path: string | null;
  format: string | null;
  channels: number | null;
  sampleRate: number | null;
  durationMs: number | null;
  bytes: number | null;
  sha256: string | null;
  error: string | null;
  converterInstance: string | null;
}

/** The recordings row of a CALL_COMPLETED, CONVERTED or FAILED event. */
export function recordingRow(e: RecordingEvent): RecordingRow {
  const empty = { path: null, format: null, channels: null, sampleRate: null, durationMs: null, bytes: null, sha256: null, error: null };
  switch (e.kind) {
    case 'CALL_COMPLETED':
      return { callId: e.callId, state: 'completed', ...empty, converterInstance: null };
    case 'FAILED':
      return { callId: e.callId, state: 'failed', ...empty, error: e.error ?? 'failed (no reason given)', converterInstance: e.instanceId };
    case 'CONVERTED': {
      const c = e.conversion;
      if (c === null) throw new ProjectionRejectedError('CONVERTED without a conversion', 'missing-conversion');
      return {
        callId: e.callId, state: 'converted', path: c.path, format: c.format, channels: c.channels, sampleRate: c.sampleRate,
        durationMs: c.durationMs, bytes: c.bytes, sha256: c.sha256, error: null, converterInstance: e.instanceId,
      };
    }
    default:
      throw new Error(`recordingRow called with ${e.kind}`);
  }
}

/** A row of projection.users with its devices. */
export interface UserRow {
  userId: string;
  displayName: string;
  extensions: string[];
  sipUris: string[];
  team: string | null;
  supervisorId: string | null;
  recordingMode: 'ALWAYS' | 'NEVER' | 'PERCENTAGE';
  recordingPercentage: number;
  updatedAt: Date;
  updatedBy: string;
  /** One per IP (the table's key); the last description given for an IP wins. */
  devices: { ip: string; description: string | null }[];
}

/** A compacted topic's value must name the same entity as its key, or compaction would keep the wrong one. */
function checkKey(key: string | null, id: string, field: string): void {
  if (key !== null && key !== id) throw new ProjectionRejectedError(`the key "${key}" differs from ${field} "${id}"`, 'key-mismatch');
}

export function userRow(key: string | null, e: DirectoryEntry): UserRow {
  checkKey(key, e.userId, 'userId');
  const p = e.recording.percentage;
  if (!Number.isInteger(p) || p < 0 || p > 100) throw new ProjectionRejectedError(`recording.percentage must be 0 to 100, got ${p}`, 'bad-percentage');
  const devices = new Map<string, string | null>();
  for (const d of e.devices) devices.set(d.ip, d.description);
  return {
    userId: e.userId, displayName: e.displayName, extensions: e.extensions, sipUris: e.sipUris, team: e.team, supervisorId: e.supervisorId,
    recordingMode: e.recording.mode, recordingPercentage: p, updatedAt: msToDate(e.updatedAtMs, 'updatedAtMs'), updatedBy: e.updatedBy,
    devices: [...devices].map(([ip, description]) => ({ ip, description })),
  };
}

/** A row of projection.service_config: the whole value kept as `config`. */
export interface ServiceConfigRow {
  serviceKind: string;
  revision: number;
  updatedAt: Date;
  updatedBy: string;
  config: ServiceConfig;
}

export function serviceConfigRow(key: string | null, e: ServiceConfig): ServiceConfigRow {
  checkKey(key, e.serviceKind, 'serviceKind');
  return { serviceKind: e.serviceKind, revision: e.revision, updatedAt: msToDate(e.updatedAtMs, 'updatedAtMs'), updatedBy: e.updatedBy, config: e };
}

/** A row of projection.service_instances. */
export interface ServiceInstanceRow {
  instanceId: string;
  serviceKind: string;
  host: string;
  pid: number;
  version: string;
  state: string;
  startedAt: Date;
  lastHeartbeatAt: Date;
  lag: number;
  counters: Record<string, number>;
  assignments: string[];
}

export function serviceInstanceRow(key: string | null, e: ServiceHeartbeat): ServiceInstanceRow {
  checkKey(key, e.instanceId, 'instanceId');
  return {
    instanceId: e.instanceId, serviceKind: e.serviceKind, host: e.host, pid: e.pid, version: e.version, state: e.state,
    startedAt: msToDate(e.startedAtMs, 'startedAtMs'), lastHeartbeatAt: msToDate(e.sentAtMs, 'sentAtMs'),
    lag: e.lag, counters: e.counters, assignments: e.assignments,
  };
}

/** A row of projection.audit_entries. */
export interface AuditRow {
  eventId: string;
  userId: string;
  action: string;
  callId: string | null;
  detail: string | null;
  at: Date;
  remoteAddress: string | null;
}

export function auditRow(e: AuditEntry): AuditRow {
  if (e.eventId === '') throw new ProjectionRejectedError('eventId is empty', 'missing-event-id');
  return { eventId: e.eventId, userId: e.userId, action: e.action, callId: e.callId, detail: e.detail, at: msToDate(e.atMs, 'atMs'), remoteAddress: e.remoteAddress };
}
