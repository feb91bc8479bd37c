import assert from 'node:assert/strict';
import type { ExpectedCall, SentRtpPacket } from '@earshot/call-scenarios';
import type { RtpBatch } from '@earshot/events';
import { encodeRtpPacket, encodedSizeRtpPacket, mediaKey, parseEndpoint } from '@earshot/rtp';

/** The bytes of an RTP packet the synthetic capture sent (the first of each direction carries the marker). */
function sentBytes(p: SentRtpPacket, first: boolean): Buffer {
  const packet = { marker: first, payloadType: p.payloadType, sequenceNumber: p.sequenceNumber, timestamp: p.timestamp, ssrc: p.ssrc, csrcs: [], extension: null, payload: p.payload, paddingSize: 0 };
  const bytes = Buffer.alloc(encodedSizeRtpPacket(packet));
  encodeRtpPacket(packet, bytes, 0);
  return bytes;
}

/**
 * Checks that every RTP packet sent (at or after `fromUs`, when given: what a collector started
 * then could see) is in exactly one batch, byte-identical, with its call and time, and nothing else is.
 */
export function assertEveryPacketOnce(calls: ExpectedCall[], batches: RtpBatch[], fromUs = -Infinity): void {
  const expected = new Map<string, { callId: string; src: string; dst: string; timeUs: number }>();
  for (const call of calls) {
    for (const side of ['caller', 'callee'] as const) {
      call.rtp[side].forEach((p, i) => {
        if (p.captureTimeUs < fromUs) return;
        expected.set(`${sentBytes(p, i === 0).toString('hex')}@${p.captureTimeUs}`, { callId: call.script.callId, src: p.src, dst: p.dst, timeUs: p.captureTimeUs });
      });
    }
  }
  const seen = new Set<string>();
  const partitionKeyBySession = new Map<string, string>();
  for (const b of batches) {
    for (const p of b.packets) {
      const key = `${p.data.toString('hex')}@${p.captureTimeUs}`;
      const want = expected.get(key);
      assert.ok(want, `batch ${b.batchId} of ${b.callId} holds a packet that was never sent at ${p.captureTimeUs}`);
      assert.ok(!seen.has(key), `packet at ${p.captureTimeUs} of ${want.callId} is in more than one batch`);
      seen.add(key);
      assert.equal(b.callId, want.callId);
      const src = parseEndpoint(want.src);
      const dst = parseEndpoint(want.dst);
      assert.deepEqual(
        [b.stream.sourceAddress, b.stream.sourcePort, b.stream.destinationAddress, b.stream.destinationPort],
        [src.ip, src.port, dst.ip, dst.port],
      );
      assert.equal(b.mediaKey, mediaKey(src, dst));
      // Both directions of a session share the key, hence the partition.
      const session = [want.src, want.dst].sort().join(' ');
      const previous = partitionKeyBySession.get(session);
      if (previous !== undefined) assert.equal(b.mediaKey, previous);
      partitionKeyBySession.set(session, b.mediaKey);
    }
  }
  const missing = [...expected.entries()].filter(([k]) => !seen.has(k));
  assert.equal(missing.length, 0, `${missing.length} packets sent but in no batch, e.g. ${JSON.stringify(missing[0]?.[1])}`);
}
