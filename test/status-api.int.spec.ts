/**
 * The status REST API (docs/status-api.md) as a client sees it: the app runs as its own process on
 * the real Kafka, registry and PostgreSQL, reading a fresh pair of schemas this test fills.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { TOPICS, type AuditEntry, type DirectoryEntry, type ServiceConfig, type TopicName } from '@earshot/events';
import { ConsumerRunner, type DecodedMessage, type EventCodec } from '@earshot/kafka';
import { connectTestStack, endOffsets, eventually } from '../libs/kafka/src/testing/test-stack';
import { startStatusApi, type StatusApiStack } from './status-api-stack';

const run = randomUUID().replace(/-/g, '').slice(0, 10);
const T0 = Date.parse('2025-11-24T09:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000);

/** A 16-bit stereo WAV: left a square wave of ±0.5, right of ±0.25, 8 kHz. */
function wav(frames: number): Buffer {
  const data = Buffer.alloc(frames * 4);
  for (let i = 0; i < frames; i++) {
    const sign = Math.floor(i / 20) % 2 ? -1 : 1;
    data.writeInt16LE(sign * 16384, i * 4);
    data.writeInt16LE(sign * 8192, i * 4 + 2);
  }
  const h = Buffer.alloc(44);
  h.write('RIFF', 0); h.writeUInt32LE(36 + data.length, 4); h.write('WAVE', 8); h.write('fmt ', 12); h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); h.writeUInt16LE(2, 22); h.writeUInt32LE(8000, 24); h.writeUInt32LE(32000, 28); h.writeUInt16LE(4, 32); h.writeUInt16LE(16, 34);
  h.write('data', 36); h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

const CALL_A = `a-${run}@pc33.example.com`; // alice (support) → external, recorded
const CALL_B = `b-${run}@carrier.example.net`; // external → bob (sales), recorded
const CALL_C = `c-${run}@pbx.example.com`; // alice's 1001 → bob's 2001, not recorded (internal)
const CALL_D = `d-${run}@pbx.example.com`; // a recording path leading out of the recordings folder
const WAV_PATH = `2025/11/24/${CALL_A}/call.wav`;
const WAV_BYTES = wav(16000); // 2 s

interface Json { [k: string]: unknown }
type Page = { items: Array<{ callId: string; [k: string]: unknown }>; nextCursor: string | null };
type ApiError = { error: string; fields: Array<{ path: string; message: string }> };

