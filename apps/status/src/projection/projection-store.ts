import type { PoolClient } from 'pg';
import { TOPICS, type CallEvent, type MediaDescription, type RecordingEvent, type TopicValues } from '@earshot/events';
import {
  applyCallEvent, auditRow, legRow, ProjectionRejectedError, recordingRow, serviceConfigRow, serviceInstanceRow, timelineRow, userRow,
  type CallRow, type CallState,
} from './projection-rows';
import { tableNames, type TableNames } from '../database/schema-names';

/** The topics the projector reads: every topic but qm.rtp.v1 (packets are not projected). */
export const PROJECTED_TOPICS = [TOPICS.callControl, TOPICS.recordings, TOPICS.directory, TOPICS.config, TOPICS.services, TOPICS.audit] as const;
export type ProjectedTopic = (typeof PROJECTED_TOPICS)[number];

/** One event to store: its topic, Kafka key and value (null for a tombstone). */
export type ProjectedEvent = { [T in ProjectedTopic]: { topic: T; key: string | null; value: TopicValues[T] | null } }[ProjectedTopic];

/** What storing an event did: `duplicate` when its eventId was stored before (a replay). */
export type ApplyOutcome = 'applied' | 'duplicate';

/**
 * Writes one event's rows inside the caller's transaction (SQL over the pure mapping of
 * projection-rows.ts). Events with an eventId (calls, recordings, audit) are idempotent by it;
 * the compacted topics' values are whole states, written as the log orders them. `t`: the tables of
 * the configured schemas (database/schema-names.ts).
 */
