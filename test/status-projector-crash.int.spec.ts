/**
 * The status app's projector as its own process, killed with SIGKILL in the middle of its batches
 * and restarted, twice: every event projected exactly once, the offsets stored with the rows. The
 * group's Kafka commits are moved between runs (ahead of PostgreSQL once, back to the start once),
 * so a projector resuming from Kafka instead of PostgreSQL would miss rows or apply events again.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import type { Kafka } from 'kafkajs';
import { sampleEvents, TOPICS, type AuditEntry, type CallEvent, type RecordingEvent } from '@earshot/events';
import { EventProducer, type EventCodec } from '@earshot/kafka';
import { connectTestStack, endOffsets, eventually } from '../libs/kafka/src/testing/test-stack';
import { runMigrations } from '@earshot/status';
import { startApp, type AppProcess } from './app-process';
import { count, createTestDatabase, type TestDatabase } from './status-projector-support';

const AUDIT_EVENTS = 12_000;
const CALLS = 400; // 4 CallEvents and 2 RecordingEvents each
const T0 = 1_763_942_400_000_000;

/** A port nothing listens on now (a random one may be an ephemeral port of some connection). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

describe('status projector killed mid-batch and restarted', () => {
  const run = randomUUID().slice(0, 8);
  const groupPrefix = `crash-${run}`;
  const groupId = `${groupPrefix}-status-projector`;
  let kafka: Kafka;
  let codec: EventCodec;
  let db: TestDatabase;
  let startFrom: number;
  /** The end of each partition right after this test produced: its last event + 1. */
  let produced: Map<string, Map<number, string>>;
  const running: AppProcess[] = [];

  before(async () => {
    ({ kafka, codec } = await connectTestStack(`projector-crash-${run}`));
    db = await createTestDatabase(`crash_${run}`);
    await runMigrations(db.pool); // the app finds them applied; polling the tables can start at once
    startFrom = Date.now();
    const producer = new EventProducer({ kafka, codec });
    await producer.connect();
    const s = sampleEvents();
    const audit: AuditEntry[] = Array.from({ length: AUDIT_EVENTS }, (_, i) => ({ ...s[TOPICS.audit], eventId: `${run}-a${i}`, userId: `user-${run}-${i % 7}`, callId: `call-${run}-${i % CALLS}` }));
    for (let i = 0; i < audit.length; i += 1000) await producer.send(TOPICS.audit, audit.slice(i, i + 1000).map((value) => ({ key: value.userId, value })));
    const calls: CallEvent[] = [];
    const recordings: RecordingEvent[] = [];
    for (let c = 0; c < CALLS; c++) {
      const callId = `call-${run}-${c}`;
      for (const [sequence, kind] of (['STARTED', 'ANSWERED', 'MEDIA_UPDATED', 'ENDED'] as const).entries()) {
        calls.push({ ...s[TOPICS.callControl], callId, eventId: `${run}-c${c}-${sequence}`, kind, sequence, captureTimeUs: T0 + c * 1e6 + sequence * 1e5 });
      }
      recordings.push({ ...s[TOPICS.recordings], callId, eventId: `${run}-r${c}-leg` });
      recordings.push({ ...s[TOPICS.recordings], callId, eventId: `${run}-r${c}-wav`, kind: 'CONVERTED', leg: null, stats: null,
        conversion: { path: `${callId}.wav`, format: 'wav/pcm16', channels: 2, sampleRate: 8000, durationMs: 1000, bytes: 16044, sha256: 'cd'.repeat(32) } });
    }
    for (let i = 0; i < calls.length; i += 1000) await producer.send(TOPICS.callControl, calls.slice(i, i + 1000).map((value) => ({ key: value.callId, value })));
    await producer.send(TOPICS.recordings, recordings.map((value) => ({ key: value.callId, value })));
    await producer.disconnect();
    produced = await endOffsets(kafka, [TOPICS.audit, TOPICS.callControl, TOPICS.recordings]);
  });

  after(async () => {
    for (const p of running) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await db?.drop();
  });

  async function startStatus(n: number): Promise<AppProcess> {
    const p = startApp('status', {
      EARSHOT_PG_URL: db.url, EARSHOT_KAFKA_GROUP_PREFIX: groupPrefix, EARSHOT_KAFKA_START_FROM: String(startFrom),
      EARSHOT_PROJECTOR_BATCH_EVENTS: '2000', EARSHOT_INSTANCE_ID: `status-crash-${run}-${n}`, EARSHOT_HEARTBEAT_MS: '1000',
      EARSHOT_STATUS_PORT: String(await freePort()),
    });
    running.push(p);
    return p;
  }

  const auditRows = (): Promise<number> => count(db.pool, 'select count(*) as n from projection.audit_entries where event_id like $1', [`${run}-a%`]);
  const allProjected = async (): Promise<boolean> =>
    await auditRows() === AUDIT_EVENTS
    && await count(db.pool, "select count(*) as n from projection.call_timeline where event_id like $1", [`${run}-%`]) === CALLS * 6
    && await count(db.pool, "select count(*) as n from projection.calls where call_id like $1 and state = 'ended' and has_recording", [`call-${run}-%`]) === CALLS;

  /** Kills the process once it has committed some transactions but not all (it is in the middle of its backlog). */
  async function killMidway(p: AppProcess, above: number): Promise<number> {
    try {
      await eventually('the projector to commit part of the backlog', async () => (await auditRows()) > above, 60_000);
    } catch (e) {
      p.child.kill('SIGKILL');
      throw new Error(`${(e as Error).message}\n${p.output()}`);
    }
    p.child.kill('SIGKILL');
    await p.exited;
    const committed = await auditRows();
    assert.ok(committed < AUDIT_EVENTS, `killed too late: all ${AUDIT_EVENTS} already projected (make the backlog bigger)`);
    return committed;
  }

  /** Moves the group's Kafka commits (the group must be empty: wait out the killed member's session). */
  async function setKafkaCommits(to: 'earliest' | 'latest'): Promise<void> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await eventually('the killed member to leave the group', async () => (await admin.describeGroups([groupId])).groups[0]?.state === 'Empty', 40_000);
      for (const topic of [TOPICS.audit, TOPICS.callControl, TOPICS.recordings]) {
        const offsets = await admin.fetchTopicOffsets(topic);
        await admin.setOffsets({ groupId, topic, partitions: offsets.map((o) => ({ partition: o.partition, offset: to === 'earliest' ? o.low : o.high })) });
      }
    } finally {
      await admin.disconnect();
    }
  }

  /** The projector counters of a status instance, from its heartbeat as projected (after `afterMs`). */
  async function countersOf(n: number, afterMs: number): Promise<Record<string, number>> {
    let counters: Record<string, number> = {};
    await eventually(`a heartbeat of instance ${n}`, async () => {
      const r = await db.pool.query<{ counters: Record<string, number> }>(
        'select counters from projection.service_instances where instance_id = $1 and last_heartbeat_at > $2', [`status-crash-${run}-${n}`, new Date(afterMs)]);
      counters = r.rows[0]?.counters ?? {};
      return r.rows.length === 1;
    });
    return counters;
  }

  test('SIGKILL twice mid-batch: every row exactly once, offsets stored with them', async () => {
    const first = await startStatus(1);
    const afterFirst = await killMidway(first, 0);

    // Kafka's commits jump to the end: resuming from them would skip the rest of the backlog.
    await setKafkaCommits('latest');
    const second = await startStatus(2);
    const afterSecond = await killMidway(second, afterFirst);

    // Kafka's commits go back to the start: resuming from them would apply everything again.
    await setKafkaCommits('earliest');
    const third = await startStatus(3);
    try {
      await eventually('every event projected', allProjected, 120_000);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${third.output()}`);
    }
    const doneAt = Date.now();
    const counters = await countersOf(3, doneAt + 1000);
    assert.equal(counters['projector.events.duplicate'] ?? 0, 0, `nothing applied twice (eventId): ${JSON.stringify(counters)}`);
    assert.equal(counters['projector.events.already-applied'] ?? 0, 0, `nothing read below PostgreSQL's offsets: ${JSON.stringify(counters)}`);
    assert.ok((counters['projector.events.applied'] ?? 0) >= AUDIT_EVENTS - afterSecond, 'the third run applied the rest');

    // Exactly once, counted against the events produced.
    assert.equal(await auditRows(), AUDIT_EVENTS);
    assert.equal(await count(db.pool, 'select count(*) as n from projection.calls where call_id like $1', [`call-${run}-%`]), CALLS);
    assert.equal(await count(db.pool, 'select count(*) as n from projection.legs where call_id like $1', [`call-${run}-%`]), CALLS);
    assert.equal(await count(db.pool, "select count(*) as n from projection.recordings where call_id like $1 and state = 'converted'", [`call-${run}-%`]), CALLS);
    assert.equal(await count(db.pool, "select count(*) as n from projection.calls where call_id like $1 and last_sequence = 3 and duration_ms = 200", [`call-${run}-%`]), CALLS);

    // The stored offsets cover every event produced. (Not compared with the current end offsets:
    // pipeline apps on the shared stack write with Kafka transactions, whose commit markers take an
    // offset after the last event that no consumer is given.)
    const ends = produced;
    await eventually('stored offsets past the events produced', async () => {
      const stored = (await db.pool.query<{ topic: string; partition: number; next_offset: string }>(
        'select topic, partition, next_offset from projection.applied_offsets where consumer_group = $1', [groupId])).rows;
      return [...ends].every(([topic, parts]) => [...parts].every(([partition, end]) => {
        const s = stored.find((o) => o.topic === topic && o.partition === partition);
        return s !== undefined && BigInt(s.next_offset) >= BigInt(end);
      }));
    });

    third.child.kill('SIGTERM');
    const { code } = await third.exited;
    assert.equal(code, 0, third.output().slice(-4000));
    assert.ok(afterFirst > 0 && afterSecond > afterFirst, `progress across the kills: ${afterFirst}, ${afterSecond}`);
  });
});
