import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { EarshotError } from '@earshot/errors';
import { createServiceLogger, REDACTED, type LogLevel } from './index';

/** A logger writing into an array, and its lines parsed (each must be one JSON object). */
function capture(level: LogLevel = 'info') {
  const raw: string[] = [];
  const log = createServiceLogger('recorder', { level, destination: { write: (line: string) => { raw.push(line); } } });
  const lines = (): Array<Record<string, unknown>> => raw.map((l) => {
    assert.ok(l.endsWith('\n') && !l.slice(0, -1).includes('\n'), `one line per entry: ${JSON.stringify(l)}`);
    return JSON.parse(l) as Record<string, unknown>;
  });
  return { log, lines, raw };
}

test('one JSON object per line at or above the level, with time, level name, service, msg and the fields', () => {
  const { log, lines, raw } = capture();
  log.debug('hidden');
  log.info('started', { instanceId: 'r1', partitions: [0, 1] });
  log.warn('slow', { lagMs: 1200 });
  const [first, second] = lines();
  assert.equal(raw.length, 2);
  assert.deepEqual({ ...first, time: undefined }, { time: undefined, level: 'info', service: 'recorder', msg: 'started', instanceId: 'r1', partitions: [0, 1] });
  assert.ok(!Number.isNaN(Date.parse(String(first?.['time']))), 'time is an ISO date');
  assert.equal(second?.['level'], 'warn');
  // msg comes before the fields, as it always did: people and tests grep `"msg":"x".*"field":`.
  assert.match(raw[0] ?? '', /"msg":"started","instanceId":"r1"/);
});

test('an error with a cause is logged with both messages and both stacks, and its reason', () => {
  const { log, lines } = capture();
  const cause = new Error('ECONNREFUSED 127.0.0.1:5432');
  const error = new EarshotError('projection write failed', { reason: 'pg-unavailable', retriable: true, cause });
  log.error('failed', { error, reason: error.reason });
  const logged = lines()[0]?.['error'] as Record<string, unknown>;
  assert.equal(logged['type'], 'EarshotError');
  assert.equal(logged['message'], 'projection write failed');
  assert.equal(logged['reason'], 'pg-unavailable');
  assert.equal(logged['retriable'], true);
  assert.match(String(logged['stack']), /^EarshotError: projection write failed\n\s+at /);
  const loggedCause = logged['cause'] as Record<string, unknown>;
  assert.equal(loggedCause['message'], 'ECONNREFUSED 127.0.0.1:5432');
  assert.match(String(loggedCause['stack']), /^Error: ECONNREFUSED 127.0.0.1:5432\n\s+at .*service-logger\.spec\.ts/);
});

test('errors under any field name, nested causes and non-Error causes are kept', () => {
  const { log, lines } = capture();
  const root = new Error('disk full');
  const middle = new Error('write leg', { cause: root });
  log.warn('heartbeat not sent', { err: middle, failure: new Error('x', { cause: { code: 'E42' } }) });
  const line = lines()[0] ?? {};
  const err = line['err'] as { message: string; cause: { message: string; stack: string } };
  assert.equal(err.message, 'write leg');
  assert.equal(err.cause.message, 'disk full');
  assert.match(err.cause.stack, /^Error: disk full/);
  assert.deepEqual((line['failure'] as { cause: unknown }).cause, { code: 'E42' });
});

test('secrets are redacted at the top level and nested, other fields are not', () => {
  const { log, lines, raw } = capture();
  log.info('login', {
    username: 'admin', password: 'hunter2', apiKey: 'k-123',
    account: { name: 'sam', token: 't-456' },
    request: { headers: { authorization: 'Bearer abc', cookie: 'sid=789', 'set-cookie': 'sid=000', accept: 'text/html' } },
  });
  const line = lines()[0] ?? {};
  assert.equal(line['username'], 'admin');
  assert.equal(line['password'], REDACTED);
  assert.equal(line['apiKey'], REDACTED);
  assert.deepEqual(line['account'], { name: 'sam', token: REDACTED });
  assert.deepEqual((line['request'] as { headers: unknown }).headers,
    { authorization: REDACTED, cookie: REDACTED, 'set-cookie': REDACTED, accept: 'text/html' });
  for (const secret of ['hunter2', 'k-123', 't-456', 'Bearer abc', 'sid=789', 'sid=000']) assert.ok(!raw[0]?.includes(secret), secret);
});

test('a child logger carries its bindings on every line, and its children add theirs', () => {
  const { log, lines } = capture('debug');
  const projector = log.child({ component: 'projector' });
  projector.debug('projecting', { topics: 3 });
  projector.child({ topic: 'qm.audit.v1' }).info('applied');
  log.info('plain');
  const [a, b, c] = lines();
  assert.deepEqual([a?.['service'], a?.['component'], a?.['msg'], a?.['topics']], ['recorder', 'projector', 'projecting', 3]);
  assert.deepEqual([b?.['component'], b?.['topic'], b?.['msg']], ['projector', 'qm.audit.v1', 'applied']);
  assert.equal(c?.['component'], undefined);
});

test('the asynchronous stdout logger loses no line when the process exits right after logging', () => {
  // 5,000 lines of ~300 bytes are far more than a pipe holds: without the flush the tail is lost.
  const script = `
    const { createServiceLogger } = require(${JSON.stringify(resolve(__dirname, 'service-logger.ts'))});
    const log = createServiceLogger('exit-test', 'info');
    const pad = 'x'.repeat(240);
    for (let i = 0; i < 5000; i++) log.info('line', { i, pad });
    log.error('last words', { error: new Error('bye') });
    if (process.argv[1] === 'flush') log.flush().then(() => process.exit(3)); else process.exit(3);`;
  for (const mode of ['flush', 'exit']) {
    const r = spawnSync(process.execPath, ['--require', '@swc-node/register', '-e', script, mode], {
      encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, SWC_NODE_PROJECT: resolve(__dirname, '../../../tsconfig.json') },
    });
    assert.equal(r.status, 3, r.stderr);
    const out = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { i: number; msg: string });
    assert.equal(out.length, 5000, `${mode}: every info line on stdout`);
    assert.deepEqual(out.map((l) => l.i), Array.from({ length: 5000 }, (_, i) => i), `${mode}: in order`);
    const err = JSON.parse(r.stderr.trim()) as { msg: string; level: string; error: { stack: string } };
    assert.deepEqual([err.msg, err.level], ['last words', 'error'], `${mode}: the error line on stderr`);
    assert.match(err.error.stack, /^Error: bye/);
  }
});
