import { createHash } from 'node:crypto';
import { ReasonCounters } from '@earshot/errors';
import { deterministicEventId, type CallEvent, type LegSide, type RecordingEvent, type RecordingLeg, type RtpBatch } from '@earshot/events';
import { RawReader, type RawCodecMapping } from '@earshot/raw';
import { endpointString, RTP_FIXED_HEADER_SIZE, rtpPayloadType, rtpSsrc, rtpStreamKeyString, RtpStreamKeyError } from '@earshot/rtp';
import { CallDirectory, legCodecs, lookupIn, sideOf, type CallMedia } from './call-media';
import { LegRecorder, type CodecLookup, type LegSummary } from './leg-recorder';
import { RawFileStore, rawRelativePath, type RawFileHandle } from './raw-file-store';

/** Options of RecorderEngine. */
export interface RecorderEngineOptions {
  /** Where .raw files go. */
  store: RawFileStore;
  /** Reported in every RecordingEvent. */
  instanceId: string;
  /** A leg stays open this long after its call's end, in capture time. */
  lingerMs: number;
  /** A call with no end is closed after this long without packets or events, in capture time. */
  idleTimeoutS: number;
  /** An RTP stream no call claims within this capture time is given up (orphan or not recorded). */
  orphanTimeoutS: number;
  /** Bytes of unclaimed RTP held at most; beyond it the oldest unclaimed streams are dropped. */
  unclaimedMaxBytes: number;
  counters?: ReasonCounters;
  /** One line per event worth a person's attention. */
  log?: (msg: string, fields: Record<string, unknown>) => void;
}

/** One RTP stream (5-tuple + SSRC) as it arrives in RtpBatches. */
interface StreamRef {
  key: string;
  src: string;
  dst: string;
  srcIp: string;
  srcPort: number;
  dstIp: string;
  dstPort: number;
  ssrc: number;
  mediaKey: string;
  callIdHint: string | null;
  lastBatchSequence: number;
  /** The open call it was routed to, if any. */
  callId: string | null;
}

interface PendingPacket {
  t: number;
  n: number;
  stream: StreamRef;
  data: Uint8Array;
}

interface OpenLeg {
  legId: string;
  side: LegSide;
  rec: LegRecorder;
  file: RawFileHandle;
  relPath: string;
  lookup: CodecLookup;
  lookupVersion: number;
  dirty: boolean;
}

interface OpenCall {
  media: CallMedia;
  pending: PendingPacket[];
  legs: Map<string, OpenLeg>;
  legBySide: Map<string, OpenLeg>;
  tupleSide: Map<string, { side: LegSide; version: number }>;
  unknownLegs: number;
  /** First offset per qm.rtp.v1 partition of the packets this call holds: commits stop there. */
  rtpOffsets: Map<number, number>;
  /** First offset per qm.call-control.v1 partition of this call's events. */
  callOffsets: Map<number, number>;
  lastPacketUs: number;
  streams: Set<StreamRef>;
}

interface UnclaimedStream {
  ref: StreamRef;
  packets: PendingPacket[];
  bytes: number;
  firstUs: number;
  partition: number;
  firstOffset: number;
}

/** A leg's bytes are appended to its file once this many are built (and at close). */
const WRITE_CHUNK_BYTES = 64 * 1024;
const US_PER_MS = 1000;
const US_PER_S = 1_000_000;

function comparePending(a: PendingPacket, b: PendingPacket): number {
  return a.t - b.t || (a.stream.key < b.stream.key ? -1 : a.stream.key > b.stream.key ? 1 : 0) || a.n - b.n;
}

function splitEndpoint(ep: string): { ip: string; port: number } {
  const at = ep.lastIndexOf(':');
  const ip = ep.slice(0, at);
  return { ip: ip.startsWith('[') ? ip.slice(1, -1) : ip, port: Number(ep.slice(at + 1)) };
}

