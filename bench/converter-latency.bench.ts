/**
 * Converter latency under live load (issue 8 item 6): how long after the recorder's CALL_COMPLETED
 * the WAV's CONVERTED event is there, when many calls end within a few seconds.
 *
 *   node -r @swc-node/register bench/converter-latency.bench.ts
 *   BENCH_CALLS=100 BENCH_SPREAD_S=9 BENCH_SECONDS=9 (defaults)
 *
 * Setup (not timed): CALLS two-leg PCMA calls of SECONDS each written as .raw files the way the
 * recorder writes them, in a fresh recordings root; the converter app started as its own process
 * (fresh group prefix, reading from now), and an observer consumer in a fresh group.
 * Timed: the CALLS calls "end" evenly over SPREAD_S seconds (100 concurrent 9 s calls end about 11
 * per second): LEG_COMPLETED ×2 + CALL_COMPLETED per call, produced as the recorder does. For each
 * call, "completed" is when the broker acknowledged its CALL_COMPLETED and "converted" when the
 * observer (read_committed) sees this converter's CONVERTED.
 * Reference, same run: the observer itself, a do-nothing consumer of the same events: when it sees
 * each CALL_COMPLETED is the floor any consumer of qm.recordings.v1 has (Kafka delivery, commit
 * visibility). The ratio converter ÷ reference says how much the converter adds beyond delivery.
 * Also printed: the converter's start-up (process start → "converter consuming"), and
 * "another concurrent operation" retries seen in its log.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { tonePayloads } from '@earshot/call-scenarios';
import { deterministicEventId, TOPICS, type RecordingEvent } from '@earshot/events';
import { ConsumerRunner, EventProducer } from '@earshot/kafka';
import { connectTestStack, endOffsets, eventually } from '../libs/kafka/src/testing/test-stack';
import { buildRawLeg, PCMA, steadyPackets } from '@earshot/converter';
import { startApp } from '../test/app-process';

const CALLS = Number(process.env.BENCH_CALLS ?? 100);
const SPREAD_S = Number(process.env.BENCH_SPREAD_S ?? 9);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 9);
const PACKETS = SECONDS * 50;
const T0 = 1_763_942_400_000_000;

function percentile(values: readonly number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number;
}

async function main(): Promise<void> {
  const run = randomUUID().slice(0, 8);
  const root = await mkdtemp(join(tmpdir(), 'converter-latency-'));
  const { kafka, codec } = await connectTestStack(`converter-latency-${run}`);
  const producer = new EventProducer({ kafka, codec });
  await producer.connect();
  const instanceId = `converter-latency-${run}`;
  const completedAt = new Map<string, number>();
  const seenCompletedAt = new Map<string, number>();
  const convertedAt = new Map<string, number>();
  const failed: RecordingEvent[] = [];
  const observer = new ConsumerRunner({
    kafka, codec, groupId: `converter-latency-observer-${run}`, topics: [TOPICS.recordings], maxWaitTimeInMs: 100,
    initialOffsets: await endOffsets(kafka, [TOPICS.recordings]),
    handle: async (m) => {
      const e = m.value;
      if (!e || !e.callId.includes(run)) return;
      if (e.kind === 'CALL_COMPLETED' && !seenCompletedAt.has(e.callId)) seenCompletedAt.set(e.callId, Date.now());
      if (e.instanceId !== instanceId) return;
      if (e.kind === 'CONVERTED' && !convertedAt.has(e.callId)) convertedAt.set(e.callId, Date.now());
      if (e.kind === 'FAILED') failed.push(e);
    },
  });
  await observer.start();
  const appStarted = Date.now();
  const app = startApp('converter', {
    EARSHOT_INSTANCE_ID: instanceId, EARSHOT_RECORDINGS_DIR: root, EARSHOT_KAFKA_GROUP_PREFIX: `converter-latency-${run}`,
    EARSHOT_KAFKA_START_FROM: String(Date.now()), EARSHOT_HEARTBEAT_MS: '5000', EARSHOT_LOG_LEVEL: 'debug',
  });
  try {
    const calls: Array<{ callId: string; events: RecordingEvent[] }> = [];
    const tones = [300, 440, 520, 660].map((hz) => tonePayloads('PCMA', hz, PACKETS));
    for (let c = 0; c < CALLS; c++) {
      const callId = `lat-${run}-${c}@bench`;
      const folder = `2025/11/24/${callId}`;
      const base = { callId, instanceId: `recorder-bench-${run}`, conversion: null, error: null };
      const events: RecordingEvent[] = [];
      for (const [i, legId] of (['caller', 'callee'] as const).entries()) {
        const rawPath = `${folder}/${legId}.raw`;
        const startUs = T0 + i * 7_000;
        const endUs = startUs + (PACKETS - 1) * 20_000;
        await mkdir(dirname(join(root, rawPath)), { recursive: true });
        await writeFile(join(root, rawPath), buildRawLeg({ callId, legId, direction: legId, codecs: [PCMA], ssrc: 1000 + c * 2 + i, packets: steadyPackets(tones[(c + i) % tones.length] as Uint8Array[], { startUs }) }));
        events.push({
          ...base, eventId: deterministicEventId(callId, legId, 'LEG_COMPLETED'), kind: 'LEG_COMPLETED', captureTimeUs: endUs,
          leg: { legId, side: legId === 'caller' ? 'CALLER' : 'CALLEE', source: '10.0.0.1:40000', destination: '10.0.0.2:50000', ssrcs: [1000 + c * 2 + i], codecs: ['PCMA'], rawPath, rawSha256: '', firstCaptureTimeUs: startUs, lastCaptureTimeUs: endUs },
          stats: { packets: PACKETS, expected: PACKETS, lost: 0, duplicated: 0, outOfOrder: 0, late: 0, jitterMs: 0, maxJitterMs: 0, dtmf: [] },
        });
      }
      events.push({ ...base, eventId: deterministicEventId(callId, '', 'CALL_COMPLETED'), kind: 'CALL_COMPLETED', captureTimeUs: T0 + SECONDS * 1_000_000, leg: null, stats: null });
      calls.push({ callId, events });
    }
    await eventually('the converter to consume', () => app.output().includes('"converter consuming"') || app.child.exitCode !== null, 120_000);
    if (app.child.exitCode !== null) throw new Error(`the converter exited:\n${app.output()}`);
    const startupS = (Date.now() - appStarted) / 1000;
    await new Promise((r) => setTimeout(r, 2000)); // let its group settle

    // The calls end evenly over SPREAD_S seconds.
    const t0 = Date.now();
    await Promise.all(calls.map(async (call, c) => {
      const due = t0 + (c * SPREAD_S * 1000) / CALLS;
      await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
      await producer.send(TOPICS.recordings, call.events.map((value) => ({ key: call.callId, value })));
      completedAt.set(call.callId, Date.now());
    }));
    await eventually('every CONVERTED', () => convertedAt.size + failed.length >= CALLS, 120_000 + CALLS * 1000);
    if (failed.length > 0) throw new Error(`${failed.length} calls FAILED, e.g. ${failed[0]?.error}`);

    const conv = calls.map((c) => ((convertedAt.get(c.callId) as number) - (completedAt.get(c.callId) as number)) / 1000);
    const ref = calls.map((c) => ((seenCompletedAt.get(c.callId) ?? Number.NaN) - (completedAt.get(c.callId) as number)) / 1000);
    const retries = (app.output().match(/another concurrent operation/g) ?? []).length;
    const txs = app.output().split('\n').filter((l) => l.includes('"conversions committed"')).map((l) => JSON.parse(l) as { calls: number; waitMs: number; transactionMs: number });
    const mean = (xs: number[]): string => (xs.length === 0 ? '-' : (xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(1));
    const f = (s: number): string => `${s.toFixed(3)} s`;
    console.log(`converter latency bench: ${CALLS} calls of ${SECONDS} s (stereo PCMA) ending over ${SPREAD_S} s, node ${process.version}`);
    console.log(`  converter start-up (process start → consuming): ${startupS.toFixed(1)} s`);
    console.log(`  completed → CONVERTED (converter):               p50 ${f(percentile(conv, 50))}  p95 ${f(percentile(conv, 95))}  max ${f(percentile(conv, 100))}`);
    console.log(`  completed → seen by a do-nothing consumer (ref): p50 ${f(percentile(ref, 50))}  p95 ${f(percentile(ref, 95))}  max ${f(percentile(ref, 100))}`);
    console.log(`  ratio converter ÷ reference: p50 ${(percentile(conv, 50) / percentile(ref, 50)).toFixed(1)}×  p95 ${(percentile(conv, 95) / percentile(ref, 95)).toFixed(1)}×`);
    if (txs.length > 0) console.log(`  transactions: ${txs.length}, calls per transaction ${mean(txs.map((t) => t.calls))}, waiting for conversions ${mean(txs.map((t) => t.waitMs))} ms, transaction ${mean(txs.map((t) => t.transactionMs))} ms (means)`);
    console.log(`  last CONVERTED ${f((Math.max(...convertedAt.values()) - t0) / 1000)} after the first call ended; "another concurrent operation" in the converter's log: ${retries}`);
  } finally {
    app.child.kill('SIGTERM');
    await app.exited;
    await observer.stop();
    await producer.disconnect();
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
