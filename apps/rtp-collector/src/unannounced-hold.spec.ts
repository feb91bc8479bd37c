import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UnannouncedHold } from './unannounced-hold';

const bytes = (n: number) => new Uint8Array(n);

test('release gives a flow\'s packets in arrival order and leaves the others held; oldestUs follows', () => {
  const h = new UnannouncedHold<string>({ holdMs: 1000 });
  h.hold('a', 100, bytes(10));
  h.hold('b', 150, bytes(10));
  h.hold('a', 200, bytes(10));
  assert.equal(h.oldestUs(), 100);
  assert.deepEqual(h.release('a').map((p) => p.timeUs), [100, 200]);
  assert.equal(h.oldestUs(), 150);
  assert.equal(h.bytes, 10);
  assert.deepEqual([...h.flows()], ['b']);
  assert.deepEqual(h.release('a'), []);
  assert.equal(h.counters.get('released'), 2);
});

test('expire drops what waited holdMs of capture time, by reason, and nothing younger', () => {
  const h = new UnannouncedHold<string>({ holdMs: 1 });
  h.hold('a', 0, bytes(5));
  h.hold('b', 500, bytes(5));
  h.hold('a', 1500, bytes(5));
  assert.equal(h.expire(1499), 1);
  assert.equal(h.expire(1500), 1);
  assert.equal(h.oldestUs(), 1500);
  assert.deepEqual(h.release('a').map((p) => p.timeUs), [1500]);
  assert.equal(h.oldestUs(), Infinity);
  assert.equal(h.counters.get('expired'), 2);
});

test('past maxBytes the oldest go (over-limit); dropAll empties it (at-end); 0 ms holds nothing', () => {
  const h = new UnannouncedHold<string>({ holdMs: 1000, maxBytes: 25 });
  for (let i = 0; i < 5; i++) h.hold(i % 2 === 0 ? 'a' : 'b', i, bytes(10));
  assert.equal(h.counters.get('over-limit'), 3);
  assert.equal(h.bytes, 20);
  assert.deepEqual(h.release('a').map((p) => p.timeUs), [4]);
  assert.equal(h.dropAll(), 1);
  assert.equal(h.counters.get('at-end'), 1);
  assert.equal(h.bytes, 0);
  assert.equal(new UnannouncedHold({ holdMs: 0 }).enabled, false);
  assert.throws(() => new UnannouncedHold({ holdMs: -1 }), RangeError);
});
