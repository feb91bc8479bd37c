/**
 * call-control as a process against the real stack: file mode on the standard synthetic capture
 * (exactly the expected CallEvents, identical event ids when run twice), the directory deciding
 * whom to record (read before the capture, updated while running), and agent mode over HTTP.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { TOPICS, type CallEvent, type DirectoryEntry } from '@earshot/events';
import { ConsumerRunner, EventProducer, type EventCodec } from '@earshot/kafka';
import { connectTestStack, endOffsets, eventually } from '../libs/kafka/src/testing/test-stack';
import { startApp, type AppProcess } from './app-process';
import { assertExpectedCallEvents } from './call-control-expectations';
import { buildSyntheticCapture, standardScenario, type CallScript } from './support/synthetic-calls';

const run = randomUUID().slice(0, 8);
const dir = mkdtempSync(join(tmpdir(), 'earshot-call-control-'));

async function finished(p: AppProcess, timeoutMs = 90_000): Promise<void> {
  const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  const { code } = await p.exited;
  clearTimeout(timer);
  assert.equal(code, 0, p.output());
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** The standard scenario moved to numbers and addresses no other test uses, so directory entries of others cannot match it. */
function isolatedScenario(tag: number): CallScript[] {
  const ip = (a: string) => a.replace(/^10\.0\.0\./, `10.123.${tag}.`).replace(/^192\.0\.2\./, `10.124.${tag}.`).replace(/^2001:db8::/, `2001:db8:${tag.toString(16)}::`);
  const uri = (u: string) => u.replace(/^sip:(\d)00(\d)@/, (_m, a: string, b: string) => `sip:9${a}${String(tag).padStart(3, '0')}${b}@`);
  return standardScenario().map((s) => ({
    ...s,
    callId: `${s.callId}-${run}`,
    caller: { ...s.caller, ip: ip(s.caller.ip), uri: uri(s.caller.uri) },
    callee: { ...s.callee, ip: ip(s.callee.ip), uri: uri(s.callee.uri) },
  }));
}

