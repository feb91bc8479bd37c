/**
 * A real SIP peer on the wire: sipp (Debian's sip-tester) places concurrent calls with G.711 RTP
 * between a UAC and a UAS on 127.0.0.1, while call-control and rtp-collector capture on the
 * loopback interface live. Every call must appear with the right parties and codec, and the RTP
 * packets published for each call must be exactly the ones sipp sent. sipp reuses one SSRC for every
 * call and one UAS media port, so the streams are told apart by the full 5-tuple.
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
const CALLS = 3;
const UAC_SIP_PORT = 5060;
const UAS_SIP_PORT = 5070;
const UAS_MEDIA_PORT = 6000;
const UAC_MEDIA_PORT = 16000;

/** Packets in a capture file, counted by tshark (independent of our own readers). */
function framesIn(file: string): number {
  const r = spawnSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `tshark could not read ${file}: ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean).length;
}

describe('live capture of sipp calls on the loopback interface', () => {
  let kafka: Kafka;
  let codec: EventCodec;
  let listener: ConsumerRunner<TopicName>;
  let apps: AppProcess[] = [];
  let uas: ChildProcess | undefined;
  const callEvents: CallEvent[] = [];
  const batches: RtpBatch[] = [];
  const run = randomUUID().slice(0, 8);

  before(async () => {
    ({ kafka, codec } = await connectTestStack(`sipp-live-${run}`));
    const topics = [TOPICS.callControl, TOPICS.rtp] as TopicName[];
    listener = new ConsumerRunner({
      kafka, codec, groupId: `sipp-live-${run}`, topics, initialOffsets: await endOffsets(kafka, topics),
      handle: async (m) => {
        if (!m.value) return;
        // Only this test's call control: another one capturing lo (earshot run) may follow the same calls.
        if (m.topic === TOPICS.callControl) {
          if ((m.value as CallEvent).instanceId === `call-control@sipp-${run}`) callEvents.push(m.value as CallEvent);
        } else if ((m.value as RtpBatch).packets.length > 0 && (m.value as RtpBatch).instanceId === `rtp-collector@sipp-${run}`) batches.push(m.value as RtpBatch);
      },
    });
    await listener.start();
    const common = { EARSHOT_KAFKA_GROUP_PREFIX: `sipp-live-${run}`, EARSHOT_KAFKA_START_FROM: 'latest', EARSHOT_CAPTURE_INTERFACE: 'lo' };
    apps = [
      startApp('call-control', { ...common, EARSHOT_INSTANCE_ID: `call-control@sipp-${run}`, EARSHOT_RECORD_EVERYONE: 'true',
        EARSHOT_SIP_PORTS: `${UAC_SIP_PORT},${UAS_SIP_PORT}` }),
      startApp('rtp-collector', { ...common, EARSHOT_INSTANCE_ID: `rtp-collector@sipp-${run}`,
        EARSHOT_RTP_FILTER: `udp port ${UAC_SIP_PORT} or udp port ${UAS_SIP_PORT} or udp portrange ${UAS_MEDIA_PORT}-${UAS_MEDIA_PORT + 10} or udp portrange ${UAC_MEDIA_PORT}-${UAC_MEDIA_PORT + 100}` }),
    ];
    for (const app of apps) {
      await eventually('the app to be capturing', () => /"msg":"running"/.test(app.output()), 60_000).catch((e: Error) => {
        throw new Error(`${e.message}\n${app.output()}`);
      });
    }
  });

  after(async () => {
    uas?.kill('SIGKILL');
    for (const app of apps) app.child.kill('SIGTERM');
    await Promise.all(apps.map((a) => a.exited));
    await listener.stop();
  });

  test(`${CALLS} concurrent sipp calls: parties, codec, and every RTP packet sipp sent, per call`, async () => {
    // uac_pcap plays pcap/g711a.pcap (PCMA) then pcap/dtmf_2833_1.pcap (RFC 4733) to the UAS.
    const perCall = framesIn(join(SIPP_PCAPS, 'g711a.pcap')) + framesIn(join(SIPP_PCAPS, 'dtmf_2833_1.pcap'));
    const dir = mkdtempSync(join(tmpdir(), 'earshot-sipp-'));
    symlinkSync(SIPP_PCAPS, join(dir, 'pcap'));
    uas = spawn('sipp', ['-sn', 'uas', '-i', '127.0.0.1', '-p', String(UAS_SIP_PORT), '-mp', String(UAS_MEDIA_PORT), '-nostdin'], { cwd: dir, stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 500));
    const uac = spawnSync('sipp', [
      '-sn', 'uac_pcap', `127.0.0.1:${UAS_SIP_PORT}`, '-i', '127.0.0.1', '-p', String(UAC_SIP_PORT), '-mp', String(UAC_MEDIA_PORT),
      '-m', String(CALLS), '-l', String(CALLS), '-r', '10', '-nostdin', '-timeout', '60s',
    ], { cwd: dir, encoding: 'utf8', timeout: 90_000 });
    assert.equal(uac.status, 0, `sipp uac failed: ${uac.stdout.slice(-2000)}${uac.stderr}`);

    const ended = () => callEvents.filter((e) => e.kind === 'ENDED');
    const rtpOf = (callId: string) => batches.filter((b) => b.callId === callId && b.stream.protocol === 'RTP').reduce((n, b) => n + b.packets.length, 0);
    await eventually(`${CALLS} calls ended`, () => ended().length >= CALLS, 30_000);
    const callIds = [...new Set(ended().map((e) => e.callId))];
    assert.equal(callIds.length, CALLS);
    await eventually(`${perCall} RTP packets for each call`, () => callIds.every((id) => rtpOf(id) >= perCall), 30_000).catch((e: Error) => {
      throw new Error(`${e.message}: got ${callIds.map((id) => `${id}=${rtpOf(id)}`).join(', ')}`);
    });

    for (const callId of callIds) {
      const events = callEvents.filter((e) => e.callId === callId).sort((a, b) => a.sequence - b.sequence);
      assert.deepEqual(events.map((e) => e.kind), ['STARTED', 'ANSWERED', 'ENDED'], callId);
      const started = events[0] as CallEvent;
      assert.equal(started.caller.uri, `sip:sipp@127.0.0.1:${UAC_SIP_PORT}`);
      assert.equal(started.callee.uri, `sip:service@127.0.0.1:${UAS_SIP_PORT}`);
      assert.equal(started.source, 'SNIFF');
      assert.deepEqual(started.callerMedia[0]?.codecs.map((c) => `${c.payloadType} ${c.name}/${c.clockRate}`), ['8 PCMA/8000', '101 telephone-event/8000']);
      const answered = events[1] as CallEvent;
      assert.equal(answered.calleeMedia[0]?.port, UAS_MEDIA_PORT);
      assert.equal(rtpOf(callId), perCall, `${callId}: RTP packets published`);
      // One stream per call, from the call's own UAC media port to the shared UAS port.
      const streams = new Set(batches.filter((b) => b.callId === callId && b.stream.protocol === 'RTP')
        .map((b) => `${b.stream.sourcePort}>${b.stream.destinationPort}`));
      assert.deepEqual([...streams], [`${started.callerMedia[0]?.port}>${UAS_MEDIA_PORT}`]);
    }
    // The three calls share sipp's SSRC, yet are three streams.
    const ssrcs = new Set(batches.filter((b) => callIds.includes(b.callId ?? '')).map((b) => b.stream.ssrc));
    assert.ok(ssrcs.size <= 2, `sipp uses one SSRC per payload stream, got ${ssrcs.size}`);
  });
});
