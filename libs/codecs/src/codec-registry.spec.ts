import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { staticPayloadType } from '@earshot/rtp';
import { codecFor } from './index';

describe('codecFor', () => {
  const table: [string, number, number, { name: string; sampleRate: number; perPacket: number; perTs: number } | undefined][] = [
    ['PCMU', 8000, 1, { name: 'PCMU', sampleRate: 8000, perPacket: 160, perTs: 160 }],
    ['pcma', 8000, 1, { name: 'PCMA', sampleRate: 8000, perPacket: 160, perTs: 160 }],
    ['G722', 8000, 1, { name: 'G722', sampleRate: 16000, perPacket: 320, perTs: 320 }],
    ['L16', 16000, 1, { name: 'L16', sampleRate: 16000, perPacket: 80, perTs: 160 }],
    ['L16', 44100, 2, undefined],
    ['PCMU', 16000, 1, undefined],
    ['opus', 48000, 1, undefined],
  ];
  for (const [name, rate, ch, want] of table) {
    test(`${name}/${rate}/${ch}`, () => {
      const c = codecFor(name, rate, ch);
      if (!want) return assert.equal(c, undefined);
      assert.ok(c);
      assert.deepEqual({ name: c.name, sampleRate: c.sampleRate, perPacket: c.samplesPerPacket(160), perTs: c.samplesForTimestampUnits(160) }, want);
      assert.deepEqual([...c.silence(3)], [0, 0, 0]);
    });
  }

  test('each call gives an independent G.722 decoder state', () => {
    const a = codecFor('G722', 8000);
    const b = codecFor('G722', 8000);
    assert.ok(a && b);
    const p = Uint8Array.from({ length: 160 }, (_, i) => (i * 37) & 0xff);
    const first = a.decode(p);
    a.decode(p);
    assert.deepEqual(b.decode(p), first);
  });

  test('the RTP/AVP static payload types this lib decodes resolve to a decoder (0, 8, 9, 11), the others to none', () => {
    const decoded = [];
    for (let pt = 0; pt < 96; pt++) {
      const s = staticPayloadType(pt);
      if (s && codecFor(s.encodingName, s.clockRate, s.channels)) decoded.push(pt);
    }
    assert.deepEqual(decoded, [0, 8, 9, 11]);
  });
});
