import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from '../database/database.module';
import { TABLES, type TableNames } from '../api/schema-names';
import { forbidden, notFound } from '../api/api-errors';
import type { Identity } from '../auth/auth.dto';
import type {
  CallCursor, CallDetailDto, CallPageDto, CallSearchDto, CallSummaryDto, LegDto, RecordingDto, TimelineEventDto,
} from './calls.dto';

interface CallRow {
  call_id: string; state: CallSummaryDto['state']; direction: string; source: string;
  caller_uri: string; caller_user: string | null; caller_name: string | null; caller_asserted: string | null;
  callee_uri: string; callee_user: string | null; callee_name: string | null; callee_asserted: string | null;
  recorded_user_id: string | null; started_at: Date; answered_at: Date | null; ended_at: Date | null;
  duration_ms: string | null; ended_by: string | null; failure_status: number | null; reason: string | null;
  codecs: string[]; caller_media: unknown[]; callee_media: unknown[]; last_sequence: number;
  call_control_instance: string; has_recording: boolean; started_us: string;
}

interface LegRow {
  leg_id: string; side: string; source: string; destination: string; ssrcs: string[]; codecs: string[];
  state: LegDto['state']; first_packet_at: Date; last_packet_at: Date; packets: string | null; expected: string | null;
  lost: string | null; duplicated: string | null; out_of_order: string | null; late: string | null;
  jitter_ms: number | null; max_jitter_ms: number | null; dtmf: unknown[]; recorder_instance: string;
}

export interface RecordingRow {
  state: RecordingDto['state']; path: string | null; format: string | null; channels: number | null;
  sample_rate: number | null; duration_ms: string | null; bytes: string | null; sha256: string | null;
  error: string | null; converter_instance: string | null;
}

const num = (v: string | number | null): number | null => (v === null ? null : Number(v));
const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

/** Cursor: base64url of `<started_at µs>.<call id>`; opaque to clients. */
export function encodeCursor(c: CallCursor): string {
  return Buffer.from(`${c.startedAtUs}.${c.callId}`, 'utf8').toString('base64url');
}
export function decodeCursor(text: string): CallCursor | null {
  if (!/^[A-Za-z0-9_-]{1,2000}$/.test(text)) return null;
  const raw = Buffer.from(text, 'base64url').toString('utf8');
  const m = /^(\d{1,17})\.(.+)$/s.exec(raw);
  return m && m[1] && m[2] ? { startedAtUs: m[1], callId: m[2] } : null;
}

/** Builds a WHERE clause with numbered parameters. */
class Where {
  readonly params: unknown[] = [];
  readonly parts: string[] = [];
  p(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }
  add(sql: string): void {
    this.parts.push(sql);
  }
  sql(): string {
    return this.parts.length ? `where ${this.parts.join(' and ')}` : '';
  }
}

