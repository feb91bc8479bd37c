/**
 * No call lost for want of one SIP packet, or for a restart of the collector (issue 8 items 4 and
 * 5), against the real stack, file-driven. Call control reads the whole capture and publishes its
 * CallEvents. The RTP collector then reads the same capture as a collector restarted in the middle
 * of the calls sees it: nothing before the restart, so the SIP that set up the calls in progress is
 * missing, and one later call's INVITE and 200 OK are lost outright. Every RTP packet sent from the
 * restart on must still be in exactly one batch, with its own call's id — including a call that
 * reuses the ports and SSRCs of an earlier one.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { buildSyntheticCapture, type CallScript, type ExpectedCall } from '@earshot/call-scenarios';
import { TOPICS, type CallEvent, type RtpBatch } from '@earshot/events';
import { ConsumerRunner, type EventCodec } from '@earshot/kafka';
import { decodeCaptureFile, PcapWriter } from '@earshot/packet';
import { assertEveryPacketOnce } from '@earshot/rtp-collector';
import { connectTestStack, endOffsets, eventually } from '../libs/kafka/src/testing/test-stack';
import { startApp, type AppProcess } from './app-process';

const run = randomUUID().slice(0, 8);
const tag = 1 + (Number.parseInt(run.slice(0, 4), 16) % 250);
const dir = mkdtempSync(join(tmpdir(), 'earshot-rtp-restart-'));
const BASE_US = 1_764_000_000_000_000;
/** The collector "restarts" here: it sees nothing of the capture before. */
const RESTART_US = BASE_US + 3_000_000;

/** Calls on addresses of their own: six set up before the restart, two reusing ports and SSRCs back to back, the second after the restart with its SIP lost. */
function scenario(): { scripts: CallScript[]; lostSip: string } {
  const party = (n: number, ip: string, rtpPort: number) => ({ uri: `sip:${n}@pbx-${run}.example`, ip, rtpPort });
  const scripts: CallScript[] = [];
  for (let i = 0; i < 6; i++) {
    scripts.push({
      callId: `restart-${i}-${run}`, caller: party(1000 + i, `10.61.${tag}.${10 + i}`, 40000 + 2 * i), callee: party(2000 + i, `10.62.${tag}.${10 + i}`, 50000 + 2 * i),
      startUs: BASE_US + i * 250_000, talkMs: 5000, ...(i === 3 ? { transport: 'tcp' as const } : {}),
    });
  }
  const reuse = { caller: party(3000, `10.63.${tag}.1`, 42000), callee: party(4000, `10.63.${tag}.2`, 52000), ssrc: { caller: 0x1234, callee: 0x5678 } };
  scripts.push({ callId: `reuse-first-${run}`, ...reuse, startUs: BASE_US + 100_000, talkMs: 3500 });
  const lostSip = `reuse-second-${run}`;
  scripts.push({ callId: lostSip, ...reuse, startUs: BASE_US + 4_500_000, talkMs: 2000 });
  return { scripts, lostSip };
}

/** How many RTP packets each call sent from the restart on. */
function sentFromRestart(calls: ExpectedCall[]): Map<string, number> {
  return new Map(calls.map((c) => [c.script.callId, [...c.rtp.caller, ...c.rtp.callee].filter((p) => p.captureTimeUs >= RESTART_US).length]));
}

async function finished(p: AppProcess, timeoutMs = 120_000): Promise<void> {
  const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  const { code } = await p.exited;
  clearTimeout(timer);
  assert.equal(code, 0, p.output());
}

