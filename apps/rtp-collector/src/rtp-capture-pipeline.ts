import { ReasonCounters } from '@earshot/errors';
import type { CallEvent, MediaDescription, MediaProtocol } from '@earshot/events';
import { captureTimeMicros, PacketDecoder, type CaptureRecord, type TcpFlow, type UdpDatagram } from '@earshot/packet';
import { canonicalIp, looksLikeRtcp, looksLikeRtp, mediaKey, RtpStreamKeyError } from '@earshot/rtp';
import {
  decodeSipMessage, SipDecodeError, SipDialogTracker, SipStreamFramer,
  type SipCallEvent, type SipSideMedia, type SipTransportInfo,
} from '@earshot/sip';
import { MediaAnnouncements, type AnnouncedMedia } from './media-announcements';
import { RtpStreamBatcher, type OutgoingRtpBatch, type RtpStream } from './rtp-stream-batcher';

/** Options of RtpCapturePipeline. */
export interface RtpCapturePipelineOptions {
  /** This collector instance (RtpBatch.instanceId). */
  instanceId: string;
  /** Packets per batch at most. */
  maxPackets: number;
  /** Capture-time span of a batch at most, and the watermark interval, in ms. */
  windowMs: number;
  /** Partitions of qm.rtp.v1 (a watermark goes to each). */
  partitions: number;
  /** Also collect streams no SDP announced when they pass the strict RTP/RTCP checks. Default false. */
  heuristic?: boolean;
  /** How long endpoints stay announced after their call ended or moved its media (capture time). Default 10000. */
  announcementLingerMs?: number;
  /** Receives each batch and watermark, in publishing order. */
  emit: (batch: OutgoingRtpBatch) => void;
}

/** One UDP flow (5-tuple) seen carrying, or maybe carrying, media. */
interface Flow {
  srcIp: string;
  srcPort: number;
  dstIp: string;
  dstPort: number;
  /** Canonical ip:port of each end, and their media key. */
  src: string;
  dst: string;
  pair: string;
  /** MediaAnnouncements.generation when `callId` was looked up. */
  generation: number;
  announcement: { readonly callId: string; validUntilUs: number } | undefined;
  rtp: Map<number, RtpStream>;
  rtcp: Map<number, RtpStream>;
  lastRtp: RtpStream | undefined;
  lastUs: number;
}

const SWEEP_EVERY_US = 1_000_000;
/** A flow that never carried media is forgotten after this long without a packet. */
const IDLE_FLOW_US = 60_000_000;
/**
 * A flow with streams is forgotten after this long without a packet (its streams' batch sequence
 * numbers restart if it comes back, as after a restart of the collector).
 */
const IDLE_MEDIA_FLOW_US = 3_600_000_000;
const CR = 0x0d;
const LF = 0x0a;
const UPPER_A = 0x41;
const UPPER_Z = 0x5a;

function u32(b: Uint8Array, o: number): number {
  return (((b[o] as number) << 24) | ((b[o + 1] as number) << 16) | ((b[o + 2] as number) << 8) | (b[o + 3] as number)) >>> 0;
}

/** `ip:port` of a canonical address, as endpointString() of @earshot/rtp writes it. */
function hostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

function fromSdp(m: SipSideMedia | undefined): AnnouncedMedia[] | undefined {
  return m?.streams.map((s) => ({ address: s.address, port: s.port, rtcpAddress: s.rtcpAddress, rtcpPort: s.rtcpPort }));
}

function fromCallEvent(media: readonly MediaDescription[]): AnnouncedMedia[] {
  return media.map((m) => ({ address: m.address, port: m.port, rtcpAddress: m.address, rtcpPort: m.rtcpPort ?? m.port + 1 }));
}

