/**
 * A rebalance while RTP batches arrive, on the real stack: one recorder process is reading a feed
 * published in real time when a second joins its group; the first drops what it read of the
 * partitions (they restart from the committed, held-back offsets) and the second rebuilds them.
 * Every call is still recorded once, each leg's file holding exactly the packets sent; a leg
 * finished twice (finished by the first, its commit overtaken by the rebalance) has the same bytes
 * and figures both times.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { TOPICS, type RecordingEvent } from '@earshot/events';
import { ConsumerRunner, EventProducer, type EventCodec } from '@earshot/kafka';
import { readRaw } from '@earshot/raw';
import { connectTestStack, endOffsets, eventually } from '../libs/kafka/src/testing/test-stack';
import { startApp, type AppProcess } from './app-process';
import { buildSyntheticCapture, type CallScript } from './support/synthetic-calls';
import { callEventsFor, rtpMessagesFor, streamsOf } from './recorder-feed';

const run = randomUUID().slice(0, 8);
const BASE_US = 1_763_942_400_000_000;
const CALLS = 24;
// The topics are shared with other runs (live loads, other tests' feeds): the recorders read this feed's batches only.
const feedInstance = `recorder-feed-${run}`;

describe('recorder on the real stack: a rebalance while batches arrive', () => {
  let kafka: Kafka;
  let codec: EventCodec;
  let producer: EventProducer;
  let watcher: ConsumerRunner<typeof TOPICS.recordings>;
  const apps: AppProcess[] = [];
  const events: RecordingEvent[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'recorder-rebalance-'));
  const scripts: CallScript[] = Array.from({ length: CALLS }, (_, i) => ({
    callId: `call-rebalance-${i}-${run}@example.com`,
    caller: { uri: `sip:${1100 + i}@pbx.example.com`, ip: `10.3.0.${10 + i}`, rtpPort: 41000 + 2 * i },
    callee: { uri: `sip:${2100 + i}@pbx.example.com`, ip: `192.0.2.${100 + i}`, rtpPort: 51000 + 2 * i },
    startUs: BASE_US + i * 150_000, talkMs: 20_000, codec: i % 2 === 0 ? 'PCMU' : 'PCMA',
  }));
  const calls = buildSyntheticCapture(scripts).calls;
  const start = (tag: string): AppProcess => {
    const app = startApp('recorder', {
      EARSHOT_INSTANCE_ID: `recorder-rebalance-${tag}-${run}`, EARSHOT_KAFKA_GROUP_PREFIX: `rec-rebalance-${run}`, EARSHOT_KAFKA_START_FROM: startFrom,
      EARSHOT_RECORDINGS_DIR: dir, EARSHOT_HEARTBEAT_MS: '1000', EARSHOT_RECORDER_RTP_INSTANCES: feedInstance,
    });
    apps.push(app);
    return app;
  };
  let startFrom = '';

  before(async () => {
    ({ kafka, codec } = await connectTestStack(`recorder-rebalance-${run}`));
    producer = new EventProducer({ kafka, codec });
    await producer.connect();
    watcher = new ConsumerRunner({
      kafka, codec, groupId: `recorder-rebalance-watch-${run}`, topics: [TOPICS.recordings], initialOffsets: await endOffsets(kafka, [TOPICS.recordings]),
      handle: async (m) => { if (m.value?.callId.includes(run)) events.push(m.value); },
    });
    await watcher.start();
    startFrom = String(Date.now());
    await producer.send(TOPICS.callControl, calls.flatMap(callEventsFor).map((value) => ({ key: value.callId, value })));
  });

  after(async () => {
    for (const a of apps) { a.child.kill('SIGTERM'); await a.exited; }
    await watcher?.stop();
    await producer?.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a second instance joins mid-feed: every call recorded, each leg exactly its packets, nothing lost or doubled', async () => {
    const first = start('a');
    await eventually('first recorder ready', () => first.output().includes('"recorder ready"'), 60_000);
    const lastUs = Math.max(...calls.flatMap((c) => [...c.rtp.caller, ...c.rtp.callee].map((p) => p.captureTimeUs)));
    const messages = rtpMessagesFor(calls.flatMap(streamsOf), { partitions: 6, finalWatermarkUs: lastUs + 3600 * 1_000_000 })
      .map((m) => ({ ...m, value: { ...m.value, instanceId: feedInstance } }));
    // Published a window at a time (each window's batches, then its watermarks), 400 ms apart; the
    // second recorder joins a third of the way through.
    const windows: Array<typeof messages> = [[]];
    for (const m of messages) {
      (windows[windows.length - 1] as typeof messages).push(m);
      if (m.value.watermarkUs !== null && m.partition === 5) windows.push([]);
    }
    let second: AppProcess | undefined;
    for (const [i, w] of windows.entries()) {
      if (i === Math.floor(windows.length / 3)) second = start('b');
      const encoded = await Promise.all(w.map(async (m) => ({ key: m.key, value: await codec.encode(TOPICS.rtp, m.value), ...(m.partition !== undefined ? { partition: m.partition } : {}) })));
      if (encoded.length > 0) await producer.producer.send({ topic: TOPICS.rtp, acks: -1, messages: encoded });
      await new Promise((r) => setTimeout(r, 500));
    }
    const done = (id: string) => events.some((e) => e.callId === id && e.kind === 'CALL_COMPLETED');
    try {
      await eventually('every call completed', () => calls.every((c) => done(c.script.callId)), 120_000);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${first.output().slice(-3000)}\n${second?.output().slice(-3000) ?? ''}`);
    }
    assert.match(first.output(), /RTP partitions reassigned/, 'the first recorder went through a rebalance');
    assert.ok(events.some((e) => e.instanceId.includes('-b-') && e.kind === 'CALL_COMPLETED'), 'the second recorder finished calls too');

    for (const call of calls) {
      const id = call.script.callId;
      for (const side of ['caller', 'callee'] as const) {
        const completed = events.filter((e) => e.callId === id && e.kind === 'LEG_COMPLETED' && e.leg?.legId === side);
        assert.ok(completed.length >= 1, `${id} ${side} completed`);
        const shas = new Set(completed.map((e) => e.leg?.rawSha256));
        assert.equal(shas.size, 1, `${id} ${side}: finished twice, then with the same bytes`);
        assert.deepEqual(new Set(completed.map((e) => JSON.stringify(e.stats))).size, 1, `${id} ${side}: same figures`);
        const leg = completed[0]?.leg;
        assert.ok(leg);
        const raw = readRaw(readFileSync(join(dir, leg.rawPath)));
        assert.equal(raw.error, null);
        const sent = streamsOf(call).find((s) => s.packets[0]?.src === call.rtp[side][0]?.src);
        const got = raw.records.flatMap((r) => (r.kind === 'rtp' ? [[r.captureTimeUs, Buffer.from(r.packet).toString('hex')]] : []));
        assert.deepEqual(got, sent?.packets.map((p) => [p.captureTimeUs, p.data.toString('hex')]), `${id} ${side}: exactly its packets, once each, in order`);
      }
    }
    const leftovers = readdirSync(dir, { recursive: true }).map(String).filter((f) => f.includes('.tmp-'));
    assert.deepEqual(leftovers, [], 'no temporary file left behind');
  });
});
