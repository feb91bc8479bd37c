import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CallDirectory, legCodecs, sideOf } from './call-media';
import { callEvent } from './recorder-test-kit';

const A = { ip: '10.0.0.1', port: 4000 };
const B = { ip: '192.0.2.2', port: 5000 };

describe('stream-to-call matcher', () => {
  test('a stream to the callee\'s SDP endpoint is the caller\'s audio, and the reverse', () => {
    const d = new CallDirectory();
    const call = d.apply(callEvent('c1', 'ANSWERED', 1, 1000, A, B))?.call;
    assert.ok(call);
    assert.equal(d.match('10.0.0.1:4000', '192.0.2.2:5000', 2000, 0)?.callId, 'c1');
    assert.equal(sideOf(call, '10.0.0.1:4000', '192.0.2.2:5000'), 'CALLER');
    assert.equal(sideOf(call, '192.0.2.2:5000', '10.0.0.1:4000'), 'CALLEE');
    assert.equal(d.match('10.9.9.9:1', '10.9.9.9:2', 2000, 0), null);
  });

  test('re-INVITE moving the callee to a new port: both the old and the new 5-tuple belong to the call, same sides', () => {
    const d = new CallDirectory();
    d.apply(callEvent('c1', 'ANSWERED', 1, 1000, A, B));
    const call = d.apply(callEvent('c1', 'MEDIA_UPDATED', 2, 5000, A, { ip: B.ip, port: 5100 }))?.call;
    assert.ok(call);
    assert.equal(d.match('10.0.0.1:4000', '192.0.2.2:5100', 6000, 0)?.callId, 'c1');
    assert.equal(d.match('192.0.2.2:5100', '10.0.0.1:4000', 6000, 0)?.callId, 'c1');
    assert.equal(sideOf(call, '10.0.0.1:4000', '192.0.2.2:5100'), 'CALLER');
    assert.equal(sideOf(call, '192.0.2.2:5000', '10.0.0.1:4000'), 'CALLEE');
    assert.equal(call.calleeMedia[0]?.port, 5100, 'the current SDP is the re-INVITE\'s');
  });

  test('symmetric-RTP latching: a NATed party\'s real address, learnt from its packets, claims the return stream', () => {
    const d = new CallDirectory();
    const call = d.apply(callEvent('c1', 'ANSWERED', 1, 1000, A, B))?.call;
    assert.ok(call);
    // The caller announced 10.0.0.1:4000 but its packets come from the NAT's 203.0.113.9:61000;
    // the callee answers from a relay port of its own (not in SDP) to that NAT address.
    assert.equal(sideOf(call, '203.0.113.9:61000', '192.0.2.2:5000'), 'CALLER');
    assert.equal(sideOf(call, '192.0.2.99:7000', '203.0.113.9:61000'), 'UNKNOWN', 'before latching nothing fits');
    d.latch(call, 'CALLER', '203.0.113.9:61000', 1500);
    assert.equal(sideOf(call, '192.0.2.99:7000', '203.0.113.9:61000'), 'CALLEE');
    assert.equal(d.match('192.0.2.99:7000', '203.0.113.9:61000', 2000, 0)?.callId, 'c1');
  });

  test('IPv6: SDP and packets spell the address differently, the canonical form matches', () => {
    const d = new CallDirectory();
    const call = d.apply(callEvent('c6', 'ANSWERED', 1, 1000, { ip: '2001:DB8:0:0:0:0:0:15', port: 40010 }, { ip: '2001:db8::24', port: 50010 }))?.call;
    assert.ok(call);
    assert.equal(d.match('[2001:db8::15]:40010', '[2001:db8::24]:50010', 2000, 0)?.callId, 'c6');
    assert.equal(sideOf(call, '[2001:db8::24]:50010', '[2001:db8::15]:40010'), 'CALLEE');
  });

  test('a reused port belongs to the call whose life covers the packet; an ended call stops claiming after its linger', () => {
    const d = new CallDirectory();
    d.apply(callEvent('old', 'ANSWERED', 1, 1000, A, B));
    d.apply(callEvent('old', 'ENDED', 2, 10_000, null, null));
    d.apply(callEvent('new', 'ANSWERED', 1, 50_000, A, B));
    assert.equal(d.match('10.0.0.1:4000', '192.0.2.2:5000', 11_000, 2000)?.callId, 'old', 'before the new call\'s SDP, in the old one\'s linger');
    assert.equal(d.match('10.0.0.1:4000', '192.0.2.2:5000', 13_000, 2000)?.callId, 'new', 'past the old one\'s linger: the new call\'s, though its SDP comes later (RTP ahead of SDP)');
    d.forget('new');
    assert.equal(d.match('10.0.0.1:4000', '192.0.2.2:5000', 11_000, 2000)?.callId, 'old');
    assert.equal(d.match('10.0.0.1:4000', '192.0.2.2:5000', 13_000, 2000), null, 'past end + linger');
  });

  test('a later call announcing the same endpoints owns the stream from its SDP\'s capture time, even while the earlier one goes on', () => {
    const d = new CallDirectory();
    d.apply(callEvent('first', 'ANSWERED', 1, 1000, A, B));
    d.apply(callEvent('second', 'ANSWERED', 1, 20_000, A, B));
    const before = d.owner('10.0.0.1:4000', '192.0.2.2:5000', 19_999, 2000);
    assert.equal(before.call?.callId, 'first');
    assert.equal(before.untilUs, 20_000, 'the answer holds until the next claim');
    assert.equal(d.owner('10.0.0.1:4000', '192.0.2.2:5000', 20_000, 2000).call?.callId, 'second');
    d.apply(callEvent('first', 'ENDED', 2, 30_000, null, null));
    assert.equal(d.match('10.0.0.1:4000', '192.0.2.2:5000', 31_000, 2000)?.callId, 'second');
  });

  test('two calls in progress sharing the callee\'s endpoint (one media server port), told apart by the caller\'s', () => {
    const d = new CallDirectory();
    const U = { ip: '127.0.0.1', port: 6100 };
    d.apply(callEvent('s1', 'ANSWERED', 1, 1000, { ip: '127.0.0.1', port: 17000 }, U));
    d.apply(callEvent('s2', 'ANSWERED', 1, 100_000, { ip: '127.0.0.1', port: 17004 }, U));
    assert.equal(d.match('127.0.0.1:17000', '127.0.0.1:6100', 200_000, 500)?.callId, 's1', 'both endpoints beat the later claim of one');
    assert.equal(d.match('127.0.0.1:17004', '127.0.0.1:6100', 200_000, 500)?.callId, 's2');
    assert.equal(d.match('127.0.0.1:6100', '127.0.0.1:17000', 200_000, 500)?.callId, 's1', 'and the return stream');
  });

  test('a leg\'s payload types come from the receiver\'s SDP, with CN always mapped', () => {
    const d = new CallDirectory();
    const call = d.apply(callEvent('c1', 'ANSWERED', 1, 1000, A, B))?.call;
    assert.ok(call);
    assert.deepEqual(legCodecs(call, 'CALLER').map((c) => `${c.payloadType}/${c.encodingName}`), ['0/PCMU', '101/telephone-event', '13/CN']);
  });
});
