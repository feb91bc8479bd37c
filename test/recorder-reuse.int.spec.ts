/**
 * Back-to-back calls reusing media ports and SSRCs (sipp's SSRC is fixed; PBXs reuse port pools),
 * through the recorder process on the real stack: each call is recorded with exactly its own
 * packets. The next call starts inside the previous one's linger, the collector batches by 5-tuple
 * and SSRC so one batch can hold the end of one call and the start of the next, and every batch of
 * the reused streams carries the FIRST call's id (as a collector that missed the later INVITEs
 * would): the SDP of the later CallEvents decides, from their capture time.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
const CALLS = 4;
// The topics are shared with other runs (live loads, other tests' feeds): the recorder reads this feed's batches only.
const feedInstance = `recorder-feed-${run}`;

describe('recorder on the real stack: back-to-back calls on the same ports and SSRCs', () => {
  let kafka: Kafka;
  let codec: EventCodec;
  let producer: EventProducer;
  let watcher: ConsumerRunner<typeof TOPICS.recordings>;
  let app: AppProcess | undefined;
  let dir = '';
  const events: RecordingEvent[] = [];
  const instanceId = `recorder-reuse-${run}`;
  // Each call rings 300 ms, talks 2 s and ends 10 ms later; the next starts 2.5 s after the
  // previous one (inside its 500 ms linger). Same caller and callee address, port and SSRCs.
  const scripts: CallScript[] = Array.from({ length: CALLS }, (_, i) => ({
    callId: `call-reuse-${i}-${run}@example.com`,
    caller: { uri: 'sip:1001@pbx.example.com', ip: '10.0.0.31', rtpPort: 40100 },
    callee: { uri: 'sip:2001@pbx.example.com', ip: '192.0.2.31', rtpPort: 50100 },
    startUs: BASE_US + i * 2_500_000, talkMs: 2000, ssrc: { caller: 0x5eed0001, callee: 0x5eed0002 }, codec: i % 2 === 0 ? 'PCMU' : 'PCMA',
  }));
  const calls = buildSyntheticCapture(scripts).calls;

  before(async () => {
    ({ kafka, codec } = await connectTestStack(`recorder-reuse-${run}`));
    producer = new EventProducer({ kafka, codec });
    await producer.connect();
    watcher = new ConsumerRunner({
      kafka, codec, groupId: `recorder-reuse-watch-${run}`, topics: [TOPICS.recordings], initialOffsets: await endOffsets(kafka, [TOPICS.recordings]),
      handle: async (m) => { if (m.value) events.push(m.value); },
    });
    await watcher.start();
    const startFrom = String(Date.now());
    await producer.send(TOPICS.callControl, calls.flatMap(callEventsFor).map((value) => ({ key: value.callId, value })));
    const lastUs = Math.max(...calls.flatMap((c) => [...c.rtp.caller, ...c.rtp.callee].map((p) => p.captureTimeUs)));
    const messages = rtpMessagesFor(calls.flatMap(streamsOf), { partitions: 6, finalWatermarkUs: lastUs + 3600 * 1_000_000 })
      .map((m) => ({ ...m, value: { ...m.value, instanceId: feedInstance } }));
    const reused = messages.filter((m) => m.value.packets.length > 0);
    assert.ok(reused.every((m) => m.value.callId === calls[0]?.script.callId), 'every batch names the first call, as a collector that missed the later INVITEs');
    assert.ok(reused.some((m) => new Set(m.value.packets.map((p) => calls.findIndex((c) => [...c.rtp.caller, ...c.rtp.callee].some((q) => q.captureTimeUs === p.captureTimeUs)))).size > 1),
      'some batch holds the end of one call and the start of the next');
    for (const m of messages) {
      const value = await codec.encode(TOPICS.rtp, m.value);
      await producer.producer.send({ topic: TOPICS.rtp, acks: -1, messages: [{ key: m.key, value, ...(m.partition !== undefined ? { partition: m.partition } : {}) }] });
    }
    dir = mkdtempSync(join(tmpdir(), 'recorder-reuse-'));
    app = startApp('recorder', {
      EARSHOT_INSTANCE_ID: instanceId, EARSHOT_KAFKA_GROUP_PREFIX: `rec-reuse-${run}`, EARSHOT_KAFKA_START_FROM: startFrom,
      EARSHOT_RECORDINGS_DIR: dir, EARSHOT_HEARTBEAT_MS: '1000', EARSHOT_RECORDER_RTP_INSTANCES: feedInstance,
    });
  });

  after(async () => {
    if (app) { app.child.kill('SIGTERM'); await app.exited; }
    await watcher?.stop();
    await producer?.disconnect();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('each call is recorded with exactly the packets it sent, none of its neighbours\'', async () => {
    const mine = () => events.filter((e) => e.instanceId === instanceId);
    try {
      await eventually('every call completed', () => calls.every((c) => mine().some((e) => e.callId === c.script.callId && e.kind === 'CALL_COMPLETED')), 120_000);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${app?.output().slice(-4000) ?? ''}`);
    }
    for (const call of calls) {
      const id = call.script.callId;
      const evs = mine().filter((e) => e.callId === id);
      assert.deepEqual(evs.map((e) => `${e.kind} ${e.leg?.legId ?? ''}`.trim()),
        ['LEG_STARTED caller', 'LEG_STARTED callee', 'LEG_COMPLETED callee', 'LEG_COMPLETED caller', 'CALL_COMPLETED'], id);
      for (const side of ['caller', 'callee'] as const) {
        const done = evs.find((e) => e.kind === 'LEG_COMPLETED' && e.leg?.legId === side);
        assert.ok(done?.leg && done.stats, `${id} ${side}`);
        const raw = readRaw(readFileSync(join(dir, done.leg.rawPath)));
        assert.equal(raw.error, null);
        const sent = streamsOf(call).find((s) => s.packets[0]?.src === call.rtp[side][0]?.src);
        const got = raw.records.flatMap((r) => (r.kind === 'rtp' ? [[r.captureTimeUs, Buffer.from(r.packet).toString('hex')]] : []));
        assert.deepEqual(got, sent?.packets.map((p) => [p.captureTimeUs, p.data.toString('hex')]), `${id} ${side}: its own packets, in order, byte for byte`);
        assert.equal(done.stats.packets, call.rtp[side].length);
        assert.equal(done.stats.lost, 0, `${id} ${side}: nothing lost to a neighbour`);
      }
    }
  });
});