/**
 * The recorder's state machine, without Kafka: CallEvents and RtpBatches in, .raw files and
 * RecordingEvents out. Capture time is its only clock: the safe clock is the lowest, over the
 * qm.rtp.v1 partitions it owns, of the highest watermark seen on each, so every packet up to it
 * has been consumed whatever the order partitions were read in. Packets wait in their call until
 * the safe clock passes them, and are then written in capture order (ties: stream key, then
 * arrival), so the same topics give the same bytes however the consumer interleaved partitions.
 */
export class RecorderEngine {
  readonly directory = new CallDirectory();
  readonly counters: ReasonCounters;
  private readonly open = new Map<string, OpenCall>();
  /** Closed calls, by id, with their close time: late packets and events for them are dropped. */
  private readonly closed = new Map<string, number>();
  private readonly streams = new Map<string, StreamRef>();
  private readonly unclaimed = new Map<string, UnclaimedStream>();
  private unclaimedBytes = 0;
  /** Media keys already reported as orphans, and streams given up (not recorded), with their last packet time. */
  private readonly orphaned = new Map<string, number>();
  private readonly givenUp = new Map<string, number>();
  private readonly watermarks = new Map<number, number>();
  private readonly firstSeen = new Map<number, number>();
  private assigned: number[] = [];
  private resumed = new Set<number>();
  private outbox: RecordingEvent[] = [];
  private arrival = 0;

  constructor(private readonly options: RecorderEngineOptions) {
    this.counters = options.counters ?? new ReasonCounters();
  }

  /** The qm.rtp.v1 partitions this instance owns; `resumed` are those that continue from a commit. */
  assign(partitions: readonly number[], resumed: readonly number[] = []): void {
    this.assigned = [...partitions].sort((a, b) => a - b);
    this.resumed = new Set(resumed);
  }

  /** The safe capture clock (µs): -Infinity until every owned partition has had a watermark. */
  get clockUs(): number {
    if (this.assigned.length === 0) return Number.NEGATIVE_INFINITY;
    let min = Number.POSITIVE_INFINITY;
    for (const p of this.assigned) min = Math.min(min, this.watermarks.get(p) ?? Number.NEGATIVE_INFINITY);
    return min;
  }

  /** Calls still open, and unclaimed streams held (for progress and tests). */
  get openCalls(): number { return this.open.size; }
  get unclaimedStreams(): number { return this.unclaimed.size; }

  /** Events ready to produce, in order (each call's on one key). */
  takeEvents(): RecordingEvent[] {
    const out = this.outbox;
    this.outbox = [];
    return out;
  }

  // ---- input ----

  onCallEvent(ev: CallEvent, partition: number, offset: number): void {
    if (this.closed.has(ev.callId)) {
      this.counters.inc('call-events.after-close');
      return;
    }
    const media = this.directory.apply(ev);
    if (!media) {
      this.counters.inc('call-events.duplicate');
      return;
    }
    let call = this.open.get(ev.callId);
    if (!call) {
      call = {
        media, pending: [], legs: new Map(), legBySide: new Map(), tupleSide: new Map(), unknownLegs: 0,
        rtpOffsets: new Map(), callOffsets: new Map(), lastPacketUs: Number.NEGATIVE_INFINITY, streams: new Set(),
      };
      this.open.set(ev.callId, call);
    }
    if (!call.callOffsets.has(partition)) call.callOffsets.set(partition, offset);
    this.claimUnclaimed();
  }

