/**
 * Which packets the collector takes, and for which call: media endpoints learnt from the SDP of the
 * SIP in the same capture (both parties, per m-line, re-INVITE, IPv6, RTCP), sipp's shared UAS port,
 * AGENT call events, and the heuristic on and off.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CallEvent } from '@earshot/events';
import { buildUdpFrame, LinkType, type CaptureRecord } from '@earshot/packet';
import { encodeRtpPacket, encodedSizeRtpPacket, rtcpCompoundBytes } from '@earshot/rtp';
import { buildSdp, buildSipRequest, buildSipResponse } from '@earshot/sip';
import { RtpCapturePipeline, type RtpCapturePipelineOptions } from './rtp-capture-pipeline';
import type { OutgoingRtpBatch } from './rtp-stream-batcher';

const T0 = 1_763_942_400_000_000;

interface Party { ip: string; rtpPort: number; rtcp?: number; uri: string }

/** Builds capture records by hand: SIP dialogs, RTP and RTCP at given capture times. */
class Wire {
  readonly records: CaptureRecord[] = [];
  private seq = 0;

  udp(us: number, src: string, srcPort: number, dst: string, dstPort: number, payload: Uint8Array, cut = false): void {
    const data = buildUdpFrame({ src, dst, srcPort, dstPort, payload });
    const kept = cut ? data.subarray(0, data.length - 4) : data;
    this.records.push({ linkType: LinkType.ETHERNET, tsSec: Math.floor(us / 1e6), tsNanos: (us % 1e6) * 1000, capturedLength: kept.length, originalLength: data.length, data: kept, interfaceId: 0 });
  }

  rtp(us: number, src: string, srcPort: number, dst: string, dstPort: number, ssrc: number, cut = false): Uint8Array {
    const p = { marker: false, payloadType: 0, sequenceNumber: this.seq++ & 0xffff, timestamp: this.seq * 160, ssrc, csrcs: [], extension: null, payload: new Uint8Array(160).fill(0xff), paddingSize: 0 };
    const bytes = new Uint8Array(encodedSizeRtpPacket(p));
    encodeRtpPacket(p, bytes, 0);
    this.udp(us, src, srcPort, dst, dstPort, bytes, cut);
    return bytes;
  }

  rtcp(us: number, src: string, srcPort: number, dst: string, dstPort: number, ssrc: number): Uint8Array {
    const bytes = rtcpCompoundBytes([{ type: 'rr', ssrc, reports: [], profileExtension: new Uint8Array(0) }]);
    this.udp(us, src, srcPort, dst, dstPort, bytes);
    return bytes;
  }

  /** INVITE with the caller's offer and 200 OK with the callee's answer (plus ACK). */
  call(us: number, callId: string, caller: Party, callee: Party): void {
    const from = { uri: caller.uri, tag: `f-${callId}` };
    const to = { uri: callee.uri, tag: `t-${callId}` };
    const via = [{ transport: 'UDP', host: caller.ip, port: 5060, branch: `z9hG4bK-${callId}` }];
    this.sip(us, caller, callee, buildSipRequest({ method: 'INVITE', uri: callee.uri, callId, from, to: { uri: callee.uri }, cseq: 1, via, body: this.sdp(caller, caller.rtpPort, 1) }));
    this.sip(us + 100_000, callee, caller, buildSipResponse({ status: 200, callId, from, to, cseq: 1, cseqMethod: 'INVITE', via, body: this.sdp(callee, callee.rtpPort, 1) }));
    this.sip(us + 101_000, caller, callee, buildSipRequest({ method: 'ACK', uri: callee.uri, callId, from, to, cseq: 1, via }));
  }

  /** A re-INVITE from the callee moving its media to `newPort`, answered by the caller. */
  reinvite(us: number, callId: string, caller: Party, callee: Party, newPort: number): void {
    const from = { uri: callee.uri, tag: `t-${callId}` };
    const to = { uri: caller.uri, tag: `f-${callId}` };
    const via = [{ transport: 'UDP', host: callee.ip, port: 5060, branch: `z9hG4bK-re-${callId}` }];
    this.sip(us, callee, caller, buildSipRequest({ method: 'INVITE', uri: caller.uri, callId, from, to, cseq: 1, via, body: this.sdp(callee, newPort, 2) }));
    this.sip(us + 2_000, caller, callee, buildSipResponse({ status: 200, callId, from, to, cseq: 1, cseqMethod: 'INVITE', via, body: this.sdp(caller, caller.rtpPort, 2) }));
  }

