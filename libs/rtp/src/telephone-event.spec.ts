import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DtmfCollector, DtmfPacket, TelephoneEvent, TelephoneEventDecodeError, decodeTelephoneEvent, dtmfDigit, encodeTelephoneEvent } from './index';

/** The packets a sender emits for one key press: start, updates every 160 units, then 3 end packets. */
function keyPress(event: number, ts: number, startUs: number, updates: number, ssrc = 7): DtmfPacket[] {
  const out: DtmfPacket[] = [];
  for (let i = 1; i <= updates; i++) out.push({ ssrc, timestamp: ts, captureTimeUs: startUs + (i - 1) * 20000, event: { event, end: false, volume: 10, duration: i * 160 } });
  for (let r = 0; r < 3; r++) out.push({ ssrc, timestamp: ts, captureTimeUs: startUs + (updates + r) * 20000, event: { event, end: true, volume: 10, duration: (updates + 1) * 160 } });
  return out;
}

function collect(packets: DtmfPacket[]): ReturnType<DtmfCollector['flush']> {
  const c = new DtmfCollector();
  return [...packets.flatMap((p) => c.push(p)), ...c.flush()];
}

describe('RFC 4733 telephone events', () => {
  const cases: [string, number[], TelephoneEvent][] = [
    ['digit 5 start', [5, 10, 0, 160], { event: 5, end: false, volume: 10, duration: 160 }],
    ['# end, volume 63', [11, 0x80 | 63, 0x03, 0x20], { event: 11, end: true, volume: 63, duration: 800 }],
    ['reserved bit set is ignored', [1, 0x40 | 7, 0, 0], { event: 1, end: false, volume: 7, duration: 0 }],
  ];
  for (const [name, bytes, ev] of cases) {
    test(`decode: ${name}`, () => {
      assert.deepEqual(decodeTelephoneEvent(Uint8Array.from(bytes)), { value: ev, size: 4 });
      const b = new Uint8Array(4);
      encodeTelephoneEvent(ev, b);
      assert.deepEqual(decodeTelephoneEvent(b).value, ev);
    });
  }

  test('digits', () => {
    assert.deepEqual([0, 9, 10, 11, 12, 15, 16, 17].map(dtmfDigit), ['0', '9', '*', '#', 'A', 'D', 'flash', null]);
  });

  test('quirk: truncated payload', () => {
    assert.throws(() => decodeTelephoneEvent(Uint8Array.of(1, 2, 3)), (e: unknown) => e instanceof TelephoneEventDecodeError && e.reason === 'truncated-event');
  });

  test('collector: three end packets give one digit, with the start timestamp and first capture time', () => {
    const got = collect([...keyPress(1, 8000, 1_000_000, 5), ...keyPress(2, 9600, 2_000_000, 3)]);
    assert.deepEqual(got.map((d) => [d.digit, d.rtpTimestamp, d.duration, d.captureTimeUs, d.ended]), [
      ['1', 8000, 960, 1_000_000, true],
      ['2', 9600, 640, 2_000_000, true],
    ]);
  });

  test('collector quirk: same digit twice in a row is two presses (different start timestamps)', () => {
    const got = collect([...keyPress(3, 100, 0, 2), ...keyPress(3, 900, 500_000, 2)]);
    assert.deepEqual(got.map((d) => [d.digit, d.rtpTimestamp]), [['3', 100], ['3', 900]]);
  });

  test('collector quirk: all end packets lost → emitted unended when the next starts and on flush', () => {
    const a = keyPress(4, 100, 0, 4).filter((p) => !p.event.end);
    const b = keyPress(6, 2000, 300_000, 4).filter((p) => !p.event.end);
    const got = collect([...a, ...b]);
    assert.deepEqual(got.map((d) => [d.digit, d.ended, d.duration]), [['4', false, 640], ['6', false, 640]]);
  });

  test('collector quirk: late update after the end packet does not reopen the event', () => {
    const p = keyPress(7, 100, 0, 3);
    const reordered = [p[0], p[1], p[3], p[2], p[4], p[5]].filter((x): x is DtmfPacket => x !== undefined);
    const got = collect(reordered);
    assert.equal(got.length, 1);
    assert.equal(got[0]?.digit, '7');
  });

  test('fuzz: decode throws only its own error; collector never emits one event twice', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 8 }), (b) => {
      try { decodeTelephoneEvent(b); } catch (e) { assert.ok(e instanceof TelephoneEventDecodeError); }
    }));
    const pkt = fc.record({
      ssrc: fc.constantFrom(1, 2), timestamp: fc.constantFrom(0, 160, 320), captureTimeUs: fc.nat(),
      event: fc.record({ event: fc.constantFrom(1, 2), end: fc.boolean(), volume: fc.constant(10), duration: fc.nat({ max: 0xffff }) }),
    });
    fc.assert(fc.property(fc.array(pkt, { maxLength: 40 }), (packets) => {
      const got = collect(packets);
      const ended = got.filter((d) => d.ended).map((d) => `${d.ssrc}/${d.rtpTimestamp}/${d.event}`);
      // An ended event is emitted once unless at least 16 other events came between its repeats.
      if (new Set(packets.map((p) => `${p.ssrc}/${p.timestamp}/${p.event.event}`)).size <= 16) assert.equal(new Set(ended).size, ended.length);
    }));
  });
});
