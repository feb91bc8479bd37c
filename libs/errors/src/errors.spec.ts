import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EarshotError, isRetriable, ReasonCounters } from './index';

class BrokerDown extends EarshotError {}

test('EarshotError keeps reason, retriable, cause and its subclass name', () => {
  const cause = new Error('ECONNREFUSED');
  const e = new BrokerDown('broker 127.0.0.1:9092 is down', { reason: 'broker-down', retriable: true, cause });
  assert.equal(e.name, 'BrokerDown');
  assert.equal(e.reason, 'broker-down');
  assert.equal(e.cause, cause);
  assert.equal(isRetriable(e), true);
  assert.equal(isRetriable(new Error('plain')), false);
  assert.equal(new EarshotError('x', { reason: 'x' }).retriable, false);
});

test('ReasonCounters counts, merges with a prefix and snapshots sorted', () => {
  const a = new ReasonCounters();
  a.inc('b'); a.inc('a', 3); a.inc('b');
  const total = new ReasonCounters();
  total.merge(a, 'sip.');
  assert.deepEqual(a.snapshot(), { a: 3, b: 2 });
  assert.deepEqual(total.snapshot(), { 'sip.a': 3, 'sip.b': 2 });
  assert.equal(total.get('missing'), 0);
});

test('ReasonCounters.setTotals mirrors totals kept elsewhere, beside counters it increments itself', () => {
  const c = new ReasonCounters();
  c.inc('messages', 3);
  c.setTotals({ 'capture.kernelDrops': 5, 'capture.queueDrops': 0 });
  c.setTotals({ 'capture.kernelDrops': 7 });
  assert.deepEqual(c.snapshot(), { 'capture.kernelDrops': 7, 'capture.queueDrops': 0, messages: 3 });
});