  bye(us: number, callId: string, caller: Party, callee: Party): void {
    const from = { uri: caller.uri, tag: `f-${callId}` };
    const to = { uri: callee.uri, tag: `t-${callId}` };
    const via = [{ transport: 'UDP', host: caller.ip, port: 5060, branch: `z9hG4bK-bye-${callId}` }];
    this.sip(us, caller, callee, buildSipRequest({ method: 'BYE', uri: callee.uri, callId, from, to, cseq: 2, via }));
  }

  private sdp(p: Party, port: number, version: number): string {
    return buildSdp({ address: p.ip, sessionVersion: version, media: [{ port, payloadTypes: [0], ...(p.rtcp === undefined ? {} : { rtcp: { port: p.rtcp } }) }] });
  }

  private sip(us: number, a: Party, b: Party, bytes: Uint8Array): void {
    this.udp(us, a.ip, 5060, b.ip, 5060, bytes);
  }
}

function run(wire: Wire, options: Partial<RtpCapturePipelineOptions> = {}, agentEvents: CallEvent[] = []): { batches: OutgoingRtpBatch['value'][]; counts: Record<string, number> } {
  const out: OutgoingRtpBatch[] = [];
  const pipeline = new RtpCapturePipeline({ instanceId: 'test', maxPackets: 50, windowMs: 1000, partitions: 2, emit: (b) => out.push(b), ...options });
  for (const e of agentEvents) pipeline.applyCallEvent(e);
  for (const r of wire.records) pipeline.push(r);
  pipeline.finish();
  return { batches: out.filter((b) => b.value.watermarkUs === null).map((b) => b.value), counts: pipeline.snapshot() };
}

/** [callId, protocol, src, dst, packets] of each stream, in order of first batch. */
function streams(batches: OutgoingRtpBatch['value'][]): Array<[string | null, string, string, string, number]> {
  const byStream = new Map<string, [string | null, string, string, string, number]>();
  for (const b of batches) {
    const s = b.stream;
    const key = `${b.callId} ${s.protocol} ${s.sourceAddress}:${s.sourcePort} ${s.destinationAddress}:${s.destinationPort} ${s.ssrc}`;
    const row = byStream.get(key) ?? [b.callId, s.protocol, `${s.sourceAddress}:${s.sourcePort}`, `${s.destinationAddress}:${s.destinationPort}`, 0];
    row[4] += b.packets.length;
    byStream.set(key, row);
  }
  return [...byStream.values()];
}

const alice: Party = { ip: '10.0.0.1', rtpPort: 4000, uri: 'sip:alice@example.com' };
const bob: Party = { ip: '10.0.0.2', rtpPort: 6000, uri: 'sip:bob@example.com' };

