import { ReasonCounters } from '@earshot/errors';
import type { CallEvent, MediaDescription, MediaProtocol } from '@earshot/events';
import { captureTimeMicros, PacketDecoder, type CaptureRecord, type UdpDatagram } from '@earshot/packet';
import {
  canonicalIp, endpointString, looksLikeRtcp, looksLikeRtp, mediaKey, rtcpSenderSsrc, rtpSsrc, RtpStreamKeyError,
} from '@earshot/rtp';
import { SipCaptureReader, type SipCallEvent, type SipCaptureReaderOptions, type SipSideMedia } from '@earshot/sip';
import { MediaAnnouncements, type AnnouncedMedia, type Announcement } from './media-announcements';
import { RtpStreamBatcher, type OutgoingRtpBatch, type RtpStream } from './rtp-stream-batcher';
import { UnannouncedHold, type UnannouncedHoldOptions } from './unannounced-hold';

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
  /** Also collect streams no SDP announced when they pass the strict RTP/RTCP checks (nothing is then held). Default false. */
  heuristic?: boolean;
  /** How long endpoints stay announced after their call ended or moved its media (capture time). Default 10000. */
  announcementLingerMs?: number;
  /**
   * How SIP is read from the capture: call control's options (SIP ports, SIP on any port, dialog
   * timeouts), so both follow the same calls. Default: the reader's defaults.
   */
  sip?: Omit<SipCaptureReaderOptions, 'onEvent'>;
  /** How long and how much RTP no call announced yet is held for a late announcement. Default: UnannouncedHold's defaults (3 s, 32 MiB). */
  hold?: UnannouncedHoldOptions;
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
  /** MediaAnnouncements.generation when `announcement` was looked up. */
  generation: number;
  announcement: Announcement | undefined;
  rtp: Map<number, RtpStream>;
  rtcp: Map<number, RtpStream>;
  lastRtp: RtpStream | undefined;
  lastUs: number;
  /** Until then (capture time) its unannounced packets are not held: some already waited in vain. */
  noHoldUntilUs: number;
}

const SWEEP_EVERY_US = 1_000_000;
/** A flow that never carried media is forgotten after this long without a packet. */
const IDLE_FLOW_US = 60_000_000;
/**
 * A flow with streams is forgotten after this long without a packet (its streams' batch sequences
 * start again from the capture time of their next packet, as after a restart of the collector).
 */
const IDLE_MEDIA_FLOW_US = 3_600_000_000;
/**
 * After a flow's held packet expired, its unannounced packets are dropped at once for this long
 * rather than held: RTP that no call will ever announce (SIP this capture cannot read, e.g. over
 * TLS) would otherwise keep every watermark a hold time behind.
 */
