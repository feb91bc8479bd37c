/**
 * Turns scripted calls (test/support/synthetic-calls.ts) into what call-control and rtp-collector
 * publish, as the pipeline contract says, so recorder tests and benchmarks do not need those apps:
 * CallEvents keyed by call id, and RtpBatches keyed by media key, batched per stream (at most
 * `maxPackets`, at most `windowMs` of capture time), with watermarks to every partition every
 * `windowMs` and a final one.
 */
import type { CallEvent, CodecDescription, MediaDescription, RtpBatch } from '@earshot/events';
import { deterministicEventId } from '@earshot/events';
import { encodeRtpPacket, encodedSizeRtpPacket, mediaKey, parseEndpoint, rtpStreamKeyString, type RtpStreamKey } from '@earshot/rtp';
import type { ExpectedCall, SentRtpPacket } from './support/synthetic-calls';

const PT: Record<string, number> = { PCMU: 0, PCMA: 8, G722: 9 };

function media(ip: string, port: number, codec: string): MediaDescription[] {
  const codecs: CodecDescription[] = [
    { payloadType: PT[codec] ?? 0, name: codec, clockRate: 8000, channels: 1, fmtp: null },
    { payloadType: 101, name: 'telephone-event', clockRate: 8000, channels: 1, fmtp: '0-16' },
  ];
  return [{ media: 'audio', address: ip, port, rtcpPort: null, mode: 'SENDRECV', ptimeMs: 20, codecs }];
}

/** The CallEvents call control would publish for a scripted call, at the script's capture times. */
export function callEventsFor(call: ExpectedCall): CallEvent[] {
  const s = call.script;
  const codec = s.codec ?? 'PCMU';
  const ringUs = (s.ringMs ?? 300) * 1000;
  const answerUs = s.startUs + ringUs;
  const endUs = answerUs + (s.talkMs ?? 2000) * 1000 + 10_000;
  const callerMedia = media(s.caller.ip, s.caller.rtpPort, codec);
  let calleeMedia: MediaDescription[] = [];
  const out: CallEvent[] = [];
  call.kinds.forEach((kind, seq) => {
    let t = s.startUs;
    if (kind === 'ANSWERED') { t = answerUs; calleeMedia = media(s.callee.ip, s.callee.rtpPort, codec); }
    if (kind === 'MEDIA_UPDATED' && s.reinvite) { t = answerUs + s.reinvite.atMs * 1000 + 2_000; calleeMedia = media(s.callee.ip, s.reinvite.newRtpPort, codec); }
    if (kind === 'ENDED') t = endUs;
    if (kind === 'FAILED') t = s.startUs + ringUs + (s.outcome === 'cancelled' ? 3_000 : 0);
    out.push({
      eventId: deterministicEventId(s.callId, s.startUs, seq), callId: s.callId, kind, sequence: seq, captureTimeUs: t, source: 'SNIFF', instanceId: 'recorder-feed',
      caller: { uri: s.caller.uri, user: null, displayName: s.caller.displayName ?? null, assertedIdentity: null, tag: null },
      callee: { uri: s.callee.uri, user: null, displayName: null, assertedIdentity: null, tag: null },
      direction: 'INTERNAL', recordedUserId: null, callerMedia, calleeMedia, signalling: null,
      endedBy: kind === 'ENDED' ? ((s.byeFrom ?? 'caller') === 'caller' ? 'CALLER' : 'CALLEE') : null,
      failureStatus: kind === 'FAILED' ? call.failureStatus : null, reason: null,
    });
  });
  return out;
}

/** The RTP bytes of a sent packet, as the synthetic capture put them on the wire (marker on each side's first packet). */
export function rtpBytes(p: SentRtpPacket, first: boolean): Buffer {
  const packet = { marker: first, payloadType: p.payloadType, sequenceNumber: p.sequenceNumber, timestamp: p.timestamp, ssrc: p.ssrc, csrcs: [], extension: null, payload: p.payload, paddingSize: 0 };
  const out = Buffer.alloc(encodedSizeRtpPacket(packet));
  encodeRtpPacket(packet, out, 0);
  return out;
}