describe('rtp-collector learns streams from SDP', () => {
  test("both parties' endpoints from offer and answer; a packet just before the SDP is held for it; one of no call is not taken", () => {
    const w = new Wire();
    w.rtp(T0, alice.ip, alice.rtpPort, bob.ip, bob.rtpPort, 1); // before any SDP
    w.call(T0 + 10_000, 'c1', alice, bob);
    for (let i = 0; i < 3; i++) {
      w.rtp(T0 + 200_000 + i * 20_000, alice.ip, alice.rtpPort, bob.ip, bob.rtpPort, 1);
      w.rtp(T0 + 201_000 + i * 20_000, bob.ip, bob.rtpPort, alice.ip, alice.rtpPort, 2);
    }
    w.rtp(T0 + 300_000, '10.9.9.9', 7000, '10.9.9.8', 7002, 3); // another session nobody announced
    const { batches, counts } = run(w);
    assert.deepEqual(streams(batches), [
      ['c1', 'RTP', '10.0.0.1:4000', '10.0.0.2:6000', 4],
      ['c1', 'RTP', '10.0.0.2:6000', '10.0.0.1:4000', 3],
    ]);
    assert.equal(batches[0]?.packets[0]?.captureTimeUs, T0, 'the held packet keeps its capture time');
    assert.equal(counts['dropped.unannounced'], 1);
    assert.equal(counts['unannounced.released'], 1);
    assert.equal(counts['unannounced.at-end'], 1);
    assert.equal(new Set(batches.map((b) => b.mediaKey)).size, 1);
  });

  test('a re-INVITE moving the media: the new port is announced, the old one lingers, then goes', () => {
    const w = new Wire();
    w.call(T0, 'c1', alice, bob);
    w.rtp(T0 + 200_000, '10.0.0.9', 6100, '10.0.0.8', 6102, 2); // a session nobody announced
    w.rtp(T0 + 300_000, bob.ip, 6000, alice.ip, alice.rtpPort, 2);
    w.reinvite(T0 + 1_000_000, 'c1', alice, bob, 6100);
    w.rtp(T0 + 1_100_000, bob.ip, 6100, alice.ip, alice.rtpPort, 2);
    w.rtp(T0 + 1_100_500, alice.ip, alice.rtpPort, bob.ip, 6100, 1);
    w.rtp(T0 + 1_200_000, bob.ip, 6000, alice.ip, alice.rtpPort, 2); // straggler on the old port: still the call's
    w.rtp(T0 + 20_000_000, '10.0.0.7', 9000, bob.ip, 6000, 5); // old port, long after: gone
    const { batches, counts } = run(w, { announcementLingerMs: 10_000 });
    assert.deepEqual(streams(batches), [
      ['c1', 'RTP', '10.0.0.2:6000', '10.0.0.1:4000', 2],
      ['c1', 'RTP', '10.0.0.2:6100', '10.0.0.1:4000', 1],
      ['c1', 'RTP', '10.0.0.1:4000', '10.0.0.2:6100', 1],
    ]);
    assert.equal(counts['dropped.unannounced'], 2);
  });

  test('a packet to an announced endpoint from a port no SDP named is still the call\'s (the receiver gets it: NAT, latching)', () => {
    const w = new Wire();
    w.call(T0, 'c1', alice, bob);
    w.rtp(T0 + 200_000, '192.0.2.99', 31000, alice.ip, alice.rtpPort, 2);
    const { batches } = run(w);
    assert.deepEqual(streams(batches), [['c1', 'RTP', '192.0.2.99:31000', '10.0.0.1:4000', 1]]);
  });

  test('IPv6: addresses written differently in SDP and packets match, stream addresses are canonical', () => {
    const a: Party = { ip: '2001:DB8:0:0:0:0:0:15', rtpPort: 4000, uri: 'sip:a@example.com' };
    const b: Party = { ip: '2001:db8::24', rtpPort: 6000, uri: 'sip:b@example.com' };
    const w = new Wire();
    w.call(T0, 'v6', a, b);
    w.rtp(T0 + 200_000, '2001:db8::15', 4000, '2001:db8::24', 6000, 1);
    w.rtp(T0 + 200_100, '2001:db8::24', 6000, '2001:db8::15', 4000, 2);
    const { batches } = run(w);
    assert.deepEqual(streams(batches), [
      ['v6', 'RTP', '2001:db8::15:4000', '2001:db8::24:6000', 1],
      ['v6', 'RTP', '2001:db8::24:6000', '2001:db8::15:4000', 1],
    ]);
    assert.equal(batches[0]?.mediaKey, '[2001:db8::15]:4000|[2001:db8::24]:6000');
  });

  test('RTCP on port + 1 and on the a=rtcp port is its own stream (protocol RTCP, sender SSRC); RTCP on the RTP port (mux) too', () => {
    const a: Party = { ...alice };
    const b: Party = { ...bob, rtcp: 6500 };
    const w = new Wire();
    w.call(T0, 'c1', a, b);
    w.rtp(T0 + 200_000, a.ip, 4000, b.ip, 6000, 0xaaaa);
    w.rtcp(T0 + 210_000, a.ip, 4001, b.ip, 6500, 0xaaaa);
    w.rtcp(T0 + 220_000, b.ip, 6500, a.ip, 4001, 0xbbbb);
    w.rtcp(T0 + 230_000, a.ip, 4000, b.ip, 6000, 0xaaaa); // rtcp-mux style: same 5-tuple and SSRC as the RTP
    const { batches, counts } = run(w);
    assert.deepEqual(streams(batches), [
      ['c1', 'RTP', '10.0.0.1:4000', '10.0.0.2:6000', 1],
      ['c1', 'RTCP', '10.0.0.1:4001', '10.0.0.2:6500', 1],
      ['c1', 'RTCP', '10.0.0.2:6500', '10.0.0.1:4001', 1],
      ['c1', 'RTCP', '10.0.0.1:4000', '10.0.0.2:6000', 1],
    ]);
    assert.deepEqual(batches.filter((x) => x.stream.protocol === 'RTCP').map((x) => x.stream.ssrc), [0xaaaa, 0xbbbb, 0xaaaa]);
    assert.equal(new Set(batches.map((x) => x.batchId)).size, 4, 'RTP and RTCP of one 5-tuple and SSRC have different batch ids');
    assert.equal(counts['packets.rtcp'], 3);
  });

  test("sipp: one UAS media port and one SSRC for every call, told apart by the full 5-tuple", () => {
    const uas: Party = { ip: '127.0.0.1', rtpPort: 6000, uri: 'sip:service@127.0.0.1' };
    const w = new Wire();
    w.call(T0, 'sipp-1', { ip: '127.0.0.1', rtpPort: 6002, uri: 'sip:sipp@127.0.0.1' }, uas);
    w.call(T0 + 1_000, 'sipp-2', { ip: '127.0.0.1', rtpPort: 6004, uri: 'sip:sipp@127.0.0.1' }, uas);
    for (let i = 0; i < 2; i++) {
      w.rtp(T0 + 200_000 + i * 20_000, '127.0.0.1', 6002, '127.0.0.1', 6000, 0x1234);
      w.rtp(T0 + 200_001 + i * 20_000, '127.0.0.1', 6004, '127.0.0.1', 6000, 0x1234);
      w.rtp(T0 + 200_002 + i * 20_000, '127.0.0.1', 6000, '127.0.0.1', 6002, 0x1234);
      w.rtp(T0 + 200_003 + i * 20_000, '127.0.0.1', 6000, '127.0.0.1', 6004, 0x1234);
    }
    const { batches } = run(w);
    assert.deepEqual(streams(batches), [
      ['sipp-1', 'RTP', '127.0.0.1:6002', '127.0.0.1:6000', 2],
      ['sipp-2', 'RTP', '127.0.0.1:6004', '127.0.0.1:6000', 2],
      ['sipp-1', 'RTP', '127.0.0.1:6000', '127.0.0.1:6002', 2],
      ['sipp-2', 'RTP', '127.0.0.1:6000', '127.0.0.1:6004', 2],
    ]);
  });

  test('after BYE the endpoints linger for trailing packets, then a new call may take the port', () => {
    const w = new Wire();
    w.call(T0, 'c1', alice, bob);
    w.bye(T0 + 1_000_000, 'c1', alice, bob);
    w.rtp(T0 + 1_050_000, bob.ip, 6000, alice.ip, 4000, 2);
    w.call(T0 + 30_000_000, 'c2', alice, bob);
    w.rtp(T0 + 30_200_000, bob.ip, 6000, alice.ip, 4000, 2);
    const { batches } = run(w, { announcementLingerMs: 5_000 });
    const first = batches[0]?.batchSequence ?? 0;
    assert.deepEqual(batches.map((b) => [b.callId, b.batchSequence - first]), [['c1', 0], ['c2', 1]]);
  });

  test('AGENT call events announce media like SDP does', () => {
    const media = (address: string, port: number) => [{ media: 'audio', address, port, rtcpPort: null, mode: 'SENDRECV' as const, ptimeMs: 20, codecs: [] }];
    const party = { uri: 'sip:x@y', user: null, displayName: null, assertedIdentity: null, tag: null };
    const event: CallEvent = {
      eventId: 'e1', callId: 'agent-1', kind: 'ANSWERED', sequence: 1, captureTimeUs: T0, source: 'AGENT', instanceId: 'cc', caller: party, callee: party,
      direction: 'INBOUND', recordedUserId: null, callerMedia: media('10.5.0.1', 30000), calleeMedia: media('10.5.0.2', 32000), signalling: null, endedBy: null, failureStatus: null, reason: null,
    };
    const w = new Wire();
    w.rtp(T0 + 10_000, '10.5.0.1', 30000, '10.5.0.2', 32000, 9);
    w.rtcp(T0 + 20_000, '10.5.0.2', 32001, '10.5.0.1', 30001, 8);
    const { batches } = run(w, {}, [event]);
    assert.deepEqual(streams(batches), [
      ['agent-1', 'RTP', '10.5.0.1:30000', '10.5.0.2:32000', 1],
      ['agent-1', 'RTCP', '10.5.0.2:32001', '10.5.0.1:30001', 1],
    ]);
  });
});

