import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServiceLogger, type LogLevel } from './index';

test('the service logger writes one JSON object per line at or above its level', () => {
  const lines: Array<{ line: string; level: LogLevel }> = [];
  const log = createServiceLogger('recorder', 'info', (line, level) => lines.push({ line, level }));
  log.debug('hidden');
  log.info('started', { instanceId: 'r1' });
  log.error('failed', { error: new Error('disk full') });
  assert.equal(lines.length, 2);
  const first = JSON.parse(lines[0]?.line ?? '{}') as Record<string, unknown>;
  assert.equal(first['service'], 'recorder');
  assert.equal(first['msg'], 'started');
  assert.equal(first['instanceId'], 'r1');
  assert.equal((JSON.parse(lines[1]?.line ?? '{}') as Record<string, unknown>)['error'], 'disk full');
  assert.equal(lines[1]?.level, 'error');
});
