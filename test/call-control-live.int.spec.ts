/**
 * call-control live on the loopback interface (libpcap through cap; needs capture rights): a call
 * sent over UDP on 127.0.0.1 to a UAS on a SIP port of its own (EARSHOT_SIP_PORTS, so the default
 * BPF filter is built from it and nothing else on the host interferes) comes out as STARTED, ANSWERED, ENDED with the live capture's
 * (wall-clock) times. The combined sipp test covers calls with RTP.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import type { Kafka } from 'kafkajs';
import { TOPICS, type CallEvent } from '@earshot/events';
import { ConsumerRunner, type EventCodec } from '@earshot/kafka';
import { buildSdp, buildSipRequest, buildSipResponse } from '@earshot/sip';
import { connectTestStack, endOffsets, eventually } from '../libs/kafka/src/testing/test-stack';
import { startApp, type AppProcess } from './app-process';

const run = randomUUID().slice(0, 8);
let kafka: Kafka;
let codec: EventCodec;
let runner: ConsumerRunner<typeof TOPICS.callControl>;
let app: AppProcess;
let uas: Socket;
let sipPort = 0;
const seen: CallEvent[] = [];

before(async () => {
  ({ kafka, codec } = await connectTestStack(`call-control-live-${run}`));
  runner = new ConsumerRunner({
    kafka, codec, groupId: `call-control-live-${run}`, topics: [TOPICS.callControl], initialOffsets: await endOffsets(kafka, [TOPICS.callControl]),
    handle: async (m) => void (m.value?.instanceId === `cc-live-${run}` && seen.push(m.value)),
  });
  await runner.start();
  uas = createSocket('udp4');
  await new Promise<void>((r) => uas.bind(0, '127.0.0.1', () => r()));
  sipPort = uas.address().port;
  app = startApp('call-control', { EARSHOT_SIP_PORTS: String(sipPort), EARSHOT_CAPTURE_INTERFACE: 'lo', EARSHOT_RECORD_EVERYONE: 'true', EARSHOT_KAFKA_GROUP_PREFIX: `cc-live-${run}`, EARSHOT_INSTANCE_ID: `cc-live-${run}` });
  await eventually('the live capture to start', () => app.output().includes('"msg":"running"'), 60_000).catch((e: Error) => {
    throw new Error(`${e.message}\n${app.output()}`);
  });
});

after(async () => {
  app.child.kill('SIGTERM');
  await app.exited;
  uas.close();
  await runner.stop();
});

test('live capture on lo: a UDP call on the SIP port becomes STARTED, ANSWERED, ENDED', async () => {
  const uac: Socket = createSocket('udp4');
  await new Promise<void>((r) => uac.bind(0, '127.0.0.1', () => r()));
  const uacPort = uac.address().port;
  const callId = `live-${run}@example.com`;
  const from = { uri: 'sip:1001@pbx.example.com', displayName: 'Alice', tag: 'fa' };
  const toNoTag = { uri: 'sip:2001@pbx.example.com' };
  const to = { ...toNoTag, tag: 'tb' };
  const via = [{ host: '127.0.0.1', port: uacPort, branch: `z9hG4bK-${run}` }];
  const sdp = (port: number) => buildSdp({ address: '127.0.0.1', sessionVersion: 1, media: [{ port, payloadTypes: [0], rtpmap: [{ payloadType: 0, encoding: 'PCMU', clockRate: 8000 }] }] });
  const send = (s: Socket, m: Uint8Array, port: number) => new Promise<void>((r) => s.send(m, port, '127.0.0.1', () => r()));
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const t0 = Date.now() * 1000;
  try {
    await send(uac, buildSipRequest({ method: 'INVITE', uri: to.uri, callId, from, to: toNoTag, cseq: 1, via, body: sdp(40000) }), sipPort);
    await wait(20);
    await send(uas, buildSipResponse({ status: 200, callId, from, to, cseq: 1, cseqMethod: 'INVITE', via, body: sdp(50000) }), uacPort);
    await wait(20);
    await send(uac, buildSipRequest({ method: 'ACK', uri: to.uri, callId, from, to, cseq: 1, via }), sipPort);
    await wait(200);
    await send(uac, buildSipRequest({ method: 'BYE', uri: to.uri, callId, from, to, cseq: 2, via }), sipPort);
  } finally {
    uac.close();
  }
  await eventually('the live call\'s events', () => seen.filter((e) => e.callId === callId).length >= 3, 30_000);
  const events = seen.filter((e) => e.callId === callId);
  assert.deepEqual(events.map((e) => e.kind), ['STARTED', 'ANSWERED', 'ENDED']);
  assert.deepEqual(events[1]?.calleeMedia.map((m) => [m.address, m.port, m.codecs[0]?.name]), [['127.0.0.1', 50000, 'PCMU']]);
  assert.equal(events[2]?.endedBy, 'CALLER');
  // Live capture time is the wall clock at arrival in Node.
  assert.ok((events[0]?.captureTimeUs ?? 0) >= t0 - 1_000_000 && (events[0]?.captureTimeUs ?? 0) <= Date.now() * 1000);
});
