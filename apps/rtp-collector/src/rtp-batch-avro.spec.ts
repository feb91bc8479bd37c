import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { eventType, type RtpBatch } from '@earshot/events';
import { encodeRtpBatchMessage } from './rtp-batch-avro';

const avsc = eventType('RtpBatch');

function viaAvsc(schemaId: number, b: RtpBatch): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(schemaId, 1);
  return Buffer.concat([header, avsc.toBuffer(b)]);
}

const base: RtpBatch = {
  batchId: '0123456789abcdef0123456789abcdef', mediaKey: '10.0.0.1:4000|10.0.0.2:6000',
  stream: { protocol: 'RTP', sourceAddress: '10.0.0.1', sourcePort: 4000, destinationAddress: '10.0.0.2', destinationPort: 6000, ssrc: 0xdeadbeef },
  callId: 'call-1@example.com', batchSequence: 0, instanceId: 'rtp-collector@host:1',
  packets: [{ captureTimeUs: 1_763_942_400_123_456, data: Buffer.from([0x80, 0, 1, 2]) }], watermarkUs: null,
};

describe('encodeRtpBatchMessage writes exactly what avsc writes', () => {
  const cases: Record<string, RtpBatch> = {
    'a batch': base,
    'no callId (heuristic)': { ...base, callId: null },
    'RTCP, IPv6, a non-ASCII call id': { ...base, callId: 'anrufé-☎@beispiel.de', stream: { ...base.stream, protocol: 'RTCP', sourceAddress: '2001:db8::15', destinationAddress: '2001:db8::24', ssrc: 0 } },
    'a watermark': { ...base, mediaKey: '', callId: null, packets: [], watermarkUs: 1_763_942_400_999_999, stream: { protocol: 'RTP', sourceAddress: '', sourcePort: 0, destinationAddress: '', destinationPort: 0, ssrc: 0 } },
    'many packets, large sequence': { ...base, batchSequence: 2 ** 40, packets: Array.from({ length: 300 }, (_, i) => ({ captureTimeUs: 2 ** 52 - i, data: Buffer.alloc(i, i) })) },
  };
  for (const [name, batch] of Object.entries(cases)) {
    test(name, () => {
      const ours = encodeRtpBatchMessage(4242, batch);
      assert.deepEqual(ours, viaAvsc(4242, batch));
      assert.equal(JSON.stringify(avsc.fromBuffer(ours.subarray(5))), JSON.stringify(batch));
    });
  }

  test('random batches', () => {
    const text = fc.string({ maxLength: 40 });
    fc.assert(fc.property(
      fc.record({
        batchId: text, mediaKey: text, callId: fc.option(fc.string({ unit: 'grapheme', maxLength: 30 }), { nil: null }), instanceId: text,
        batchSequence: fc.integer({ min: 0, max: 2 ** 52 }),
        protocol: fc.constantFrom('RTP' as const, 'RTCP' as const),
        ports: fc.tuple(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 65535 })),
        ssrc: fc.integer({ min: 0, max: 0xffffffff }),
        packets: fc.array(fc.record({ captureTimeUs: fc.integer({ min: 0, max: 2 ** 52 }), data: fc.uint8Array({ maxLength: 300 }) }), { maxLength: 20 }),
        watermarkUs: fc.option(fc.integer({ min: -(2 ** 52), max: 2 ** 52 }), { nil: null }),
      }),
      (r) => {
        const batch: RtpBatch = {
          batchId: r.batchId, mediaKey: r.mediaKey, callId: r.callId, instanceId: r.instanceId, batchSequence: r.batchSequence, watermarkUs: r.watermarkUs,
          stream: { protocol: r.protocol, sourceAddress: 'a', sourcePort: r.ports[0], destinationAddress: 'b', destinationPort: r.ports[1], ssrc: r.ssrc },
          packets: r.packets.map((p) => ({ captureTimeUs: p.captureTimeUs, data: Buffer.from(p.data) })),
        };
        assert.deepEqual(encodeRtpBatchMessage(7, batch), viaAvsc(7, batch));
      },
    ), { numRuns: 300 });
  });
});