describe('rtp-collector heuristic', () => {
  const wire = (): Wire => {
    const w = new Wire();
    w.rtp(T0, '10.9.9.9', 7000, '10.9.9.8', 7002, 3);
    w.rtp(T0 + 20_000, '10.9.9.9', 7000, '10.9.9.8', 7002, 3);
    w.rtcp(T0 + 30_000, '10.9.9.8', 7003, '10.9.9.9', 7001, 4);
    w.udp(T0 + 40_000, '10.9.9.1', 5353, '10.9.9.2', 53, Uint8Array.from([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 0x77, 0x77, 0x77]));
    w.udp(T0 + 50_000, '10.9.9.1', 5353, '10.9.9.2', 53, Uint8Array.from([0x80, 0x00, 0, 1])); // version 2 but too short
    return w;
  };

  test('off: unannounced packets are counted, not collected', () => {
    const { batches, counts } = run(wire(), { heuristic: false });
    assert.equal(batches.length, 0);
    assert.equal(counts['dropped.unannounced'], 5);
  });

  test('on: RTP and RTCP that pass the strict checks are collected with no callId; the rest is not-rtp', () => {
    const { batches, counts } = run(wire(), { heuristic: true });
    assert.deepEqual(streams(batches), [
      [null, 'RTP', '10.9.9.9:7000', '10.9.9.8:7002', 2],
      [null, 'RTCP', '10.9.9.8:7003', '10.9.9.9:7001', 1],
    ]);
    assert.equal(counts['dropped.not-rtp'], 2);
    assert.equal(counts['streams.heuristic'], 2);
  });
});

