import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { IpFragment, IpReassembler } from './index';

const data = Uint8Array.from({ length: 64 }, (_, i) => i);
const frag = (offset: number, length: number, more: boolean, id = 1, bytes: Uint8Array = data): IpFragment => ({
  src: '10.0.0.1',
  dst: '10.0.0.2',
  protocol: 17,
  fragmentId: id,
  fragmentOffset: offset,
  moreFragments: more,
  payload: bytes.subarray(offset, offset + length),
});

describe('IpReassembler', () => {
  test('in order', () => {
    const r = new IpReassembler();
    assert.equal(r.push(frag(0, 24, true), 0), null);
    assert.equal(r.push(frag(24, 24, true), 0), null);
    assert.deepEqual(r.push(frag(48, 16, false), 0), data);
    assert.equal(r.pendingDatagrams, 0);
    assert.equal(r.pendingBytes, 0);
    assert.equal(r.counters.get('reassembled'), 1);
  });
  test('out of order: last first, middle last', () => {
    const r = new IpReassembler();
    assert.equal(r.push(frag(48, 16, false), 0), null);
    assert.equal(r.push(frag(0, 24, true), 0), null);
    assert.deepEqual(r.push(frag(24, 24, true), 0), data);
  });
  test('exact duplicate is ignored and counted', () => {
    const r = new IpReassembler();
    r.push(frag(0, 32, true), 0);
    assert.equal(r.push(frag(0, 32, true), 0), null);
    assert.equal(r.counters.get('duplicate-fragment'), 1);
    assert.deepEqual(r.push(frag(32, 32, false), 0), data);
  });
  test('overlap: the bytes that arrived first win', () => {
    const r = new IpReassembler();
    const evil = new Uint8Array(64).fill(0xee);
    r.push(frag(0, 32, true), 0);
    r.push(frag(16, 32, true, 1, evil), 0);
    const out = r.push(frag(48, 16, false), 0);
    assert.ok(out);
    assert.deepEqual(out.subarray(0, 32), data.subarray(0, 32));
    assert.deepEqual(out.subarray(32, 48), evil.subarray(32, 48));
    assert.deepEqual(out.subarray(48), data.subarray(48));
    assert.equal(r.counters.get('overlapping-fragment'), 1);
  });
  test('different ids and addresses do not mix', () => {
    const r = new IpReassembler();
    r.push(frag(0, 32, true, 1), 0);
    r.push({ ...frag(32, 32, false, 1), src: '10.9.9.9' }, 0);
    assert.equal(r.push(frag(32, 32, false, 2), 0), null);
    assert.equal(r.pendingDatagrams, 3);
  });
  test('timeout in capture time, not the wall clock', () => {
    const r = new IpReassembler({ timeoutSeconds: 30 });
    r.push(frag(0, 32, true), 1000);
    assert.equal(r.push(frag(32, 32, false), 1029.9)?.length, 64, 'within 30 s of capture time');
    r.push(frag(0, 32, true, 2), 2000);
    assert.equal(r.push(frag(32, 32, false, 2), 2031), null, 'the first half expired');
    assert.equal(r.counters.get('dropped.timeout'), 1);
  });
  test('pending-datagram limit drops the oldest', () => {
    const r = new IpReassembler({ maxPendingDatagrams: 2 });
    r.push(frag(0, 8, true, 1), 0);
    r.push(frag(0, 8, true, 2), 0);
    r.push(frag(0, 8, true, 3), 0);
    assert.equal(r.pendingDatagrams, 2);
    assert.equal(r.counters.get('dropped.too-many-datagrams'), 1);
    assert.equal(r.push(frag(8, 56, false, 1), 0), null, 'datagram 1 was dropped');
    assert.equal(r.push(frag(8, 56, false, 3), 0)?.length, 64);
  });
  test('memory limit drops the oldest', () => {
    const r = new IpReassembler({ maxPendingBytes: 40 });
    r.push(frag(0, 32, true, 1), 0);
    r.push(frag(0, 32, true, 2), 0);
    assert.equal(r.counters.get('dropped.memory-limit'), 1);
    assert.equal(r.pendingBytes, 32);
  });
  test('fragment-count limit drops the datagram', () => {
    const r = new IpReassembler({ maxFragmentsPerDatagram: 3 });
    for (let i = 0; i < 4; i++) r.push(frag(i * 8, 8, true), 0);
    assert.equal(r.counters.get('dropped.too-many-fragments'), 1);
    assert.equal(r.pendingDatagrams, 0);
  });
  test('fragments that disagree about the end are dropped', () => {
    const r = new IpReassembler();
    r.push(frag(48, 16, false), 0);
    assert.equal(r.push(frag(40, 8, false), 0), null);
    assert.equal(r.counters.get('dropped.inconsistent-length'), 1);
    const r2 = new IpReassembler();
    r2.push(frag(16, 16, true), 0);
    assert.equal(r2.push(frag(0, 8, false), 0), null, 'a last fragment ending before data already held');
    assert.equal(r2.counters.get('dropped.inconsistent-length'), 1);
  });
  test('a non-final fragment whose length is not a multiple of 8 is dropped', () => {
    const r = new IpReassembler();
    assert.equal(r.push(frag(0, 10, true), 0), null);
    assert.equal(r.counters.get('dropped.bad-fragment-length'), 1);
  });
  test('a datagram beyond 65535 bytes is refused', () => {
    const r = new IpReassembler();
    assert.equal(r.push({ ...frag(0, 16, false), fragmentOffset: 65528 }, 0), null);
    assert.equal(r.counters.get('dropped.too-large'), 1);
  });
  test('flush drops what is still waiting', () => {
    const r = new IpReassembler();
    r.push(frag(0, 8, true), 0);
    r.flush();
    assert.equal(r.pendingDatagrams, 0);
    assert.equal(r.counters.get('dropped.flushed'), 1);
  });
});