describe('call-control against the real stack', () => {
  let kafka: Kafka;
  let codec: EventCodec;
  let producer: EventProducer;
  let runner: ConsumerRunner<typeof TOPICS.callControl>;
  const seen: CallEvent[] = [];
  const byInstance = (id: string) => seen.filter((e) => e.instanceId === id);

  before(async () => {
    ({ kafka, codec } = await connectTestStack(`call-control-it-${run}`));
    producer = new EventProducer({ kafka, codec });
    await producer.connect();
    runner = new ConsumerRunner({
      kafka, codec, groupId: `call-control-it-${run}`, topics: [TOPICS.callControl],
      initialOffsets: await endOffsets(kafka, [TOPICS.callControl]),
      handle: async (m) => {
        if (m.value !== null && m.value.instanceId.endsWith(run)) seen.push(m.value);
      },
    });
    await runner.start();
  });
  after(async () => {
    await runner.stop();
    await producer.disconnect();
  });

  test('file mode: exactly the expected events per call; the same capture twice gives identical event ids', async () => {
    const capture = buildSyntheticCapture(standardScenario());
    const file = join(dir, 'standard.pcap');
    writeFileSync(file, capture.pcap);
    const expectedCount = capture.calls.reduce((n, c) => n + c.kinds.length, 0);
    const ids: string[][] = [];
    for (const attempt of [1, 2]) {
      const instanceId = `cc-file-${attempt}-${run}`;
      const p = startApp('call-control', {
        EARSHOT_CAPTURE_FILE: file, EARSHOT_KAFKA_GROUP_PREFIX: `cc-it-${attempt}-${run}`, EARSHOT_RECORD_EVERYONE: 'true', EARSHOT_INSTANCE_ID: instanceId,
        EARSHOT_LOCAL_NUMBER_PATTERNS: '1\\d{3}',
      });
      await finished(p);
      assert.match(p.output(), new RegExp(`"msg":"capture processed".*"records":${capture.frames},`));
      // Acknowledged before the app exited: all there, then nothing more.
      await eventually(`${expectedCount} events of ${instanceId}`, () => byInstance(instanceId).length >= expectedCount);
      await new Promise((r) => setTimeout(r, 1000));
      const events = byInstance(instanceId);
      assertExpectedCallEvents(events, capture.calls, instanceId);
      assert.equal(events.length, expectedCount);
      assert.deepEqual([...new Set(events.map((e) => e.direction))], ['OUTBOUND']);
      ids.push(events.map((e) => e.eventId).sort());
    }
    assert.deepEqual(ids[0], ids[1]);
  });

  test('file mode: a file that is not a capture exits 1 with a clear message', async () => {
    const file = join(dir, 'not-a-capture.pcap');
    writeFileSync(file, 'hello, I am text\n'.repeat(10));
    const p = startApp('call-control', { EARSHOT_CAPTURE_FILE: file, EARSHOT_KAFKA_GROUP_PREFIX: `cc-it-bad-${run}`, EARSHOT_INSTANCE_ID: `cc-bad-${run}` });
    const { code } = await p.exited;
    assert.equal(code, 1, p.output());
    assert.match(p.output(), /not-a-capture\.pcap is not a readable capture file/);
  });

  test('directory: with record-everyone off, only the calls of a user whose rule is ALWAYS are published', async () => {
    const tag = Math.floor(Math.random() * 200) + 20;
    const scripts = isolatedScenario(tag);
    const [plain, , , , tcp] = scripts;
    assert.ok(plain && tcp);
    const userId = `cc-it-user-${run}`;
    // Matched two ways: the caller of the plain call by extension, the callee of the TCP call by its device address.
    const entry: DirectoryEntry = {
      userId, displayName: 'Integration User', extensions: [plain.caller.uri.slice(4).split('@')[0] as string], sipUris: [],
      devices: [{ ip: tcp.callee.ip, description: 'desk' }], team: null, supervisorId: null,
      recording: { mode: 'ALWAYS', percentage: 100 }, updatedAtMs: Date.now(), updatedBy: 'call-control.int.spec',
    };
    await producer.send(TOPICS.directory, [{ key: userId, value: entry }]);
    try {
      const capture = buildSyntheticCapture(scripts);
      const file = join(dir, 'directory.pcap');
      writeFileSync(file, capture.pcap);
      const instanceId = `cc-dir-${run}`;
      const p = startApp('call-control', { EARSHOT_CAPTURE_FILE: file, EARSHOT_KAFKA_GROUP_PREFIX: `cc-it-dir-${run}`, EARSHOT_INSTANCE_ID: instanceId });
      await finished(p);

      await eventually('the user\'s events', () => byInstance(instanceId).length >= 6);
      await new Promise((r) => setTimeout(r, 1000));
      const events = byInstance(instanceId);
      assertExpectedCallEvents(events, capture.calls, instanceId, new Set([plain.callId, tcp.callId]));
      assert.deepEqual([...new Set(events.map((e) => e.recordedUserId))], [userId]);
      assert.match(p.output(), /"notRecorded":6/);
    } finally {
      await producer.sendTombstone(TOPICS.directory, userId);
    }
  });

  describe('agent mode over HTTP', () => {
    let app: AppProcess;
    let base = '';
    const token = `token-${run}`;
    const instanceId = `cc-agent-${run}`;
    before(async () => {
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      app = startApp('call-control', {
        EARSHOT_CALL_CONTROL_MODE: 'agent', EARSHOT_AGENT_TOKEN: token, EARSHOT_AGENT_LISTEN: `127.0.0.1:${port}`,
        EARSHOT_KAFKA_GROUP_PREFIX: `cc-it-agent-${run}`, EARSHOT_INSTANCE_ID: instanceId, EARSHOT_LOCAL_DOMAINS: 'pbx.example.com',
      });
      await eventually('the agent endpoint', async () => {
        try {
          return (await fetch(`${base}/v1/health`)).ok;
        } catch {
          return false;
        }
      }, 60_000).catch((e: Error) => {
        throw new Error(`${e.message}\n${app.output()}`);
      });
    });
    after(async () => {
      app.child.kill('SIGTERM');
      const { code } = await app.exited;
      assert.equal(code, 0, app.output());
    });

    const post = async (path: string, body: unknown, auth: string | null = token) => {
      const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(auth === null ? {} : { authorization: `Bearer ${auth}` }) }, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };

    test('refuses to start without a token', async () => {
      const p = startApp('call-control', { EARSHOT_CALL_CONTROL_MODE: 'agent', EARSHOT_INSTANCE_ID: `cc-agent-notoken-${run}` });
      const { code } = await p.exited;
      assert.equal(code, 2);
      assert.match(p.output(), /EARSHOT_AGENT_TOKEN \/ agent\.token is required in agent mode/);
    });

    test('401 without or with a wrong token; 400 with the field path', async () => {
      assert.equal((await post('/v1/calls', { callId: 'x' }, null)).status, 401);
      assert.equal((await post('/v1/calls', { callId: 'x' }, 'nope')).status, 401);
      const bad = await post('/v1/calls', { callId: `bad-${run}`, caller: { uri: 'sip:1@pbx.example.com' }, callee: { uri: 'sip:2@pbx.example.com' }, calleeMedia: { streams: [{ address: '10.0.0.1', port: 99999, codecs: [{ payloadType: 0 }] }] } });
      assert.deepEqual([bad.status, bad.body['field']], [400, 'calleeMedia.streams[0].port']);
    });

    test('happy path: a user added to the directory while running gets its calls recorded; start, answer, stop reach the topic', async () => {
      const userId = `cc-agent-user-${run}`;
      const ext = `8${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`;
      const start = (callId: string) => post('/v1/calls', {
        callId, caller: { uri: `sip:${ext}@pbx.example.com`, displayName: 'Agent User' }, callee: { uri: 'sip:+4930123456@carrier.example.net' },
        callerMedia: { sdp: 'v=0\r\no=- 1 1 IN IP4 10.5.0.1\r\ns=-\r\nc=IN IP4 10.5.0.1\r\nt=0 0\r\nm=audio 41000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n' },
      });
      const before = await start(`agent-before-${run}`);
      assert.deepEqual([before.status, before.body['recorded']], [201, false]);
      await producer.send(TOPICS.directory, [{ key: userId, value: {
        userId, displayName: 'Agent User', extensions: [ext], sipUris: [], devices: [], team: null, supervisorId: null,
        recording: { mode: 'ALWAYS', percentage: 100 }, updatedAtMs: Date.now(), updatedBy: 'call-control.int.spec',
      } }]);
      try {
        const callId = `agent-after-${run}`;
        await eventually('the directory update to apply', async () => {
          const r = await start(`probe-${randomUUID()}-${run}`);
          return r.body['recorded'] === true;
        });
        const s = await start(callId);
        assert.deepEqual([s.status, s.body['recorded'], s.body['recordedUserId'], s.body['direction']], [201, true, userId, 'OUTBOUND']);
        assert.equal((await post(`/v1/calls/${callId}/answer`, { calleeMedia: { streams: [{ address: '203.0.113.9', port: 52000, codecs: [{ payloadType: 0 }] }] } })).status, 200);
        assert.equal((await post(`/v1/calls/${callId}/stop`, { endedBy: 'CALLEE' })).status, 200);
        await eventually('the agent call\'s events', () => seen.filter((e) => e.callId === callId).length >= 3);
        const events = seen.filter((e) => e.callId === callId);
        assert.deepEqual(events.map((e) => [e.kind, e.sequence, e.source, e.instanceId]), [['STARTED', 0, 'AGENT', instanceId], ['ANSWERED', 1, 'AGENT', instanceId], ['ENDED', 2, 'AGENT', instanceId]]);
        assert.deepEqual(events[2]?.callerMedia.map((m) => [m.address, m.port, m.codecs.map((c) => c.name)]), [['10.5.0.1', 41000, ['PCMU', 'telephone-event']]]);
        assert.deepEqual(events[2]?.calleeMedia.map((m) => [m.address, m.port]), [['203.0.113.9', 52000]]);
        assert.equal(events[2]?.endedBy, 'CALLEE');
        assert.equal(seen.filter((e) => e.callId === `agent-before-${run}`).length, 0, 'the call before the user existed was not recorded');
      } finally {
        await producer.sendTombstone(TOPICS.directory, userId);
      }
    });
  });
});