  onRtpBatch(b: RtpBatch, partition: number, offset: number): void {
    if (b.packets.length === 0) {
      if (b.watermarkUs !== null) {
        if (b.watermarkUs > (this.watermarks.get(partition) ?? Number.NEGATIVE_INFINITY)) this.watermarks.set(partition, b.watermarkUs);
        if (!this.firstSeen.has(partition)) this.firstSeen.set(partition, b.watermarkUs);
      }
      return;
    }
    if (b.stream.protocol !== 'RTP') {
      this.counters.inc('batches.rtcp', 1);
      return;
    }
    const first = b.packets[0];
    if (!first) return;
    if (!this.firstSeen.has(partition)) this.firstSeen.set(partition, first.captureTimeUs);
    const ref = this.streamRef(b);
    if (!ref) return;
    if (b.batchSequence <= ref.lastBatchSequence) {
      this.counters.inc('batches.duplicate');
      return;
    }
    ref.lastBatchSequence = b.batchSequence;
    if (b.callId !== null && ref.callIdHint === null) ref.callIdHint = b.callId;
    const pending: PendingPacket[] = b.packets.map((p) => ({ t: p.captureTimeUs, n: this.arrival++, stream: ref, data: p.data }));
    this.counters.inc('packets.received', pending.length);

    const routed = ref.callId !== null ? this.open.get(ref.callId) : undefined;
    if (routed) {
      this.addToCall(routed, pending, partition, offset);
      return;
    }
    const held = this.unclaimed.get(ref.key);
    if (held) {
      this.hold(held, pending);
      return;
    }
    const lastUs = (b.packets[b.packets.length - 1] ?? first).captureTimeUs;
    if (this.orphaned.has(ref.mediaKey) || this.givenUp.has(ref.key)) {
      if (this.orphaned.has(ref.mediaKey)) this.orphaned.set(ref.mediaKey, lastUs);
      if (this.givenUp.has(ref.key)) this.givenUp.set(ref.key, lastUs);
      this.counters.inc('packets.not-recorded', pending.length);
      return;
    }
    const call = this.findCall(ref, first.captureTimeUs);
    if (call === 'closed') {
      this.counters.inc('packets.after-call-closed', pending.length);
      return;
    }
    if (call) {
      this.route(ref, call);
      this.addToCall(call, pending, partition, offset);
      return;
    }
    const u: UnclaimedStream = { ref, packets: [], bytes: 0, firstUs: first.captureTimeUs, partition, firstOffset: offset };
    this.unclaimed.set(ref.key, u);
    this.hold(u, pending);
  }

  private streamRef(b: RtpBatch): StreamRef | null {
    const s = b.stream;
    let src: string, dst: string;
    try {
      src = endpointString(s.sourceAddress, s.sourcePort);
      dst = endpointString(s.destinationAddress, s.destinationPort);
    } catch (error) {
      if (!(error instanceof RtpStreamKeyError)) throw error;
      this.counters.inc(`batches.bad-stream.${error.reason}`);
      return null;
    }
    const key = `${src}>${dst}#${s.ssrc >>> 0}`;
    let ref = this.streams.get(key);
    if (!ref) {
      const a = splitEndpoint(src);
      const d = splitEndpoint(dst);
      ref = {
        key, src, dst, srcIp: a.ip, srcPort: a.port, dstIp: d.ip, dstPort: d.port, ssrc: s.ssrc >>> 0,
        mediaKey: src <= dst ? `${src}|${dst}` : `${dst}|${src}`, callIdHint: b.callId, lastBatchSequence: -1, callId: null,
      };
      this.streams.set(key, ref);
    }
    return ref;
  }

  /** The open call a stream belongs to: the collector's call id, else by SDP endpoints; 'closed' when that call is over. */
  private findCall(ref: StreamRef, atUs: number): OpenCall | 'closed' | null {
    const id = ref.callIdHint ?? this.directory.match(ref.src, ref.dst, atUs, this.options.lingerMs * US_PER_MS)?.callId ?? null;
    if (id === null) return null;
    if (this.closed.has(id)) return 'closed';
    return this.open.get(id) ?? null;
  }

  private route(ref: StreamRef, call: OpenCall): void {
    ref.callId = call.media.callId;
    call.streams.add(ref);
  }

  private addToCall(call: OpenCall, packets: PendingPacket[], partition: number, offset: number): void {
    if (!call.rtpOffsets.has(partition) || (call.rtpOffsets.get(partition) as number) > offset) call.rtpOffsets.set(partition, offset);
    for (const p of packets) call.pending.push(p);
  }