describe('rtp-collector drops by reason', () => {
  test('a packet cut by the snap length is not published (truncated); garbage on an announced port is not-rtp', () => {
    const w = new Wire();
    w.call(T0, 'c1', alice, bob);
    w.rtp(T0 + 200_000, alice.ip, 4000, bob.ip, 6000, 1, true);
    w.udp(T0 + 210_000, alice.ip, 4000, bob.ip, 6000, Uint8Array.from([0x01, 0x02, 0x03]));
    w.rtp(T0 + 220_000, alice.ip, 4000, bob.ip, 6000, 1);
    const { batches, counts } = run(w);
    assert.equal(batches.reduce((n, b) => n + b.packets.length, 0), 1);
    assert.equal(counts['dropped.truncated'], 1, JSON.stringify(counts));
    assert.equal(counts['dropped.not-rtp'], 1);
    assert.equal(counts['packets'], 1);
    assert.equal(counts['bytes'], 172);
  });
});

/** A SNIFF call event as call control publishes it, with one audio m-line per side. */
function callEvent(callId: string, kind: CallEvent['kind'], us: number, caller: Party | null, callee: Party | null, sequence = 0): CallEvent {
  const media = (p: Party | null) => (p === null ? [] : [{ media: 'audio', address: p.ip, port: p.rtpPort, rtcpPort: null, mode: 'SENDRECV' as const, ptimeMs: 20, codecs: [] }]);
  const party = { uri: 'sip:x@y', user: null, displayName: null, assertedIdentity: null, tag: null };
  return {
    eventId: `${callId}-${sequence}`, callId, kind, sequence, captureTimeUs: us, source: 'SNIFF', instanceId: 'cc', caller: party, callee: party,
    direction: 'INBOUND', recordedUserId: null, callerMedia: media(caller), calleeMedia: media(callee), signalling: null,
    endedBy: kind === 'ENDED' ? 'CALLER' : null, failureStatus: null, reason: null,
  };
}

/**
 * Runs records through the pipeline, applying each call event when the capture reaches `at` (as if
 * it arrived from Kafka then). Returns everything emitted, in order.
 */
function runWithEvents(records: CaptureRecord[], events: Array<{ at: number; event: CallEvent }>, options: Partial<RtpCapturePipelineOptions> = {}): { out: OutgoingRtpBatch[]; counts: Record<string, number> } {
  const out: OutgoingRtpBatch[] = [];
  const pipeline = new RtpCapturePipeline({ instanceId: 'test', maxPackets: 50, windowMs: 1000, partitions: 2, emit: (b) => out.push(b), ...options });
  const pending = [...events].sort((a, b) => a.at - b.at);
  for (const r of records) {
    const us = r.tsSec * 1e6 + r.tsNanos / 1000;
    while (pending.length > 0 && (pending[0] as { at: number }).at <= us) pipeline.applyCallEvent((pending.shift() as { event: CallEvent }).event);
    pipeline.push(r);
  }
  for (const p of pending) pipeline.applyCallEvent(p.event);
  pipeline.finish();
  return { out, counts: pipeline.snapshot() };
}

