/**
 * The RTP collector killed (SIGKILL) during live calls and started again (issue 8 item 4): sipp
 * places concurrent calls on the loopback interface while call control and the collector capture
 * it live. The restarted collector never sees the SIP of the calls in progress; it learns them from
 * call control's events, read back at start. Every call must be collected from the restart on:
 * its RTP batched with its own call id, without a gap, to the end of the call.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { TOPICS, type CallEvent, type RtpBatch, type TopicName } from '@earshot/events';
import { ConsumerRunner, type EventCodec } from '@earshot/kafka';
import { connectTestStack, endOffsets, eventually } from '../libs/kafka/src/testing/test-stack';
import { startApp, type AppProcess } from './app-process';

const SIPP_PCAPS = '/usr/share/sip-tester';
const CALLS = 4;
// Ports of their own: test/sipp-live.int.spec.ts uses 5060/5070/6000/16000.
const UAC_SIP_PORT = 5082;
const UAS_SIP_PORT = 5092;
const UAS_MEDIA_PORT = 6200;
const UAC_MEDIA_PORT = 17200;

describe('rtp-collector killed and restarted during live sipp calls', () => {
  let kafka: Kafka;
  let codec: EventCodec;
  let listener: ConsumerRunner<TopicName>;
  const apps: AppProcess[] = [];
  const sipp: ChildProcess[] = [];
  const callEvents: CallEvent[] = [];
  const batches: RtpBatch[] = [];
  const run = randomUUID().slice(0, 8);
  const collectorId = `rtp-collector@restart-live-${run}`;
  const common = {
    EARSHOT_KAFKA_GROUP_PREFIX: `restart-live-${run}`, EARSHOT_KAFKA_START_FROM: 'latest', EARSHOT_CAPTURE_INTERFACE: 'lo',
    EARSHOT_SIP_PORTS: `${UAC_SIP_PORT},${UAS_SIP_PORT}`,
  };
  const collectorEnv = {
    ...common, EARSHOT_INSTANCE_ID: collectorId,
    EARSHOT_RTP_FILTER: `udp port ${UAC_SIP_PORT} or udp port ${UAS_SIP_PORT} or udp portrange ${UAS_MEDIA_PORT}-${UAS_MEDIA_PORT + 10} or udp portrange ${UAC_MEDIA_PORT}-${UAC_MEDIA_PORT + 100}`,
  };
  const running = async (app: AppProcess): Promise<void> => {
    await eventually('the app to be capturing', () => /"msg":"running"/.test(app.output()), 60_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${app.output()}`);
    });
  };

  before(async () => {
    ({ kafka, codec } = await connectTestStack(`restart-live-${run}`));
    const topics = [TOPICS.callControl, TOPICS.rtp] as TopicName[];
    listener = new ConsumerRunner({
      kafka, codec, groupId: `restart-live-${run}`, topics, initialOffsets: await endOffsets(kafka, topics),
      handle: async (m) => {
        if (!m.value) return;
        if (m.topic === TOPICS.callControl && (m.value as CallEvent).instanceId === `call-control@restart-live-${run}`) callEvents.push(m.value as CallEvent);
        else if (m.topic === TOPICS.rtp && (m.value as RtpBatch).instanceId === collectorId && (m.value as RtpBatch).packets.length > 0) batches.push(m.value as RtpBatch);
      },
    });
    await listener.start();
    apps.push(startApp('call-control', { ...common, EARSHOT_INSTANCE_ID: `call-control@restart-live-${run}`, EARSHOT_RECORD_EVERYONE: 'true' }));
    apps.push(startApp('rtp-collector', collectorEnv));
    for (const app of apps) await running(app);
  });

  after(async () => {
    for (const p of sipp) p.kill('SIGKILL');
    for (const app of apps) if (app.child.exitCode === null && app.child.signalCode === null) app.child.kill('SIGTERM');
    await Promise.all(apps.map((a) => a.exited));
    await listener.stop();
  });

  test(`${CALLS} calls in progress when the collector is killed are collected from its restart on, to their end`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'earshot-restart-live-'));
    symlinkSync(SIPP_PCAPS, join(dir, 'pcap'));
    // An independent capture of the wire, to know what was sent after the restart.
    const wire = join(dir, 'wire.pcap');
    const dumpcap = spawn('tshark', ['-i', 'lo', '-f', `udp port ${UAS_MEDIA_PORT}`, '-w', wire, '-q'], { stdio: 'ignore' });
    sipp.push(dumpcap);
    await new Promise((r) => setTimeout(r, 2000));
    sipp.push(spawn('sipp', ['-sn', 'uas', '-i', '127.0.0.1', '-p', String(UAS_SIP_PORT), '-mp', String(UAS_MEDIA_PORT), '-nostdin'], { cwd: dir, stdio: 'ignore' }));
    await new Promise((r) => setTimeout(r, 500));
    // uac_pcap plays about 7 s of PCMA (30 ms packets) and an RFC 4733 digit per call.
    const uac = spawn('sipp', [
      '-sn', 'uac_pcap', `127.0.0.1:${UAS_SIP_PORT}`, '-i', '127.0.0.1', '-p', String(UAC_SIP_PORT), '-mp', String(UAC_MEDIA_PORT),
      '-m', String(CALLS), '-l', String(CALLS), '-r', '10', '-nostdin', '-timeout', '60s',
    ], { cwd: dir, stdio: 'ignore' });
    sipp.push(uac);
    const uacExit = new Promise<number | null>((r) => uac.once('exit', (code) => r(code)));

    const answered = () => [...new Set(callEvents.filter((e) => e.kind === 'ANSWERED').map((e) => e.callId))];
    await eventually(`${CALLS} calls answered`, () => answered().length >= CALLS, 30_000);
    await eventually('the first collector publishing their RTP', () => answered().every((id) => batches.some((b) => b.callId === id)), 30_000);
    const first = apps[1] as AppProcess;
    first.child.kill('SIGKILL');
    await first.exited;
    const killedUs = Date.now() * 1000;
    await new Promise((r) => setTimeout(r, 1000));
    const second = startApp('rtp-collector', collectorEnv);
    apps.push(second);
    await running(second);

    assert.equal(await uacExit, 0, 'sipp placed every call');
    const ended = () => callEvents.filter((e) => e.kind === 'ENDED');
    await eventually(`${CALLS} calls ended`, () => ended().length >= CALLS, 30_000);
    const callIds = answered();
    const after = (id: string) => batches.filter((b) => b.callId === id && b.stream.protocol === 'RTP' && (b.packets[0]?.captureTimeUs ?? 0) > killedUs);
    // Reading the calls back can take long on a busy machine; what was captured meanwhile is held.
    await eventually('batches of every call from the restarted collector', () => callIds.every((id) => after(id).length > 0), 90_000).catch((e: Error) => {
      const log = second.output().split('\n').filter((l) => !l.includes('dead-letter')).join('\n');
      const seenAfter = new Map<string, number>();
      for (const b of batches.filter((x) => (x.packets[0]?.captureTimeUs ?? 0) > killedUs)) {
        const k = `${b.callId} ${b.stream.sourcePort}>${b.stream.destinationPort}`;
        seenAfter.set(k, (seenAfter.get(k) ?? 0) + b.packets.length);
      }
      throw new Error(`${e.message}: ${callIds.map((id) => `${id}: ${after(id).length}`).join(', ')}; published after the kill: ${JSON.stringify([...seenAfter])}\n${log.slice(-6000)}`);
    });
    // The calls are over: wait until the last batches are in (none new for 3 s).
    let seen = -1;
    for (let i = 0; i < 30 && seen !== batches.length; i++) {
      seen = batches.length;
      await new Promise((r) => setTimeout(r, 3000));
    }

    second.child.kill('SIGTERM');
    await second.exited;
    const stoppedLine = second.output().split('\n').find((l) => l.includes('"msg":"capture stopped"'));
    assert.ok(stoppedLine, second.output());
    const summary = JSON.parse(stoppedLine) as Record<string, number>;
    // What the capture itself lost is not the collector's to recover: it must be none here.
    assert.equal((summary['kernelDrops'] ?? 0) + (summary['queueDrops'] ?? 0) + (summary['interfaceDrops'] ?? 0), 0, stoppedLine);
    assert.equal(summary['dropped.unannounced'] ?? 0, 0, stoppedLine);
    // Every RTP packet on the wire (tshark's own capture) from the first the restarted collector
    // saw on: in exactly one batch of its own call — the UAC's media port names the call.
    dumpcap.kill('SIGINT');
    await new Promise((r) => dumpcap.once('exit', r));
    const callOfPort = new Map(callIds.map((id) => [callEvents.find((e) => e.callId === id && e.kind === 'ANSWERED')?.callerMedia[0]?.port ?? -1, id]));
    // By 5-tuple, SSRC and sequence number (RFC 4733 repeats an event's last packet: counted).
    const collected = new Map<string, { callIds: Set<string | null>; n: number }>();
    for (const b of batches) {
      if ((b.packets[0]?.captureTimeUs ?? 0) <= killedUs || b.stream.protocol !== 'RTP') continue;
      for (const p of b.packets) {
        const key = `${b.stream.sourcePort}>${b.stream.destinationPort} ${b.stream.ssrc} ${p.data.readUInt16BE(2)}`;
        const c = collected.get(key) ?? { callIds: new Set(), n: 0 };
        c.callIds.add(b.callId);
        c.n++;
        collected.set(key, c);
      }
    }
    const firstSeenUs = Math.min(...batches.filter((b) => (b.packets[0]?.captureTimeUs ?? 0) > killedUs).map((b) => b.packets[0]?.captureTimeUs ?? Infinity));
    const fields = spawnSync('tshark', ['-r', wire, '-d', `udp.port==${UAS_MEDIA_PORT},rtp`, '-Y', `rtp && udp.dstport==${UAS_MEDIA_PORT}`, '-T', 'fields',
      '-e', 'frame.time_epoch', '-e', 'udp.srcport', '-e', 'udp.dstport', '-e', 'rtp.ssrc', '-e', 'rtp.seq'], { encoding: 'utf8' });
    assert.equal(fields.status, 0, fields.stderr);
    const onWire = fields.stdout.split('\n').filter(Boolean).map((l) => {
      const [t, sp, dp, ssrc, seq] = l.split('\t');
      return { us: Math.round(Number(t) * 1e6), key: `${sp}>${dp} ${Number(ssrc)} ${seq}`, call: callOfPort.get(Number(sp)) };
    }).filter((p) => p.us >= firstSeenUs + 1000);
    assert.ok(onWire.length > 100, `tshark saw ${onWire.length} RTP packets after the restart`);
    const wireCount = new Map<string, number>();
    for (const p of onWire) wireCount.set(p.key, (wireCount.get(p.key) ?? 0) + 1);
    const missing = onWire.filter((p) => (collected.get(p.key)?.n ?? 0) < (wireCount.get(p.key) ?? 0));
    assert.equal(missing.length, 0, `${missing.length} of ${onWire.length} packets on the wire after the restart not collected, e.g. ${JSON.stringify(missing.slice(0, 3))} (first seen ${firstSeenUs})\n${stoppedLine}`);
    const wrongCall = onWire.filter((p) => { const ids = collected.get(p.key)?.callIds; return ids === undefined || ids.size !== 1 || !ids.has(p.call ?? ''); });
    assert.equal(wrongCall.length, 0, `${wrongCall.length} packets with another call id, e.g. ${JSON.stringify(wrongCall.slice(0, 3).map((p) => [p.key, p.call, [...(collected.get(p.key)?.callIds ?? [])]]))}`);
    // Each call was collected after the restart, not only one.
    for (const id of callIds) assert.ok(onWire.some((p) => p.call === id), `${id} had RTP after the restart`);
    assert.match(second.output(), /"msg":"running"/);
  });
});