  private hold(u: UnclaimedStream, packets: PendingPacket[]): void {
    for (const p of packets) {
      u.packets.push(p);
      u.bytes += p.data.length;
      this.unclaimedBytes += p.data.length;
    }
    this.counters.inc('packets.unclaimed', packets.length);
    if (this.unclaimedBytes <= this.options.unclaimedMaxBytes) return;
    // Over the bound: drop the oldest unclaimed streams (their start is lost if a call claims them later).
    const oldest = [...this.unclaimed.values()].sort((a, b) => a.firstUs - b.firstUs || (a.ref.key < b.ref.key ? -1 : 1));
    for (const o of oldest) {
      if (this.unclaimedBytes <= this.options.unclaimedMaxBytes) break;
      this.unclaimed.delete(o.ref.key);
      this.unclaimedBytes -= o.bytes;
      this.counters.inc('packets.unclaimed-overflow', o.packets.length);
      this.options.log?.('unclaimed RTP buffer full: dropped the oldest stream', { stream: o.ref.key, packets: o.packets.length });
    }
  }

  /** Gives unclaimed streams to the calls that now claim them (a CallEvent arrived, or an address was latched). */
  private claimUnclaimed(): void {
    for (const u of [...this.unclaimed.values()]) {
      const call = this.findCall(u.ref, u.firstUs);
      if (call === null) continue;
      this.unclaimed.delete(u.ref.key);
      this.unclaimedBytes -= u.bytes;
      if (call === 'closed') {
        this.counters.inc('packets.after-call-closed', u.packets.length);
        continue;
      }
      this.route(u.ref, call);
      this.addToCall(call, u.packets, u.partition, u.firstOffset);
      this.counters.inc('streams.claimed-late');
    }
  }

  // ---- offsets ----

  /** The qm.rtp.v1 offset to commit: no further than the first packet of work still open on the partition. */
  rtpCommitOffset(partition: number, next: string): string {
    let min = Number(next);
    for (const call of this.open.values()) {
      const o = call.rtpOffsets.get(partition);
      if (o !== undefined && o < min) min = o;
    }
    for (const u of this.unclaimed.values()) if (u.partition === partition && u.firstOffset < min) min = u.firstOffset;
    return String(min);
  }

  /** The qm.call-control.v1 offset to commit: no further than the first event of a call still open. */
  callCommitOffset(partition: number, next: string): string {
    let min = Number(next);
    for (const call of this.open.values()) {
      const o = call.callOffsets.get(partition);
      if (o !== undefined && o < min) min = o;
    }
    return String(min);
  }

  // ---- time ----

  /**
   * Moves everything up to the safe clock: writes the packets it passed, closes calls whose end
   * plus linger (or idle timeout) it passed, gives up streams no call claimed in time.
   */
  async advance(): Promise<void> {
    const clock = this.clockUs;
    if (clock === Number.NEGATIVE_INFINITY) return;
    const linger = this.options.lingerMs * US_PER_MS;
    const idle = this.options.idleTimeoutS * US_PER_S;
    const ids = [...this.open.keys()].sort();
    for (const id of ids) {
      const call = this.open.get(id);
      if (!call) continue;
      const m = call.media;
      const closeAt = m.endUs !== null ? m.endUs + linger : null;
      await this.flush(call, closeAt !== null ? Math.min(clock, closeAt) : clock);
      if (closeAt !== null) {
        if (clock >= closeAt) await this.close(call, closeAt, m.endKind === 'FAILED' ? 'failed' : m.endedByTimeout ? 'idle-timeout' : 'bye');
      } else {
        const idleAt = Math.max(m.lastEventUs, call.lastPacketUs) + idle;
        if (clock >= idleAt) await this.close(call, idleAt, 'idle-timeout');
      }
    }
    if (this.unclaimed.size > 0) {
      this.claimUnclaimed();
      this.giveUpUnclaimed(clock);
    }
    this.forgetOld(clock);
  }