/** The contract of watermarks: every packet published after a watermark is later than it. */
function assertWatermarksNeverAhead(out: OutgoingRtpBatch[]): void {
  let watermark = -Infinity;
  for (const b of out) {
    if (b.value.watermarkUs !== null) {
      watermark = Math.max(watermark, b.value.watermarkUs);
      continue;
    }
    for (const p of b.value.packets) assert.ok(p.captureTimeUs > watermark, `packet at ${p.captureTimeUs} published after watermark ${watermark}`);
  }
}

const dataOf = (out: OutgoingRtpBatch[]) => out.filter((b) => b.value.watermarkUs === null).map((b) => b.value);

describe('rtp-collector learns calls from call control\'s events', () => {
  /** RTP both ways every 20 ms from `from` to `to` (µs after T0), SSRCs 11 and 22. */
  const media = (w: Wire, from: number, to: number, a = alice, b = bob): number => {
    let n = 0;
    for (let t = from; t < to; t += 20_000) {
      w.rtp(T0 + t, a.ip, a.rtpPort, b.ip, b.rtpPort, 11);
      w.rtp(T0 + t + 5_000, b.ip, b.rtpPort, a.ip, a.rtpPort, 22);
      n += 2;
    }
    return n;
  };

  test('a call whose SIP this capture never saw, only its call events, is collected whole', () => {
    const w = new Wire();
    const sent = media(w, 200_000, 3_000_000);
    const { out, counts } = runWithEvents(w.records, [
      { at: T0 + 150_000, event: callEvent('only-events', 'STARTED', T0, alice, null, 0) },
      { at: T0 + 150_000, event: callEvent('only-events', 'ANSWERED', T0 + 100_000, alice, bob, 1) },
      { at: T0 + 3_100_000, event: callEvent('only-events', 'ENDED', T0 + 3_050_000, alice, bob, 2) },
    ]);
    assert.deepEqual(streams(dataOf(out)), [
      ['only-events', 'RTP', '10.0.0.1:4000', '10.0.0.2:6000', sent / 2],
      ['only-events', 'RTP', '10.0.0.2:6000', '10.0.0.1:4000', sent / 2],
    ]);
    assert.equal(counts['dropped.unannounced'] ?? 0, 0);
    assert.equal(counts['call-events.sniff'], 3);
  });

  test('announced 1 s late (the event arrives while its RTP flows): the first second is held, then batched in order with its capture times', () => {
    const w = new Wire();
    const sent = media(w, 200_000, 3_000_000);
    const { out, counts } = runWithEvents(w.records, [
      { at: T0 + 1_200_000, event: callEvent('late', 'ANSWERED', T0 + 100_000, alice, bob, 1) },
    ]);
    const batches = dataOf(out);
    assert.equal(batches.reduce((n, b) => n + b.packets.length, 0), sent, 'every packet, the first second included');
    assert.ok(batches.every((b) => b.callId === 'late'));
    const times = batches.filter((b) => b.stream.ssrc === 11).flatMap((b) => b.packets.map((p) => p.captureTimeUs));
    assert.equal(times[0], T0 + 200_000);
    assert.deepEqual(times, [...times].sort((a, b) => a - b), 'in capture order');
    assert.equal(counts['unannounced.released'], 100, '1 s of packets both ways, 20 ms apart, were held');
    assert.equal(counts['dropped.unannounced'] ?? 0, 0);
    assertWatermarksNeverAhead(out);
  });

  test('watermarks stay before a held packet until it is released or expires, then move on', () => {
    const w = new Wire();
    w.rtp(T0 + 100_000, '10.9.9.9', 7000, '10.9.9.8', 7002, 3); // never announced
    media(w, 0, 4_000_000, { ...alice, rtpPort: 4100 }, { ...bob, rtpPort: 6100 });
    const { out, counts } = runWithEvents(w.records, [
      { at: T0, event: callEvent('busy', 'ANSWERED', T0, { ...alice, rtpPort: 4100 }, { ...bob, rtpPort: 6100 }, 1) },
    ], { hold: { holdMs: 1500 } });
    const marks = out.filter((b) => b.value.watermarkUs !== null && b.partition === 0).map((b) => b.value.watermarkUs as number);
    const heldUntil = T0 + 100_000 + 1_500_000;
    // While the packet at T0 + 0.1 s is held, no watermark reaches it; after its 1.5 s they go on.
    assert.ok(marks.filter((m) => m < heldUntil).every((m) => m < T0 + 100_000), JSON.stringify(marks.map((m) => m - T0)));
    assert.ok(marks.some((m) => m > heldUntil), 'watermarks move on once it expired');
    assert.equal(counts['unannounced.expired'], 1);
    assert.equal(counts['dropped.unannounced'], 1);
  });

  test('RTP no call ever announces (SIP this capture cannot read) holds the watermarks back only once per flow, not for good', () => {
    const w = new Wire();
    for (let t = 0; t < 10_000_000; t += 20_000) w.rtp(T0 + t, '10.9.9.9', 7000, '10.9.9.8', 7002, 3);
    const { out, counts } = runWithEvents(w.records, [], { hold: { holdMs: 1000 } });
    const marks = out.filter((b) => b.value.watermarkUs !== null && b.partition === 0).map((b) => (b.value.watermarkUs as number) - T0);
    // After the first second expired, the flow's packets are dropped at once: watermarks follow capture time.
    assert.ok(marks.some((m) => m >= 8_000_000), JSON.stringify(marks));
    assert.ok((counts['unannounced.expired'] ?? 0) <= 60, JSON.stringify(counts));
    assert.ok((counts['unannounced.expired-before'] ?? 0) >= 400, JSON.stringify(counts));
    assert.equal(counts['dropped.unannounced'], 500);
  });

  test('the hold is bounded in bytes: the oldest go first, counted over-limit', () => {
    const w = new Wire();
    for (let i = 0; i < 10; i++) w.rtp(T0 + i * 20_000, '10.9.9.9', 7000, '10.9.9.8', 7002, 3); // 172 bytes each
    const { counts } = runWithEvents(w.records, [], { hold: { holdMs: 3000, maxBytes: 172 * 4 } });
    assert.equal(counts['unannounced.held'], 10);
    assert.equal(counts['unannounced.over-limit'], 6);
    assert.equal(counts['unannounced.at-end'], 4);
    assert.equal(counts['dropped.unannounced'], 10);
  });

  test('news of a call older than what was applied is stale: a late ANSWERED does not undo its re-INVITE', () => {
    const w = new Wire();
    w.call(T0, 'c1', alice, bob);
    w.reinvite(T0 + 1_000_000, 'c1', alice, bob, 6100);
    w.rtp(T0 + 1_500_000, alice.ip, alice.rtpPort, bob.ip, 6100, 1);
    w.rtp(T0 + 30_000_000, alice.ip, alice.rtpPort, bob.ip, 6100, 1);
    const { out, counts } = runWithEvents(w.records, [
      // Call control's ANSWERED (the old media) arrives after the collector saw the re-INVITE.
      { at: T0 + 1_200_000, event: callEvent('c1', 'ANSWERED', T0 + 100_000, alice, bob, 1) },
    ]);
    assert.deepEqual(streams(dataOf(out)), [['c1', 'RTP', '10.0.0.1:4000', '10.0.0.2:6100', 2]]);
    assert.equal(counts['announcements.stale'], 1);
  });

  test('an event ahead of the capture waits for its capture time: an earlier call on the same endpoints keeps its packets (a file read fast)', () => {
    const w = new Wire();
    w.call(T0, 'first', alice, bob);
    media(w, 200_000, 1_000_000);
    w.bye(T0 + 1_000_000, 'first', alice, bob);
    media(w, 5_200_000, 6_000_000);
    // Call control's events of the next call on the same ports are all there before the file is read.
    const { out } = runWithEvents(w.records, [
      { at: 0, event: callEvent('second', 'ANSWERED', T0 + 5_100_000, alice, bob, 1) },
    ]);
    const byCall = new Map<string | null, number[]>();
    for (const b of dataOf(out)) for (const p of b.packets) byCall.set(b.callId, [...(byCall.get(b.callId) ?? []), p.captureTimeUs]);
    assert.ok((byCall.get('first') ?? []).every((t) => t < T0 + 5_100_000));
    assert.ok((byCall.get('second') ?? []).every((t) => t >= T0 + 5_100_000));
    assert.equal(byCall.get('first')?.length, 80);
    assert.equal(byCall.get('second')?.length, 80);
  });
});