/** A stream of packets to publish: who sent them and to which call the collector would tie them (null: heuristic). */
export interface FeedStream {
  callId: string | null;
  packets: Array<{ src: string; dst: string; ssrc: number; captureTimeUs: number; data: Buffer }>;
}

/** The packets of a scripted call per direction, with their bytes. */
export function streamsOf(call: ExpectedCall): FeedStream[] {
  return (['caller', 'callee'] as const).map((side) => {
    const sent = call.rtp[side];
    return { callId: call.script.callId, packets: sent.map((p, i) => ({ src: p.src, dst: p.dst, ssrc: p.ssrc, captureTimeUs: p.captureTimeUs, data: rtpBytes(p, i === 0 && !(call.script.dropCallerPackets ?? []).includes(0)) })) };
  });
}

/** A message for qm.rtp.v1: keyed batch, or a watermark for one partition. */
export type RtpMessage = { key: string; value: RtpBatch; partition?: number };

/**
 * The messages an rtp-collector would publish for these streams, in publishing order: batches per
 * 5-tuple+SSRC, flushed at `maxPackets` or when a window of capture time closes, then a watermark
 * per partition; finally `finalWatermarkUs` to every partition.
 */
export function rtpMessagesFor(streams: FeedStream[], o: { partitions: number; windowMs?: number; maxPackets?: number; finalWatermarkUs: number }): RtpMessage[] {
  const windowUs = (o.windowMs ?? 1000) * 1000;
  const maxPackets = o.maxPackets ?? 50;
  const all = streams.flatMap((s) => s.packets.map((p) => ({ ...p, callId: s.callId })));
  all.sort((a, b) => a.captureTimeUs - b.captureTimeUs);
  interface Open { key: RtpStreamKey; keyText: string; media: string; callId: string | null; seq: number; packets: Array<{ captureTimeUs: number; data: Buffer }> }
  const open = new Map<string, Open>();
  const out: RtpMessage[] = [];
  const flush = (b: Open): void => {
    if (b.packets.length === 0) return;
    out.push({ key: b.media, value: {
      batchId: deterministicEventId(b.keyText, b.seq), mediaKey: b.media, callId: b.callId, batchSequence: b.seq, instanceId: 'recorder-feed', watermarkUs: null,
      stream: { protocol: 'RTP', sourceAddress: b.key.srcIp, sourcePort: b.key.srcPort, destinationAddress: b.key.dstIp, destinationPort: b.key.dstPort, ssrc: b.key.ssrc },
      packets: b.packets,
    } });
    b.seq++;
    b.packets = [];
  };
  const watermark = (us: number): void => {
    for (const b of open.values()) flush(b);
    for (let p = 0; p < o.partitions; p++) {
      out.push({ key: 'watermark', partition: p, value: {
        batchId: deterministicEventId('watermark', us, p), mediaKey: 'watermark', callId: null, batchSequence: 0, instanceId: 'recorder-feed', watermarkUs: us, packets: [],
        stream: { protocol: 'RTP', sourceAddress: '', sourcePort: 0, destinationAddress: '', destinationPort: 0, ssrc: 0 },
      } });
    }
  };
  let nextWatermark = all.length > 0 ? Math.floor((all[0] as { captureTimeUs: number }).captureTimeUs / windowUs) * windowUs + windowUs : 0;
  for (const p of all) {
    while (p.captureTimeUs >= nextWatermark) { watermark(nextWatermark); nextWatermark += windowUs; }
    const src = parseEndpoint(p.src);
    const dst = parseEndpoint(p.dst);
    const key: RtpStreamKey = { srcIp: src.ip, srcPort: src.port, dstIp: dst.ip, dstPort: dst.port, protocol: 'udp', ssrc: p.ssrc };
    const keyText = rtpStreamKeyString(key);
    let b = open.get(keyText);
    if (!b) { b = { key, keyText, media: mediaKey(src, dst), callId: p.callId, seq: 0, packets: [] }; open.set(keyText, b); }
    b.packets.push({ captureTimeUs: p.captureTimeUs, data: p.data });
    if (b.packets.length >= maxPackets) flush(b);
  }
  watermark(o.finalWatermarkUs);
  return out;
}