  private giveUpUnclaimed(clock: number): void {
    const timeout = this.options.orphanTimeoutS * US_PER_S;
    const due = [...this.unclaimed.values()]
      .filter((u) => clock >= u.firstUs + timeout)
      .sort((a, b) => a.firstUs - b.firstUs || (a.ref.key < b.ref.key ? -1 : 1));
    for (const u of due) {
      this.unclaimed.delete(u.ref.key);
      this.unclaimedBytes -= u.bytes;
      const lastUs = u.packets[u.packets.length - 1]?.t ?? u.firstUs;
      if (u.ref.callIdHint !== null) {
        // Announced for a call that never got a CallEvent: call control chose not to record it.
        this.givenUp.set(u.ref.key, lastUs);
        this.counters.inc('streams.not-recorded');
        continue;
      }
      if (this.orphaned.has(u.ref.mediaKey)) {
        this.orphaned.set(u.ref.mediaKey, Math.max(lastUs, this.orphaned.get(u.ref.mediaKey) ?? lastUs));
        continue;
      }
      this.orphaned.set(u.ref.mediaKey, lastUs);
      this.counters.inc('streams.orphan');
      const callId = `orphan:${u.ref.mediaKey}`;
      const streamKey = rtpStreamKeyString({ srcIp: u.ref.srcIp, srcPort: u.ref.srcPort, dstIp: u.ref.dstIp, dstPort: u.ref.dstPort, protocol: 'udp', ssrc: u.ref.ssrc });
      this.outbox.push({
        eventId: deterministicEventId(callId, '', 'FAILED'), callId, kind: 'FAILED', captureTimeUs: u.firstUs + timeout,
        instanceId: this.options.instanceId, leg: null, stats: null, conversion: null, error: `RTP stream with no call (${streamKey})`,
      });
      this.options.log?.('RTP stream with no call', { mediaKey: u.ref.mediaKey, stream: streamKey, packets: u.packets.length });
    }
  }

  /** Forgets closed calls, orphans and given-up streams once nothing of them can still arrive. */
  private forgetOld(clock: number): void {
    const keep = this.options.orphanTimeoutS * US_PER_S + this.options.lingerMs * US_PER_MS;
    for (const [id, at] of this.closed) {
      if (clock < at + keep) continue;
      this.closed.delete(id);
      this.directory.forget(id);
    }
    for (const [k, at] of this.orphaned) if (clock >= at + keep) this.orphaned.delete(k);
    for (const [k, at] of this.givenUp) if (clock >= at + keep) { this.givenUp.delete(k); this.streams.delete(k); }
  }

  /** Writes the call's packets up to `limit` in capture order. */
  private async flush(call: OpenCall, limit: number): Promise<void> {
    const pending = call.pending;
    if (pending.length === 0) return;
    pending.sort(comparePending);
    let i = 0;
    while (i < pending.length && (pending[i] as PendingPacket).t <= limit) i++;
    if (i === 0) return;
    const now = pending.splice(0, i);
    for (const p of now) {
      const leg = await this.legFor(call, p);
      if (leg.lookupVersion !== call.media.mediaVersion) {
        leg.lookup = lookupIn(legCodecs(call.media, leg.side));
        leg.lookupVersion = call.media.mediaVersion;
      }
      if (leg.rec.push(p.t, p.data, leg.lookup, this.counters)) {
        leg.dirty = true;
        if (p.t > call.lastPacketUs) call.lastPacketUs = p.t;
      }
    }
    // Bytes go to the temporary file in chunks (fewer syscalls); a crash loses nothing: the offsets are held back.
    for (const leg of call.legs.values()) {
      if (!leg.dirty || leg.rec.bufferedBytes < WRITE_CHUNK_BYTES) continue;
      leg.dirty = false;
      await leg.file.append(leg.rec.take());
    }
  }