/** Call search, detail and the recording's location, each within what the caller may see. */
@Injectable()
export class CallsService {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(TABLES) private readonly t: TableNames,
  ) {}

  /** The calls of a directory user: recorded for them, or one of their extensions is a party. */
  private callsOfUser(userIdParam: string): string {
    return `(c.recorded_user_id = ${userIdParam} or exists (select 1 from ${this.t.users} ou where ou.user_id = ${userIdParam}
      and (c.caller_user = any(ou.extensions) or c.callee_user = any(ou.extensions))))`;
  }

  /**
   * Row-level access by role (docs/status-api.md): admins and read tokens every call; agents the
   * calls of their directory user; supervisors the calls of every user of their team. An account
   * with no directory user (or a supervisor with no team) sees none.
   */
  private visibleTo(w: Where, identity: Identity): string {
    if (identity.role === 'admin' || (identity.role === null && identity.scope === 'read')) return 'true';
    if (!identity.userId) return 'false';
    const me = w.p(identity.userId);
    if (identity.role === 'agent') return this.callsOfUser(me);
    if (identity.role === 'supervisor') {
      return `exists (select 1 from ${this.t.users} sup join ${this.t.users} tu on tu.team = sup.team
        where sup.user_id = ${me} and (c.recorded_user_id = tu.user_id or c.caller_user = any(tu.extensions) or c.callee_user = any(tu.extensions)))`;
    }
    return 'false';
  }

  async search(identity: Identity, q: CallSearchDto): Promise<CallPageDto> {
    const w = new Where();
    w.add(this.visibleTo(w, identity));
    if (q.from) w.add(`c.started_at >= ${w.p(q.from)}`);
    if (q.to) w.add(`c.started_at < ${w.p(q.to)}`);
    if (q.user !== undefined) w.add(this.callsOfUser(w.p(q.user)));
    if (q.number !== undefined) {
      const n = w.p(q.number);
      const like = w.p(`%${q.number.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`);
      w.add(`(c.caller_user = ${n} or c.callee_user = ${n} or c.caller_uri like ${like} or c.callee_uri like ${like})`);
    }
    if (q.direction) w.add(`c.direction = ${w.p(q.direction)}`);
    if (q.minDurationMs !== undefined) w.add(`c.duration_ms >= ${w.p(q.minDurationMs)}`);
    if (q.maxDurationMs !== undefined) w.add(`c.duration_ms <= ${w.p(q.maxDurationMs)}`);
    if (q.hasRecording !== undefined) w.add(`c.has_recording = ${w.p(q.hasRecording)}`);
    if (q.cursor) {
      w.add(`(c.started_at, c.call_id) < (timestamptz 'epoch' + ${w.p(q.cursor.startedAtUs)}::bigint * interval '1 microsecond', ${w.p(q.cursor.callId)})`);
    }
    const rows = await this.pool.query<CallRow>(
      `select c.*, (extract(epoch from c.started_at) * 1000000)::bigint as started_us from ${this.t.calls} c ${w.sql()}
       order by c.started_at desc, c.call_id desc limit ${w.p(q.limit + 1)}`, w.params);
    const page = rows.rows.slice(0, q.limit);
    const last = page[page.length - 1];
    const nextCursor = rows.rows.length > q.limit && last ? encodeCursor({ startedAtUs: last.started_us, callId: last.call_id }) : null;
    return { items: page.map(summary), nextCursor };
  }

  /** The call row if the caller may see it: 404 when there is no such call, 403 when it is someone else's. */
  async visibleCall(identity: Identity, callId: string): Promise<CallRow> {
    const w = new Where();
    const id = w.p(callId);
    const visible = this.visibleTo(w, identity);
    const r = await this.pool.query<CallRow & { visible: boolean }>(
      `select c.*, (extract(epoch from c.started_at) * 1000000)::bigint as started_us, (${visible}) as visible
       from ${this.t.calls} c where c.call_id = ${id}`, w.params);
    const row = r.rows[0];
    if (!row) throw notFound(`call ${callId}`);
    if (!row.visible) throw forbidden(`call ${callId} is not one of the calls your role lets you see`);
    return row;
  }

  async detail(identity: Identity, callId: string): Promise<CallDetailDto> {
    const row = await this.visibleCall(identity, callId);
    const [legs, recording, timeline] = await Promise.all([
      this.pool.query<LegRow>(`select * from ${this.t.legs} where call_id = $1 order by first_packet_at, leg_id`, [callId]),
      this.recording(callId),
      this.pool.query<{ event_id: string; topic: string; kind: string; capture_time: Date; instance_id: string; detail: unknown }>(
        `select * from ${this.t.timeline} where call_id = $1 order by capture_time, event_id`, [callId]),
    ]);
    return {
      call: { ...summary(row), callerMedia: row.caller_media, calleeMedia: row.callee_media, lastSequence: row.last_sequence },
      legs: legs.rows.map(leg),
      recording: recording ? recordingDto(callId, recording) : null,
      timeline: timeline.rows.map((e): TimelineEventDto => ({
        eventId: e.event_id, topic: e.topic, kind: e.kind, captureTime: e.capture_time.toISOString(), instanceId: e.instance_id, detail: e.detail,
      })),
    };
  }

  async recording(callId: string): Promise<RecordingRow | null> {
    const r = await this.pool.query<RecordingRow>(`select * from ${this.t.recordings} where call_id = $1`, [callId]);
    return r.rows[0] ?? null;
  }
}

function summary(r: CallRow): CallSummaryDto {
  return {
    callId: r.call_id, state: r.state, direction: r.direction, source: r.source,
    caller: { uri: r.caller_uri, user: r.caller_user, name: r.caller_name, assertedIdentity: r.caller_asserted },
    callee: { uri: r.callee_uri, user: r.callee_user, name: r.callee_name, assertedIdentity: r.callee_asserted },
    recordedUserId: r.recorded_user_id, startedAt: r.started_at.toISOString(), answeredAt: iso(r.answered_at), endedAt: iso(r.ended_at),
    durationMs: num(r.duration_ms), endedBy: r.ended_by, failureStatus: r.failure_status, reason: r.reason, codecs: r.codecs,
    hasRecording: r.has_recording, callControlInstance: r.call_control_instance,
  };
}

function leg(r: LegRow): LegDto {
  const expected = num(r.expected);
  const lost = num(r.lost);
  return {
    legId: r.leg_id, side: r.side, source: r.source, destination: r.destination, ssrcs: r.ssrcs.map(Number), codecs: r.codecs,
    state: r.state, firstPacketAt: r.first_packet_at.toISOString(), lastPacketAt: r.last_packet_at.toISOString(),
    quality: {
      packets: num(r.packets), expected, lost,
      lossPercent: expected && lost !== null ? Math.round((lost / expected) * 10000) / 100 : null,
      duplicated: num(r.duplicated), outOfOrder: num(r.out_of_order), late: num(r.late), jitterMs: r.jitter_ms, maxJitterMs: r.max_jitter_ms,
    },
    dtmf: r.dtmf, recorderInstance: r.recorder_instance,
  };
}

function recordingDto(callId: string, r: RecordingRow): RecordingDto {
  return {
    state: r.state, format: r.format, channels: r.channels, sampleRate: r.sample_rate, durationMs: num(r.duration_ms), bytes: num(r.bytes),
    sha256: r.sha256, error: r.error, converterInstance: r.converter_instance,
    url: r.state === 'converted' && r.path ? `/api/calls/${encodeURIComponent(callId)}/recording` : null,
  };
}
