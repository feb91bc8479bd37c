/**
 * The recorder as a process on the real stack: CallEvents and RtpBatches published the way
 * call-control and rtp-collector do (test/recorder-feed.ts), one .raw per leg holding exactly the
 * packets sent, the RecordingEvents of the contract, and a replay in fresh groups giving the same
 * sha256 for every file.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { Kafka } from 'kafkajs';
import { TOPICS, type RecordingEvent } from '@earshot/events';
import { ConsumerRunner, EventProducer, type EventCodec } from '@earshot/kafka';
import { readRaw } from '@earshot/raw';
import { connectTestStack, endOffsets, eventually } from '../libs/kafka/src/testing/test-stack';
import { startApp, type AppProcess } from './app-process';
import { buildSyntheticCapture, standardScenario, type CallScript } from './support/synthetic-calls';
import { callEventsFor, rtpMessagesFor, streamsOf, type FeedStream } from './recorder-feed';

const run = randomUUID().slice(0, 8);
// The topics are shared with other runs (live loads, other tests' feeds): the recorder reads this feed's batches only.
const feedInstance = `recorder-feed-${run}`;
const BASE_US = 1_763_942_400_000_000;
// A call answered whose RTP never came, and a stream no SDP announced (the heuristic found it).
const quiet: CallScript = { callId: `call-quiet-${run}@example.com`, caller: { uri: 'sip:1009@pbx.example.com', ip: '10.0.0.19', rtpPort: 40016 },
  callee: { uri: 'sip:2009@pbx.example.com', ip: '192.0.2.29', rtpPort: 50016 }, startUs: BASE_US + 1_600_000 };

function walk(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) visit(p);
      else out.set(relative(dir, p), createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
  };
  visit(dir);
  return out;
}

describe('recorder on the real stack', () => {
  let kafka: Kafka;
  let codec: EventCodec;
  let producer: EventProducer;
  let watcher: ConsumerRunner<typeof TOPICS.recordings>;
  const events: RecordingEvent[] = [];
  const dirs: string[] = [];
  const apps: AppProcess[] = [];
  const scripts = standardScenario(BASE_US).map((s) => ({ ...s, callId: s.callId.replace('@', `-${run}@`) }));
  const capture = buildSyntheticCapture([...scripts, { ...quiet }]);
  const calls = capture.calls.slice(0, scripts.length);
  const quietCall = capture.calls[scripts.length];
  const orphan: FeedStream = { callId: null, packets: Array.from({ length: 100 }, (_, i) => ({
    src: '10.66.0.1:30000', dst: '10.66.0.2:30002', ssrc: 0x0dd0dd, captureTimeUs: BASE_US + 500_000 + i * 20_000,
    data: Buffer.from([0x80, 0, 0, i, 0, 0, 0, i, 0, 0x0d, 0xd0, 0xdd, ...new Array<number>(160).fill(0xff)]),
  })) };
  const orphanCallId = 'orphan:10.66.0.1:30000|10.66.0.2:30002';
  let startFrom = '';

  const startRecorder = (tag: string): { dir: string; instanceId: string } => {
    const dir = mkdtempSync(join(tmpdir(), `recorder-int-${tag}-`));
    dirs.push(dir);
    const instanceId = `recorder-${tag}-${run}`;
    apps.push(startApp('recorder', {
      EARSHOT_INSTANCE_ID: instanceId, EARSHOT_KAFKA_GROUP_PREFIX: `rec-int-${tag}-${run}`, EARSHOT_KAFKA_START_FROM: startFrom,
      EARSHOT_RECORDINGS_DIR: dir, EARSHOT_RECORDER_ORPHAN_TIMEOUT_S: '5', EARSHOT_HEARTBEAT_MS: '1000',
      // The topics are shared: a live collector's packets and wall-clock watermarks, or another test's
      // feed (same capture times), must not reach this run.
      EARSHOT_RECORDER_RTP_INSTANCES: feedInstance,
    }));
    return { dir, instanceId };
  };
  const outcomes = (instanceId: string) => events.filter((e) => e.instanceId === instanceId);
  const waitForAll = async (instanceId: string, app: AppProcess): Promise<void> => {
    const expected = [...calls.filter((c) => c.kinds.includes('ANSWERED')).map((c) => c.script.callId), quiet.callId, orphanCallId];
    try {
      await eventually('every call recorded or failed', () => expected.every((id) => outcomes(instanceId).some((e) => e.callId === id && (e.kind === 'CALL_COMPLETED' || e.kind === 'FAILED'))), 120_000);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${app.output().slice(-4000)}`);
    }
  };

  before(async () => {
    ({ kafka, codec } = await connectTestStack(`recorder-int-${run}`));
    producer = new EventProducer({ kafka, codec });
    await producer.connect();
    watcher = new ConsumerRunner({
      kafka, codec, groupId: `recorder-int-watch-${run}`, topics: [TOPICS.recordings], initialOffsets: await endOffsets(kafka, [TOPICS.recordings]),
      handle: async (m) => { if (m.value) events.push(m.value); },
    });
    await watcher.start();
    startFrom = String(Date.now());
    // Call control first (as in live operation), then the RTP with watermarks, the way the collector batches it.
    const callEvents = [...calls, quietCall].flatMap((c) => (c ? callEventsFor(c) : []));
    await producer.send(TOPICS.callControl, callEvents.map((value) => ({ key: value.callId, value })));
    const lastUs = Math.max(...calls.flatMap((c) => [...c.rtp.caller, ...c.rtp.callee].map((p) => p.captureTimeUs)));
    const messages = rtpMessagesFor([...calls.flatMap(streamsOf), orphan], { partitions: 6, finalWatermarkUs: lastUs + 3600 * 1_000_000 })
      .map((m) => ({ ...m, value: { ...m.value, instanceId: feedInstance } }));
    for (const m of messages) {
      const value = await codec.encode(TOPICS.rtp, m.value);
      await producer.producer.send({ topic: TOPICS.rtp, acks: -1, messages: [{ key: m.key, value, ...(m.partition !== undefined ? { partition: m.partition } : {}) }] });
    }
  });

  after(async () => {
    for (const a of apps) { a.child.kill('SIGTERM'); await a.exited; }
    await watcher?.stop();
    await producer?.disconnect();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  let first: { dir: string; instanceId: string };

  test('records every answered call: one .raw per leg holding exactly the packets sent, with the contract\'s events', async () => {
    first = startRecorder('a');
    await waitForAll(first.instanceId, apps[0] as AppProcess);
    const mine = outcomes(first.instanceId);
    for (const call of calls) {
      const id = call.script.callId;
      const evs = mine.filter((e) => e.callId === id);
      if (!call.kinds.includes('ANSWERED')) {
        assert.deepEqual(evs, [], `${id} (${call.script.outcome}) gets no legs and no events`);
        continue;
      }
      assert.deepEqual(evs.map((e) => `${e.kind} ${e.leg?.legId ?? ''}`.trim()),
        ['LEG_STARTED caller', 'LEG_STARTED callee', 'LEG_COMPLETED callee', 'LEG_COMPLETED caller', 'CALL_COMPLETED'], id);
      for (const side of ['caller', 'callee'] as const) {
        const done = evs.find((e) => e.kind === 'LEG_COMPLETED' && e.leg?.legId === side);
        assert.ok(done?.leg && done.stats, `${id} ${side}`);
        const bytes = readFileSync(join(first.dir, done.leg.rawPath));
        assert.equal(createHash('sha256').update(bytes).digest('hex'), done.leg.rawSha256);
        const raw = readRaw(bytes);
        assert.equal(raw.error, null);
        const sent = streamsOf(call).find((s) => s.packets[0]?.src === call.rtp[side][0]?.src && s.packets[0]?.ssrc === call.rtp[side][0]?.ssrc);
        const got = raw.records.filter((r) => r.kind === 'rtp').map((r) => (r.kind === 'rtp' ? [r.captureTimeUs, Buffer.from(r.packet).toString('hex')] : []));
        assert.deepEqual(got, sent?.packets.map((p) => [p.captureTimeUs, p.data.toString('hex')]), `${id} ${side}: the packets sent, in order, byte for byte`);
        assert.equal(done.stats.packets, call.rtp[side].length);
        assert.equal(done.stats.lost, side === 'caller' && id.startsWith('call-lossy') ? 3 : 0, `${id} ${side} lost`);
        assert.equal(raw.header?.direction, side);
      }
    }
    assert.deepEqual(mine.filter((e) => e.callId === quiet.callId).map((e) => [e.kind, e.error]), [['FAILED', 'no RTP received']]);
    assert.deepEqual(mine.filter((e) => e.callId === orphanCallId).map((e) => [e.kind, e.error]),
      [['FAILED', 'RTP stream with no call (udp 10.66.0.1:30000>10.66.0.2:30002 ssrc=000dd0dd)']]);
  });

  test('replayed in fresh groups: the same sha256 for every .raw', async () => {
    const second = startRecorder('b');
    await waitForAll(second.instanceId, apps[1] as AppProcess);
    const a = walk(first.dir);
    const b = walk(second.dir);
    assert.equal(a.size, 2 * calls.filter((c) => c.kinds.includes('ANSWERED')).length);
    assert.deepEqual([...b.entries()].sort(), [...a.entries()].sort());
  });
});
