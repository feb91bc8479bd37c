import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TcpFlags, TcpSegment, TcpStreamChunk, TcpStreamEnd, TcpStreamGap, TcpStreamReassembler, TcpStreamReassemblerOptions } from './index';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const ISN = 4294967000; // close to the wrap, so every test also crosses 2^32

function harness(options: Partial<TcpStreamReassemblerOptions> = {}) {
  const chunks: TcpStreamChunk[] = [];
  const gaps: TcpStreamGap[] = [];
  const ends: TcpStreamEnd[] = [];
  const r = new TcpStreamReassembler({ ...options, onData: (c) => chunks.push(c), onGap: (g) => gaps.push(g), onEnd: (e) => ends.push(e) });
  let t = 100;
  const seg = (seq: number, data: string, flags: number = TcpFlags.ACK, dir: 'a' | 'b' = 'a'): void => {
    const s: TcpSegment = {
      ipVersion: 4,
      src: dir === 'a' ? '10.0.0.1' : '10.0.0.2',
      srcPort: dir === 'a' ? 40000 : 5060,
      dst: dir === 'a' ? '10.0.0.2' : '10.0.0.1',
      dstPort: dir === 'a' ? 5060 : 40000,
      tcpSeq: seq >>> 0,
      tcpFlags: flags,
      payload: text(data),
    };
    r.push(s, t++, 0);
  };
  const stream = (dir: 'a' | 'b' = 'a'): string =>
    chunks.filter((c) => c.flow.srcPort === (dir === 'a' ? 40000 : 5060)).map((c) => new TextDecoder().decode(c.data)).join('');
  return { r, seg, chunks, gaps, ends, stream, at: (sec: number) => (t = sec) };
}

