/**
 * EARSHOT_PG_SCHEMA_PREFIX moves the migrations, the projector and the REST API together: a status
 * app on a fresh prefix creates `<prefix>projection` and `<prefix>console` with its own migrations
 * ledger, a directory change made through the API is projected into `<prefix>projection` and read
 * back by the API, and the unprefixed `projection` schema never sees it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { eventually } from '../libs/kafka/src/testing/test-stack';
import { startStatusApi, type StatusApiStack } from './status-api-stack';

const run = randomUUID().replace(/-/g, '').slice(0, 10);
const USER = `pria-${run}`;
let stack: StatusApiStack;
let token: string;

async function api(path: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: Record<string, unknown> | null }> {
  const r = await fetch(`${stack.baseUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${token}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await r.text();
  return { status: r.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
}

async function rows(sql: string, params: unknown[] = []): Promise<number> {
  return Number((await stack.db.query<{ n: string }>(sql, params)).rows[0]?.n ?? -1);
}

before(async () => {
  // The projector on, from the end of the topics: only this test's own directory change reaches it.
  stack = await startStatusApi(run, { EARSHOT_PROJECTOR: 'true', EARSHOT_KAFKA_START_FROM: 'latest' });
  const r = await fetch(`${stack.baseUrl}/api/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: `admin-${run}` }),
  });
  assert.equal(r.status, 200, await r.clone().text());
  token = ((await r.json()) as { token: string }).token;
});

after(async () => {
  await stack?.stop();
});

test('the app migrates the prefixed schemas itself, with a ledger of their own', async () => {
  const { prefix } = stack;
  assert.equal(await rows('select count(*) as n from pg_tables where schemaname = $1', [`${prefix}projection`]), 10);
  assert.equal(await rows('select count(*) as n from pg_tables where schemaname = $1', [`${prefix}console`]), 3);
  assert.deepEqual((await stack.db.query<{ version: string }>(`select version from public.${prefix}schema_migrations order by version`)).rows.map((r) => r.version)[0], '001');
});

test('what the projector writes under the prefix is what the API reads, and projection.* is untouched', async () => {
  const entry = { displayName: 'Pria', extensions: ['4711'], sipUris: [], devices: [], team: `t-${run}`, supervisorId: null, recording: { mode: 'NEVER' } };
  assert.equal((await api(`/api/directory/users/${USER}`)).status, 404);
  assert.equal((await api(`/api/directory/users/${USER}`, { method: 'PUT', body: entry })).status, 202);
  await eventually('the API to show the projected user', async () => (await api(`/api/directory/users/${USER}`)).status === 200, 30_000);
  assert.equal((await api(`/api/directory/users/${USER}`)).body?.['displayName'], 'Pria');
  assert.equal(await rows(`select count(*) as n from ${stack.prefix}projection.users where user_id = $1`, [USER]), 1);
  assert.equal(await rows('select count(*) as n from projection.users where user_id = $1', [USER]), 0, 'the unprefixed projection did not get it');
  // The directory topic is compacted and shared: leave no entry behind (the delete publishes a tombstone).
  assert.equal((await api(`/api/directory/users/${USER}`, { method: 'DELETE' })).status, 202);
  await eventually('the tombstone projected', async () => (await api(`/api/directory/users/${USER}`)).status === 404, 30_000);
});