describe('rtp-collector: a reused media address and SSRC go to the call that announced them last', () => {
  test('back-to-back calls on the same ports and SSRCs: each call\'s batches carry its own call id, from the capture time of its SDP', () => {
    const w = new Wire();
    const sdpAt: number[] = [];
    const sent = new Map<string, number[]>();
    for (let c = 0; c < 3; c++) {
      const start = c * 2_000_000;
      const id = `reuse-${c}`;
      w.call(T0 + start, id, alice, bob);
      sdpAt.push(T0 + start);
      const times: number[] = [];
      // Same 5-tuples and the same SSRCs in every call (sipp's are fixed; PBXs reuse port pools).
      for (let t = start + 150_000; t < start + 1_900_000; t += 20_000) {
        w.rtp(T0 + t, alice.ip, alice.rtpPort, bob.ip, bob.rtpPort, 0x1234);
        w.rtp(T0 + t + 1_000, bob.ip, bob.rtpPort, alice.ip, alice.rtpPort, 0x5678);
        times.push(T0 + t, T0 + t + 1_000);
      }
      w.bye(T0 + start + 1_950_000, id, alice, bob);
      sent.set(id, times);
    }
    const { batches } = run(w, { announcementLingerMs: 10_000 });
    for (const [id, times] of sent) {
      const got = batches.filter((b) => b.callId === id).flatMap((b) => b.packets.map((p) => p.captureTimeUs)).sort((a, b) => a - b);
      assert.deepEqual(got, times.sort((a, b) => a - b), id);
    }
    assert.equal(new Set(batches.map((b) => b.batchId)).size, batches.length, 'no batch id repeats across the calls');
  });

  test('the later call learnt only from call control\'s events (its SIP lost here) still takes the reused ports from its SDP\'s time on', () => {
    const w = new Wire();
    w.call(T0, 'old', alice, bob);
    for (let t = 150_000; t < 1_000_000; t += 20_000) w.rtp(T0 + t, alice.ip, alice.rtpPort, bob.ip, bob.rtpPort, 0x1234);
    w.bye(T0 + 1_000_000, 'old', alice, bob);
    for (let t = 1_500_000; t < 3_000_000; t += 20_000) w.rtp(T0 + t, alice.ip, alice.rtpPort, bob.ip, bob.rtpPort, 0x1234);
    const { out } = runWithEvents(w.records, [
      { at: T0 + 1_300_000, event: callEvent('new', 'ANSWERED', T0 + 1_300_000, alice, bob, 1) },
    ]);
    const batches = dataOf(out);
    assert.ok(batches.filter((b) => b.callId === 'old').every((b) => b.packets.every((p) => p.captureTimeUs < T0 + 1_000_000)));
    assert.equal(batches.filter((b) => b.callId === 'new').reduce((n, b) => n + b.packets.length, 0), 75);
  });
});

