import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ReasonCounters } from '@earshot/errors';
import { createHash } from 'node:crypto';
import { deterministicEventId, type CallEvent, type ServiceConfig } from '@earshot/events';
import { AgentCalls } from './agent-calls';
import { AgentServer } from './agent-server';
import { AGENT_TOKENS_CONFIG_KEY, DirectoryView } from './directory-view';

const TOKEN = 's3cret-token';
const T0 = 1_763_942_400_000_000;

describe('agent endpoint over HTTP (events to an in-memory sink)', () => {
  const published: CallEvent[] = [];
  let failNext = false;
  const view = new DirectoryView({ recordEveryone: false, localDomains: ['pbx.example.com'], localNumberPatterns: ['1\\d{3}'] });
  view.applyDirectory('alice', { userId: 'alice', displayName: 'Alice', extensions: ['1001'], sipUris: [], devices: [], team: null, supervisorId: null, recording: { mode: 'ALWAYS', percentage: 100 }, updatedAtMs: 0, updatedBy: 't' });
  const counters = new ReasonCounters();
  const clockUs = T0 + 5_000_000;
  const server = new AgentServer({
    listen: '127.0.0.1:0', token: TOKEN, calls: new AgentCalls({ view, instanceId: 'cc-agent-unit' }), counters, nowUs: () => clockUs,
    issuedTokenSha256s: () => view.agentTokenSha256s,
    publish: async (e) => {
      if (failNext) {
        failNext = false;
        throw new Error('broker down');
      }
      published.push(e);
    },
  });
  let base = '';
  before(async () => {
    const a = await server.start();
    base = `http://127.0.0.1:${a.port}`;
  });
  after(() => server.stop());

  const call = async (method: string, path: string, body?: unknown, token: string | null = TOKEN, type = 'application/json') => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...(body === undefined ? {} : { 'content-type': type }) },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
  };

  test('a call from start to stop: STARTED, MEDIA_UPDATED, ANSWERED, ENDED with the agent as source', async () => {
    const start = await call('POST', '/v1/calls', {
      callId: 'pbx/1', timeUs: T0,
      caller: { uri: 'sip:+4930123456@carrier.net', displayName: 'Bob' },
      callee: { uri: 'sip:1001@pbx.example.com', displayName: 'Alice' },
      callerMedia: { streams: [{ address: '198.51.100.7', port: 30000, codecs: [{ payloadType: 0 }] }] },
    });
    assert.equal(start.status, 201, JSON.stringify(start.body));
    assert.deepEqual(start.body, {
      callId: 'pbx/1', state: 'ringing', startedAtUs: T0, recorded: true, recordedUserId: 'alice', direction: 'INBOUND', nextSequence: 1,
      event: { eventId: deterministicEventId('pbx/1', T0, 0), kind: 'STARTED', sequence: 0, captureTimeUs: T0 },
    });
    const id = encodeURIComponent('pbx/1');
    assert.equal((await call('POST', `/v1/calls/${id}/media`, { side: 'callee', timeUs: T0 + 100_000, streams: [{ address: '10.0.0.11', port: 40000, codecs: [{ payloadType: 0 }] }] })).status, 200);
    // No timeUs: the receipt time.
    const answer = await call('POST', `/v1/calls/${id}/answer`, {});
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body['event'], { eventId: deterministicEventId('pbx/1', T0, 2), kind: 'ANSWERED', sequence: 2, captureTimeUs: clockUs });
    assert.equal((await call('POST', `/v1/calls/${id}/answer`, {})).status, 409, 'answered twice');
    const stop = await call('POST', `/v1/calls/${id}/stop`, { endedBy: 'CALLER', reason: 'normal clearing', timeUs: T0 + 9_000_000 });
    assert.equal(stop.status, 200);
    assert.equal((await call('POST', `/v1/calls/${id}/media`, { side: 'caller', streams: [{ address: '10.0.0.1', port: 4000, codecs: [{ payloadType: 0 }] }] })).status, 409, 'media after the end');
    assert.equal((await call('GET', `/v1/calls/${id}`)).body['state'], 'ended');

    const mine = published.filter((e) => e.callId === 'pbx/1');
    assert.deepEqual(mine.map((e) => [e.kind, e.sequence]), [['STARTED', 0], ['MEDIA_UPDATED', 1], ['ANSWERED', 2], ['ENDED', 3]]);
    for (const e of mine) {
      assert.equal(e.source, 'AGENT');
      assert.equal(e.signalling, null);
      assert.equal(e.direction, 'INBOUND');
      assert.deepEqual(e.caller, { uri: 'sip:+4930123456@carrier.net', user: '+4930123456', displayName: 'Bob', assertedIdentity: null, tag: null });
      assert.deepEqual(e.callerMedia, [{ media: 'audio', address: '198.51.100.7', port: 30000, rtcpPort: null, mode: 'SENDRECV', ptimeMs: null, codecs: [{ payloadType: 0, name: 'PCMU', clockRate: 8000, channels: 1, fmtp: null }] }]);
    }
    assert.deepEqual(mine[0]?.calleeMedia, []);
    assert.equal(mine[3]?.calleeMedia[0]?.port, 40000);
    assert.deepEqual([mine[3]?.endedBy, mine[3]?.reason, mine[3]?.captureTimeUs], ['CALLER', 'normal clearing', T0 + 9_000_000]);
  });

  test('a call stopped before an answer fails, 487 by default', async () => {
    await call('POST', '/v1/calls', { callId: 'pbx-2', caller: { uri: 'sip:1001@pbx.example.com' }, callee: { uri: 'sip:2001@x.net' } });
    const stop = await call('POST', '/v1/calls/pbx-2/stop', {});
    assert.equal(stop.status, 200);
    const failed = published.find((e) => e.callId === 'pbx-2' && e.kind === 'FAILED');
    assert.deepEqual([failed?.failureStatus, failed?.endedBy, failed?.direction], [487, null, 'OUTBOUND']);
  });

  test('401 without a token or with a wrong one, with WWW-Authenticate; health needs none', async () => {
    const none = await call('POST', '/v1/calls', { callId: 'x' }, null);
    assert.equal(none.status, 401);
    assert.match(String(none.headers.get('www-authenticate')), /^Bearer/);
    assert.equal((await call('POST', '/v1/calls', { callId: 'x' }, 'wrong')).status, 401);
    assert.equal((await call('GET', '/v1/calls/x', undefined, `${TOKEN}x`)).status, 401);
    assert.equal((await call('GET', '/v1/health', undefined, null)).status, 200);
  });

  test('a token the status service issued (its SHA-256 on qm.config.v1) is accepted; other entries do not add tokens', async () => {
    const issued = 'eat_issued-by-status';
    const sha = createHash('sha256').update(issued).digest('hex');
    const entry = (key: string, tokenSha256: string): ServiceConfig => ({
      serviceKind: key, revision: 1, updatedAtMs: 0, updatedBy: 'status', recordEveryone: null, localDomains: [], localNumberPatterns: [],
      captureInterface: null, captureFilter: null, batchMaxPackets: null, batchWindowMs: null, recordedCodecs: [], outputChannels: null,
      settings: { tokenSha256 },
    });
    assert.equal((await call('GET', '/v1/calls/x', undefined, issued)).status, 401);
    view.applyConfig('call-control', entry('call-control', sha));
    assert.equal((await call('GET', '/v1/calls/x', undefined, issued)).status, 401, 'only the agent-tokens entry lists tokens');
    view.applyConfig(AGENT_TOKENS_CONFIG_KEY, entry(AGENT_TOKENS_CONFIG_KEY, `${'0'.repeat(64)}, ${sha.toUpperCase()}`));
    assert.equal((await call('GET', '/v1/calls/x', undefined, issued)).status, 404);
    assert.equal((await call('GET', '/v1/calls/x', undefined, TOKEN)).status, 404, 'the configured token still works');
    view.applyConfig(AGENT_TOKENS_CONFIG_KEY, null);
    assert.equal((await call('GET', '/v1/calls/x', undefined, issued)).status, 401, 'a tombstone withdraws them');
  });

  test('400 names the field; 404 unknown call or path; 405 wrong method; 409 started twice; 415 not JSON', async () => {
    const bad = await call('POST', '/v1/calls', { callId: 'pbx-3', caller: { uri: 'sip:1@a' }, callee: { uri: 'sip:2@a' }, callerMedia: { streams: [{ address: '10.0.0.1', port: 1, codecs: [{ payloadType: 'PCMU' }] }] } });
    assert.deepEqual([bad.status, bad.body['field']], [400, 'callerMedia.streams[0].codecs[0].payloadType']);
    assert.match(String(bad.body['error']), /^callerMedia\.streams\[0\]\.codecs\[0\]\.payloadType must be an integer from 0 to 127, got "PCMU"$/);
    const notJson = await call('POST', '/v1/calls', '{"callId":', TOKEN);
    assert.deepEqual([notJson.status, notJson.body['field']], [400, '(body)']);
    assert.equal((await call('POST', '/v1/calls/nope/answer', {})).status, 404);
    assert.equal((await call('POST', '/v1/nothing', {})).status, 404);
    assert.equal((await call('DELETE', '/v1/calls/pbx-2')).status, 405);
    assert.equal((await call('POST', '/v1/calls', { callId: 'pbx-2', caller: { uri: 'sip:1@a' }, callee: { uri: 'sip:2@a' } })).status, 409);
    assert.equal((await call('POST', '/v1/calls', 'callId=1', TOKEN, 'application/x-www-form-urlencoded')).status, 415);
    const early = await call('POST', '/v1/calls', { callId: 'pbx-4', timeUs: T0 + 1000, caller: { uri: 'sip:1001@a' }, callee: { uri: 'sip:2@a' } });
    assert.equal(early.status, 201);
    const back = await call('POST', '/v1/calls/pbx-4/answer', { timeUs: T0 });
    assert.deepEqual([back.status, back.body['field']], [400, 'timeUs']);
  });

  test('a call no rule records is tracked and answered, but publishes nothing', async () => {
    const before = published.length;
    const r = await call('POST', '/v1/calls', { callId: 'pbx-5', caller: { uri: 'sip:2002@x.net' }, callee: { uri: 'sip:2003@x.net' } });
    assert.deepEqual([r.status, r.body['recorded'], r.body['event']], [201, false, null]);
    assert.equal((await call('POST', '/v1/calls/pbx-5/stop', {})).status, 200);
    assert.equal(published.length, before);
  });

  test('503 when the event cannot be published, and nothing changes: the same request succeeds after', async () => {
    failNext = true;
    const body = { callId: 'pbx-6', caller: { uri: 'sip:1001@a' }, callee: { uri: 'sip:2@a' } };
    assert.equal((await call('POST', '/v1/calls', body)).status, 503);
    assert.equal((await call('GET', '/v1/calls/pbx-6')).status, 404);
    assert.equal((await call('POST', '/v1/calls', body)).status, 201);
    assert.ok(counters.get('agent.requests.503') >= 1);
  });
});