describe('rtp-collector restarted mid-call, with SIP lost, on the real stack', () => {
  let kafka: Kafka;
  let codec: EventCodec;
  let runner: ConsumerRunner<typeof TOPICS.callControl | typeof TOPICS.rtp>;
  const callControlId = `call-control@restart-${run}`;
  const collectorId = `rtp-collector@restart-${run}`;
  const events: CallEvent[] = [];
  const batches: RtpBatch[] = [];

  before(async () => {
    ({ kafka, codec } = await connectTestStack(`rtp-restart-it-${run}`));
    const topics = [TOPICS.callControl, TOPICS.rtp] as const;
    runner = new ConsumerRunner({
      kafka, codec, groupId: `rtp-restart-it-${run}`, topics, initialOffsets: await endOffsets(kafka, [...topics]),
      handle: async (m) => {
        if (m.value === null) return;
        if (m.topic === TOPICS.callControl && m.value.instanceId === callControlId) events.push(m.value as CallEvent);
        if (m.topic === TOPICS.rtp && m.value.instanceId === collectorId) batches.push(m.value as RtpBatch);
      },
    });
    await runner.start();
  });
  after(async () => runner.stop());

  test('every call in progress after the restart, and the call whose INVITE and 200 OK were lost, is collected from the restart on with its own call id', async () => {
    const startedAtMs = Date.now();
    const { scripts, lostSip } = scenario();
    const full = buildSyntheticCapture(scripts);
    const fullFile = join(dir, 'full.pcap');
    writeFileSync(fullFile, full.pcap);

    // What the restarted collector captures: nothing before the restart, and no SIP of the last call.
    const withoutLostSip = buildSyntheticCapture(scripts.map((s) => (s.callId === lostSip ? { ...s, withoutSignalling: true } : s)));
    const writer = new PcapWriter();
    for (const r of decodeCaptureFile(withoutLostSip.pcap)) {
      if (r.tsSec * 1e6 + r.tsNanos / 1000 >= RESTART_US) writer.write(r.data, r.tsSec, r.tsNanos);
    }
    const collectorFile = join(dir, 'after-restart.pcap');
    writeFileSync(collectorFile, writer.toBytes());

    const common = { EARSHOT_KAFKA_GROUP_PREFIX: `rtp-restart-${run}`, EARSHOT_KAFKA_START_FROM: String(startedAtMs), EARSHOT_HEARTBEAT_MS: '1000' };
    await finished(startApp('call-control', { ...common, EARSHOT_INSTANCE_ID: callControlId, EARSHOT_CAPTURE_FILE: fullFile, EARSHOT_RECORD_EVERYONE: 'true' }));
    await eventually('call control told of every call', () => scripts.every((s) => events.some((e) => e.callId === s.callId && e.kind === 'ENDED')), 60_000);

    const collector = startApp('rtp-collector', { ...common, EARSHOT_INSTANCE_ID: collectorId, EARSHOT_CAPTURE_FILE: collectorFile });
    await finished(collector);
    const summaryLine = collector.output().split('\n').find((l) => l.includes('"capture processed"'));
    assert.ok(summaryLine, collector.output());
    const summary = JSON.parse(summaryLine) as Record<string, number>;

    const perCall = sentFromRestart(full.calls);
    const sent = [...perCall.values()].reduce((a, b) => a + b, 0);
    assert.ok([...perCall.values()].every((n) => n > 0), `every call has RTP after the restart: ${JSON.stringify([...perCall])}`);
    assert.equal(summary['packets'], sent, summaryLine);
    await eventually('every batch of the collector', () => batches.reduce((n, b) => n + b.packets.length, 0) >= sent, 60_000);
    // Exactly once, byte-identical, with the right call id — the reused ports and SSRCs included.
    assertEveryPacketOnce(full.calls, batches.filter((b) => b.watermarkUs === null), RESTART_US);
    assert.equal(summary['dropped.unannounced'] ?? 0, 0, summaryLine);
    assert.ok((summary['call-events.sniff'] ?? 0) >= scripts.length * 3, summaryLine);
    const lost = batches.filter((b) => b.callId === lostSip);
    assert.ok(lost.length > 0 && lost.every((b) => b.packets.every((p) => p.captureTimeUs >= (scripts.at(-1)?.startUs ?? 0))), 'the call with no SIP here has its own batches from its own start');
  });
});
