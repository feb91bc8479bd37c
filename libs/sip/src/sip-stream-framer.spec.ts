import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SipStreamFramer } from './sip-stream-framer';
import { buildSipRequest, buildSipResponse } from './sip-builder';
import { decodeSipMessage } from './sip-message';
import { SipOptionsError } from './sip-error';

const enc = new TextEncoder();
const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
};
const msg = (n: number, body = ''): Uint8Array => buildSipRequest({
  method: 'INFO', uri: 'sip:b@b.example', callId: `c${n}`, from: { uri: 'sip:a@a.example', tag: 'f' }, to: { uri: 'sip:b@b.example', tag: 't' },
  cseq: n, via: [{ transport: 'TCP', host: '10.0.0.1', branch: `z9hG4bK${n}` }], body, contentType: 'text/plain',
});
const ok = (n: number): Uint8Array => buildSipResponse({ status: 200, callId: `c${n}`, cseqMethod: 'INFO', from: { uri: 'sip:a@a.example', tag: 'f' }, to: { uri: 'sip:b@b.example', tag: 't' }, cseq: n });
const callIds = (frames: Uint8Array[]): string[] => frames.map((f) => decodeSipMessage(f, 0, { requireContentLength: true }).value.callId);

function feed(framer: SipStreamFramer, chunks: Uint8Array[]): Uint8Array[] {
  return chunks.flatMap((c) => framer.push(c));
}

describe('SipStreamFramer', () => {
  const m1 = msg(1, 'hello\r\n\r\nbody with blank line');
  const m2 = ok(2);
  const m3 = msg(3);
  const cases: Array<{ name: string; chunks: Uint8Array[]; want: string[]; counters?: Record<string, number>; buffered?: number }> = [
    { name: 'several messages in one chunk', chunks: [concat(m1, m2, m3)], want: ['c1', 'c2', 'c3'], counters: { messages: 3 } },
    { name: 'one message across several chunks (split in the start line, the headers and the body)', chunks: [m1.slice(0, 5), m1.slice(5, 60), m1.slice(60, m1.length - 3), m1.slice(m1.length - 3)], want: ['c1'] },
    { name: 'byte by byte', chunks: [...concat(m1, m2)].map((b) => new Uint8Array([b])), want: ['c1', 'c2'] },
    { name: 'CRLF keep-alives (double ping, single pong) between messages', chunks: [enc.encode('\r\n\r\n'), m1, enc.encode('\r\n'), m2], want: ['c1', 'c2'], counters: { keepalive: 2, messages: 2 } },
    {
      name: 'garbage before a message is dropped and counted, then resync',
      chunks: [enc.encode('\u0016\u0003\u0001 binary junk\r\nmore junk\r\n'), m1], want: ['c1'],
      counters: { resync: 1, 'garbage-bytes': 28, messages: 1 },
    },
    { name: 'garbage between messages (tail of a message whose start was lost)', chunks: [m1, enc.encode('ody of lost message\r\nfoo: bar\r\n\r\n'), m2], want: ['c1', 'c2'] },
    {
      name: 'bad Content-Length drops that message and resyncs on the next',
      chunks: [enc.encode('INFO sip:b SIP/2.0\r\nContent-Length: lots\r\n\r\n'), m3], want: ['c3'], counters: { 'bad-content-length': 1 },
    },
    { name: 'a partial message stays buffered', chunks: [concat(m1, m2.slice(0, 20))], want: ['c1'], buffered: 20 },
    {
      name: 'missing Content-Length on a stream counts as 0 and is counted',
      chunks: [concat(enc.encode('OPTIONS sip:b SIP/2.0\r\nCall-ID: nolen\r\nFrom: <sip:a@a>;tag=1\r\nTo: <sip:b@b>\r\nCSeq: 1 OPTIONS\r\n\r\n'), m2)],
      want: ['nolen', 'c2'], counters: { 'missing-content-length': 1 },
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const framer = new SipStreamFramer();
      const frames = feed(framer, c.chunks);
      if (c.name.startsWith('missing Content-Length')) {
        assert.deepEqual(frames.map((f) => decodeSipMessage(f).value.callId), c.want);
      } else {
        assert.deepEqual(callIds(frames), c.want);
      }
      const counts = framer.counters.snapshot();
      for (const [k, v] of Object.entries(c.counters ?? {})) assert.equal(counts[k], v, k);
      if (c.buffered !== undefined) assert.equal(framer.bufferedBytes, c.buffered);
    });
  }
  test('the frames are the exact bytes of each message', () => {
    const frames = new SipStreamFramer().push(concat(m1, m2));
    assert.deepEqual(frames, [m1, m2]);
  });
  test('headers that never end are dropped past maxHeaderBytes', () => {
    const framer = new SipStreamFramer({ maxHeaderBytes: 256 });
    framer.push(enc.encode(`INFO sip:b SIP/2.0\r\n${'X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n'.repeat(20)}`));
    assert.equal(framer.counters.get('header-too-long'), 1);
    assert.deepEqual(callIds(framer.push(m1)), ['c1']);
  });
  test('options are validated with their path', () => {
    assert.throws(() => new SipStreamFramer({ maxBodyBytes: -1 }), (e: unknown) => e instanceof SipOptionsError && /sipStreamFramer\.maxBodyBytes/.test(e.message));
  });
});

describe('SipStreamFramer fuzz', () => {
  const stream = concat(msg(1, 'x'), enc.encode('\r\n\r\n'), ok(2), msg(3, 'body'));
  test('any split of a valid stream gives the same messages', () => {
    fc.assert(fc.property(fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 10 }), (cuts) => {
      const points = [0, ...cuts.sort((a, b) => a - b), stream.length];
      const framer = new SipStreamFramer();
      const frames = points.slice(1).flatMap((p, i) => framer.push(stream.slice(points[i], p)));
      assert.deepEqual(callIds(frames), ['c1', 'c2', 'c3']);
    }), { numRuns: 1000 });
  });
  test('random and mutated streams never throw, never hang, and a valid message after garbage is found', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), // No digits: a mutated Content-Length could otherwise legitimately swallow what follows.
      fc.array(fc.tuple(fc.nat(stream.length - 1), fc.constantFrom(0, 0x20, 0x41, 0x3a, 0x3b, 0x0d, 0x0a, 0x22, 0xff)), { maxLength: 5 }), (junk, muts) => {
      const framer = new SipStreamFramer();
      const mutated = stream.slice();
      for (const [i, v] of muts) mutated[i] = v;
      framer.push(junk);
      framer.push(mutated);
      // Whatever came before, a clean message after a line break is framed.
      const frames = framer.push(concat(enc.encode('\r\n'), msg(9), msg(10)));
      const tail = frames.slice(-1).map((f) => { try { return decodeSipMessage(f).value.callId; } catch { return 'undecodable'; } });
      assert.deepEqual(tail, ['c10']);
    }), { numRuns: 1500 });
  });
});
