import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  RtpDecodeError, decodeRtpPacket, isRtpV2Header, rtpMarker, rtpPacketBytes, rtpPayloadEnd, rtpPayloadOffset, rtpPayloadType,
  rtpSequenceNumber, rtpSsrc, rtpTimestamp, rtpVersion, type RtpPacket,
} from './index';

const packetArb: fc.Arbitrary<RtpPacket> = fc.record({
  marker: fc.boolean(),
  payloadType: fc.integer({ min: 0, max: 127 }),
  sequenceNumber: fc.integer({ min: 0, max: 0xffff }),
  timestamp: fc.integer({ min: 0, max: 0xffffffff }),
  ssrc: fc.integer({ min: 0, max: 0xffffffff }),
  csrcs: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 15 }),
  extension: fc.option(fc.record({ profile: fc.integer({ min: 0, max: 0xffff }), data: fc.uint8Array({ maxLength: 3 }).map((d) => new Uint8Array(d.length * 4)) }), { nil: null }),
  payload: fc.uint8Array({ maxLength: 200 }),
  paddingSize: fc.integer({ min: 0, max: 8 }),
});

describe('RTP header view (zero-copy accessors)', () => {
  test('every field reads as decodeRtpPacket decodes it, at an offset inside a larger buffer', () => {
    fc.assert(fc.property(packetArb, fc.integer({ min: 0, max: 16 }), (p, at) => {
      const bytes = rtpPacketBytes(p);
      const buf = new Uint8Array(at + bytes.length);
      buf.set(bytes, at);
      const d = decodeRtpPacket(bytes).value;
      assert.ok(isRtpV2Header(buf, at));
      assert.equal(rtpVersion(buf, at), 2);
      assert.equal(rtpMarker(buf, at), d.marker);
      assert.equal(rtpPayloadType(buf, at), d.payloadType);
      assert.equal(rtpSequenceNumber(buf, at), d.sequenceNumber);
      assert.equal(rtpTimestamp(buf, at), d.timestamp);
      assert.equal(rtpSsrc(buf, at), d.ssrc);
      const start = rtpPayloadOffset(buf, at);
      const end = rtpPayloadEnd(buf, at);
      assert.deepEqual(buf.subarray(start, end), d.payload);
    }));
  });

  test('what decodeRtpPacket rejects, the view rejects too: short, not version 2, CSRCs/extension/padding overrunning', () => {
    const good = rtpPacketBytes({ marker: false, payloadType: 0, sequenceNumber: 1, timestamp: 2, ssrc: 3, csrcs: [], extension: null, payload: new Uint8Array(4), paddingSize: 0 });
    const cases: Array<[string, Uint8Array]> = [
      ['11 bytes', good.subarray(0, 11)],
      ['version 1', Uint8Array.from(good, (b, i) => (i === 0 ? 0x40 : b))],
      ['CC=15 with no room', Uint8Array.from(good, (b, i) => (i === 0 ? 0x8f : b))],
      ['extension bit with no room', Uint8Array.from(good.subarray(0, 14), (b, i) => (i === 0 ? 0x90 : b))],
      ['padding count past the header', Uint8Array.from(good, (b, i) => (i === 0 ? 0xa0 : i === good.length - 1 ? 200 : b))],
    ];
    for (const [name, b] of cases) {
      assert.throws(() => decodeRtpPacket(b), RtpDecodeError, name);
      assert.ok(!isRtpV2Header(b) || rtpPayloadOffset(b) < 0 || rtpPayloadEnd(b) < 0, name);
    }
  });
});
