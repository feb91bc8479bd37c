import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSyntheticCapture, standardScenario } from '@earshot/call-scenarios';
import { decodeCaptureFile } from '@earshot/packet';
import { assertEveryPacketOnce } from './testing/batch-expectations';
import { RtpCapturePipeline, type RtpCapturePipelineOptions } from './rtp-capture-pipeline';
import type { OutgoingRtpBatch } from './rtp-stream-batcher';

/** Runs a capture through the pipeline; returns what it would publish, in order, and its counters. */
function runPipeline(pcap: Uint8Array, options: Partial<RtpCapturePipelineOptions> = {}): { out: OutgoingRtpBatch[]; counts: Record<string, number> } {
  const out: OutgoingRtpBatch[] = [];
  const pipeline = new RtpCapturePipeline({ instanceId: 'test', maxPackets: 50, windowMs: 1000, partitions: 6, emit: (b) => out.push(b), ...options });
  for (const r of decodeCaptureFile(pcap)) pipeline.push(r);
  pipeline.finish();
  return { out, counts: pipeline.snapshot() };
}

describe('RtpCapturePipeline on the standard scenario', () => {
  const capture = buildSyntheticCapture(standardScenario());

  test('every RTP packet sent is in exactly one batch, byte-identical, with its call, and nothing else', () => {
    const { out, counts } = runPipeline(capture.pcap);
    const batches = out.filter((b) => b.value.watermarkUs === null).map((b) => b.value);
    assertEveryPacketOnce(capture.calls, batches);
    const sent = capture.calls.reduce((n, c) => n + c.rtp.caller.length + c.rtp.callee.length, 0);
    assert.equal(counts['packets'], sent);
    assert.equal(counts['batches'], batches.length);
    assert.equal(counts['dropped.unannounced'] ?? 0, 0);
    assert.ok((counts['sip.messages'] ?? 0) > 30, JSON.stringify(counts));
    // TCP, IPv6 and the fragmented INVITE's call all got their streams.
    for (const id of ['call-tcp@example.com', 'call-ipv6@example.com', 'call-fragmented@example.com', 'call-reinvite@example.com']) {
      assert.ok(batches.some((b) => b.callId === id), id);
    }
  });

  test('the same capture gives the same batches, ids included', () => {
    const ids = (out: OutgoingRtpBatch[]): string[] => out.map((b) => `${b.value.batchId} ${b.partition ?? ''} ${b.value.packets.length}`);
    assert.deepEqual(ids(runPipeline(capture.pcap).out), ids(runPipeline(capture.pcap).out));
  });

  test('batch ids are unique and sequences count up by one per stream from its first packet\'s capture time in ms', () => {
    const batches = runPipeline(capture.pcap).out.filter((b) => b.value.watermarkUs === null).map((b) => b.value);
    assert.equal(new Set(batches.map((b) => b.batchId)).size, batches.length);
    const next = new Map<string, number>();
    for (const b of batches) {
      const k = JSON.stringify(b.stream);
      assert.equal(b.batchSequence, next.get(k) ?? Math.floor((b.packets[0]?.captureTimeUs ?? 0) / 1000));
      next.set(k, b.batchSequence + 1);
    }
  });
});