describe('status REST API', () => {
  let stack: StatusApiStack;
  let kafka: Kafka;
  let codec: EventCodec;
  let runner: ConsumerRunner<TopicName>;
  const seen: Array<DecodedMessage<TopicName>> = [];
  const tokens: Record<string, string> = {};

  async function call(path: string, opts: { token?: string | null; method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    return fetch(`${stack.baseUrl}${path}`, { method: opts.method ?? 'GET', headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  }
  async function json<T = Json>(path: string, as: string, status = 200, opts: { method?: string; body?: unknown } = {}): Promise<T> {
    const r = await call(path, { ...opts, token: tokens[as] ?? as });
    const text = await r.text();
    assert.equal(r.status, status, `${opts.method ?? 'GET'} ${path} as ${as}: ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  }
  const ids = (p: Page) => p.items.map((c) => c.callId);
  async function login(username: string, password: string): Promise<string> {
    const r = await call('/api/auth/login', { method: 'POST', body: { username, password } });
    assert.equal(r.status, 200, await r.clone().text());
    return ((await r.json()) as { token: string }).token;
  }

  before(async () => {
    ({ kafka, codec } = await connectTestStack(`status-api-${run}`));
    const topics = [TOPICS.audit, TOPICS.directory, TOPICS.config] as TopicName[];
    runner = new ConsumerRunner({
      kafka, codec, groupId: `status-api-test-${run}`, topics, initialOffsets: await endOffsets(kafka, topics),
      handle: async (m) => { seen.push(m); },
    });
    await runner.start();
    stack = await startStatusApi(run);
    const { db, prefix } = stack;
    const p = `${prefix}projection`;
    const user = (id: string, team: string, ext: string) => db.query(
      `insert into ${p}.users (user_id, display_name, extensions, sip_uris, team, recording_mode, recording_percentage, updated_at, updated_by)
       values ($1, $1, $2, $3, $4, 'ALWAYS', 100, now(), 'test')`, [`${id}-${run}`, [ext], [`sip:${ext}@pbx.example.com`], `${team}-${run}`]);
    await user('alice', 'support', '1001');
    await user('sam', 'support', '1900');
    await user('bob', 'sales', '2001');
    await db.query(`insert into ${p}.devices (user_id, ip, description) values ($1, '10.0.0.11', 'desk 12')`, [`alice-${run}`]);
    const insertCall = (id: string, s: number, c: { from: string; to: string; dir: string; user: string | null; dur: number | null; rec: boolean }) => db.query(
      `insert into ${p}.calls (call_id, state, direction, source, caller_uri, caller_user, callee_uri, callee_user, recorded_user_id, started_at,
         answered_at, ended_at, duration_ms, last_sequence, call_control_instance, has_recording, codecs)
       values ($1, 'ended', $2, 'SNIFF', $3, $4, $5, $6, $7, $8, $8, $9, $10, 3, 'call-control@test', $11, '{PCMU}')`,
      [id, c.dir, `sip:${c.from}@pbx.example.com`, c.from, `sip:${c.to}@pbx.example.com`, c.to, c.user, at(s), at(s + (c.dur ?? 0) / 1000), c.dur, c.rec]);
    await insertCall(CALL_A, 100, { from: '1001', to: '+15551234567', dir: 'OUTBOUND', user: `alice-${run}`, dur: 60_000, rec: true });
    await insertCall(CALL_B, 200, { from: '+15559876543', to: '2001', dir: 'INBOUND', user: `bob-${run}`, dur: 5_000, rec: true });
    await insertCall(CALL_C, 300, { from: '1001', to: '2001', dir: 'INTERNAL', user: null, dur: 30_000, rec: false });
    await insertCall(CALL_D, 400, { from: '9999', to: '9998', dir: 'INTERNAL', user: null, dur: 1_000, rec: true });
    // Seven calls in the same microsecond: the keyset must order them by call id and lose none across pages.
    for (let i = 0; i < 7; i++) await insertCall(`tie-${i}-${run}`, 50, { from: '7000', to: '7001', dir: 'UNKNOWN', user: null, dur: null, rec: false });
    await db.query(`insert into ${p}.legs (call_id, leg_id, side, source, destination, ssrcs, codecs, raw_path, state, first_packet_at, last_packet_at,
        packets, expected, lost, duplicated, out_of_order, late, jitter_ms, max_jitter_ms, dtmf, recorder_instance)
      values ($1, 'caller', 'CALLER', '10.0.0.11:40000', '192.0.2.20:50000', '{305419896}', '{PCMU}', 'x/caller.raw', 'completed', $2, $3,
        2950, 3000, 50, 0, 1, 0, 1.25, 4.5, '[{"digit":"5","captureTimeUs":1,"durationMs":120}]', 'recorder@test')`, [CALL_A, at(101), at(160)]);
    for (const [i, kind] of ['STARTED', 'ANSWERED', 'ENDED'].entries()) {
      await db.query(`insert into ${p}.call_timeline (event_id, call_id, topic, kind, capture_time, instance_id, detail) values ($1, $2, $3, $4, $5, 'call-control@test', '{}')`,
        [`ev-${i}-${run}`, CALL_A, TOPICS.callControl, kind, at(100 + i * 30)]);
    }
    const rec = (id: string, path: string) => db.query(`insert into ${p}.recordings (call_id, state, path, format, channels, sample_rate, duration_ms, bytes, sha256, converter_instance)
      values ($1, 'converted', $2, 'wav/pcm16', 2, 8000, 2000, $3, 'x', 'converter@test')`, [id, path, WAV_BYTES.length]);
    await rec(CALL_A, WAV_PATH);
    await rec(CALL_B, `2025/11/24/${CALL_B}/call.wav`);
    await rec(CALL_D, '../outside.wav');
    mkdirSync(dirname(join(stack.recordingsDir, WAV_PATH)), { recursive: true });
    writeFileSync(join(stack.recordingsDir, WAV_PATH), WAV_BYTES);
    writeFileSync(join(stack.recordingsDir, '..', 'outside.wav'), WAV_BYTES);
    const svc = (id: string, state: string, agoMs: number) => db.query(`insert into ${p}.service_instances (instance_id, service_kind, host, pid, version, state, started_at,
        last_heartbeat_at, lag, counters, assignments) values ($1, 'recorder', 'h', 1, '0.1.0', $2, now() - interval '1 hour', now() - $3 * interval '1 millisecond', 7, '{"packets":5}', '{qm.rtp.v1[0]}')`,
      [id, state, agoMs]);
    await svc(`fresh-${run}`, 'RUNNING', 500);
    await svc(`stale-${run}`, 'RUNNING', 10_000);
    await svc(`stopped-${run}`, 'STOPPED', 100);
    await db.query(`insert into ${p}.service_config (service_kind, revision, updated_at, updated_by, config) values ('recorder', 4, now(), 'test', $1)`,
      [JSON.stringify({ recordedCodecs: ['PCMU'], settings: {} })]);
  });

  after(async () => {
    await runner?.stop();
    await stack?.stop();
  });

  test('health is open; everything else wants an identity (401)', async () => {
    assert.equal((await call('/api/health')).status, 200);
    for (const path of ['/api/calls', `/api/calls/${CALL_A}`, '/api/auth/me', '/api/openapi.json', '/api/services', '/api/directory/users', '/api/config', '/api/accounts']) {
      const r = await call(path);
      assert.equal(r.status, 401, path);
      const body = (await r.json()) as ApiError;
      assert.ok(body.error && Array.isArray(body.fields), path);
    }
    assert.equal((await call('/api/calls', { token: 'not-a-token' })).status, 401);
    assert.equal((await call('/api/calls', { headers: { cookie: 'earshot_session=forged' } })).status, 401);
  });

  test('login: 400 with the field, 401 for a wrong password, 200 with an HttpOnly cookie that works', async () => {
    const bad = await call('/api/auth/login', { method: 'POST', body: { username: 'admin' } });
    assert.equal(bad.status, 400);
    assert.deepEqual(((await bad.json()) as ApiError).fields.map((f) => f.path), ['password']);
    const malformed = await fetch(`${stack.baseUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":' });
    assert.equal(malformed.status, 400);
    assert.ok(((await malformed.json()) as ApiError).fields.length > 0);
    assert.equal((await call('/api/auth/login', { method: 'POST', body: { username: 'admin', password: 'wrong' } })).status, 401);
    assert.equal((await call('/api/auth/login', { method: 'POST', body: { username: 'nobody', password: 'wrong' } })).status, 401);
    const r = await call('/api/auth/login', { method: 'POST', body: { username: 'admin', password: `admin-${run}` } });
    assert.equal(r.status, 200);
    const body = (await r.json()) as { token: string; role: string; username: string };
    assert.deepEqual([body.username, body.role], ['admin', 'admin']);
    const cookie = r.headers.get('set-cookie') ?? '';
    assert.match(cookie, /^earshot_session=[^;]+;/);
    assert.match(cookie, /HttpOnly/i);
    const me = await call('/api/auth/me', { headers: { cookie: cookie.split(';')[0] ?? '' } });
    assert.equal(me.status, 200);
    assert.deepEqual(await me.json(), { username: 'admin', role: 'admin', scope: null, userId: null, team: null });
    tokens.admin = body.token;
  });

  test('accounts (admin): create with 400/409, list; tokens with scopes', async () => {
    for (const [name, role] of [['alice', 'agent'], ['bob', 'agent'], ['sam', 'supervisor'], ['nouser', 'agent']] as const) {
      const created = await json(`/api/accounts`, 'admin', 201, { method: 'POST', body: { username: `${name}`, password: `pw-${name}-${run}`, role, userId: name === 'nouser' ? null : `${name}-${run}` } });
      assert.equal(created.role, role);
      tokens[name] = await login(name, `pw-${name}-${run}`);
    }
    const bad = await json<ApiError>('/api/accounts', 'admin', 400, { method: 'POST', body: { username: 'x y', password: 'short', role: 'boss' } });
    assert.deepEqual(bad.fields.map((f) => f.path).sort(), ['password', 'role', 'username']);
    await json('/api/accounts', 'admin', 409, { method: 'POST', body: { username: 'alice', password: 'another-password', role: 'agent' } });
    const list = await json<{ items: Array<{ username: string; role: string; userId: string | null }> }>('/api/accounts', 'admin');
    assert.deepEqual(list.items.map((a) => a.username), ['admin', 'alice', 'bob', 'nouser', 'sam']);
    assert.ok(!JSON.stringify(list).includes('scrypt'), 'no password hash leaves');
    await json('/api/accounts', 'alice', 403);
    await json('/api/accounts', 'sam', 403);
    await json('/api/tokens', 'sam', 403, { method: 'POST', body: { name: 'x', scope: 'read' } });
    const badToken = await json<ApiError>('/api/tokens', 'admin', 400, { method: 'POST', body: { name: 'pbx', scope: 'everything' } });
    assert.deepEqual(badToken.fields, [{ path: 'scope', message: 'must be one of agent-ingest, read, got "everything"' }]);
    const read = await json<{ token: string; scope: string }>('/api/tokens', 'admin', 201, { method: 'POST', body: { name: 'reports', scope: 'read' } });
    const ingest = await json<{ token: string }>('/api/tokens', 'admin', 201, { method: 'POST', body: { name: 'pbx', scope: 'agent-ingest' } });
    await json('/api/tokens', 'admin', 409, { method: 'POST', body: { name: 'pbx', scope: 'read' } });
    tokens.read = read.token;
    tokens.ingest = ingest.token;
    await json('/api/calls', 'read', 200);
    await json('/api/services', 'read', 200);
    await json('/api/accounts', 'read', 403);
    await json(`/api/directory/users/x-${run}`, 'read', 403, { method: 'PUT', body: { displayName: 'X', recording: { mode: 'NEVER' } } });
    await json('/api/calls', 'ingest', 403);
    assert.equal((await json<{ scope: string }>('/api/auth/me', 'ingest')).scope, 'agent-ingest');
  });

  test('call search: filters, roles and keyset pagination', async () => {
    const all = await json<Page>('/api/calls?limit=200', 'admin');
    const mine = ids(all).filter((id) => id.includes(run));
    assert.deepEqual(mine, [CALL_D, CALL_C, CALL_B, CALL_A, ...[6, 5, 4, 3, 2, 1, 0].map((i) => `tie-${i}-${run}`)]);
    const window = `from=${encodeURIComponent(at(0).toISOString())}&to=${encodeURIComponent(at(1000).toISOString())}`;
    const q = async (query: string, as = 'admin') => ids(await json<Page>(`/api/calls?${window}&${query}`, as)).filter((id) => id.includes(run));
    assert.deepEqual(await q(`user=alice-${run}`), [CALL_C, CALL_A]);
    assert.deepEqual(await q('number=%2B1555123'), [CALL_A]);
    assert.deepEqual(await q('number=2001'), [CALL_C, CALL_B]);
    assert.deepEqual(await q('direction=inbound'), [CALL_B]);
    assert.deepEqual(await q('minDurationMs=10000&maxDurationMs=40000'), [CALL_C]);
    assert.deepEqual(await q('hasRecording=true&minDurationMs=2000'), [CALL_B, CALL_A]);
    const later = ids(await json<Page>(`/api/calls?from=${at(150).getTime()}&to=${encodeURIComponent(at(350).toISOString())}`, 'admin'));
    assert.deepEqual(later.filter((id) => id.includes(run)), [CALL_C, CALL_B]);
    // By role: agents their own calls (recorded for them or their extension a party), supervisors their team's.
    assert.deepEqual(await q('', 'alice'), [CALL_C, CALL_A]);
    assert.deepEqual(await q('', 'bob'), [CALL_C, CALL_B]);
    assert.deepEqual(await q('', 'sam'), [CALL_C, CALL_A]);
    assert.deepEqual(await q('', 'nouser'), []);
    // Pages of 3 over the window: the same calls in the same order, none twice.
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Page = await json<Page>(`/api/calls?${window}&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, 'admin');
      assert.ok(page.items.length <= 3);
      paged.push(...ids(page));
      cursor = page.nextCursor;
    } while (cursor);
    assert.deepEqual(paged.filter((id) => id.includes(run)), mine);
    const first = all.items.find((c) => c.callId === CALL_A);
    assert.deepEqual([first?.durationMs, first?.hasRecording, first?.direction, (first?.caller as Json).user], [60_000, true, 'OUTBOUND', '1001']);
  });

  test('call search: 400 names each bad parameter', async () => {
    const cases: Array<[string, string[]]> = [
      ['limit=0', ['limit']], ['limit=201', ['limit']], ['limit=ten', ['limit']], ['direction=SIDEWAYS', ['direction']],
      ['from=yesterday', ['from']], ['hasRecording=maybe', ['hasRecording']], ['cursor=%25%25', ['cursor']], ['cursor=Zm9v', ['cursor']],
      ['colour=red', ['colour']], ['limit=1&limit=2', ['limit']], ['minDurationMs=5&maxDurationMs=1', ['maxDurationMs']],
      [`from=${at(10).toISOString()}&to=${at(0).toISOString()}`, ['to']], ['limit=0&direction=x', ['limit', 'direction']],
    ];
    for (const [query, paths] of cases) {
      const body = await json<ApiError>(`/api/calls?${query}`, 'admin', 400);
      assert.deepEqual(body.fields.map((f) => f.path).sort(), [...paths].sort(), query);
    }
    assert.equal((await json<ApiError>('/api/calls?limit=500', 'admin', 400)).error, 'limit must be an integer from 1 to 200, got "500"');
  });

  test('call detail: legs with quality, recording, timeline; 403 for another agent, 404 for none', async () => {
    const d = await json<{ call: Json; legs: Json[]; recording: Json; timeline: Json[] }>(`/api/calls/${encodeURIComponent(CALL_A)}`, 'alice');
    assert.equal(d.call.callId, CALL_A);
    assert.equal(d.legs.length, 1);
    assert.deepEqual(d.legs[0]?.quality, { packets: 2950, expected: 3000, lost: 50, lossPercent: 1.67, duplicated: 0, outOfOrder: 1, late: 0, jitterMs: 1.25, maxJitterMs: 4.5 });
    assert.deepEqual(d.legs[0]?.ssrcs, [305419896]);
    assert.deepEqual(d.timeline.map((e) => e.kind), ['STARTED', 'ANSWERED', 'ENDED']);
    assert.equal(d.recording.url, `/api/calls/${encodeURIComponent(CALL_A)}/recording`);
    assert.deepEqual([d.recording.channels, d.recording.sampleRate, d.recording.bytes], [2, 8000, WAV_BYTES.length]);
    await json(`/api/calls/${encodeURIComponent(CALL_B)}`, 'alice', 403);
    await json(`/api/calls/${encodeURIComponent(CALL_B)}/recording`, 'alice', 403);
    await json(`/api/calls/${encodeURIComponent(CALL_B)}/waveform`, 'alice', 403);
    await json(`/api/calls/${encodeURIComponent(CALL_B)}`, 'sam', 403);
    await json(`/api/calls/${encodeURIComponent(CALL_A)}`, 'sam', 200);
    await json(`/api/calls/${encodeURIComponent(CALL_B)}`, 'bob', 200);
    await json(`/api/calls/no-such-call-${run}`, 'admin', 404);
  });

  test('recording: whole file, one range (206, exact bytes), suffix, 416, download attachment; each audited', async () => {
    const url = `/api/calls/${encodeURIComponent(CALL_A)}/recording`;
    const full = await call(url, { token: tokens.alice });
    assert.equal(full.status, 200);
    assert.equal(full.headers.get('content-type'), 'audio/wav');
    assert.equal(full.headers.get('content-length'), String(WAV_BYTES.length));
    assert.equal(full.headers.get('accept-ranges'), 'bytes');
    assert.match(full.headers.get('content-disposition') ?? '', /^inline/);
    assert.ok(Buffer.from(await full.arrayBuffer()).equals(WAV_BYTES));

    const part = await call(url, { token: tokens.alice, headers: { range: 'bytes=100-1123' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 100-1123/${WAV_BYTES.length}`);
    assert.equal(part.headers.get('content-length'), '1024');
    assert.ok(Buffer.from(await part.arrayBuffer()).equals(WAV_BYTES.subarray(100, 1124)));

    const suffix = await call(url, { token: tokens.alice, headers: { range: 'bytes=-10' } });
    assert.equal(suffix.status, 206);
    assert.ok(Buffer.from(await suffix.arrayBuffer()).equals(WAV_BYTES.subarray(WAV_BYTES.length - 10)));

    const beyond = await call(url, { token: tokens.alice, headers: { range: `bytes=${WAV_BYTES.length}-` } });
    assert.equal(beyond.status, 416);
    assert.equal(beyond.headers.get('content-range'), `bytes */${WAV_BYTES.length}`);

    const dl = await call(`${url}?download=1`, { token: tokens.sam });
    assert.equal(dl.status, 200);
    assert.match(dl.headers.get('content-disposition') ?? '', /^attachment; filename=".+\.wav"$/);
    const bytes = Buffer.from(await dl.arrayBuffer());
    assert.ok(bytes.equals(readFileSync(join(stack.recordingsDir, WAV_PATH))), 'downloaded bytes equal the stored WAV');

    assert.equal((await json<ApiError>(`${url}?download=maybe`, 'alice', 400)).fields[0]?.path, 'download');
    // A recording row whose path leads out of the recordings folder is not served.
    await json(`/api/calls/${encodeURIComponent(CALL_D)}/recording`, 'admin', 404);
    // The projection knows B's recording, but its file is missing.
    await json(`/api/calls/${encodeURIComponent(CALL_B)}/recording`, 'bob', 404);

    await eventually('PLAY and DOWNLOAD audit entries on qm.audit.v1', () => {
      const entries = seen.filter((m) => m.topic === TOPICS.audit && (m.value as AuditEntry | null)?.callId === CALL_A).map((m) => m.value as AuditEntry);
      return entries.filter((e) => e.action === 'PLAY' && e.userId === 'alice').length >= 3 && entries.some((e) => e.action === 'DOWNLOAD' && e.userId === 'sam');
    });
    const played = seen.map((m) => m.value as AuditEntry | null).find((e) => e?.action === 'PLAY' && e.detail === `bytes=100-1123/${WAV_BYTES.length}`);
    assert.equal(played?.userId, 'alice');
    assert.equal(seen.find((m) => m.value === played)?.key, 'alice', 'keyed by who');
    assert.ok(!seen.some((m) => (m.value as AuditEntry | null)?.callId === CALL_A && (m.value as AuditEntry).detail?.includes('*/')), 'no entry for the 416');
  });

  test('waveform: peaks per slice and channel from the WAV', async () => {
    const w = await json<{ channels: number; points: number; peaks: number[]; durationMs: number }>(`/api/calls/${encodeURIComponent(CALL_A)}/waveform?points=10`, 'alice');
    assert.deepEqual([w.channels, w.points, w.durationMs, w.peaks.length], [2, 10, 2000, 20]);
    assert.deepEqual(w.peaks, Array.from({ length: 10 }, () => [0.5, 0.25]).flat());
    assert.equal((await json<ApiError>(`/api/calls/${encodeURIComponent(CALL_A)}/waveform?points=0`, 'alice', 400)).fields[0]?.path, 'points');
  });

  test('directory: GET from the projection, PUT/DELETE publish to qm.directory.v1, 400 with paths, 403 for non-admins', async () => {
    const list = await json<{ items: Array<{ userId: string; devices: unknown[]; team: string }> }>('/api/directory/users', 'sam');
    const alice = list.items.find((u) => u.userId === `alice-${run}`);
    assert.deepEqual(alice?.devices, [{ ip: '10.0.0.11', description: 'desk 12' }]);
    await json(`/api/directory/users/alice-${run}`, 'admin', 200);
    await json(`/api/directory/users/ghost-${run}`, 'admin', 404);
    await json('/api/directory/users', 'alice', 403);
    const userId = `carol-${run}`;
    const body = { displayName: 'Carol', extensions: ['1002'], sipUris: ['sip:1002@pbx.example.com'], devices: [{ ip: '10.0.0.12', description: null }], team: 'support', supervisorId: null, recording: { mode: 'PERCENTAGE', percentage: 150 } };
    const bad = await json<ApiError>(`/api/directory/users/${userId}`, 'admin', 400, { method: 'PUT', body });
    assert.deepEqual(bad.fields, [{ path: 'recording.percentage', message: 'must be an integer from 0 to 100, got 150' }]);
    assert.equal(bad.error, 'recording.percentage must be an integer from 0 to 100, got 150');
    const worse = await json<ApiError>(`/api/directory/users/${userId}`, 'admin', 400, { method: 'PUT', body: { ...body, displayName: '', devices: [{ ip: '10.0.0.999' }], extensions: [7], recording: { mode: 'SOMETIMES' }, colour: 'red' } });
    assert.deepEqual(worse.fields.map((f) => f.path).sort(), ['colour', 'devices[0].ip', 'displayName', 'extensions[0]', 'recording.mode']);
    await json(`/api/directory/users/bad%20id`, 'admin', 400, { method: 'PUT', body });
    await json(`/api/directory/users/${userId}`, 'sam', 403, { method: 'PUT', body: { ...body, recording: { mode: 'ALWAYS' } } });
    const put = await json<Json>(`/api/directory/users/${userId}`, 'admin', 202, { method: 'PUT', body: { ...body, recording: { mode: 'ALWAYS' } } });
    assert.deepEqual(put.recording, { mode: 'ALWAYS', percentage: 100 });
    await eventually('the entry on qm.directory.v1', () => seen.some((m) => m.topic === TOPICS.directory && m.key === userId && m.value !== null));
    const entry = JSON.parse(JSON.stringify(seen.find((m) => m.topic === TOPICS.directory && m.key === userId)?.value)) as DirectoryEntry;
    assert.deepEqual([entry.displayName, entry.extensions, entry.devices, entry.team, entry.recording, entry.updatedBy],
      ['Carol', ['1002'], [{ ip: '10.0.0.12', description: null }], 'support', { mode: 'ALWAYS', percentage: 100 }, 'admin']);
    await json(`/api/directory/users/${userId}`, 'alice', 403, { method: 'DELETE' });
    await json(`/api/directory/users/${userId}`, 'admin', 202, { method: 'DELETE' });
    await eventually('the tombstone on qm.directory.v1', () => seen.some((m) => m.topic === TOPICS.directory && m.key === userId && m.value === null));
    await eventually('DIRECTORY_EDIT audit entries', () => seen.filter((m) => (m.value as AuditEntry | null)?.action === 'DIRECTORY_EDIT' && (m.value as AuditEntry).detail?.endsWith(userId)).length === 2);
  });

  test('configuration: GET from the projection, PUT publishes to qm.config.v1 with the next revision, 400 with paths, admin only', async () => {
    const list = await json<{ items: Array<{ serviceKind: string; revision: number; recordedCodecs: string[] }> }>('/api/config', 'admin');
    assert.deepEqual(list.items.map((c) => [c.serviceKind, c.revision, c.recordedCodecs]), [['recorder', 4, ['PCMU']]]);
    await json('/api/config/call-control', 'admin', 404);
    await json('/api/config', 'sam', 403);
    await json('/api/config/recorder', 'alice', 403);
    await json<ApiError>('/api/config/dishwasher', 'admin', 400, { method: 'PUT', body: {} });
    const bad = await json<ApiError>('/api/config/recorder', 'admin', 400, { method: 'PUT', body: { batchMaxPackets: 0, outputChannels: 'QUAD', localNumberPatterns: ['('], settings: { a: 1 } } });
    assert.deepEqual(bad.fields.map((f) => f.path).sort(), ['batchMaxPackets', 'localNumberPatterns[0]', 'outputChannels', 'settings.a']);
    const put = await json<{ revision: number }>('/api/config/recorder', 'admin', 202, { method: 'PUT', body: { recordedCodecs: ['PCMU', 'G722'], outputChannels: 'STEREO' } });
    assert.equal(put.revision, 5);
    await eventually('the value on qm.config.v1', () => seen.some((m) => m.topic === TOPICS.config && m.key === 'recorder' && (m.value as ServiceConfig | null)?.updatedAtMs !== undefined && (m.value as ServiceConfig).revision === 5));
    const value = seen.find((m) => m.topic === TOPICS.config && (m.value as ServiceConfig | null)?.revision === 5)?.value as ServiceConfig;
    assert.deepEqual([value.recordedCodecs, value.outputChannels, value.updatedBy], [['PCMU', 'G722'], 'STEREO', 'admin']);
    // qm.config.v1 is the real, shared configuration: leave no recorder setting behind (a tombstone
    // deletes the key), or every later recording on this stack would drop PCMA.
    const cleanup = kafka.producer();
    await cleanup.connect();
    await cleanup.send({ topic: TOPICS.config, messages: [{ key: 'recorder', value: null }] });
    await cleanup.disconnect();
  });

  test('services: instances with healthy from state and heartbeat age', async () => {
    await stack.db.query(`update ${stack.prefix}projection.service_instances set last_heartbeat_at = now() - interval '200 milliseconds' where instance_id = $1`, [`fresh-${run}`]);
    const s = await json<{ items: Array<{ instanceId: string; healthy: boolean; lag: number }> }>('/api/services', 'sam');
    const mine = Object.fromEntries(s.items.filter((i) => i.instanceId.endsWith(run)).map((i) => [i.instanceId, i.healthy]));
    assert.deepEqual(mine, { [`fresh-${run}`]: true, [`stale-${run}`]: false, [`stopped-${run}`]: false });
    await json('/api/services', 'alice', 403);
    await json('/api/services?x=1', 'admin', 400);
  });

  test('OpenAPI document names every route', async () => {
    const doc = await json<{ openapi: string; paths: Record<string, Record<string, unknown>> }>('/api/openapi.json', 'alice');
    assert.match(doc.openapi, /^3\./);
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)).sort();
    assert.deepEqual(routes, [
      'DELETE /api/directory/users/{userId}', 'GET /api/accounts', 'GET /api/auth/me', 'GET /api/calls', 'GET /api/calls/{callId}',
      'GET /api/calls/{callId}/recording', 'GET /api/calls/{callId}/waveform', 'GET /api/config', 'GET /api/config/{serviceKind}',
      'GET /api/directory/users', 'GET /api/directory/users/{userId}', 'GET /api/health', 'GET /api/openapi.json', 'GET /api/services',
      'POST /api/accounts', 'POST /api/auth/login', 'POST /api/auth/logout', 'POST /api/tokens', 'PUT /api/config/{serviceKind}', 'PUT /api/directory/users/{userId}',
    ]);
  });

  test('logout ends the session', async () => {
    const token = await login('bob', `pw-bob-${run}`);
    await json('/api/auth/me', token, 200);
    assert.equal((await call('/api/auth/logout', { method: 'POST', token })).status, 204);
    await json('/api/auth/me', token, 401);
    await json('/api/auth/me', 'bob', 200);
  });
});
