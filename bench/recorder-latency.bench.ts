/**
 * Recorder latency: a call's end (its ENDED capture time) → its CALL_COMPLETED on qm.recordings,
 * live. N concurrent calls (default 100, G.711 20 ms both ways, about `talk` s each, starts spread so
 * that N are in progress) are published in real time with capture time = wall time, the way call
 * control and the RTP collector publish them: each CallEvent at its capture time, RTP batched per
 * stream per window of `windowMs` and published with a watermark to every partition when the window
 * closes. The recorder app (default settings: linger 500 ms) runs as a process; the latency counts
 * the linger, the watermark period, Kafka both ways, the files' fsync and rename, and the produce.
 * Reference in the same run: the same ENDED events' transit to a plain kafkajs consumer (the floor
 * any Kafka consumer pays).
 *   node -r @swc-node/register bench/recorder-latency.bench.ts [calls=100] [talkSeconds=8] [windowMs=1000]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { TOPICS, type RecordingEvent } from '@earshot/events';
import { ConsumerRunner, EventProducer } from '@earshot/kafka';
import { connectTestStack, endOffsets } from '../libs/kafka/src/testing/test-stack';
import { buildSyntheticCapture, type CallScript } from '../test/support/synthetic-calls';
import { callEventsFor, rtpMessagesFor, streamsOf, type RtpMessage } from '../test/recorder-feed';

const CALLS = Number(process.argv[2] ?? 100);
const TALK_S = Number(process.argv[3] ?? 8);
const WINDOW_MS = Number(process.argv[4] ?? 1000);
const ROOT = resolve(__dirname, '..');
const run = randomUUID().slice(0, 8);

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? Number.NaN;
}
const sleepUntil = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms - Date.now())));

async function main(): Promise<void> {
  const { kafka, codec } = await connectTestStack(`recorder-latency-${run}`);
  const producer = new EventProducer({ kafka, codec });
  await producer.connect();
  const startFrom = String(Date.now());

  // The recorder first, so it is reading when the calls start.
  const events: RecordingEvent[] = [];
  const seen = new Map<string, number>();
  const instanceId = `recorder-latency-${run}`;
  const watcher = new ConsumerRunner({
    kafka, codec, groupId: `recorder-latency-watch-${run}`, topics: [TOPICS.recordings], initialOffsets: await endOffsets(kafka, [TOPICS.recordings]), maxWaitTimeInMs: 50,
    handle: async (m) => { if (m.value?.instanceId === instanceId && m.value.kind === 'CALL_COMPLETED' && m.value.callId.includes(run)) { seen.set(m.value.callId, Date.now()); events.push(m.value); } },
  });
  await watcher.start();
  const ended = new Map<string, number>();
  const reference = new ConsumerRunner({
    kafka, codec, groupId: `recorder-latency-ref-${run}`, topics: [TOPICS.callControl], initialOffsets: await endOffsets(kafka, [TOPICS.callControl]), maxWaitTimeInMs: 50,
    handle: async (m) => { if (m.value?.kind === 'ENDED' && m.value.callId.includes(run)) ended.set(m.value.callId, Date.now()); },
  });
  await reference.start();
  const dir = mkdtempSync(join(tmpdir(), 'recorder-latency-'));
  let out = '';
  const child = spawn(process.execPath, ['--require', '@swc-node/register', resolve(ROOT, 'apps/recorder/src/main.ts')], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, EARSHOT_INSTANCE_ID: instanceId, EARSHOT_KAFKA_GROUP_PREFIX: `recorder-latency-${run}`, EARSHOT_KAFKA_START_FROM: startFrom, EARSHOT_RECORDINGS_DIR: dir,
      EARSHOT_RECORDER_RTP_INSTANCES: `latency-feed-${run}` },
  });
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  while (!out.includes('"recorder ready"')) {
    if (child.exitCode !== null) throw new Error(`recorder exited\n${out.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }

  // Calls whose capture times are wall-clock times from 2 s from now: N in progress at once.
  const base = (Date.now() + 2000) * 1000;
  const spreadUs = TALK_S * 1_000_000;
  const scripts: CallScript[] = Array.from({ length: CALLS }, (_, i) => ({
    callId: `latency-${run}-${i}@example.com`,
    caller: { uri: `sip:${1000 + i}@pbx.example.com`, ip: `10.2.${i >> 8}.${i & 255}`, rtpPort: 40000 + 2 * i },
    callee: { uri: `sip:${5000 + i}@pbx.example.com`, ip: `192.0.3.${i & 255}`, rtpPort: 50000 + 2 * i },
    startUs: base + Math.floor((i * spreadUs) / CALLS), talkMs: TALK_S * 1000, codec: i % 2 === 0 ? 'PCMU' : 'PCMA',
  }));
  const calls = buildSyntheticCapture(scripts).calls;
  const callEvents = calls.flatMap(callEventsFor).sort((a, b) => a.captureTimeUs - b.captureTimeUs);
  const lastUs = Math.max(...calls.flatMap((c) => [...c.rtp.caller, ...c.rtp.callee].map((p) => p.captureTimeUs)));
  // Watermarks go on, a window at a time, until the last call's end plus any linger up to 1.5 s has
  // passed, as a live collector keeps sending them (never "end of capture", which would close at once).
  const lastEndUs = Math.max(...callEvents.map((e) => e.captureTimeUs));
  const finalUs = (Math.ceil((Math.max(lastUs, lastEndUs) + 1_500_000) / (WINDOW_MS * 1000)) + 1) * WINDOW_MS * 1000;
  // Under an instance id of this run's own: the recorder reads only it (EARSHOT_RECORDER_RTP_INSTANCES), so
  // other captures publishing on the shared topics meanwhile (live loads, file runs) cannot move its clock.
  const feedInstance = `latency-feed-${run}`;
  const windowUs = WINDOW_MS * 1000;
  const afterLastUs = (Math.floor(lastUs / windowUs) + 1) * windowUs;
  const fed = rtpMessagesFor(calls.flatMap(streamsOf), { partitions: 6, windowMs: WINDOW_MS, finalWatermarkUs: afterLastUs });
  const lastWatermarks = fed.filter((m) => m.value.watermarkUs === afterLastUs);
  for (let us = afterLastUs + windowUs; us <= finalUs; us += windowUs) {
    for (const w of lastWatermarks) fed.push({ ...w, value: { ...w.value, batchId: `${w.value.batchId}/${us}`, watermarkUs: us } });
  }
  const messages = fed.map((m) => ({ ...m, value: { ...m.value, instanceId: feedInstance } }));
  // A window's batches go out when it closes, just before its watermark.
  const publishAtUs: number[] = [];
  let pendingUntil = -1;
  for (let i = messages.length - 1; i >= 0; i--) {
    const w = (messages[i] as RtpMessage).value.watermarkUs;
    if (w !== null) pendingUntil = w;
    publishAtUs[i] = pendingUntil;
  }
  process.stdout.write(`${CALLS} calls × ${TALK_S} s, window ${WINDOW_MS} ms: ${messages.length} RTP messages, ${callEvents.length} CallEvents, live for ${((finalUs - base) / 1e6).toFixed(1)} s\n`);

  let ci = 0;
  let mi = 0;
  while (ci < callEvents.length || mi < messages.length) {
    const nextCall = callEvents[ci]?.captureTimeUs ?? Number.POSITIVE_INFINITY;
    const nextRtp = publishAtUs[mi] ?? Number.POSITIVE_INFINITY;
    const atUs = Math.min(nextCall, nextRtp);
    await sleepUntil(atUs / 1000);
    const evs = [];
    while (ci < callEvents.length && (callEvents[ci]?.captureTimeUs ?? Infinity) <= atUs) evs.push(callEvents[ci++]);
    if (evs.length > 0) await producer.send(TOPICS.callControl, evs.map((value) => ({ key: value?.callId ?? '', value: value as NonNullable<typeof value> })));
    const chunk: RtpMessage[] = [];
    while (mi < messages.length && (publishAtUs[mi] ?? Infinity) <= atUs) chunk.push(messages[mi++] as RtpMessage);
    if (chunk.length > 0) {
      const encoded = await Promise.all(chunk.map(async (m) => ({ key: m.key, value: await codec.encode(TOPICS.rtp, m.value), ...(m.partition !== undefined ? { partition: m.partition } : {}) })));
      await producer.producer.send({ topic: TOPICS.rtp, acks: -1, messages: encoded });
    }
  }
  const deadline = Date.now() + 60_000;
  while (seen.size < CALLS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  await watcher.stop();
  await reference.stop();
  await producer.disconnect();
  rmSync(dir, { recursive: true, force: true });

  const endOf = new Map(callEvents.filter((e) => e.kind === 'ENDED').map((e) => [e.callId, e.captureTimeUs / 1000]));
  const rec = [...seen].map(([id, at]) => at - (endOf.get(id) ?? at));
  const ref = [...ended].map(([id, at]) => at - (endOf.get(id) ?? at));
  process.stdout.write(`calls completed: ${seen.size} of ${CALLS}\n`);
  process.stdout.write(`recorder, call end → CALL_COMPLETED: p50 ${percentile(rec, 50).toFixed(0)} ms, p95 ${percentile(rec, 95).toFixed(0)} ms, max ${Math.max(...rec).toFixed(0)} ms\n`);
  process.stdout.write(`reference, ENDED event produce → plain consumer: p50 ${percentile(ref, 50).toFixed(0)} ms, p95 ${percentile(ref, 95).toFixed(0)} ms\n`);
  process.stdout.write(`ratio p95 recorder/reference: ${(percentile(rec, 95) / percentile(ref, 95)).toFixed(1)}\n`);
  // Per call, beyond what the same ENDED event took to reach any consumer (publisher lag and Kafka
  // included in both): the recorder's own share (linger, waiting for the watermark, files, produce).
  const own = [...seen].flatMap(([id, at]) => (ended.has(id) ? [at - (ended.get(id) as number)] : []));
  process.stdout.write(`recorder's own share (CALL_COMPLETED minus the ENDED event's arrival, per call): p50 ${percentile(own, 50).toFixed(0)} ms, p95 ${percentile(own, 95).toFixed(0)} ms\n`);
  process.exit(seen.size === CALLS ? 0 : 1);
}

main().catch((e: unknown) => { process.stderr.write(`${String((e as Error).stack ?? e)}\n`); process.exit(1); });