/**
 * The rtp-collector's work, without I/O: capture records in, RtpBatches and watermarks out.
 *
 * It follows the SIP in the same capture (UDP, and TCP through reassembly and framing) with a
 * SipDialogTracker to learn where each call's parties receive RTP and RTCP (per m-line, following
 * re-INVITE and UPDATE), takes AGENT call events the same way, and collects the UDP packets of
 * those endpoints (and, with `heuristic`, any other packet that passes the strict RTP or RTCP
 * checks) into streams keyed by 5-tuple + SSRC, batched by RtpStreamBatcher.
 *
 * Counts: `packets`, `packets.rtp`, `packets.rtcp`, `bytes`, `batches`, `watermarks`, `streams`,
 * `streams.heuristic`, `sip.messages`, and drops by reason: `dropped.unannounced` (UDP that no
 * call announced, heuristic off), `dropped.not-rtp` (neither RTP nor RTCP where it was looked
 * for), `dropped.truncated` (cut by the snap length), `dropped.empty`, `sip.<decode reason>`,
 * plus the packet decoder's drops (`dropped.<reason>`, every `truncated-*` as `truncated`) and
 * its other counts (`decoder.*`).
 */
export class RtpCapturePipeline {
  /** Packets accepted into streams, and their bytes. */
  packets = 0;
  rtpPackets = 0;
  rtcpPackets = 0;
  bytes = 0;
  streams = 0;
  private readonly counters = new ReasonCounters();
  private readonly decoder: PacketDecoder;
  private readonly tracker = new SipDialogTracker();
  private readonly announcements: MediaAnnouncements;
  private readonly batcher: RtpStreamBatcher;
  private readonly heuristic: boolean;
  private readonly flows = new Map<string, Flow>();
  private readonly framers = new Map<string, SipStreamFramer>();
  private truncated = false;
  private nowUs = -Infinity;
  private nextSweepUs = -Infinity;
  private nextFlowSweepUs = -Infinity;

  constructor(options: RtpCapturePipelineOptions) {
    this.heuristic = options.heuristic ?? false;
    this.announcements = new MediaAnnouncements({ lingerMs: options.announcementLingerMs ?? 10_000 });
    this.batcher = new RtpStreamBatcher({
      instanceId: options.instanceId, maxPackets: options.maxPackets, windowMs: options.windowMs,
      partitions: options.partitions, emit: options.emit,
    });
    this.decoder = new PacketDecoder({
      onUdp: (d) => this.onUdp(d),
      onTcpData: (c) => this.onSipBytes(c.flow, c.data, captureTimeMicros(c)),
      onTcpGap: (g) => this.dropFramer(g.flow),
      onTcpEnd: (e) => this.dropFramer(e.flow),
    });
  }

  /** One captured frame. */
  push(record: CaptureRecord): void {
    this.truncated = record.capturedLength < record.originalLength;
    this.decoder.push(record);
  }

  /**
   * A call event from qm.call-control.v1 (the AGENT source: a PBX told call control where the
   * media goes). SNIFF events are learnt from the capture itself and should not be passed here.
   */
  applyCallEvent(event: CallEvent): void {
    const at = Math.max(this.nowUs, event.captureTimeUs);
    if (event.kind === 'ENDED' || event.kind === 'FAILED') this.announcements.end(event.callId, at);
    else this.announcements.announce(event.callId, fromCallEvent(event.callerMedia), fromCallEvent(event.calleeMedia), at);
  }

  /**
   * Live-mode idle guard: no packet has come for a while; let capture time move on to `nowUs` (the
   * wall clock, which is what live capture stamps packets with) so open batches and watermarks go out.
   */
  idle(nowUs: number): void {
    if (nowUs <= this.nowUs) return;
    this.tick(nowUs);
  }

  /**
   * End of input: delivers what the packet decoder holds, flushes every batch, sends the final
   * watermark (END_OF_CAPTURE_US when `endOfCapture`: a file read to its end).
   */
  finish(endOfCapture = false): void {
    this.decoder.flush();
    this.applySip(this.tracker.tick(Infinity));
    this.batcher.finish(endOfCapture);
  }