describe('TcpStreamReassembler', () => {
  test('in order after a handshake, across the sequence wrap', () => {
    const h = harness();
    h.seg(ISN, '', TcpFlags.SYN);
    h.seg(ISN + 1, 'INVITE sip:');
    h.seg(ISN + 12, 'bob SIP/2.0\r\n');
    assert.equal(h.stream(), 'INVITE sip:bob SIP/2.0\r\n');
    assert.deepEqual(h.chunks.map((c) => c.streamOffset), [0, 11]);
  });
  test('out of order segments are held until the gap fills', () => {
    const h = harness();
    h.seg(ISN, '', TcpFlags.SYN);
    h.seg(ISN + 6, 'world');
    assert.equal(h.stream(), '');
    h.seg(ISN + 11, '!');
    h.seg(ISN + 1, 'hello');
    assert.equal(h.stream(), 'helloworld!');
    assert.equal(h.r.counters.get('out-of-order'), 2);
  });
  test('retransmission and overlapping data are delivered once', () => {
    const h = harness();
    h.seg(ISN, '', TcpFlags.SYN);
    h.seg(ISN + 1, 'abcdef');
    h.seg(ISN + 1, 'abcdef'); // exact retransmission
    h.seg(ISN + 4, 'defghi'); // overlaps 3 bytes
    h.seg(ISN + 13, 'mn'); // held
    h.seg(ISN + 13, 'mn'); // held twice
    h.seg(ISN + 10, 'jklm'); // fills and overlaps the held one
    assert.equal(h.stream(), 'abcdefghijklmn');
    assert.ok(h.r.counters.get('retransmissions') >= 3);
  });
  test('several SIP messages in one segment and one message over several arrive as bytes in order', () => {
    const h = harness();
    const two = 'OPTIONS sip:a SIP/2.0\r\nContent-Length: 0\r\n\r\nOPTIONS sip:b SIP/2.0\r\nContent-Length: 0\r\n\r\n';
    h.seg(ISN, '', TcpFlags.SYN);
    h.seg(ISN + 1, two);
    h.seg(ISN + 1 + two.length, 'INVITE sip:c SIP/2.0\r\n');
    h.seg(ISN + 1 + two.length + 22, 'Content-Length: 0\r\n\r\n');
    assert.equal(h.stream(), two + 'INVITE sip:c SIP/2.0\r\nContent-Length: 0\r\n\r\n');
  });
  test('starting mid-stream (no SYN seen)', () => {
    const h = harness();
    h.seg(123456, 'SIP/2.0 200 OK\r\n');
    h.seg(123456 + 16, 'Via: x\r\n');
    assert.equal(h.stream(), 'SIP/2.0 200 OK\r\nVia: x\r\n');
    assert.equal(h.r.counters.get('midstream-starts'), 1);
  });
  test('the two directions are independent', () => {
    const h = harness();
    h.seg(1000, 'request', TcpFlags.ACK, 'a');
    h.seg(5000, 'response', TcpFlags.ACK, 'b');
    assert.equal(h.stream('a'), 'request');
    assert.equal(h.stream('b'), 'response');
  });
  test('FIN ends the direction once all data before it arrived; late retransmissions are ignored', () => {
    const h = harness();
    h.seg(ISN, '', TcpFlags.SYN);
    h.seg(ISN + 6, 'bye', TcpFlags.FIN | TcpFlags.ACK);
    assert.equal(h.ends.length, 0, 'data before the FIN is missing');
    h.seg(ISN + 1, 'good ');
    assert.equal(h.stream(), 'good bye');
    assert.deepEqual(h.ends.map((e) => e.reason), ['fin']);
    h.seg(ISN + 1, 'good ');
    assert.equal(h.stream(), 'good bye');
  });
  test('RST ends at once, delivering held data after a reported gap', () => {
    const h = harness();
    h.seg(ISN, '', TcpFlags.SYN);
    h.seg(ISN + 5, 'tail');
    h.seg(ISN + 9, '', TcpFlags.RST);
    assert.equal(h.stream(), 'tail');
    assert.deepEqual(h.gaps.map((g) => [g.missingBytes, g.reason]), [[4, 'closing']]);
    assert.deepEqual(h.ends.map((e) => e.reason), ['rst']);
  });
  test('a SYN with a new ISN starts a new stream; a retransmitted SYN does not', () => {
    const h = harness();
    h.seg(100, '', TcpFlags.SYN);
    h.seg(101, 'one');
    h.seg(100, '', TcpFlags.SYN);
    h.seg(9000, '', TcpFlags.SYN);
    h.seg(9001, 'two');
    assert.equal(h.stream(), 'onetwo');
    assert.deepEqual(h.ends.map((e) => e.reason), ['new-connection']);
    assert.deepEqual(h.chunks.map((c) => c.streamOffset), [0, 0]);
  });
  test('gap skipped when held bytes exceed the limit', () => {
    const h = harness({ maxBufferedBytesPerDirection: 10 });
    h.seg(ISN, '', TcpFlags.SYN);
    h.seg(ISN + 4, 'abcdef');
    h.seg(ISN + 10, 'ghijkl');
    assert.equal(h.stream(), 'abcdefghijkl');
    assert.deepEqual(h.gaps.map((g) => [g.streamOffset, g.missingBytes, g.reason]), [[0, 3, 'buffer-limit']]);
    assert.equal(h.chunks[0]?.streamOffset, 3);
  });
  test('gap skipped after the gap timeout in capture time', () => {
    const h = harness({ gapTimeoutSeconds: 5 });
    h.seg(ISN, '', TcpFlags.SYN);
    h.seg(ISN + 3, 'late');
    h.r.expire(103);
    assert.equal(h.stream(), '');
    h.r.expire(110);
    assert.equal(h.stream(), 'late');
    assert.equal(h.gaps[0]?.reason, 'gap-timeout');
  });
  test('idle directions end and are forgotten', () => {
    const h = harness({ idleTimeoutSeconds: 60 });
    h.seg(1, 'x');
    h.r.expire(200);
    assert.deepEqual(h.ends.map((e) => e.reason), ['idle-timeout']);
    assert.equal(h.r.size, 0);
  });
  test('direction limit evicts the least recently active', () => {
    const h = harness({ maxDirections: 1 });
    h.seg(1, 'a', TcpFlags.ACK, 'a');
    h.seg(1, 'b', TcpFlags.ACK, 'b');
    assert.deepEqual(h.ends.map((e) => [e.reason, e.flow.srcPort]), [['evicted', 40000]]);
    assert.equal(h.r.size, 1);
  });
  test('flush delivers what is held and ends every stream', () => {
    const h = harness();
    h.seg(ISN, '', TcpFlags.SYN);
    h.seg(ISN + 2, 'held');
    h.r.flush();
    assert.equal(h.stream(), 'held');
    assert.deepEqual(h.ends.map((e) => e.reason), ['flushed']);
  });
  test('bare ACKs of an unknown stream create no state', () => {
    const h = harness();
    h.seg(5, '');
    h.seg(5, '', TcpFlags.FIN);
    assert.equal(h.r.size, 0);
    assert.equal(h.ends.length, 0);
  });
});