  /** The leg a packet goes to, by whose audio it is; a new leg starts its file and announces itself. */
  private async legFor(call: OpenCall, p: PendingPacket): Promise<OpenLeg> {
    const s = p.stream;
    const tuple = `${s.src}>${s.dst}`;
    const m = call.media;
    let known = call.tupleSide.get(tuple);
    if (!known || (known.side === 'UNKNOWN' && known.version !== m.mediaVersion)) {
      const side = sideOf(m, s.src, s.dst);
      if (side !== 'UNKNOWN') this.directory.latch(m, side, s.src);
      known = { side, version: m.mediaVersion };
      call.tupleSide.set(tuple, known);
    }
    const slot = known.side === 'UNKNOWN' ? tuple : known.side;
    const existing = call.legBySide.get(slot);
    if (existing) return existing;
    const legId = known.side === 'CALLER' ? 'caller' : known.side === 'CALLEE' ? 'callee' : `leg-${++call.unknownLegs}`;
    const codecs: RawCodecMapping[] = legCodecs(m, known.side);
    const ssrc = p.data.length >= RTP_FIXED_HEADER_SIZE ? rtpSsrc(p.data) : s.ssrc;
    const rec = new LegRecorder({ callId: m.callId, legId, side: known.side, srcIp: s.srcIp, srcPort: s.srcPort, dstIp: s.dstIp, dstPort: s.dstPort }, p.t, ssrc, codecs);
    const relPath = rawRelativePath(m.callId, m.startUs, legId);
    const leg: OpenLeg = {
      legId, side: known.side, rec, file: await this.options.store.create(relPath), relPath,
      lookup: lookupIn(codecs), lookupVersion: m.mediaVersion, dirty: true,
    };
    call.legs.set(legId, leg);
    call.legBySide.set(slot, leg);
    const codec = leg.lookup(rtpPayloadType(p.data))?.encodingName;
    this.outbox.push(this.legEvent('LEG_STARTED', m.callId, p.t, {
      legId, side: known.side, source: s.src, destination: s.dst, ssrcs: [ssrc >>> 0], codecs: codec ? [codec] : [],
      rawPath: relPath, rawSha256: null, firstCaptureTimeUs: p.t, lastCaptureTimeUs: p.t,
    }, null));
    this.counters.inc('legs.started');
    return leg;
  }

  private legEvent(kind: 'LEG_STARTED' | 'LEG_COMPLETED', callId: string, t: number, leg: RecordingLeg, summary: LegSummary | null): RecordingEvent {
    return {
      eventId: deterministicEventId(callId, leg.legId, kind), callId, kind, captureTimeUs: t, instanceId: this.options.instanceId,
      leg, stats: summary?.stats ?? null, conversion: null, error: null,
    };
  }

  /** Closes every leg of the call at `closeAt` (trailer, fsync, rename), then announces them and the call. */
  private async close(call: OpenCall, closeAt: number, reason: string): Promise<void> {
    const m = call.media;
    await this.flush(call, closeAt);
    if (call.pending.length > 0) this.counters.inc('packets.after-leg-end', call.pending.length);
    call.pending = [];
    const legs = [...call.legs.values()].sort((a, b) => (a.legId < b.legId ? -1 : 1));
    // The legs' files are finished concurrently (their fsyncs overlap); the events follow in leg order.
    const finished = await Promise.all(legs.map(async (leg) => {
      let summary = leg.rec.close(closeAt, reason);
      await leg.file.append(leg.rec.take());
      let sha: string;
      if (await this.options.store.exists(leg.relPath)) {
        // Completed by an earlier run (a replay after a crash): keep that file and announce it again.
        await leg.file.discard();
        const bytes = await this.options.store.read(leg.relPath);
        sha = createHash('sha256').update(bytes).digest('hex');
        summary = describeRaw(bytes, m.callId, leg.legId, leg.side) ?? summary;
        this.counters.inc('legs.already-complete');
      } else {
        sha = await leg.file.complete();
      }
      return { leg, summary, sha };
    }));
    for (const { leg, summary, sha } of finished) {
      const h = leg.rec.identity;
      this.outbox.push(this.legEvent('LEG_COMPLETED', m.callId, closeAt, {
        legId: leg.legId, side: leg.side, source: endpointString(h.srcIp, h.srcPort), destination: endpointString(h.dstIp, h.dstPort),
        ssrcs: summary.ssrcs, codecs: summary.codecs, rawPath: leg.relPath, rawSha256: sha,
        firstCaptureTimeUs: summary.firstCaptureTimeUs, lastCaptureTimeUs: summary.lastCaptureTimeUs,
      }, summary));
      this.counters.inc('legs.completed');
    }
    const base = { instanceId: this.options.instanceId, leg: null, stats: null, conversion: null };
    if (legs.length > 0) {
      this.outbox.push({ ...base, eventId: deterministicEventId(m.callId, '', 'CALL_COMPLETED'), callId: m.callId, kind: 'CALL_COMPLETED', captureTimeUs: closeAt, error: null });
      this.counters.inc('calls.completed');
      this.options.log?.('call recorded', { callId: m.callId, legs: legs.map((l) => l.legId), reason });
    } else if (m.answered && m.startUs >= this.coveredSinceUs()) {
      this.outbox.push({ ...base, eventId: deterministicEventId(m.callId, '', 'FAILED'), callId: m.callId, kind: 'FAILED', captureTimeUs: closeAt, error: 'no RTP received' });
      this.counters.inc('calls.no-rtp');
      this.options.log?.('call with no RTP', { callId: m.callId });
    } else {
      this.counters.inc(m.answered ? 'calls.not-covered' : 'calls.not-answered');
    }
    this.open.delete(m.callId);
    this.closed.set(m.callId, closeAt);
    for (const ref of call.streams) ref.callId = null;
  }

