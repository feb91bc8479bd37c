/**
 * Support of the console's tests: a status app process on its own fresh database (every migration
 * applied by the app itself, the projector reading only what the test publishes), and calls put
 * into it the way the pipeline does: CallEvents and RecordingEvents on the topics, a real WAV
 * under EARSHOT_RECORDINGS_DIR, RtpBatches for a call in progress.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import type { Kafka } from 'kafkajs';
import { encodeRtpPacket, mediaKey } from '@earshot/rtp';
import { encodePcmu } from '@earshot/codecs';
import {
  deterministicEventId, TOPICS, type CallEvent, type CallParty, type DirectoryEntry, type MediaDescription, type RecordingEvent, type RtpBatch,
} from '@earshot/events';
import { EventProducer, type EventCodec } from '@earshot/kafka';
import { connectTestStack, eventually } from '../libs/kafka/src/testing/test-stack';
import { startApp, type AppProcess, waitForStatusHealthy } from './app-process';
import { freePort } from './status-api-stack';

const PG_ADMIN_URL = process.env.EARSHOT_PG_URL ?? 'postgres://earshot:earshot@127.0.0.1:5432/earshot';

export interface ConsoleStack {
  run: string;
  baseUrl: string;
  recordingsDir: string;
  adminPassword: string;
  app: AppProcess;
  db: Client;
  kafka: Kafka;
  codec: EventCodec;
  producer: EventProducer;
  /** Logs in over the REST API; the session token (Bearer). */
  login(username: string, password: string): Promise<string>;
  stop(): Promise<void>;
}

