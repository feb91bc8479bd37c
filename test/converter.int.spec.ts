/**
 * The converter app as a process on the real stack: .raw legs written as the recorder writes them,
 * LEG_COMPLETED×2 + CALL_COMPLETED published as the contract says, CONVERTED (or FAILED) awaited,
 * the WAV checked (channels, rate, duration, sha256 equal to the event's), the same input converted
 * twice giving the same sha256, and qm.config.v1's outputChannels applied while it runs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { WaveFile } from 'wavefile';
import { tonePayloads } from '@earshot/call-scenarios';
import { deterministicEventId, TOPICS, type LegSide, type RecordingEvent, type ServiceConfig } from '@earshot/events';
import { ConsumerRunner, EventProducer, type EventCodec } from '@earshot/kafka';
import { connectTestStack, endOffsets, eventually } from '../libs/kafka/src/testing/test-stack';
import { buildRawLeg, PCMA, steadyPackets } from '@earshot/converter';
import { startApp, type AppProcess } from './app-process';

const T0 = 1_763_942_400_000_000;

describe('converter app on the real stack', () => {
  const run = randomUUID().slice(0, 8);
  let kafka: Kafka;
  let codec: EventCodec;
  let producer: EventProducer;
  let runner: ConsumerRunner<typeof TOPICS.recordings>;
  let root: string;
  let app: AppProcess;
  const outcomes: RecordingEvent[] = [];
  let previousConfig: { value: ServiceConfig | null } | undefined;

  before(async () => {
    ({ kafka, codec } = await connectTestStack(`converter-int-${run}`));
    producer = new EventProducer({ kafka, codec });
    await producer.connect();
    root = await mkdtemp(join(tmpdir(), 'converter-int-'));
    runner = new ConsumerRunner({
      kafka, codec, groupId: `converter-int-${run}`, topics: [TOPICS.recordings], initialOffsets: await endOffsets(kafka, [TOPICS.recordings]),
      handle: async (m) => {
        // Only this test's converter: another converter running on the shared stack answers these calls too (FAILED, its root lacks the legs).
        if (m.value && m.value.callId.includes(run) && m.value.instanceId === `converter-int-${run}` && (m.value.kind === 'CONVERTED' || m.value.kind === 'FAILED')) outcomes.push(m.value);
      },
    });
    await runner.start();
    app = startApp('converter', {
      EARSHOT_INSTANCE_ID: `converter-int-${run}`, EARSHOT_RECORDINGS_DIR: root, EARSHOT_KAFKA_GROUP_PREFIX: `converter-int-${run}`,
      EARSHOT_KAFKA_START_FROM: String(Date.now()), EARSHOT_HEARTBEAT_MS: '1000',
    });
    await eventually('the converter to consume', () => app.output().includes('"converter consuming"'), 60_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${app.output()}`);
    });
  });

  after(async () => {
    if (previousConfig) await restoreConfig(previousConfig.value);
    app?.child.kill('SIGTERM');
    const exit = app ? await app.exited : undefined;
    await runner?.stop();
    await producer?.disconnect();
    if (root) await rm(root, { recursive: true, force: true });
    assert.equal(exit?.code, 0, app?.output());
  });

  /** Writes a PCMA call's two legs (caller 3 s of 440 Hz, callee 2 s of 660 Hz starting 500 ms later) under the root. */
  async function writeLegs(callId: string, folder: string, legs: Array<{ legId: string; side: LegSide; startUs: number; hz: number; packets: number }>): Promise<Array<{ legId: string; side: LegSide; rawPath: string; sha: string; startUs: number; endUs: number }>> {
    const out = [];
    for (const l of legs) {
      const bytes = buildRawLeg({ callId, legId: l.legId, direction: l.side === 'CALLER' ? 'caller' : 'callee', codecs: [PCMA], packets: steadyPackets(tonePayloads('PCMA', l.hz, l.packets), { startUs: l.startUs }) });
      const rawPath = `${folder}/${l.legId}.raw`;
      await mkdir(dirname(join(root, rawPath)), { recursive: true });
      await writeFile(join(root, rawPath), bytes);
      out.push({ legId: l.legId, side: l.side, rawPath, sha: createHash('sha256').update(bytes).digest('hex'), startUs: l.startUs, endUs: l.startUs + (l.packets - 1) * 20_000 });
    }
    return out;
  }

  /** Publishes LEG_COMPLETED per leg then CALL_COMPLETED, as the recorder does. */
  async function publishCall(callId: string, legs: Awaited<ReturnType<typeof writeLegs>>): Promise<void> {
    const base = { callId, instanceId: `recorder-test-${run}`, conversion: null, error: null };
    const events: RecordingEvent[] = legs.map((l) => ({
      ...base, eventId: deterministicEventId(callId, l.legId, 'LEG_COMPLETED'), kind: 'LEG_COMPLETED', captureTimeUs: l.endUs,
      leg: { legId: l.legId, side: l.side, source: '10.0.0.1:40000', destination: '10.0.0.2:50000', ssrcs: [0x11223344], codecs: ['PCMA'], rawPath: l.rawPath, rawSha256: l.sha, firstCaptureTimeUs: l.startUs, lastCaptureTimeUs: l.endUs },
      stats: { packets: 100, expected: 100, lost: 0, duplicated: 0, outOfOrder: 0, late: 0, jitterMs: 0, maxJitterMs: 0, dtmf: [] },
    }));
    const endUs = Math.max(...legs.map((l) => l.endUs));
    events.push({ ...base, eventId: deterministicEventId(callId, '', 'CALL_COMPLETED'), kind: 'CALL_COMPLETED', captureTimeUs: endUs + 2_000_000, leg: null, stats: null });
    await producer.send(TOPICS.recordings, events.map((value) => ({ key: callId, value })));
  }

  async function outcome(callId: string, nth = 1): Promise<RecordingEvent> {
    await eventually(`outcome ${nth} of ${callId}`, () => outcomes.filter((o) => o.callId === callId).length >= nth, 60_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${app.output()}`);
    });
    return outcomes.filter((o) => o.callId === callId)[nth - 1] as RecordingEvent;
  }

  async function checkWav(e: RecordingEvent): Promise<{ channels: number; rate: number; frames: number; sha: string }> {
    assert.equal(e.kind, 'CONVERTED', e.error ?? '');
    const c = e.conversion;
    assert.ok(c);
    const bytes = await readFile(join(root, c.path));
    const sha = createHash('sha256').update(bytes).digest('hex');
    const wav = new WaveFile(bytes);
    const fmt = wav.fmt as { numChannels: number; sampleRate: number; bitsPerSample: number };
    const frames = (wav.data as { chunkSize: number }).chunkSize / (2 * fmt.numChannels);
    assert.deepEqual(
      { path: c.path, format: c.format, channels: c.channels, sampleRate: c.sampleRate, bytes: c.bytes, sha256: c.sha256, durationMs: c.durationMs, bits: 16 },
      { path: c.path, format: 'wav/pcm16', channels: fmt.numChannels, sampleRate: fmt.sampleRate, bytes: bytes.length, sha256: sha, durationMs: Math.round((frames * 1000) / fmt.sampleRate), bits: fmt.bitsPerSample },
    );
    return { channels: fmt.numChannels, rate: fmt.sampleRate, frames, sha };
  }

  async function restoreConfig(value: ServiceConfig | null): Promise<void> {
    if (value) await producer.send(TOPICS.config, [{ key: 'converter', value }]);
    else await producer.sendTombstone(TOPICS.config, 'converter');
  }

  test('a PCMA call: CONVERTED with the WAV beside the legs, stereo 8 kHz, legs aligned; the same input twice gives the same sha256', async () => {
    const callId = `conv-${run}-a@test`;
    const folder = `2025/11/24/${callId}`;
    const legs = await writeLegs(callId, folder, [
      { legId: 'caller', side: 'CALLER', startUs: T0, hz: 440, packets: 150 },
      { legId: 'callee', side: 'CALLEE', startUs: T0 + 500_000, hz: 660, packets: 100 },
    ]);
    await publishCall(callId, legs);
    const first = await outcome(callId);
    assert.equal(first.conversion?.path, `${folder}/${callId}.wav`);
    assert.equal(first.eventId, deterministicEventId(callId, '', 'CONVERTED'));
    assert.equal(first.error, null);
    const wav = await checkWav(first);
    assert.deepEqual([wav.channels, wav.rate, wav.frames, first.conversion?.durationMs], [2, 8000, 150 * 160, 3000]);

    await publishCall(callId, legs); // the same input again (a replay)
    const second = await outcome(callId, 2);
    assert.equal((await checkWav(second)).sha, wav.sha);
    assert.deepEqual(second, first);
  });

  test('a missing .raw: FAILED naming the file, and the calls after it are converted', async () => {
    const callId = `conv-${run}-b@test`;
    const legs = await writeLegs(callId, `2025/11/24/${callId}`, [
      { legId: 'caller', side: 'CALLER', startUs: T0, hz: 440, packets: 10 },
      { legId: 'callee', side: 'CALLEE', startUs: T0, hz: 660, packets: 10 },
    ]);
    await rm(join(root, legs[1]?.rawPath ?? ''));
    await publishCall(callId, legs);
    const failed = await outcome(callId);
    assert.deepEqual([failed.kind, failed.error, failed.conversion], ['FAILED', `2025/11/24/${callId}/callee.raw is missing`, null]);

    const next = `conv-${run}-c@test`;
    await publishCall(next, await writeLegs(next, `2025/11/24/${next}`, [{ legId: 'caller', side: 'CALLER', startUs: T0, hz: 440, packets: 10 }]));
    assert.equal((await outcome(next)).kind, 'CONVERTED');
  });

  test('qm.config.v1 converter outputChannels MONO is applied while running', async () => {
    // qm.config.v1 is shared: remember the current converter value and put it back after the test.
    previousConfig = { value: await currentConverterConfig() };
    const revision = (previousConfig.value?.revision ?? 0) + 1;
    await producer.send(TOPICS.config, [{
      key: 'converter',
      value: {
        serviceKind: 'converter', revision, updatedAtMs: Date.now(), updatedBy: `converter-int-${run}`, recordEveryone: null, localDomains: [], localNumberPatterns: [],
        captureInterface: null, captureFilter: null, batchMaxPackets: null, batchWindowMs: null, recordedCodecs: [], outputChannels: 'MONO', settings: {},
      },
    }]);
    await eventually('the converter to apply MONO', () => app.output().includes('"layout":"mono"'), 30_000);
    const callId = `conv-${run}-d@test`;
    await publishCall(callId, await writeLegs(callId, `2025/11/24/${callId}`, [
      { legId: 'caller', side: 'CALLER', startUs: T0, hz: 440, packets: 50 },
      { legId: 'callee', side: 'CALLEE', startUs: T0, hz: 660, packets: 50 },
    ]));
    const wav = await checkWav(await outcome(callId));
    assert.deepEqual([wav.channels, wav.rate, wav.frames], [1, 8000, 50 * 160]);
  });

  /** The latest converter value on qm.config.v1 (null: none), read by a throwaway group. */
  async function currentConverterConfig(): Promise<ServiceConfig | null> {
    const ends = await endOffsets(kafka, [TOPICS.config]);
    const seen = new Map<number, bigint>();
    let latest: ServiceConfig | null = null;
    const reader = new ConsumerRunner({
      kafka, codec, groupId: `converter-int-config-${run}`, topics: [TOPICS.config], fromBeginning: true,
      handle: async (m) => {
        seen.set(m.partition, BigInt(m.offset) + 1n);
        if (m.key === 'converter') latest = m.value;
      },
    });
    await reader.start();
    try {
      await eventually('qm.config.v1 read to its end', () => [...(ends.get(TOPICS.config) ?? new Map<number, string>())].every(([p, high]) => BigInt(high) === 0n || (seen.get(p) ?? -1n) >= BigInt(high)), 30_000);
    } finally {
      await reader.stop();
    }
    return latest;
  }
});
