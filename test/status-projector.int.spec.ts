/**
 * The status projector against the real Kafka, registry and PostgreSQL (a fresh database per run):
 * migrations, every projected topic's events in and rows out, poison events beside valid ones.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { sampleEvents, TOPICS, type AuditEntry, type CallEvent, type RecordingEvent } from '@earshot/events';
import { deadLetterTopic, EventProducer, type EventCodec } from '@earshot/kafka';
import { connectTestStack, endOffsets, eventually } from '../libs/kafka/src/testing/test-stack';
import { MIGRATIONS_DIR, MigrationError, PROJECTED_TOPICS, Projector, runMigrations } from '@earshot/status';
import { count, createTestDatabase, readDeadLetters, type TestDatabase } from './status-projector-support';

const T0 = 1_763_942_400_000_000;

describe('status projector on the real stack', () => {
  const run = randomUUID().slice(0, 8);
  let kafka: Kafka;
  let codec: EventCodec;
  let producer: EventProducer;
  let db: TestDatabase;
  let projector: Projector;

  before(async () => {
    ({ kafka, codec } = await connectTestStack(`projector-${run}`));
    producer = new EventProducer({ kafka, codec });
    await producer.connect();
    db = await createTestDatabase(`proj_${run}`);
  });
  after(async () => {
    await projector?.stop();
    // The compacted topics are shared: what this file wrote under real keys is deleted again, so a
    // directory entry left behind cannot change what `earshot run` records on this machine.
    await producer?.sendTombstone(TOPICS.directory, `u1-${run}`).catch(() => undefined);
    await producer?.disconnect();
    await db?.drop();
  });

  test('migrations: applied once in order even by two instances at once; an edited applied migration stops the start', async () => {
    const [a, b] = await Promise.all([runMigrations(db.pool), runMigrations(db.pool)]);
    const files = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).map((f) => f.slice(0, 3)).sort();
    assert.deepEqual([...(a ?? []), ...(b ?? [])].sort(), files, 'each migration applied by exactly one of the two');
    assert.deepEqual((await db.pool.query<{ version: string }>('select version from public.schema_migrations order by version')).rows.map((r) => r.version), files);
    assert.deepEqual(await runMigrations(db.pool), [], 'nothing left to apply');
    assert.equal(await count(db.pool, "select count(*) as n from pg_tables where schemaname = 'projection'"), 10);

    const dir = mkdtempSync(join(tmpdir(), 'earshot-migrations-'));
    cpSync(MIGRATIONS_DIR, dir, { recursive: true });
    writeFileSync(join(dir, '001-projection.sql'), '-- edited\n', { flag: 'a' });
    await assert.rejects(runMigrations(db.pool, { dir }), (e: unknown) => e instanceof MigrationError && /001-projection\.sql was edited after it was applied/.test(e.message));
    cpSync(join(MIGRATIONS_DIR, '001-projection.sql'), join(dir, '001-projection.sql'));
    // Schemas are named {projection} and {console} in migrations, so that EARSHOT_PG_SCHEMA_PREFIX moves them.
    writeFileSync(join(dir, '999-broken.sql'), 'create table projection.broken (id int);');
    await assert.rejects(runMigrations(db.pool, { dir }), /999-broken\.sql names the schema projection literally/);
    writeFileSync(join(dir, '999-broken.sql'), 'create table {projection}.broken (;');
    await assert.rejects(runMigrations(db.pool, { dir }), /migration 999-broken\.sql failed/);
    assert.equal(await count(db.pool, "select count(*) as n from public.schema_migrations where version = '999'"), 0, 'a failed migration is not recorded');
  });

  test('every projected topic: events in, rows out', async () => {
    projector = new Projector({
      kafka, codec, pool: db.pool, groupId: `projector-${run}`,
      initialOffsets: await endOffsets(kafka, PROJECTED_TOPICS),
    });
    await projector.start();

    const s = sampleEvents();
    const callId = `call-${run}@test`;
    const call = (kind: CallEvent['kind'], sequence: number, atS: number, extra: Partial<CallEvent> = {}): CallEvent => ({
      ...s[TOPICS.callControl], callId, eventId: `${run}-c${sequence}`, kind, sequence, captureTimeUs: T0 + atS * 1e6, ...extra,
    });
    const rec = (kind: RecordingEvent['kind'], legId: string | null, extra: Partial<RecordingEvent> = {}): RecordingEvent => {
      const base = s[TOPICS.recordings];
      return {
        ...base, callId, eventId: `${run}-r-${legId ?? ''}-${kind}`, kind,
        leg: legId === null || base.leg === null ? null : { ...base.leg, legId, side: legId === 'caller' ? 'CALLER' : 'CALLEE' },
        stats: kind === 'LEG_COMPLETED' ? base.stats : null, ...extra,
      };
    };
    const conversion = { path: `2025/11/24/${callId}/${callId}.wav`, format: 'wav/pcm16', channels: 2, sampleRate: 8000, durationMs: 59_000, bytes: 1_888_044, sha256: 'ab'.repeat(32) };
    // The recording first: its call row does not exist yet when CONVERTED arrives (no order between topics).
    await producer.send(TOPICS.recordings, [
      rec('LEG_STARTED', 'caller'), rec('LEG_STARTED', 'callee'), rec('LEG_COMPLETED', 'caller'), rec('LEG_COMPLETED', 'callee'),
      rec('CALL_COMPLETED', null), rec('CONVERTED', null, { conversion, instanceId: 'converter@test' }),
      rec('LEG_STARTED', 'caller'), // a replayed duplicate: same eventId
    ].map((value) => ({ key: callId, value })));
    // Call events out of order (ENDED before ANSWERED and MEDIA_UPDATED) and one twice.
    await producer.send(TOPICS.callControl, [
      call('STARTED', 0, 0), call('ENDED', 3, 62, { endedBy: 'CALLER', reason: 'bye' }), call('ANSWERED', 1, 2.5), call('MEDIA_UPDATED', 2, 30), call('ANSWERED', 1, 2.5),
    ].map((value) => ({ key: callId, value })));

    const d = s[TOPICS.directory];
    const u1 = `u1-${run}`;
    const u2 = `u2-${run}`;
    await producer.send(TOPICS.directory, [
      { key: u1, value: { ...d, userId: u1, devices: [{ ip: '10.0.0.11', description: 'desk 12' }, { ip: '10.0.0.12', description: null }] } },
      { key: u2, value: { ...d, userId: u2, team: 'sales' } },
      { key: u1, value: { ...d, userId: u1, displayName: 'Alice Renamed', devices: [{ ip: '10.0.0.13', description: 'desk 1' }], recording: { mode: 'PERCENTAGE', percentage: 25 } } },
    ]);
    await producer.sendTombstone(TOPICS.directory, u2);
    const kind = `kind-${run}`;
    await producer.send(TOPICS.config, [
      { key: kind, value: { ...s[TOPICS.config], serviceKind: kind, revision: 1 } },
      { key: kind, value: { ...s[TOPICS.config], serviceKind: kind, revision: 2, captureFilter: 'udp' } },
    ]);
    const instanceId = `inst-${run}`;
    await producer.send(TOPICS.services, [{ key: instanceId, value: { ...s[TOPICS.services], instanceId } }]);
    const audit = (i: number): AuditEntry => ({ ...s[TOPICS.audit], eventId: `${run}-a${i}`, userId: `sam-${run}`, callId });
    await producer.send(TOPICS.audit, [audit(1), audit(2), audit(3), audit(2)].map((value) => ({ key: value.userId, value })));

    await eventually('every row', async () =>
      await count(db.pool, 'select count(*) as n from projection.call_timeline where call_id = $1 and event_id like $2', [callId, `${run}-%`]) === 10
      && await count(db.pool, 'select count(*) as n from projection.calls where call_id = $1 and last_sequence = 3', [callId]) === 1
      && await count(db.pool, 'select count(*) as n from projection.users where user_id = any($1) ', [[u1, u2]]) === 1
      && await count(db.pool, "select count(*) as n from projection.users where user_id = $1 and display_name = 'Alice Renamed'", [u1]) === 1
      && await count(db.pool, 'select count(*) as n from projection.service_config where service_kind = $1 and revision = 2', [kind]) === 1
      && await count(db.pool, 'select count(*) as n from projection.service_instances where instance_id = $1', [instanceId]) === 1
      && await count(db.pool, 'select count(*) as n from projection.audit_entries where user_id = $1', [`sam-${run}`]) === 3, 30_000)
      .catch(async (e: unknown) => {
        const rows = (await db.pool.query(`select (select count(*) from projection.call_timeline where call_id = $1 and event_id like $6) as timeline,
          (select last_sequence from projection.calls where call_id = $1) as last_sequence,
          (select array_agg(user_id || ':' || display_name) from projection.users where user_id = any($2)) as users,
          (select revision from projection.service_config where service_kind = $3) as revision,
          (select count(*) from projection.service_instances where instance_id = $4) as instances,
          (select count(*) from projection.audit_entries where user_id = $5) as audit`, [callId, [u1, u2], kind, instanceId, `sam-${run}`, `${run}-%`])).rows[0];
        throw new Error(`${(e as Error).message}: ${JSON.stringify(rows)}; counters ${JSON.stringify(projector.counters.snapshot())}`);
      });

    const c = (await db.pool.query('select * from projection.calls where call_id = $1', [callId])).rows[0] as Record<string, unknown>;
    assert.equal(c.state, 'ended');
    assert.equal((c.started_at as Date).toISOString(), '2025-11-24T00:00:00.000Z');
    assert.equal((c.answered_at as Date).toISOString(), '2025-11-24T00:00:02.500Z');
    assert.equal(c.duration_ms, '59500');
    assert.deepEqual([c.ended_by, c.reason, c.direction, c.caller_user, c.callee_user, c.recorded_user_id], ['CALLER', 'bye', 'OUTBOUND', '1001', '+15551234567', 'alice']);
    assert.deepEqual(c.codecs, ['PCMU']);
    assert.equal(c.has_recording, true, 'set although the recording was projected before the call row existed');
    assert.equal((c.caller_media as Array<{ port: number }>)[0]?.port, 40000);

    // Only this run's events: pipeline apps on the shared stack may answer them (a converter's FAILED for a WAV it cannot find).
    const timeline = (await db.pool.query<{ topic: string; kind: string }>('select topic, kind from projection.call_timeline where call_id = $1 and event_id like $2 order by capture_time, event_id', [callId, `${run}-%`])).rows;
    assert.equal(timeline.filter((t) => t.topic === TOPICS.callControl).length, 4);
    assert.equal(timeline.filter((t) => t.topic === TOPICS.recordings).length, 6);

    const legs = (await db.pool.query('select leg_id, side, state, packets, lost, jitter_ms from projection.legs where call_id = $1 order by leg_id', [callId])).rows;
    assert.deepEqual(legs, [
      { leg_id: 'callee', side: 'CALLEE', state: 'completed', packets: '2950', lost: '2', jitter_ms: 1.25 },
      { leg_id: 'caller', side: 'CALLER', state: 'completed', packets: '2950', lost: '2', jitter_ms: 1.25 },
    ], 'the replayed LEG_STARTED did not take the completed leg back');
    const r = (await db.pool.query('select state, path, bytes, converter_instance from projection.recordings where call_id = $1', [callId])).rows;
    assert.deepEqual(r, [{ state: 'converted', path: conversion.path, bytes: '1888044', converter_instance: 'converter@test' }]);

    const user = (await db.pool.query('select recording_mode, recording_percentage, team from projection.users where user_id = $1', [u1])).rows;
    assert.deepEqual(user, [{ recording_mode: 'PERCENTAGE', recording_percentage: 25, team: 'support' }]);
    assert.deepEqual((await db.pool.query('select user_id, ip, description from projection.devices where user_id = any($1)', [[u1, u2]])).rows,
      [{ user_id: u1, ip: '10.0.0.13', description: 'desk 1' }], 'devices replaced on update, deleted with the tombstoned user');
    const cfg = (await db.pool.query<{ config: { captureFilter: string } }>('select config from projection.service_config where service_kind = $1', [kind])).rows[0];
    assert.equal(cfg?.config.captureFilter, 'udp');
    const inst = (await db.pool.query('select service_kind, state, lag, counters, assignments from projection.service_instances where instance_id = $1', [instanceId])).rows;
    assert.deepEqual(inst, [{ service_kind: 'recorder', state: 'RUNNING', lag: '12', counters: { 'packets.written': 123456, 'dropped.no-call': 3 }, assignments: ['qm.rtp.v1[0]', 'qm.rtp.v1[3]'] }]);
    assert.equal(await count(db.pool, "select count(*) as n from projection.audit_entries where user_id = $1 and action = 'PLAY' and detail = 'bytes=0-'", [`sam-${run}`]), 3);

    // The offsets stored with the rows cover everything produced so far, partition by partition.
    const ends = await endOffsets(kafka, PROJECTED_TOPICS);
    await eventually('stored offsets at the end of every partition written', async () => {
      const stored = (await db.pool.query<{ topic: string; partition: number; next_offset: string }>(
        'select topic, partition, next_offset from projection.applied_offsets where consumer_group = $1', [`projector-${run}`])).rows;
      return [TOPICS.callControl, TOPICS.recordings, TOPICS.directory, TOPICS.config, TOPICS.services, TOPICS.audit].every((topic) => {
        const written = stored.filter((o) => o.topic === topic);
        return written.length > 0 && written.every((o) => BigInt(o.next_offset) <= BigInt(ends.get(topic)?.get(o.partition) ?? '-1'))
          && written.some((o) => BigInt(o.next_offset) > 0n);
      });
    });
    assert.ok(projector.counters.get('events.duplicate') >= 3, 'the replayed LEG_STARTED, ANSWERED and audit entry were recognised by eventId');
  });

  test('poison events go to the DLQ with their reason; the valid events beside them are projected', async () => {
    const s = sampleEvents();
    const user = `poison-${run}`;
    const audit = (i: number): AuditEntry => ({ ...s[TOPICS.audit], eventId: `${run}-p${i}`, userId: user });
    await producer.send(TOPICS.audit, [{ key: user, value: audit(1) }]);
    const raw = kafka.producer();
    await raw.connect();
    await raw.send({ topic: TOPICS.audit, messages: [{ key: user, value: Buffer.from('not avro at all') }] });
    await raw.disconnect();
    await producer.send(TOPICS.audit, [{ key: user, value: audit(2) }]);
    const callId = `poison-call-${run}`;
    await producer.send(TOPICS.recordings, [
      { key: callId, value: { ...s[TOPICS.recordings], callId, eventId: `${run}-bad-converted`, kind: 'CONVERTED', leg: null, stats: null, conversion: null } },
      { key: callId, value: { ...s[TOPICS.recordings], callId, eventId: `${run}-good-failed`, kind: 'FAILED', leg: null, stats: null, error: 'no RTP received' } },
    ]);
    await producer.send(TOPICS.callControl, [
      { key: callId, value: { ...s[TOPICS.callControl], callId, eventId: `${run}-far-future`, sequence: 0, kind: 'STARTED', captureTimeUs: -5_000_000 } },
    ]);
    const raw2 = kafka.producer();
    await raw2.connect();
    await raw2.send({ topic: TOPICS.audit, messages: [{ key: user, value: null }] }); // a tombstone on a topic that is not compacted
    await raw2.disconnect();
    await producer.send(TOPICS.audit, [{ key: user, value: audit(3) }]);

    await eventually('the valid events', async () =>
      await count(db.pool, 'select count(*) as n from projection.audit_entries where user_id = $1', [user]) === 3
      && await count(db.pool, "select count(*) as n from projection.recordings where call_id = $1 and state = 'failed'", [callId]) === 1);
    assert.equal(await count(db.pool, 'select count(*) as n from projection.call_timeline where call_id = $1', [callId]), 1, 'only the FAILED event: the refused ones left no row');
    assert.equal(await count(db.pool, 'select count(*) as n from projection.calls where call_id = $1', [callId]), 0);

    const reasons = (xs: Array<{ reason: string }>): string[] => xs.map((x) => x.reason).sort();
    const group = `projector-${run}`;
    const auditDead = await readDeadLetters(kafka, deadLetterTopic(TOPICS.audit), group, new Set([user]), 2);
    assert.deepEqual(reasons(auditDead), ['not-wire-format', 'projection-unexpected-tombstone']);
    assert.equal(auditDead.find((x) => x.reason === 'not-wire-format')?.value?.toString(), 'not avro at all');
    const recDead = await readDeadLetters(kafka, deadLetterTopic(TOPICS.recordings), group, new Set([callId]), 1);
    assert.deepEqual(reasons(recDead), ['projection-missing-conversion']);
    assert.equal(recDead[0]?.sourceTopic, TOPICS.recordings);
    const callDead = await readDeadLetters(kafka, deadLetterTopic(TOPICS.callControl), group, new Set([callId]), 1);
    assert.deepEqual(reasons(callDead), ['projection-time-out-of-range']);
    assert.match(callDead[0]?.error ?? '', /captureTimeUs is out of range/);

    const counted = projector.counters.snapshot();
    assert.ok((counted['messages.dead-lettered.not-wire-format'] ?? 0) >= 1, 'counted (other tests may add undecodable messages of their own)');
    assert.deepEqual([
      counted['messages.dead-lettered.projection-unexpected-tombstone'],
      counted['messages.dead-lettered.projection-missing-conversion'], counted['events.rejected.projection-missing-conversion'],
      counted['messages.dead-lettered.projection-time-out-of-range'],
    ], [1, 1, 1, 1], JSON.stringify(counted));
  });
});
