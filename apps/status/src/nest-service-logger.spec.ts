import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Logger } from '@nestjs/common';
import { createServiceLogger, REDACTED } from '@earshot/service';
import { NestServiceLogger } from './nest-service-logger';

/** Nest's Logger writing through the adapter into an array of parsed JSON lines. */
function nestLogging() {
  const raw: string[] = [];
  const log = createServiceLogger('status', { level: 'info', destination: { write: (line: string) => { raw.push(line); } } });
  Logger.overrideLogger(new NestServiceLogger(log));
  return () => raw.map((l) => JSON.parse(l) as Record<string, unknown>);
}

test("a Nest class's Logger writes the service's JSON lines with its context as the component", () => {
  const lines = nestLogging();
  new Logger('projector').log('projecting 6 topics', { group: 'g1' });
  new Logger('auth').warn('first admin account not created yet');
  new Logger('RoutesResolver').log('CallsController {/api/calls}');
  const out = lines();
  assert.deepEqual(out.map((l) => [l['level'], l['service'], l['component'], l['msg']]), [
    ['info', 'status', 'projector', 'projecting 6 topics'],
    ['warn', 'status', 'auth', 'first admin account not created yet'],
  ], "Nest's own route chatter is debug, below the info level");
  assert.deepEqual(out[0]?.['detail'], { group: 'g1' });
});

test('errors through Nest keep their stack and cause; secrets passed along are redacted', () => {
  const lines = nestLogging();
  const cause = new Error('connection reset');
  new Logger('ExceptionsHandler').error(new Error('handler failed', { cause }));
  new Logger('api').error('unexpected error', new Error('x').stack);
  new Logger('auth').log('token made', { token: 'secret-token-1' });
  const [handler, api, auth] = lines();
  const error = handler?.['error'] as { message: string; stack: string; cause: { stack: string } };
  assert.deepEqual([handler?.['level'], handler?.['component'], handler?.['msg'], error.message], ['error', 'ExceptionsHandler', 'handler failed', 'handler failed']);
  assert.match(error.stack, /^Error: handler failed\n\s+at /);
  assert.match(error.cause.stack, /^Error: connection reset\n\s+at /);
  assert.match(String(api?.['stack']), /^Error: x\n\s+at /);
  assert.equal(api?.['component'], 'api');
  assert.deepEqual(auth?.['detail'], { token: REDACTED });
});