  /** Every counter, for heartbeats and the summary. */
  snapshot(): Record<string, number> {
    const out = new ReasonCounters();
    out.merge(this.counters);
    // Frames the packet decoder could not take are drops like ours (a frame cut by the snap length
    // is `truncated` whichever layer noticed); the rest of its counts are under `decoder.`.
    for (const [name, value] of Object.entries(this.decoder.counters.snapshot())) {
      if (name.startsWith('dropped.truncated')) out.inc('dropped.truncated', value);
      else out.inc(name.startsWith('dropped.') ? name : `decoder.${name}`, value);
    }
    out.merge(this.announcements.counters, 'announcements.');
    out.inc('packets', this.packets);
    out.inc('packets.rtp', this.rtpPackets);
    out.inc('packets.rtcp', this.rtcpPackets);
    out.inc('bytes', this.bytes);
    out.inc('streams', this.streams);
    out.inc('batches', this.batcher.batches);
    out.inc('watermarks', this.batcher.watermarks);
    return out.snapshot();
  }

  private tick(timeUs: number): void {
    if (timeUs > this.nowUs) this.nowUs = timeUs;
    this.batcher.advance(timeUs);
    if (this.nowUs >= this.nextSweepUs) this.sweep();
  }

  private sweep(): void {
    const now = this.nowUs;
    this.nextSweepUs = now + SWEEP_EVERY_US;
    this.applySip(this.tracker.tick(now));
    this.announcements.expire(now);
    if (now < this.nextFlowSweepUs) return;
    this.nextFlowSweepUs = now + IDLE_FLOW_US;
    for (const [key, flow] of this.flows) {
      const media = flow.rtp.size + flow.rtcp.size > 0;
      if (flow.lastUs + (media ? IDLE_MEDIA_FLOW_US : IDLE_FLOW_US) > now) continue;
      let open = false;
      for (const s of flow.rtp.values()) open ||= this.batcher.hasOpenBatch(s);
      for (const s of flow.rtcp.values()) open ||= this.batcher.hasOpenBatch(s);
      if (!open) this.flows.delete(key);
    }
  }

  private drop(reason: string): void {
    this.counters.inc(`dropped.${reason}`);
  }

  private onUdp(d: UdpDatagram): void {
    const t = d.tsSec * 1_000_000 + Math.floor(d.tsNanos / 1000);
    const p = d.payload;
    if (p.length === 0) {
      this.tick(t);
      this.drop('empty');
      return;
    }
    const b0 = p[0] as number;
    if ((b0 >= UPPER_A && b0 <= UPPER_Z) || b0 === CR || b0 === LF) {
      this.tick(t);
      this.onSipDatagram(d, t);
      return;
    }
    const key = `${d.src} ${d.srcPort} ${d.dst} ${d.dstPort}`;
    let flow = this.flows.get(key);
    if (flow === undefined) {
      flow = this.newFlow(d);
      if (flow === undefined) {
        this.tick(t);
        this.drop('bad-address');
        return;
      }
      this.flows.set(key, flow);
    }
    flow.lastUs = t;
    let a = flow.announcement;
    if (flow.generation !== this.announcements.generation || (a !== undefined && a.validUntilUs < t)) {
      a = flow.announcement = this.announcements.lookup(flow.src, flow.dst, flow.pair, t);
      flow.generation = this.announcements.generation;
    }
    if (a === undefined && !this.heuristic) {
      this.tick(t);
      this.drop('unannounced');
      return;
    }
    let protocol: MediaProtocol;
    let ssrc: number;
    if (looksLikeRtp(p)) {
      protocol = 'RTP';
      ssrc = u32(p, 8);
    } else if (looksLikeRtcp(p)) {
      protocol = 'RTCP';
      ssrc = u32(p, 4);
    } else {
      this.tick(t);
      this.drop('not-rtp');
      return;
    }
    if (this.truncated) {
      // Cut by the snap length: not the packet as sent.
      this.tick(t);
      this.drop('truncated');
      return;
    }
    let stream: RtpStream | undefined;
    if (protocol === 'RTP') {
      stream = flow.lastRtp !== undefined && flow.lastRtp.id.ssrc === ssrc ? flow.lastRtp : flow.rtp.get(ssrc);
    } else {
      stream = flow.rtcp.get(ssrc);
    }
    const callId = a === undefined ? null : a.callId;
    if (stream === undefined) {
      stream = this.batcher.createStream(protocol, { srcIp: flow.srcIp, srcPort: flow.srcPort, dstIp: flow.dstIp, dstPort: flow.dstPort, protocol: 'udp', ssrc }, flow.pair, callId);
      (protocol === 'RTP' ? flow.rtp : flow.rtcp).set(ssrc, stream);
      this.streams++;
      if (a === undefined) this.counters.inc('streams.heuristic');
    } else if (stream.callId !== callId) {
      this.batcher.setCallId(stream, callId);
    }
    if (protocol === 'RTP') {
      flow.lastRtp = stream;
      this.rtpPackets++;
    } else {
      this.rtcpPackets++;
    }
    this.packets++;
    this.bytes += p.length;
    if (t > this.nowUs) this.nowUs = t;
    this.batcher.add(stream, t, asBuffer(p));
    if (this.nowUs >= this.nextSweepUs) this.sweep();
  }