export async function applyEvent(db: PoolClient, e: ProjectedEvent, t: TableNames = tableNames()): Promise<ApplyOutcome> {
  if (e.value === null) return applyTombstone(db, t, e.topic, e.key);
  switch (e.topic) {
    case TOPICS.callControl: return applyCall(db, t, e.value);
    case TOPICS.recordings: return applyRecording(db, t, e.value);
    case TOPICS.directory: {
      const u = userRow(e.key, e.value);
      await db.query(`insert into ${t.users} (user_id, display_name, extensions, sip_uris, team, supervisor_id, recording_mode, recording_percentage, updated_at, updated_by)
        values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        on conflict (user_id) do update set display_name = excluded.display_name, extensions = excluded.extensions, sip_uris = excluded.sip_uris,
          team = excluded.team, supervisor_id = excluded.supervisor_id, recording_mode = excluded.recording_mode,
          recording_percentage = excluded.recording_percentage, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
      [u.userId, u.displayName, u.extensions, u.sipUris, u.team, u.supervisorId, u.recordingMode, u.recordingPercentage, u.updatedAt, u.updatedBy]);
      await db.query(`delete from ${t.devices} where user_id = $1`, [u.userId]);
      if (u.devices.length > 0) {
        await db.query(`insert into ${t.devices} (user_id, ip, description) select $1, ip, description from unnest($2::text[], $3::text[]) as d (ip, description)`,
          [u.userId, u.devices.map((d) => d.ip), u.devices.map((d) => d.description)]);
      }
      return 'applied';
    }
    case TOPICS.config: {
      const c = serviceConfigRow(e.key, e.value);
      await db.query(`insert into ${t.serviceConfig} (service_kind, revision, updated_at, updated_by, config) values ($1, $2, $3, $4, $5)
        on conflict (service_kind) do update set revision = excluded.revision, updated_at = excluded.updated_at, updated_by = excluded.updated_by, config = excluded.config`,
      [c.serviceKind, c.revision, c.updatedAt, c.updatedBy, JSON.stringify(c.config)]);
      return 'applied';
    }
    case TOPICS.services: {
      const s = serviceInstanceRow(e.key, e.value);
      await db.query(`insert into ${t.serviceInstances} (instance_id, service_kind, host, pid, version, state, started_at, last_heartbeat_at, lag, counters, assignments)
        values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
        on conflict (instance_id) do update set service_kind = excluded.service_kind, host = excluded.host, pid = excluded.pid, version = excluded.version,
          state = excluded.state, started_at = excluded.started_at, last_heartbeat_at = excluded.last_heartbeat_at, lag = excluded.lag,
          counters = excluded.counters, assignments = excluded.assignments`,
      [s.instanceId, s.serviceKind, s.host, s.pid, s.version, s.state, s.startedAt, s.lastHeartbeatAt, s.lag, JSON.stringify(s.counters), s.assignments]);
      return 'applied';
    }
    case TOPICS.audit: {
      const a = auditRow(e.value);
      const r = await db.query(`insert into ${t.auditEntries} (event_id, user_id, action, call_id, detail, at, remote_address) values ($1, $2, $3, $4, $5, $6, $7)
        on conflict (event_id) do nothing`, [a.eventId, a.userId, a.action, a.callId, a.detail, a.at, a.remoteAddress]);
      return r.rowCount === 1 ? 'applied' : 'duplicate';
    }
  }
}

/** A null value deletes the entity of a compacted topic; on the other topics it means nothing and is refused. */
async function applyTombstone(db: PoolClient, t: TableNames, topic: ProjectedTopic, key: string | null): Promise<ApplyOutcome> {
  if (key === null) throw new ProjectionRejectedError(`a tombstone on ${topic} without a key`, 'tombstone-without-key');
  switch (topic) {
    case TOPICS.directory: await db.query(`delete from ${t.users} where user_id = $1`, [key]); return 'applied'; // devices cascade
    case TOPICS.config: await db.query(`delete from ${t.serviceConfig} where service_kind = $1`, [key]); return 'applied';
    case TOPICS.services: await db.query(`delete from ${t.serviceInstances} where instance_id = $1`, [key]); return 'applied';
    default: throw new ProjectionRejectedError(`a tombstone on ${topic}, which is not compacted`, 'unexpected-tombstone');
  }
}

/** Inserts the timeline row; false when the event was stored before. */
async function insertTimeline(db: PoolClient, t: TableNames, topic: string, e: CallEvent | RecordingEvent): Promise<boolean> {
  const row = timelineRow(topic, e);
  const r = await db.query(`insert into ${t.timeline} (event_id, call_id, topic, kind, capture_time, instance_id, detail) values ($1, $2, $3, $4, $5, $6, $7)
    on conflict (event_id) do nothing`, [row.eventId, row.callId, row.topic, row.kind, row.captureTime, row.instanceId, JSON.stringify(row.detail)]);
  return r.rowCount === 1;
}

interface CallRecord {
  call_id: string; state: CallState; direction: string; source: string;
  caller_uri: string; caller_user: string | null; caller_name: string | null; caller_asserted: string | null;
  callee_uri: string; callee_user: string | null; callee_name: string | null; callee_asserted: string | null;
  recorded_user_id: string | null; started_at: Date; answered_at: Date | null; ended_at: Date | null; duration_ms: string | null;
  ended_by: string | null; failure_status: number | null; reason: string | null; codecs: string[];
  caller_media: MediaDescription[]; callee_media: MediaDescription[]; last_sequence: number; call_control_instance: string;
}

function callFromRecord(r: CallRecord): CallRow {
  return {
    callId: r.call_id, state: r.state, direction: r.direction, source: r.source,
    callerUri: r.caller_uri, callerUser: r.caller_user, callerName: r.caller_name, callerAsserted: r.caller_asserted,
    calleeUri: r.callee_uri, calleeUser: r.callee_user, calleeName: r.callee_name, calleeAsserted: r.callee_asserted,
    recordedUserId: r.recorded_user_id, startedAt: r.started_at, answeredAt: r.answered_at, endedAt: r.ended_at,
    durationMs: r.duration_ms === null ? null : Number(r.duration_ms), endedBy: r.ended_by, failureStatus: r.failure_status, reason: r.reason,
    codecs: r.codecs, callerMedia: r.caller_media, calleeMedia: r.callee_media, lastSequence: r.last_sequence, callControlInstance: r.call_control_instance,
  };
}

async function applyCall(db: PoolClient, t: TableNames, e: CallEvent): Promise<ApplyOutcome> {
  if (!(await insertTimeline(db, t, TOPICS.callControl, e))) return 'duplicate';
  const before = (await db.query<CallRecord>(`select * from ${t.calls} where call_id = $1 for update`, [e.callId])).rows[0];
  const c = applyCallEvent(before ? callFromRecord(before) : null, e);
  // has_recording is set by CONVERTED; a call row created after its recording (another topic, no order between them) looks it up.
  await db.query(`insert into ${t.calls} (call_id, state, direction, source, caller_uri, caller_user, caller_name, caller_asserted,
      callee_uri, callee_user, callee_name, callee_asserted, recorded_user_id, started_at, answered_at, ended_at, duration_ms, ended_by,
      failure_status, reason, codecs, caller_media, callee_media, last_sequence, call_control_instance, has_recording)
    values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25,
      exists (select 1 from ${t.recordings} r where r.call_id = $1 and r.state = 'converted'))
    on conflict (call_id) do update set state = excluded.state, direction = excluded.direction, source = excluded.source,
      caller_uri = excluded.caller_uri, caller_user = excluded.caller_user, caller_name = excluded.caller_name, caller_asserted = excluded.caller_asserted,
      callee_uri = excluded.callee_uri, callee_user = excluded.callee_user, callee_name = excluded.callee_name, callee_asserted = excluded.callee_asserted,
      recorded_user_id = excluded.recorded_user_id, started_at = excluded.started_at, answered_at = excluded.answered_at, ended_at = excluded.ended_at,
      duration_ms = excluded.duration_ms, ended_by = excluded.ended_by, failure_status = excluded.failure_status, reason = excluded.reason,
      codecs = excluded.codecs, caller_media = excluded.caller_media, callee_media = excluded.callee_media, last_sequence = excluded.last_sequence,
      call_control_instance = excluded.call_control_instance`,
  [c.callId, c.state, c.direction, c.source, c.callerUri, c.callerUser, c.callerName, c.callerAsserted,
    c.calleeUri, c.calleeUser, c.calleeName, c.calleeAsserted, c.recordedUserId, c.startedAt, c.answeredAt, c.endedAt, c.durationMs, c.endedBy,
    c.failureStatus, c.reason, c.codecs, JSON.stringify(c.callerMedia), JSON.stringify(c.calleeMedia), c.lastSequence, c.callControlInstance]);
  return 'applied';
}

async function applyRecording(db: PoolClient, t: TableNames, e: RecordingEvent): Promise<ApplyOutcome> {
  // Map first: an event the mapping refuses must not leave a timeline row behind (the savepoint would undo it anyway).
  const leg = e.kind === 'LEG_STARTED' || e.kind === 'LEG_COMPLETED' ? legRow(e) : null;
  const rec = leg === null ? recordingRow(e) : null;
  if (!(await insertTimeline(db, t, TOPICS.recordings, e))) return 'duplicate';
  if (leg) {
    // A LEG_STARTED arriving after its LEG_COMPLETED leaves the completed leg alone.
    await db.query(`insert into ${t.legs} (call_id, leg_id, side, source, destination, ssrcs, codecs, raw_path, raw_sha256, state,
        first_packet_at, last_packet_at, packets, expected, lost, duplicated, out_of_order, late, jitter_ms, max_jitter_ms, dtmf, recorder_instance)
      values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)
      on conflict (call_id, leg_id) do update set side = excluded.side, source = excluded.source, destination = excluded.destination,
        ssrcs = excluded.ssrcs, codecs = excluded.codecs, raw_path = excluded.raw_path, raw_sha256 = excluded.raw_sha256, state = excluded.state,
        first_packet_at = excluded.first_packet_at, last_packet_at = excluded.last_packet_at, packets = excluded.packets, expected = excluded.expected,
        lost = excluded.lost, duplicated = excluded.duplicated, out_of_order = excluded.out_of_order, late = excluded.late,
        jitter_ms = excluded.jitter_ms, max_jitter_ms = excluded.max_jitter_ms, dtmf = excluded.dtmf, recorder_instance = excluded.recorder_instance
      where excluded.state = 'completed' or ${t.legs}.state = 'recording'`,
    [leg.callId, leg.legId, leg.side, leg.source, leg.destination, leg.ssrcs, leg.codecs, leg.rawPath, leg.rawSha256, leg.state,
      leg.firstPacketAt, leg.lastPacketAt, leg.packets, leg.expected, leg.lost, leg.duplicated, leg.outOfOrder, leg.late, leg.jitterMs,
      leg.maxJitterMs, JSON.stringify(leg.dtmf), leg.recorderInstance]);
    return 'applied';
  }
  if (rec) {
    // States only move forward: completed → failed or converted; converted stays unless converted again.
    const guard = rec.state === 'converted' ? 'true' : rec.state === 'failed' ? `${t.recordings}.state <> 'converted'` : 'false';
    await db.query(`insert into ${t.recordings} (call_id, state, path, format, channels, sample_rate, duration_ms, bytes, sha256, error, converter_instance)
      values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
      on conflict (call_id) do update set state = excluded.state, path = excluded.path, format = excluded.format, channels = excluded.channels,
        sample_rate = excluded.sample_rate, duration_ms = excluded.duration_ms, bytes = excluded.bytes, sha256 = excluded.sha256,
        error = excluded.error, converter_instance = excluded.converter_instance
      where ${guard}`,
    [rec.callId, rec.state, rec.path, rec.format, rec.channels, rec.sampleRate, rec.durationMs, rec.bytes, rec.sha256, rec.error, rec.converterInstance]);
    if (rec.state === 'converted') await db.query(`update ${t.calls} set has_recording = true where call_id = $1 and not has_recording`, [rec.callId]);
  }
  return 'applied';
}
