/**
 * call-control's sniff pipeline without Kafka: the standard synthetic capture (concurrent calls:
 * busy, cancelled, re-INVITE, TCP, IPv6, fragmented INVITE, loss) through SipCapturePipeline and
 * CallEventPublisher gives exactly the expected CallEvents; garbage beside them changes nothing.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ReasonCounters } from '@earshot/errors';
import type { CallEvent } from '@earshot/events';
import { buildTcpFrames, buildUdpFrames, decodeCaptureFile, LinkType, type CaptureRecord } from '@earshot/packet';
import { CallEventPublisher, DirectoryView, SipCapturePipeline } from '@earshot/call-control';
import { assertExpectedCallEvents } from './call-control-expectations';
import { buildSyntheticCapture, standardScenario } from './support/synthetic-calls';

async function run(records: CaptureRecord[], opts: { recordEveryone?: boolean; view?: DirectoryView } = {}) {
  const events: CallEvent[] = [];
  const counters = new ReasonCounters();
  const view = opts.view ?? new DirectoryView({ recordEveryone: opts.recordEveryone ?? true, localDomains: [], localNumberPatterns: ['1\\d{3}'] });
  const publisher = new CallEventPublisher({ view, instanceId: 'cc-unit', counters, sink: async (batch) => void events.push(...batch) });
  const pipeline = new SipCapturePipeline({ onEvent: (e) => publisher.onSipEvent(e) });
  for (const r of records) pipeline.push(r);
  pipeline.finish();
  await publisher.flush();
  return { events, counters, pipelineCounters: pipeline.counters() };
}

function record(frame: Uint8Array, us: number): CaptureRecord {
  return { linkType: LinkType.ETHERNET, tsSec: Math.floor(us / 1e6), tsNanos: (us % 1e6) * 1000, capturedLength: frame.length, originalLength: frame.length, data: frame, interfaceId: 0 };
}

describe('call-control sniff pipeline on the standard synthetic capture', () => {
  const capture = buildSyntheticCapture(standardScenario());
  const records = decodeCaptureFile(capture.pcap);

  test('exactly the expected call events, per call, with parties, media, statuses and direction', async () => {
    const { events, counters, pipelineCounters } = await run(records);
    assertExpectedCallEvents(events, capture.calls, 'cc-unit');
    assert.equal(events.length, capture.calls.reduce((n, c) => n + c.kinds.length, 0));
    // Callers are 1xxx (ours), callees 2xxx: every call is outbound.
    assert.deepEqual([...new Set(events.map((e) => e.direction))], ['OUTBOUND']);
    assert.deepEqual([...new Set(events.map((e) => e.recordedUserId))], [null]);
    assert.equal(counters.get('calls.recorded'), 8);
    assert.equal(pipelineCounters['sip.udp.reassembled'], 1, 'the fragmented INVITE was reassembled');
    assert.equal(pipelineCounters['sip.tcp.messages'], 7, 'the TCP call\'s messages were framed');
    assert.ok((pipelineCounters['packets.udp.skipped'] ?? 0) > 1000, 'RTP skipped without SIP decoding');
    assert.equal(Object.keys(pipelineCounters).filter((k) => k.startsWith('sip.bad')).length, 0);
  });

  test('the same capture twice gives identical events and event ids', async () => {
    const a = await run(records);
    const b = await run(decodeCaptureFile(capture.pcap));
    assert.deepEqual(a.events, b.events);
  });

  test('bad packets and bad SIP beside the calls are counted by reason and lose nothing', async () => {
    const t = standardScenario()[0]?.startUs ?? 0;
    const enc = new TextEncoder();
    const junk: CaptureRecord[] = [
      record(new Uint8Array([1, 2, 3]), t + 1), // not even an Ethernet header
      record(buildUdpFrames({ src: '10.9.9.9', dst: '10.0.0.11', srcPort: 5060, dstPort: 5060, payload: enc.encode('INVITE sip:x SIP/2.0\r\nVia: nonsense\r\n\r\n') })[0] as Uint8Array, t + 2),
      record(buildUdpFrames({ src: '10.9.9.9', dst: '10.0.0.11', srcPort: 5060, dstPort: 5060, payload: enc.encode('INVITE sip:x@y SIP/2.0\r\nCall-ID: half') })[0] as Uint8Array, t + 3),
      record(buildUdpFrames({ src: '10.9.9.9', dst: '10.0.0.11', srcPort: 5060, dstPort: 5060, payload: enc.encode('\r\n\r\n') })[0] as Uint8Array, t + 4),
      record(buildUdpFrames({ src: '10.9.9.9', dst: '10.0.0.11', srcPort: 5060, dstPort: 5060, payload: Uint8Array.from({ length: 200 }, (_, i) => (i * 7) & 0xff) })[0] as Uint8Array, t + 5),
      record(buildTcpFrames({ src: '10.9.9.8', dst: '10.0.0.11', srcPort: 33333, dstPort: 5060, seq: 1, payload: enc.encode('garbage before\r\nmore garbage\r\n') })[0] as Uint8Array, t + 6),
    ];
    const truncated = (records[0] as CaptureRecord).data.subarray(0, 30);
    const mixed = [...junk, record(truncated, t + 7), ...records];
    const { events, pipelineCounters } = await run(mixed);
    assertExpectedCallEvents(events, capture.calls, 'cc-unit');
    const bad = Object.entries(pipelineCounters).filter(([k]) => k.startsWith('sip.bad.') || k.startsWith('packets.dropped.') || k.startsWith('tcp-sip.resync'));
    assert.ok(bad.length >= 3, JSON.stringify(pipelineCounters));
    assert.equal(pipelineCounters['sip.udp.keepalive'], 1);
  });

  test('calls no directory rule records are counted, not published', async () => {
    const { events, counters } = await run(records, { recordEveryone: false });
    assert.equal(events.length, 0);
    assert.equal(counters.get('calls.not-recorded'), 8);
  });
});