  private newFlow(d: UdpDatagram): Flow | undefined {
    try {
      const srcIp = canonicalIp(d.src);
      const dstIp = canonicalIp(d.dst);
      const src = hostPort(srcIp, d.srcPort);
      const dst = hostPort(dstIp, d.dstPort);
      return {
        srcIp, srcPort: d.srcPort, dstIp, dstPort: d.dstPort,
        src, dst, pair: mediaKey({ ip: srcIp, port: d.srcPort }, { ip: dstIp, port: d.dstPort }),
        generation: -1, announcement: undefined, rtp: new Map(), rtcp: new Map(), lastRtp: undefined, lastUs: 0,
      };
    } catch (e) {
      if (e instanceof RtpStreamKeyError) return undefined;
      throw e;
    }
  }

  private onSipDatagram(d: UdpDatagram, t: number): void {
    try {
      const { value } = decodeSipMessage(d.payload);
      this.onSip(value, t, { protocol: 'udp', src: { ip: d.src, port: d.srcPort }, dst: { ip: d.dst, port: d.dstPort } });
    } catch (e) {
      if (!(e instanceof SipDecodeError)) throw e;
      this.counters.inc(`sip.${e.reason}`);
    }
  }

  private onSipBytes(flow: TcpFlow, data: Uint8Array, t: number): void {
    this.tick(t);
    const key = `${flow.src} ${flow.srcPort} ${flow.dst} ${flow.dstPort}`;
    let framer = this.framers.get(key);
    if (framer === undefined) {
      framer = new SipStreamFramer();
      this.framers.set(key, framer);
    }
    const transport: SipTransportInfo = { protocol: 'tcp', src: { ip: flow.src, port: flow.srcPort }, dst: { ip: flow.dst, port: flow.dstPort } };
    for (const bytes of framer.push(data)) {
      try {
        this.onSip(decodeSipMessage(bytes, 0, { requireContentLength: true }).value, t, transport);
      } catch (e) {
        if (!(e instanceof SipDecodeError)) throw e;
        this.counters.inc(`sip.${e.reason}`);
      }
    }
  }

  /** A gap or the end of a TCP stream: the framer's partial message is gone; the next bytes resync. */
  private dropFramer(flow: TcpFlow): void {
    const key = `${flow.src} ${flow.srcPort} ${flow.dst} ${flow.dstPort}`;
    const framer = this.framers.get(key);
    if (framer === undefined) return;
    this.counters.merge(framer.counters, 'sip.tcp.');
    this.framers.delete(key);
  }

  private onSip(message: Parameters<SipDialogTracker['onMessage']>[0], t: number, transport: SipTransportInfo): void {
    this.counters.inc('sip.messages');
    this.applySip(this.tracker.onMessage(message, t, transport));
  }

  private applySip(events: SipCallEvent[]): void {
    for (const e of events) {
      if (e.type === 'ended' || e.type === 'failed') this.announcements.end(e.callId, e.captureTimeUs === Infinity ? this.nowUs : e.captureTimeUs);
      else this.announcements.announce(e.callId, fromSdp(e.callerMedia), fromSdp(e.calleeMedia), e.captureTimeUs);
    }
  }
}
