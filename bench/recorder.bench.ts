/**
 * Recorder throughput: RTP packets per second from Kafka to .raw files on one core.
 * N concurrent calls × D seconds (default 100 × 60 s, G.711 20 ms both ways) are pre-published as
 * the contract says (CallEvents, then RtpBatches per stream with watermarks); then the recorder app
 * runs as a process pinned to one core (`taskset -c 0`), measured from its consumers' start
 * ("recorder ready") to the last CALL_COMPLETED. Reference: a plain kafkajs consumer reading the
 * same RTP messages and doing nothing with them (the ceiling), pinned the same way.
 *   node -r @swc-node/register bench/recorder.bench.ts [calls] [seconds]
 * BENCH_RECORDER_MAIN=<path> runs another recorder entry point (e.g. an older version copied aside) for a before/after.
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
import { callEventsFor, rtpMessagesFor, streamsOf } from '../test/recorder-feed';

const CALLS = Number(process.argv[2] ?? 100);
const SECONDS = Number(process.argv[3] ?? 60);
const ROOT = resolve(__dirname, '..');
const run = randomUUID().slice(0, 8);

async function main(): Promise<void> {
  const { kafka, codec } = await connectTestStack(`recorder-bench-${run}`);
  const base = 1_763_942_400_000_000;
  const scripts: CallScript[] = Array.from({ length: CALLS }, (_, i) => ({
    callId: `bench-${run}-${i}@example.com`,
    caller: { uri: `sip:${1000 + i}@pbx.example.com`, ip: `10.1.${i >> 8}.${i & 255}`, rtpPort: 40000 + 2 * (i % 1000) },
    callee: { uri: `sip:${5000 + i}@pbx.example.com`, ip: `192.0.${2 + (i >> 8)}.${i & 255}`, rtpPort: 50000 + 2 * (i % 1000) },
    startUs: base + i * 10_000, talkMs: SECONDS * 1000, codec: i % 2 === 0 ? 'PCMU' : 'PCMA',
  }));
  const calls = buildSyntheticCapture(scripts).calls;
  const packets = calls.reduce((n, c) => n + c.rtp.caller.length + c.rtp.callee.length, 0);
  const lastUs = Math.max(...calls.map((c) => c.rtp.callee[c.rtp.callee.length - 1]?.captureTimeUs ?? 0));
  const messages = rtpMessagesFor(calls.flatMap(streamsOf), { partitions: 6, finalWatermarkUs: lastUs + 3600 * 1_000_000 });

  const producer = new EventProducer({ kafka, codec });
  await producer.connect();
  const rtpStart = await endOffsets(kafka, [TOPICS.rtp]);
  const startFrom = String(Date.now());
  await producer.send(TOPICS.callControl, calls.flatMap(callEventsFor).map((value) => ({ key: value.callId, value })));
  let bytes = 0;
  for (let i = 0; i < messages.length; i += 500) {
    const chunk = await Promise.all(messages.slice(i, i + 500).map(async (m) => {
      const value = await codec.encode(TOPICS.rtp, m.value);
      bytes += value.length;
      return { key: m.key, value, ...(m.partition !== undefined ? { partition: m.partition } : {}) };
    }));
    await producer.producer.send({ topic: TOPICS.rtp, acks: -1, messages: chunk });
  }
  const rtpEnd = await endOffsets(kafka, [TOPICS.rtp]);
  await producer.disconnect();
  process.stdout.write(`published ${CALLS} calls × ${SECONDS} s: ${packets} RTP packets in ${messages.length} messages (${(bytes / 1e6).toFixed(1)} MB)\n`);

  // Reference: a plain kafkajs consumer over the same messages, doing nothing.
  const expected = new Map<number, bigint>();
  for (const [p, high] of rtpEnd.get(TOPICS.rtp) ?? []) {
    const from = BigInt(rtpStart.get(TOPICS.rtp)?.get(p) ?? '0');
    if (BigInt(high) > from) expected.set(p, BigInt(high) - 1n);
  }
  const plain = kafka.consumer({ groupId: `recorder-bench-plain-${run}`, maxWaitTimeInMs: 100 });
  await plain.connect();
  await plain.subscribe({ topic: TOPICS.rtp });
  let refMs = 0;
  await new Promise<void>((done) => {
    let t0 = 0;
    const left = new Set(expected.keys());
    plain.on(plain.events.GROUP_JOIN, () => {
      for (const [p, off] of rtpStart.get(TOPICS.rtp) ?? []) plain.seek({ topic: TOPICS.rtp, partition: p, offset: off });
      t0 = performance.now();
    });
    void plain.run({ autoCommit: false, eachBatch: async ({ batch }) => {
      const last = batch.messages[batch.messages.length - 1];
      if (last && BigInt(last.offset) >= (expected.get(batch.partition) ?? -1n)) left.delete(batch.partition);
      if (left.size === 0 && refMs === 0) { refMs = performance.now() - t0; done(); }
    } });
  });
  await plain.disconnect();

  // The recorder, pinned to core 0.
  const events: RecordingEvent[] = [];
  const instanceId = `recorder-bench-${run}`;
  const watcher = new ConsumerRunner({
    kafka, codec, groupId: `recorder-bench-watch-${run}`, topics: [TOPICS.recordings], initialOffsets: await endOffsets(kafka, [TOPICS.recordings]),
    handle: async (m) => { if (m.value?.instanceId === instanceId) events.push(m.value); },
  });
  await watcher.start();
  const dir = mkdtempSync(join(tmpdir(), 'recorder-bench-'));
  let out = '';
  let readyAt = 0;
  const child = spawn('taskset', ['-c', '0', process.execPath, '--require', '@swc-node/register', resolve(ROOT, process.env['BENCH_RECORDER_MAIN'] ?? 'apps/recorder/src/main.ts')], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, EARSHOT_INSTANCE_ID: instanceId, EARSHOT_KAFKA_GROUP_PREFIX: `recorder-bench-${run}`, EARSHOT_KAFKA_START_FROM: startFrom,
      EARSHOT_RECORDINGS_DIR: dir, },
  });
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  const t0 = performance.now();
  const completedAt = await new Promise<number>((resolveDone, reject) => {
    const timer = setInterval(() => {
      if (!readyAt && out.includes('"recorder ready"')) readyAt = performance.now();
      const done = events.filter((e) => e.kind === 'CALL_COMPLETED').length;
      if (done >= CALLS) { clearInterval(timer); resolveDone(performance.now()); }
      if (performance.now() - t0 > 900_000) { clearInterval(timer); reject(new Error(`timed out; ${done} calls completed\n${out.slice(-3000)}`)); }
    }, 20);
  });
  const lastEventAt = completedAt;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  await watcher.stop();
  rmSync(dir, { recursive: true, force: true });

  const from = readyAt || t0;
  const recMs = lastEventAt - from;
  const recRate = packets / (recMs / 1000);
  const refRate = packets / (refMs / 1000);
  process.stdout.write(`recorder (1 core): ${packets} packets in ${(recMs / 1000).toFixed(2)} s = ${Math.round(recRate).toLocaleString('en')} pkt/s (target ≥ 100,000)\n`);
  process.stdout.write(`reference, plain kafkajs consumer doing nothing: ${(refMs / 1000).toFixed(2)} s = ${Math.round(refRate).toLocaleString('en')} pkt/s\n`);
  process.stdout.write(`ratio recorder/reference: ${(recRate / refRate).toFixed(2)}; process start to ready: ${((from - t0) / 1000).toFixed(2)} s\n`);
  process.exit(0);
}

main().catch((e: unknown) => { process.stderr.write(`${String((e as Error).stack ?? e)}\n`); process.exit(1); });
