/**
 * The converter commits the outcomes of a consumed batch of calls and the batch's offset in one
 * Kafka transaction. Killed (SIGKILL) while calls keep ending and restarted with the same instance
 * id, it still gives every call exactly one CONVERTED (as read_committed consumers see it), and
 * each WAV matches its event.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { tonePayloads } from '@earshot/call-scenarios';
import { deterministicEventId, TOPICS, type RecordingEvent } from '@earshot/events';
import { ConsumerRunner, EventProducer, type EventCodec } from '@earshot/kafka';
import { connectTestStack, endOffsets, eventually } from '../libs/kafka/src/testing/test-stack';
import { buildRawLeg, PCMA, steadyPackets } from '@earshot/converter';
import { startApp, type AppProcess } from './app-process';

const T0 = 1_763_942_400_000_000;
const CALLS = 60;

describe('converter killed while converting', () => {
  const run = randomUUID().slice(0, 8);
  const instanceId = `converter-crash-${run}`;
  let kafka: Kafka;
  let codec: EventCodec;
  let producer: EventProducer;
  let observer: ConsumerRunner<typeof TOPICS.recordings>;
  let root: string;
  const apps: AppProcess[] = [];
  const outcomes: RecordingEvent[] = [];
  let env: Record<string, string>;

  before(async () => {
    ({ kafka, codec } = await connectTestStack(`converter-crash-${run}`));
    producer = new EventProducer({ kafka, codec });
    await producer.connect();
    root = await mkdtemp(join(tmpdir(), 'converter-crash-'));
    observer = new ConsumerRunner({
      kafka, codec, groupId: `converter-crash-observer-${run}`, topics: [TOPICS.recordings], initialOffsets: await endOffsets(kafka, [TOPICS.recordings]),
      handle: async (m) => {
        // Only this test's converter: others running on the shared stack answer these calls too.
        if (m.value && m.value.callId.includes(run) && m.value.instanceId === instanceId && (m.value.kind === 'CONVERTED' || m.value.kind === 'FAILED')) outcomes.push(m.value);
      },
    });
    await observer.start();
    env = {
      EARSHOT_INSTANCE_ID: instanceId, EARSHOT_RECORDINGS_DIR: root, EARSHOT_KAFKA_GROUP_PREFIX: `converter-crash-${run}`,
      EARSHOT_KAFKA_START_FROM: String(Date.now()), EARSHOT_HEARTBEAT_MS: '1000',
    };
  });

  after(async () => {
    for (const app of apps) if (app.child.exitCode === null && app.child.signalCode === null) app.child.kill('SIGKILL');
    await Promise.all(apps.map((a) => a.exited));
    await observer?.stop();
    await producer?.disconnect();
    if (root) await rm(root, { recursive: true, force: true });
  });

  async function started(): Promise<AppProcess> {
    const app = startApp('converter', env);
    apps.push(app);
    await eventually('the converter to consume', () => app.output().includes('"converter consuming"'), 60_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${app.output()}`);
    });
    return app;
  }

  /** One call's legs on disk and its LEG_COMPLETED ×2 + CALL_COMPLETED, as the recorder produces them. */
  async function callEvents(c: number): Promise<RecordingEvent[]> {
    const callId = `crash-${run}-${c}@test`;
    const base = { callId, instanceId: `recorder-test-${run}`, conversion: null, error: null };
    const events: RecordingEvent[] = [];
    for (const [i, legId] of (['caller', 'callee'] as const).entries()) {
      const rawPath = `2025/11/24/${callId}/${legId}.raw`;
      const bytes = buildRawLeg({ callId, legId, direction: legId, codecs: [PCMA], packets: steadyPackets(tonePayloads('PCMA', 440 + 110 * i, 150), { startUs: T0 }) });
      await mkdir(dirname(join(root, rawPath)), { recursive: true });
      await writeFile(join(root, rawPath), bytes);
      events.push({
        ...base, eventId: deterministicEventId(callId, legId, 'LEG_COMPLETED'), kind: 'LEG_COMPLETED', captureTimeUs: T0 + 3_000_000,
        leg: { legId, side: legId === 'caller' ? 'CALLER' : 'CALLEE', source: '10.0.0.1:40000', destination: '10.0.0.2:50000', ssrcs: [1], codecs: ['PCMA'], rawPath, rawSha256: createHash('sha256').update(bytes).digest('hex'), firstCaptureTimeUs: T0, lastCaptureTimeUs: T0 + 3_000_000 },
        stats: { packets: 150, expected: 150, lost: 0, duplicated: 0, outOfOrder: 0, late: 0, jitterMs: 0, maxJitterMs: 0, dtmf: [] },
      });
    }
    events.push({ ...base, eventId: deterministicEventId(callId, '', 'CALL_COMPLETED'), kind: 'CALL_COMPLETED', captureTimeUs: T0 + 5_000_000, leg: null, stats: null });
    return events;
  }

  test('SIGKILL while calls keep ending, then a restart: exactly one CONVERTED per call', async () => {
    const first = await started();
    const calls = await Promise.all(Array.from({ length: CALLS }, (_, c) => callEvents(c)));
    // Calls end every 20 ms; the converter is killed once a third of them are converted.
    const sending = (async () => {
      for (const events of calls) {
        await producer.send(TOPICS.recordings, events.map((value) => ({ key: value.callId, value })));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await eventually('a third of the calls converted', () => outcomes.length >= CALLS / 3, 60_000);
    first.child.kill('SIGKILL');
    await first.exited;
    const beforeRestart = new Set(outcomes.map((o) => o.callId)).size;
    assert.ok(beforeRestart < CALLS, `every call was converted before the kill (${beforeRestart}): the kill did not interrupt anything`);
    await sending;
    const second = await started();
    await eventually('every call converted', () => new Set(outcomes.map((o) => o.callId)).size >= CALLS, 90_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${second.output()}`);
    });
    await new Promise((r) => setTimeout(r, 3000)); // time for a duplicate to show up, if any
    second.child.kill('SIGTERM');
    assert.equal((await second.exited).code, 0, second.output());

    const perCall = new Map<string, RecordingEvent[]>();
    for (const o of outcomes) perCall.set(o.callId, [...(perCall.get(o.callId) ?? []), o]);
    const duplicated = [...perCall].filter(([, list]) => list.length !== 1).map(([id, list]) => `${id}×${list.length}`);
    assert.deepEqual(duplicated, [], 'calls with other than one outcome');
    assert.equal(perCall.size, CALLS);
    for (const [callId, [e]] of perCall) {
      assert.equal(e?.kind, 'CONVERTED', `${callId}: ${e?.error}`);
      const wav = await readFile(join(root, e.conversion?.path ?? ''));
      assert.equal(createHash('sha256').update(wav).digest('hex'), e.conversion?.sha256, callId);
    }
  });
});