/** The status app on a fresh database `earshot_console_<run>`, its own port, group prefix and recordings folder. */
export async function startConsoleStack(run: string, env: Record<string, string> = {}): Promise<ConsoleStack> {
  const database = `earshot_console_${run}`;
  const admin = new Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${database}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${database}`;
  const db = new Client({ connectionString: url.toString() });
  await db.connect();
  const recordingsDir = mkdtempSync(join(tmpdir(), 'earshot-console-'));
  const port = await freePort();
  const adminPassword = `admin-${run}-pw`;
  const { kafka, codec } = await connectTestStack(`status-console-${run}`);
  const producer = new EventProducer({ kafka, codec });
  await producer.connect();
  const app = startApp('status', {
    EARSHOT_PG_URL: url.toString(), EARSHOT_PG_SCHEMA_PREFIX: 'none', EARSHOT_STATUS_PORT: String(port),
    EARSHOT_KAFKA_GROUP_PREFIX: `status-console-${run}`, EARSHOT_KAFKA_START_FROM: 'latest', EARSHOT_INSTANCE_ID: `status-console-${run}`,
    EARSHOT_RECORDINGS_DIR: recordingsDir, EARSHOT_ADMIN_PASSWORD: adminPassword, EARSHOT_HEARTBEAT_MS: '1000', EARSHOT_LOG_LEVEL: 'info',
    ...env,
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitForStatusHealthy(app, baseUrl);
  return {
    run, baseUrl, recordingsDir, adminPassword, app, db, kafka, codec, producer,
    async login(username, password) {
      const r = await fetch(`${baseUrl}/api/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password }) });
      if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${await r.text()}`);
      return ((await r.json()) as { token: string }).token;
    },
    async stop() {
      app.child.kill('SIGTERM');
      await app.exited;
      await producer.disconnect();
      await db.end();
      const a = new Client({ connectionString: PG_ADMIN_URL });
      await a.connect();
      await a.query(`drop database if exists ${database} with (force)`);
      await a.end();
      rmSync(recordingsDir, { recursive: true, force: true });
    },
  };
}

/** A stereo PCM16 WAV: the caller speaks on the left, the callee answers on the right, in turns. */
export function conversationWav(seconds: number, sampleRate = 8000): Buffer {
  const frames = seconds * sampleRate;
  const data = Buffer.alloc(frames * 4);
  for (let i = 0; i < frames; i++) {
    const t = i / sampleRate;
    const turn = Math.floor(t / 1.5) % 2; // 1.5 s turns
    const envelope = Math.max(0, Math.sin(Math.PI * ((t % 1.5) / 1.5))) * (0.55 + 0.45 * Math.sin(2 * Math.PI * 3 * t) ** 2);
    const left = turn === 0 ? envelope * 0.6 * Math.sin(2 * Math.PI * 440 * t) : 0.01 * Math.sin(2 * Math.PI * 90 * t);
    const right = turn === 1 ? envelope * 0.5 * Math.sin(2 * Math.PI * 660 * t) : 0.01 * Math.sin(2 * Math.PI * 70 * t);
    data.writeInt16LE(Math.round(left * 32767), i * 4);
    data.writeInt16LE(Math.round(right * 32767), i * 4 + 2);
  }
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii'); h.writeUInt32LE(36 + data.length, 4); h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii'); h.writeUInt32LE(16, 16); h.writeUInt16LE(1, 20); h.writeUInt16LE(2, 22);
  h.writeUInt32LE(sampleRate, 24); h.writeUInt32LE(sampleRate * 4, 28); h.writeUInt16LE(4, 32); h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii'); h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

const party = (user: string, name: string | null): CallParty => ({ uri: `sip:${user}@pbx.example.com`, user, displayName: name, assertedIdentity: null, tag: `tag-${user}` });
const audio = (address: string, port: number): MediaDescription[] => [{
  media: 'audio', address, port, rtcpPort: null, mode: 'SENDRECV', ptimeMs: 20,
  codecs: [{ payloadType: 0, name: 'PCMU', clockRate: 8000, channels: 1, fmtp: null }, { payloadType: 101, name: 'telephone-event', clockRate: 8000, channels: 1, fmtp: '0-16' }],
}];

export interface TestCall {
  callId: string;
  recordedUserId: string;
  caller: { user: string; name: string | null; ip: string; port: number };
  callee: { user: string; name: string | null; ip: string; port: number };
  startedUs: number;
}

/** A call of `userId` (the caller) started `agoMs` before now. */
export function testCall(run: string, name: string, userId: string, callerUser: string, agoMs: number, ipOctet: number): TestCall {
  return {
    callId: `${name}-${run}@console.test`, recordedUserId: userId,
    caller: { user: callerUser, name: userId === 'alice' ? 'Alice Agent' : userId === 'bob' ? 'Bob Agent' : null, ip: `10.77.${ipOctet}.11`, port: 40000 + ipOctet * 2 },
    callee: { user: '+15551234567', name: null, ip: `192.0.2.${ipOctet}`, port: 50000 + ipOctet * 2 },
    startedUs: (Date.now() - agoMs) * 1000,
  };
}

function callEvent(c: TestCall, kind: CallEvent['kind'], sequence: number, atUs: number): CallEvent {
  return {
    eventId: deterministicEventId('console-test', c.callId, kind, sequence), callId: c.callId, kind, sequence, captureTimeUs: atUs,
    source: 'SNIFF', instanceId: 'call-control@console-test', caller: party(c.caller.user, c.caller.name), callee: party(c.callee.user, c.callee.name),
    direction: 'OUTBOUND', recordedUserId: c.recordedUserId, callerMedia: audio(c.caller.ip, c.caller.port), calleeMedia: audio(c.callee.ip, c.callee.port),
    signalling: { transport: 'udp', source: `${c.caller.ip}:5060`, destination: '10.77.0.1:5060' },
    endedBy: kind === 'ENDED' ? 'CALLEE' : null, failureStatus: null, reason: kind === 'ENDED' ? 'Normal call clearing' : null,
  };
}

/** Publishes STARTED and ANSWERED: a call in progress. */
export async function publishCallInProgress(producer: EventProducer, c: TestCall): Promise<void> {
  await producer.send(TOPICS.callControl, [
    { key: c.callId, value: callEvent(c, 'STARTED', 0, c.startedUs) },
    { key: c.callId, value: callEvent(c, 'ANSWERED', 1, c.startedUs + 2_000_000) },
  ]);
}

/**
 * A finished, recorded call as the pipeline leaves it: the call events, both legs started and
 * completed with their quality figures, CALL_COMPLETED, and CONVERTED naming the WAV written
 * under the recordings folder. Returns the WAV's bytes.
 */
export async function publishRecordedCall(producer: EventProducer, recordingsDir: string, c: TestCall, seconds: number): Promise<Buffer> {
  const wav = conversationWav(seconds);
  const relPath = `console-test/${c.callId.replace(/[^A-Za-z0-9._-]/g, '_')}/call.wav`;
  mkdirSync(dirname(join(recordingsDir, relPath)), { recursive: true });
  writeFileSync(join(recordingsDir, relPath), wav);
  const answered = c.startedUs + 2_000_000;
  const ended = answered + seconds * 1_000_000;
  await producer.send(TOPICS.callControl, [
    { key: c.callId, value: callEvent(c, 'STARTED', 0, c.startedUs) },
    { key: c.callId, value: callEvent(c, 'ANSWERED', 1, answered) },
    { key: c.callId, value: callEvent(c, 'ENDED', 2, ended) },
  ]);
  const legs = [
    { legId: 'caller', side: 'CALLER' as const, source: `${c.caller.ip}:${c.caller.port}`, destination: `${c.callee.ip}:${c.callee.port}`, ssrc: 0x1234abcd, lost: 3, jitter: 1.8 },
    { legId: 'callee', side: 'CALLEE' as const, source: `${c.callee.ip}:${c.callee.port}`, destination: `${c.caller.ip}:${c.caller.port}`, ssrc: 0x5678ef01, lost: 0, jitter: 0.6 },
  ];
  const rec = (kind: RecordingEvent['kind'], atUs: number, extra: Partial<RecordingEvent>, part = ''): RecordingEvent => ({
    eventId: deterministicEventId('console-test', c.callId, kind, part), callId: c.callId, kind, captureTimeUs: atUs,
    instanceId: kind === 'CONVERTED' ? 'converter@console-test' : 'recorder@console-test', leg: null, stats: null, conversion: null, error: null, ...extra,
  });
  const events: RecordingEvent[] = [];
  for (const l of legs) {
    const leg = { legId: l.legId, side: l.side, source: l.source, destination: l.destination, ssrcs: [l.ssrc], codecs: ['PCMU'],
      rawPath: relPath.replace('call.wav', `${l.legId}.raw`), rawSha256: null, firstCaptureTimeUs: answered + 20_000, lastCaptureTimeUs: ended - 20_000 };
    events.push(rec('LEG_STARTED', answered + 20_000, { leg }, l.legId));
  }
  for (const l of legs) {
    const leg = { legId: l.legId, side: l.side, source: l.source, destination: l.destination, ssrcs: [l.ssrc], codecs: ['PCMU'],
      rawPath: relPath.replace('call.wav', `${l.legId}.raw`), rawSha256: createHash('sha256').update(l.legId).digest('hex'), firstCaptureTimeUs: answered + 20_000, lastCaptureTimeUs: ended - 20_000 };
    const expected = seconds * 50;
    events.push(rec('LEG_COMPLETED', ended + 1_000_000, {
      leg, stats: { packets: expected - l.lost, expected, lost: l.lost, duplicated: 0, outOfOrder: l.lost > 0 ? 1 : 0, late: 0, jitterMs: l.jitter, maxJitterMs: l.jitter * 3,
        dtmf: l.side === 'CALLER' ? [{ digit: '4', captureTimeUs: answered + 1_500_000, durationMs: 120 }] : [] },
    }, l.legId));
  }
  events.push(rec('CALL_COMPLETED', ended + 1_000_000, {}));
  events.push(rec('CONVERTED', ended + 1_200_000, {
    conversion: { path: relPath, format: 'wav/pcm16', channels: 2, sampleRate: 8000, durationMs: seconds * 1000, bytes: wav.length, sha256: createHash('sha256').update(wav).digest('hex') },
  }));
  await producer.send(TOPICS.recordings, events.map((value) => ({ key: c.callId, value })));
  return wav;
}

/** A directory user whose calls (recordedUserId) agents and supervisors are matched by. */
export function directoryUser(userId: string, displayName: string, extension: string, team: string): DirectoryEntry {
  return {
    userId, displayName, extensions: [extension], sipUris: [`sip:${extension}@pbx.example.com`], devices: [], team, supervisorId: null,
    recording: { mode: 'ALWAYS', percentage: 100 }, updatedAtMs: Date.now(), updatedBy: 'console-test',
  };
}

/**
 * RTP of a call in progress as the rtp-collector publishes it: `packets` 20 ms PCMU packets per
 * direction from `fromPacket`, a sine of `hz` per direction, one RtpBatch per direction.
 */
export function rtpBatches(c: TestCall, fromPacket: number, packets: number, batchSequence: number, withCallId: boolean): RtpBatch[] {
  const out: RtpBatch[] = [];
  const dirs = [
    { src: c.caller, dst: c.callee, hz: 440, ssrc: 0x11110000 },
    { src: c.callee, dst: c.caller, hz: 660, ssrc: 0x22220000 },
  ];
  for (const d of dirs) {
    const ssrc = d.ssrc;
    const captured = [];
    for (let k = fromPacket; k < fromPacket + packets; k++) {
      const pcm = new Int16Array(160);
      for (let i = 0; i < 160; i++) pcm[i] = Math.round(12000 * Math.sin((2 * Math.PI * d.hz * (k * 160 + i)) / 8000));
      const payload = encodePcmu(pcm);
      const buf = new Uint8Array(12 + payload.length);
      encodeRtpPacket({ marker: k === 0, payloadType: 0, sequenceNumber: k & 0xffff, timestamp: (k * 160) >>> 0, ssrc, csrcs: [], extension: null, payload, paddingSize: 0 }, buf);
      captured.push({ captureTimeUs: c.startedUs + 2_000_000 + k * 20_000, data: Buffer.from(buf) });
    }
    out.push({
      batchId: `console-test:${d.src.ip}:${d.src.port}>${d.dst.ip}:${d.dst.port}#${ssrc}/${batchSequence}`,
      mediaKey: mediaKey({ ip: d.src.ip, port: d.src.port }, { ip: d.dst.ip, port: d.dst.port }),
      stream: { protocol: 'RTP', sourceAddress: d.src.ip, sourcePort: d.src.port, destinationAddress: d.dst.ip, destinationPort: d.dst.port, ssrc },
      callId: withCallId ? c.callId : null, batchSequence, instanceId: 'rtp-collector@console-test', packets: captured, watermarkUs: null,
    });
  }
  return out;
}

/** Creates a console account over the REST API (admin token). */
export async function createAccount(stack: ConsoleStack, adminToken: string, body: { username: string; password: string; role: string; userId: string | null }): Promise<void> {
  const r = await fetch(`${stack.baseUrl}/api/accounts`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${adminToken}` }, body: JSON.stringify(body) });
  if (r.status !== 201) throw new Error(`create account ${body.username}: ${r.status} ${await r.text()}`);
}

/** Waits until the projector has the call (seen through the API as the admin), with a recording when `recorded`. */
export async function waitForCall(stack: ConsoleStack, token: string, callId: string, recorded: boolean): Promise<void> {
  await eventually(`call ${callId} to be projected${recorded ? ' with its recording' : ''}`, async () => {
    const r = await fetch(`${stack.baseUrl}/api/calls/${encodeURIComponent(callId)}`, { headers: { Authorization: `Bearer ${token}` } });
    if (r.status !== 200) return false;
    const d = (await r.json()) as { call: { hasRecording: boolean }; recording: { url: string | null } | null };
    return !recorded || (d.call.hasRecording && d.recording?.url !== null && d.recording !== null);
  }, 60_000);
}
