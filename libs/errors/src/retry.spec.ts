import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, EarshotError, withRetry } from './index';

const flaky = (failures: number, retriable = true) => {
  let calls = 0;
  return async () => {
    calls++;
    if (calls <= failures) throw new EarshotError(`fail ${calls}`, { reason: 'flaky', retriable });
    return calls;
  };
};

test('withRetry retries retriable errors until success, counting retries', async () => {
  const seen: number[] = [];
  const result = await withRetry(flaky(3), { initialDelayMs: 1, onRetry: (_e, attempt) => seen.push(attempt) });
  assert.equal(result, 4);
  assert.deepEqual(seen, [1, 2, 3]);
});

test('withRetry gives up after the configured attempts with the last error', async () => {
  await assert.rejects(withRetry(flaky(10), { attempts: 3, initialDelayMs: 1 }), /fail 3/);
});

test('withRetry does not retry an error that is not retriable', async () => {
  await assert.rejects(withRetry(flaky(1, false), { initialDelayMs: 1 }), /fail 1/);
});

test('backoffDelay doubles up to the cap, jitter stays within its share', () => {
  const mid = () => 0.5;
  assert.deepEqual([1, 2, 3, 4, 5].map((a) => backoffDelay(a, { initialDelayMs: 100, maxDelayMs: 500 }, mid)), [100, 200, 400, 500, 500]);
  assert.equal(backoffDelay(1, { initialDelayMs: 100, jitter: 0.2 }, () => 0), 80);
  assert.equal(backoffDelay(1, { initialDelayMs: 100, jitter: 0.2 }, () => 1), 120);
});
