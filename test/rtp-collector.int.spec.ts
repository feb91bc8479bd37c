/**
 * rtp-collector as a process in file mode against the real stack: the standard scenario's capture
 * goes in, and qm.rtp.v1 holds every RTP packet sent in exactly one batch, byte-identical, with its
 * call, both directions of a session on one partition, nothing else, and watermarks on every partition.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { buildSyntheticCapture, standardScenario } from '@earshot/call-scenarios';
import { TOPICS, type RtpBatch } from '@earshot/events';
import { ConsumerRunner, type EventCodec } from '@earshot/kafka';
import { connectTestStack, endOffsets, eventually } from '../libs/kafka/src/testing/test-stack';
import { assertEveryPacketOnce } from '@earshot/rtp-collector';
import { startApp } from './app-process';

describe('rtp-collector in file mode on the real stack', () => {
  let kafka: Kafka;
  let codec: EventCodec;
  let runner: ConsumerRunner<typeof TOPICS.rtp>;
  let partitions = 0;
  const run = randomUUID().slice(0, 8);
  const instanceId = `rtp-collector-it-${run}`;
  const received: Array<{ partition: number; key: string | null; value: RtpBatch }> = [];
  const dir = mkdtempSync(join(tmpdir(), 'earshot-rtp-collector-'));

  before(async () => {
    ({ kafka, codec } = await connectTestStack(`rtp-collector-it-${run}`));
    const offsets = await endOffsets(kafka, [TOPICS.rtp]);
    partitions = offsets.get(TOPICS.rtp)?.size ?? 0;
    runner = new ConsumerRunner({
      kafka, codec, groupId: `rtp-collector-it-${run}`, topics: [TOPICS.rtp], initialOffsets: offsets,
      handle: async (m) => {
        if (m.value?.instanceId === instanceId) received.push({ partition: m.partition, key: m.key, value: m.value });
      },
    });
    await runner.start();
  });
  after(async () => runner.stop());

  test('every RTP packet sent is in exactly one batch, with its call, both directions on one partition, nothing extra; watermarks reach every partition', async () => {
    const capture = buildSyntheticCapture(standardScenario());
    const file = join(dir, 'standard.pcap');
    writeFileSync(file, capture.pcap);
    const p = startApp('rtp-collector', {
      EARSHOT_CAPTURE_FILE: file, EARSHOT_INSTANCE_ID: instanceId, EARSHOT_KAFKA_GROUP_PREFIX: `it-${run}`,
      EARSHOT_KAFKA_START_FROM: 'latest', EARSHOT_HEARTBEAT_MS: '1000',
    });
    const { code } = await p.exited;
    assert.equal(code, 0, p.output());
    const summaryLine = p.output().split('\n').find((l) => l.includes('"capture processed"'));
    assert.ok(summaryLine, p.output());
    const summary = JSON.parse(summaryLine) as Record<string, number>;
    const sent = capture.calls.flatMap((c) => [...c.rtp.caller, ...c.rtp.callee]);
    assert.equal(summary['packets'], sent.length);

    const lastUs = Math.max(...sent.map((s) => s.captureTimeUs));
    const finalMarks = (): Set<number> => new Set(received.filter((r) => r.value.watermarkUs === 2 ** 52 - 1 && lastUs > 0).map((r) => r.partition));
    // The end of a file: the final watermark says the capture is over (END_OF_CAPTURE_US).
    await eventually('the final watermark on every partition', () => finalMarks().size === partitions, 60_000);

    const batches = received.filter((r) => r.value.watermarkUs === null);
    assert.equal(batches.length, summary['batches']);
    assertEveryPacketOnce(capture.calls, batches.map((b) => b.value));
    const partitionOfSession = new Map<string, Set<number>>();
    for (const b of batches) {
      assert.equal(b.key, b.value.mediaKey);
      const set = partitionOfSession.get(b.value.mediaKey) ?? new Set<number>();
      set.add(b.partition);
      partitionOfSession.set(b.value.mediaKey, set);
    }
    for (const [session, parts] of partitionOfSession) assert.equal(parts.size, 1, `${session} on partitions ${[...parts]}`);
    // Both directions of each answered call's session arrived under one key.
    for (const call of capture.calls.filter((c) => c.rtp.caller.length > 0)) {
      const keys = new Set(batches.filter((b) => b.value.callId === call.script.callId).map((b) => `${b.value.stream.sourcePort}>${b.value.stream.destinationPort}`));
      assert.ok(keys.size >= 2, `${call.script.callId}: both directions, got ${[...keys]}`);
    }
    const marks = received.filter((r) => r.value.watermarkUs !== null);
    assert.deepEqual(new Set(marks.map((m) => m.partition)).size, partitions);
    assert.ok(marks.every((m) => m.key === 'watermark' && m.value.packets.length === 0));
  });

  test('a file that is not a capture: a clear error and exit 1', async () => {
    const file = join(dir, 'notes.txt');
    writeFileSync(file, 'these are not packets\n');
    const p = startApp('rtp-collector', { EARSHOT_CAPTURE_FILE: file, EARSHOT_INSTANCE_ID: `${instanceId}-bad`, EARSHOT_KAFKA_GROUP_PREFIX: `it-${run}`, EARSHOT_KAFKA_START_FROM: 'latest' });
    const { code } = await p.exited;
    assert.equal(code, 1, p.output());
    assert.match(p.output(), /notes\.txt: neither a pcap nor a pcapng file/);
  });
});