const NO_HOLD_AFTER_EXPIRY_US = 30_000_000;
/** Call events ahead of capture time waiting for it at most; past it the oldest apply at once. */
const MAX_DEFERRED_CALL_EVENTS = 100_000;

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
 * Where each call's parties receive RTP and RTCP (per m-line, following re-INVITE and UPDATE) is
 * learnt from two sources: the SIP in the same capture (UDP, and TCP through reassembly and
 * framing), read by SipCaptureReader with call control's options; and call control's CallEvents
 * (applyCallEvent), which cover what this capture missed (a lost INVITE or 200 OK, the calls that
 * began before a restart). Both tell of a call with the capture time of its SIP; MediaAnnouncements
 * orders them by that time (stale news ignored, the later announcement of a key wins). A call
 * event ahead of this capture's time waits until capture time reaches it.
 *
 * UDP packets of announced endpoints (and, with `heuristic`, any other packet that passes the
 * strict RTP or RTCP checks) are collected into streams keyed by 5-tuple + SSRC, batched by
 * RtpStreamBatcher. Without `heuristic`, RTP and RTCP that no call announced yet are held
 * (UnannouncedHold, bounded in capture time and bytes) and batched with their capture times when
 * an announcement comes; watermarks stay before the oldest packet held.
 *
 * Counts: `packets`, `packets.rtp`, `packets.rtcp`, `bytes`, `batches`, `watermarks`, `streams`,
 * `streams.heuristic`, the SIP reader's (`sip.*`, `tcp-sip.*`, `dialogs.*`), `call-events.*`,
 * `announcements.*`, `unannounced.*` (`held`, `released`, and each drop by reason: `expired`,
 * `over-limit`, `at-end`; never held: `not-rtp`, `truncated`, `not-held`, `expired-before` (the
 * flow's held packets expired less than 30 s ago)), and drops by reason:
 * `dropped.unannounced` (UDP no call announced, in all), `dropped.not-rtp` (neither RTP nor RTCP
 * where it was looked for), `dropped.truncated` (cut by the snap length), `dropped.empty`, plus the
 * packet decoder's drops (`dropped.<reason>`, every `truncated-*` as `truncated`) and its other
 * counts (`decoder.*`).
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
  private readonly reader: SipCaptureReader;
  private readonly announcements: MediaAnnouncements;
  private readonly batcher: RtpStreamBatcher;
  private readonly hold: UnannouncedHold<Flow>;
  private readonly heuristic: boolean;
  private readonly flows = new Map<string, Flow>();
  /** Call events ahead of capture time, by capture time. */
  private deferred: CallEvent[] = [];
  /** MediaAnnouncements.generation when held flows were last looked up. */
  private heldGeneration = -1;
  /** While true, held packets do not expire (see readingBackCallEvents). */
  private readingBack = false;
  private truncated = false;
  private nowUs = -Infinity;
  private nextSweepUs = -Infinity;
  private nextFlowSweepUs = -Infinity;

  constructor(options: RtpCapturePipelineOptions) {
    this.heuristic = options.heuristic ?? false;
    this.announcements = new MediaAnnouncements({ lingerMs: options.announcementLingerMs ?? 10_000 });
    this.hold = new UnannouncedHold(options.hold);
    this.batcher = new RtpStreamBatcher({
      instanceId: options.instanceId, maxPackets: options.maxPackets, windowMs: options.windowMs,
      partitions: options.partitions, emit: options.emit, heldSinceUs: () => this.hold.oldestUs(),
    });
    this.reader = new SipCaptureReader({ ...options.sip, onEvent: (e) => this.onSipEvent(e) });
    this.decoder = new PacketDecoder({
      onUdp: (d) => this.onUdp(d),
      onTcpData: (c) => {
        this.tick(captureTimeMicros(c));
        this.reader.pushTcpData(c);
      },
      onTcpGap: (g) => this.reader.tcpGap(g.flow),
      onTcpEnd: (e) => this.reader.tcpEnd(e.flow),
    });
  }

  /** One captured frame. */
  push(record: CaptureRecord): void {
    this.truncated = record.capturedLength < record.originalLength;
    this.decoder.push(record);
  }

  /**
   * A call event from qm.call-control.v1, of any source: what call control learnt from its own
   * capture (SNIFF) or from a PBX (AGENT). Applied at its capture time: now if that has passed,
   * else when capture time gets there.
   */
  applyCallEvent(event: CallEvent): void {
    this.counters.inc(`call-events.${event.source.toLowerCase()}`);
    if (event.captureTimeUs <= this.nowUs) {
      this.applyCall(event);
      return;
    }
    this.counters.inc('call-events.deferred');
    const d = this.deferred;
    // Mostly in order (per partition): find the place from the end.
    let i = d.length;
    while (i > 0 && (d[i - 1] as CallEvent).captureTimeUs > event.captureTimeUs) i--;
    d.splice(i, 0, event);
    if (d.length > MAX_DEFERRED_CALL_EVENTS) {
      this.counters.inc('call-events.deferred-overflow');
      this.applyCall(d.shift() as CallEvent);
    }
  }

  /**
   * At start, while the call events of the calls in progress are still being read back from
   * Kafka, every RTP and RTCP packet is held and nothing held expires (only the hold's byte bound
   * applies): a restarted collector keeps what it captured before it knew the calls again, and
   * judges it only once it knows them all (half-read, the history could hand a packet to an old
   * call that shared an endpoint with it). `false` when they have been read: what is held goes to
   * its calls.
   */
  readingBackCallEvents(on: boolean): void {
    this.readingBack = on && this.hold.enabled && !this.heuristic;
    if (this.readingBack) return;
    this.heldGeneration = -1;
    this.releaseHeld();
  }

  /**
   * Live-mode idle guard: no packet has come for a while; let capture time move on to `nowUs` (the
   * wall clock, which is what live capture stamps packets with) so open batches and watermarks go
   * out, held packets expire and waiting call events apply.
   */
  idle(nowUs: number): void {
    if (nowUs <= this.nowUs) return;
    this.tick(nowUs);
  }

  /**
   * End of input: delivers what the packet decoder holds, ends the calls followed, drops what is
   * still held, flushes every batch, sends the final watermark (END_OF_CAPTURE_US when
   * `endOfCapture`: a file read to its end).
   */
  finish(endOfCapture = false): void {
    this.decoder.flush();
    this.reader.finish();
    this.hold.dropAll();
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
    for (const [name, value] of Object.entries(this.reader.counters())) out.inc(name, value);
    out.merge(this.announcements.counters, 'announcements.');
    out.merge(this.hold.counters, 'unannounced.');
    const h = this.hold.counters;
    const heldDrops = h.get('expired') + h.get('over-limit') + h.get('at-end');
    if (heldDrops > 0) out.inc('dropped.unannounced', heldDrops);
    if (this.deferred.length > 0) out.inc('call-events.waiting', this.deferred.length);
    out.inc('unannounced.held-bytes', this.hold.bytes);
    out.inc('packets', this.packets);
    out.inc('packets.rtp', this.rtpPackets);
    out.inc('packets.rtcp', this.rtcpPackets);
    out.inc('bytes', this.bytes);
    out.inc('streams', this.streams);
    out.inc('batches', this.batcher.batches);
    out.inc('watermarks', this.batcher.watermarks);
    return out.snapshot();
  }

  /** Capture time moves on to `timeUs` (never back): due call events apply, sweeps run, batches and watermarks that are due go out. */
  private tick(timeUs: number): void {
    if (timeUs > this.nowUs) {
      this.nowUs = timeUs;
      const first = this.deferred[0];
      if (first !== undefined && first.captureTimeUs <= timeUs) this.applyDue();
      if (timeUs >= this.nextSweepUs) this.sweep();
    }
    this.batcher.advance(timeUs);
  }

  private applyDue(): void {
    let n = 0;
    while (n < this.deferred.length && (this.deferred[n] as CallEvent).captureTimeUs <= this.nowUs) n++;
    for (const e of this.deferred.splice(0, n)) this.applyCall(e);
  }

  private sweep(): void {
    const now = this.nowUs;
    this.nextSweepUs = now + SWEEP_EVERY_US;
    this.reader.tick(now);
    this.announcements.expire(now);
    this.releaseHeld();
    if (!this.readingBack) this.hold.expire(now, (flow) => (flow.noHoldUntilUs = now + NO_HOLD_AFTER_EXPIRY_US));
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
    const t = captureTimeMicros(d);
    // Capture time first: call events due by now apply before this packet is judged.
    if (t > this.nowUs) this.tick(t);
    const p = d.payload;
    if (p.length === 0) {
      this.drop('empty');
      return;
    }
    if (this.reader.pushUdp(d)) return;
    const key = `${d.src} ${d.srcPort} ${d.dst} ${d.dstPort}`;
    let flow = this.flows.get(key);
    if (flow === undefined) {
      flow = this.newFlow(d);
      if (flow === undefined) {
        this.drop('bad-address');
        return;
      }
      this.flows.set(key, flow);
    }
    flow.lastUs = t;
    if (this.readingBack) {
      this.unannounced(flow, t, p);
      return;
    }
    const a = this.announcementOf(flow, t);
    if (a === undefined && !this.heuristic) {
      this.unannounced(flow, t, p);
      return;
    }
    this.collect(flow, t, p, a);
  }

  /** The call a flow's packet at `t` belongs to, cached per flow until the announcements change. */
  private announcementOf(flow: Flow, t: number): Announcement | undefined {
    let a = flow.announcement;
    if (flow.generation !== this.announcements.generation || (a !== undefined && a.validUntilUs < t)) {
      a = flow.announcement = this.announcements.lookup(flow.src, flow.dst, flow.pair, t);
      flow.generation = this.announcements.generation;
    }
    return a;
  }

  /** A packet no call announced (heuristic off): held for a late announcement if it may be media, else dropped. */
  private unannounced(flow: Flow, t: number, p: Uint8Array): void {
    let why: string | undefined;
    if (!looksLikeRtp(p) && !looksLikeRtcp(p)) why = 'not-rtp';
    else if (this.truncated) why = 'truncated';
    else if (!this.hold.enabled) why = 'not-held';
    else if (flow.noHoldUntilUs > t && !this.readingBack) why = 'expired-before';
    if (why === undefined) {
      this.hold.hold(flow, t, asBuffer(p));
      return;
    }
    this.counters.inc(`unannounced.${why}`);
    this.drop('unannounced');
  }

  /** Adds an RTP or RTCP packet to its stream (of call `a`, or found by the heuristic). */
  private collect(flow: Flow, t: number, p: Uint8Array, a: Announcement | undefined): void {
    let protocol: MediaProtocol;
    let ssrc: number;
    if (looksLikeRtp(p)) {
      protocol = 'RTP';
      ssrc = rtpSsrc(p);
    } else if (looksLikeRtcp(p)) {
      protocol = 'RTCP';
      ssrc = rtcpSenderSsrc(p);
    } else {
      this.drop('not-rtp');
      return;
    }
    if (this.truncated) {
      // Cut by the snap length: not the packet as sent.
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
    this.batcher.add(stream, t, asBuffer(p));
  }

  /** After the announcements changed: flows with packets held that a call now claims get them, in capture order. */
  private releaseHeld(): void {
    if (this.readingBack || this.heldGeneration === this.announcements.generation) return;
    this.heldGeneration = this.announcements.generation;
    for (const flow of [...this.hold.flows()]) {
      const first = this.announcementOf(flow, this.nowUs);
      if (first === undefined) continue;
      const truncated = this.truncated;
      this.truncated = false;
      for (const held of this.hold.release(flow)) this.collect(flow, held.timeUs, held.payload, this.announcements.lookup(flow.src, flow.dst, flow.pair, held.timeUs) ?? first);
      this.truncated = truncated;
    }
  }

  private newFlow(d: UdpDatagram): Flow | undefined {
    try {
      const srcIp = canonicalIp(d.src);
      const dstIp = canonicalIp(d.dst);
      return {
        srcIp, srcPort: d.srcPort, dstIp, dstPort: d.dstPort,
        src: endpointString(srcIp, d.srcPort), dst: endpointString(dstIp, d.dstPort),
        pair: mediaKey({ ip: srcIp, port: d.srcPort }, { ip: dstIp, port: d.dstPort }),
        generation: -1, announcement: undefined, rtp: new Map(), rtcp: new Map(), lastRtp: undefined, lastUs: 0, noHoldUntilUs: -Infinity,
      };
    } catch (e) {
      if (e instanceof RtpStreamKeyError) return undefined;
      throw e;
    }
  }

  private onSipEvent(e: SipCallEvent): void {
    if (e.type === 'ended' || e.type === 'failed') this.announcements.end(e.callId, e.captureTimeUs === Infinity ? this.nowUs : e.captureTimeUs);
    else this.announcements.announce(e.callId, fromSdp(e.callerMedia), fromSdp(e.calleeMedia), e.captureTimeUs);
    this.releaseHeld();
  }

  private applyCall(e: CallEvent): void {
    this.counters.inc('call-events.applied');
    if (e.kind === 'ENDED' || e.kind === 'FAILED') this.announcements.end(e.callId, e.captureTimeUs);
    else this.announcements.announce(e.callId, fromCallEvent(e.callerMedia), fromCallEvent(e.calleeMedia), e.captureTimeUs);
    this.releaseHeld();
  }
}