  /**
   * From when the RTP read covers every owned partition: partitions resumed from a commit start
   * in the middle of the topic (at the first packet of work that was open), so a call that began
   * before that may have had its RTP earlier and is not judged "no RTP".
   */
  private coveredSinceUs(): number {
    let since = Number.NEGATIVE_INFINITY;
    for (const p of this.resumed) since = Math.max(since, this.firstSeen.get(p) ?? Number.POSITIVE_INFINITY);
    return since;
  }

  /**
   * Forgets everything read from qm.rtp.v1 (partitions reassigned, or shutdown), keeping what call
   * control said: open legs' temporary files go, and since commits never passed their first
   * packets, reading again from the committed offsets rebuilds them whole.
   */
  async dropAll(): Promise<void> {
    const files: RawFileHandle[] = [];
    for (const call of this.open.values()) {
      for (const leg of call.legs.values()) files.push(leg.file);
      call.legs.clear();
      call.legBySide.clear();
      call.tupleSide.clear();
      call.pending = [];
      call.rtpOffsets.clear();
      call.streams.clear();
      call.unknownLegs = 0;
      call.lastPacketUs = Number.NEGATIVE_INFINITY;
    }
    this.outbox = this.outbox.filter((e) => e.kind !== 'LEG_STARTED' || this.closed.has(e.callId));
    this.unclaimed.clear();
    this.unclaimedBytes = 0;
    this.streams.clear();
    this.orphaned.clear();
    this.givenUp.clear();
    this.watermarks.clear();
    this.firstSeen.clear();
    for (const f of files) await f.discard();
  }
}

/** The LEG_COMPLETED figures of a .raw already on disk, computed by the same LegRecorder from its records. */
export function describeRaw(bytes: Uint8Array, callId: string, legId: string, side: LegSide): LegSummary | null {
  const reader = new RawReader();
  const records = reader.push(bytes);
  reader.end();
  const h = reader.header;
  const firstRtp = records.find((r) => r.kind === 'rtp');
  if (!h || !firstRtp || firstRtp.kind !== 'rtp') return null;
  const mappings = new Map<number, RawCodecMapping>(h.codecs.map((c) => [c.payloadType, c]));
  const rec = new LegRecorder({ callId, legId, side, srcIp: h.srcIp, srcPort: h.srcPort, dstIp: h.dstIp, dstPort: h.dstPort },
    h.createdCaptureTimeUs, h.ssrcs[0] ?? 0, h.codecs, { writer: false });
  const lookup = lookupIn([...mappings.values()]);
  for (const r of records) {
    if (r.kind === 'codec-change') mappings.set(r.payloadType, { payloadType: r.payloadType, encodingName: r.encodingName, clockRate: r.clockRate, channels: r.channels });
    if (r.kind === 'rtp') rec.push(r.captureTimeUs, r.packet, (pt) => mappings.get(pt) ?? lookup(pt));
  }
  return rec.close(reader.trailer?.captureTimeUs ?? firstRtp.captureTimeUs, reader.trailer?.endReason ?? 'unknown');
}