describe('rtp-collector restarted: reading the calls in progress back', () => {
  test('what is captured while the call events are read back is held, then goes to the calls they name, not to an old call that shared an endpoint', () => {
    const uas: Party = { ip: '127.0.0.1', rtpPort: 6000, uri: 'sip:service@127.0.0.1' };
    const uacOld: Party = { ip: '127.0.0.1', rtpPort: 6010, uri: 'sip:sipp@127.0.0.1' };
    const uacNew: Party = { ip: '127.0.0.1', rtpPort: 6002, uri: 'sip:sipp@127.0.0.1' };
    const out: OutgoingRtpBatch[] = [];
    const pipeline = new RtpCapturePipeline({ instanceId: 'test', maxPackets: 50, windowMs: 1000, partitions: 2, emit: (b) => out.push(b), hold: { holdMs: 1000 } });
    pipeline.readingBackCallEvents(true);
    const w = new Wire();
    for (let t = 0; t < 5_000_000; t += 20_000) w.rtp(T0 + t, uacNew.ip, uacNew.rtpPort, uas.ip, uas.rtpPort, 7);
    const half = w.records.length / 2;
    w.records.slice(0, half).forEach((r) => pipeline.push(r));
    // The history, oldest first: a call of long ago that never ended (its call control was killed)
    // on the same UAS port, then the call in progress. 2.5 s of capture went by meanwhile.
    pipeline.applyCallEvent(callEvent('old-unended', 'ANSWERED', T0 - 3_600_000_000, uacOld, uas, 1));
    pipeline.applyCallEvent(callEvent('in-progress', 'ANSWERED', T0 - 60_000_000, uacNew, uas, 1));
    pipeline.readingBackCallEvents(false);
    w.records.slice(half).forEach((r) => pipeline.push(r));
    pipeline.finish();
    const batches = dataOf(out);
    assert.deepEqual([...new Set(batches.map((b) => b.callId))], ['in-progress']);
    assert.equal(batches.reduce((n, b) => n + b.packets.length, 0), 250, 'from the first packet captured, held longer than holdMs while reading back');
    assertWatermarksNeverAhead(out);
  });
});
