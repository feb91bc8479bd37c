/**
 * A directory change made through the REST API reaches call control while it runs: a user PUT with
 * ALWAYS makes a running call-control instance (agent mode, HTTP) record that user's next call,
 * where a call of the same extension just before the change was not recorded.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt, randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { TOPICS, type CallEvent } from '@earshot/events';
import { ConsumerRunner, type EventCodec } from '@earshot/kafka';
import { connectTestStack, endOffsets, eventually } from '../libs/kafka/src/testing/test-stack';
import { startApp, type AppProcess } from './app-process';
import { freePort, startStatusApi, type StatusApiStack } from './status-api-stack';

const run = randomUUID().replace(/-/g, '').slice(0, 10);
// An extension no earlier run has put in the (compacted) directory.
const EXT = `8${randomInt(10_000_000, 99_999_999)}`;
const USER = `dana-${run}`;
const AGENT_TOKEN = `agent-${run}`;

let stack: StatusApiStack;
let callControl: AppProcess;
let agentUrl: string;
let kafka: Kafka;
let codec: EventCodec;
let runner: ConsumerRunner<typeof TOPICS.callControl>;
const events: CallEvent[] = [];
let adminToken: string;

async function agent(path: string, body: unknown): Promise<{ status: number; body: { recorded?: boolean; recordedUserId?: string | null; [k: string]: unknown } }> {
  const r = await fetch(`${agentUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${AGENT_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.status, body: (await r.json()) as { recorded?: boolean } };
}

/** A call from outside to the user's extension: started, answered, ended. Returns whether call control records it. */
async function placeCall(callId: string): Promise<boolean> {
  const started = await agent('/v1/calls', {
    callId, caller: { uri: 'sip:+15550001111@carrier.example.net' }, callee: { uri: `sip:${EXT}@pbx.example.com`, displayName: 'Dana' },
  });
  assert.equal(started.status, 201, JSON.stringify(started.body));
  assert.equal((await agent(`/v1/calls/${encodeURIComponent(callId)}/answer`, {})).status, 200);
  assert.equal((await agent(`/v1/calls/${encodeURIComponent(callId)}/stop`, { endedBy: 'CALLER' })).status, 200);
  return started.body.recorded === true;
}

before(async () => {
  ({ kafka, codec } = await connectTestStack(`status-api-cc-${run}`));
  runner = new ConsumerRunner({
    kafka, codec, groupId: `status-api-cc-${run}`, topics: [TOPICS.callControl], initialOffsets: await endOffsets(kafka, [TOPICS.callControl]),
    handle: async (m) => { if (m.value?.callId.includes(run)) events.push(m.value); },
  });
  await runner.start();
  stack = await startStatusApi(run);
  const login = await fetch(`${stack.baseUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: `admin-${run}` }) });
  adminToken = ((await login.json()) as { token: string }).token;
  const port = await freePort();
  agentUrl = `http://127.0.0.1:${port}`;
  callControl = startApp('call-control', {
    EARSHOT_CALL_CONTROL_MODE: 'agent', EARSHOT_AGENT_LISTEN: `127.0.0.1:${port}`, EARSHOT_AGENT_TOKEN: AGENT_TOKEN,
    EARSHOT_INSTANCE_ID: `call-control-${run}`, EARSHOT_KAFKA_GROUP_PREFIX: `status-api-cc-${run}`, EARSHOT_RECORD_EVERYONE: 'false',
    EARSHOT_HEARTBEAT_MS: '1000',
  });
  try {
    await eventually('call-control agent endpoint to answer', async () => {
      if (callControl.child.exitCode !== null) throw new Error(`call-control exited ${callControl.child.exitCode}`);
      return (await fetch(`${agentUrl}/v1/health`).catch(() => null))?.status === 200;
    }, 90_000);
  } catch (e) {
    callControl.child.kill('SIGKILL');
    throw new Error(`${(e as Error).message}\n${callControl.output()}`);
  }
});

after(async () => {
  // qm.directory.v1 is shared: the user written here must not stay (a directory with users stops
  // `earshot run` from recording every call on this machine).
  if (stack && adminToken) {
    await fetch(`${stack.baseUrl}/api/directory/users/${USER}`, { method: 'DELETE', headers: { authorization: `Bearer ${adminToken}` } }).catch(() => undefined);
  }
  callControl?.child.kill('SIGTERM');
  await callControl?.exited;
  await runner?.stop();
  await stack?.stop();
});

test('a user PUT through the API is recorded by the running call control from their next call on', async () => {
  const beforeId = `before-${run}`;
  assert.equal(await placeCall(beforeId), false,
    'before the change nobody records the extension (if this fails, qm.config.v1 has recordEveryone for call-control)');

  const put = await fetch(`${stack.baseUrl}/api/directory/users/${USER}`, {
    method: 'PUT', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ displayName: 'Dana', extensions: [EXT], sipUris: [], devices: [], team: null, supervisorId: null, recording: { mode: 'ALWAYS' } }),
  });
  assert.equal(put.status, 202, await put.text());

  // Call control reads qm.directory.v1 while running: the change arrives within moments, without a restart.
  const tried: string[] = [];
  await eventually('call control to record the user\'s next call', async () => {
    const id = `after-${tried.length}-${run}`;
    tried.push(id);
    if (await placeCall(id)) return true;
    await new Promise((r) => setTimeout(r, 250));
    return false;
  }, 20_000);
  const recordedId = tried[tried.length - 1] ?? '';
  await eventually('STARTED, ANSWERED and ENDED of the recorded call on qm.call-control.v1', () =>
    ['STARTED', 'ANSWERED', 'ENDED'].every((k) => events.some((e) => e.callId === recordedId && e.kind === k)));
  const started = events.find((e) => e.callId === recordedId && e.kind === 'STARTED');
  assert.equal(started?.recordedUserId, USER);
  assert.equal(started?.callee.user, EXT);
  assert.equal(started?.source, 'AGENT');
  // Neither the call before the change nor any attempt before the one recorded produced an event.
  await new Promise((r) => setTimeout(r, 1000));
  assert.deepEqual(events.filter((e) => e.callId !== recordedId).map((e) => `${e.callId} ${e.kind}`), []);
  process.stdout.write(`# directory change applied by call control after ${tried.length - 1} unrecorded attempt(s)\n`);
});

test('an agent-ingest API token made through the API is accepted by the running call control, the moment it is published', async () => {
  const probe = (token: string) => fetch(`${agentUrl}/v1/calls/${encodeURIComponent(`no-such-call-${run}`)}`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
  const created = await fetch(`${stack.baseUrl}/api/tokens`, {
    method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: `pbx-${run}`, scope: 'agent-ingest' }),
  });
  assert.equal(created.status, 201, await created.clone().text());
  const { token } = (await created.json()) as { token: string };
  // Call control reads the token digests from qm.config.v1 while running: 401 turns into 404 (authenticated, unknown call).
  await eventually('call control to accept the new token', async () => (await probe(token)) === 404, 20_000);
  assert.equal(await probe(`${token}x`), 401, 'another token is still refused');
});
