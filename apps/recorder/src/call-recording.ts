import { createHash } from 'node:crypto';
import type { ReasonCounters } from '@earshot/errors';
import { deterministicEventId, type LegSide, type RecordingEvent, type RecordingLeg } from '@earshot/events';
import { RawReader, type RawCodecMapping } from '@earshot/raw';
import { endpointString, RTP_FIXED_HEADER_SIZE, rtpPayloadType, rtpSsrc } from '@earshot/rtp';
import { legCodecs, lookupIn, sideOf, type CallDirectory, type CallMedia } from './call-media';
import { LegRecorder, type CodecLookup, type LegSummary } from './leg-recorder';
import { legRawPath } from '@earshot/recordings';
import type { RawFileHandle, RawFileStore } from './raw-file-store';
import type { StreamRef } from './stream-router';

/** One RTP packet waiting for the safe clock to pass it, with where it was read from (for the commit ledger). */
export interface PendingPacket {
  /** Capture time (µs). */
  t: number;
  /** Arrival order: the last tie-break of the capture order. */
  n: number;
  stream: StreamRef;
  data: Uint8Array;
  partition: number;
  offset: number;
}

/** What the legs of every call share: where files go, the directory to latch into, where events and counts go. */
export interface LegWriterContext {
  store: RawFileStore;
  directory: CallDirectory;
  counters: ReasonCounters;
  instanceId: string;
  emit: (event: RecordingEvent) => void;
  /** From when the RTP read covers every owned partition (a call that began before may have had its RTP earlier). */
  coveredSinceUs: () => number;
  log?: (msg: string, fields: Record<string, unknown>) => void;
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

/** A leg's bytes are appended to its file once this many are built (and at close). */
const WRITE_CHUNK_BYTES = 64 * 1024;

function comparePending(a: PendingPacket, b: PendingPacket): number {
  return a.t - b.t || (a.stream.key < b.stream.key ? -1 : a.stream.key > b.stream.key ? 1 : 0) || a.n - b.n;
}

/**
 * The legs of one call being written: packets routed to it wait here until the safe clock passes
 * them, then go to the leg of whose audio they are (by the call's SDP, latching where it differs),
 * in capture order (ties: stream key, then arrival), each leg to its own .raw file.
 */
export class CallRecording {
  private pending: PendingPacket[] = [];
  /** The streams whose packets came here (a call has a few): checked before its pending packets are. */
  private readonly streams = new Set<StreamRef>();
  private readonly legs = new Map<string, OpenLeg>();
  private readonly legBySide = new Map<string, OpenLeg>();
  private readonly tupleSide = new Map<string, { side: LegSide; version: number }>();
  private unknownLegs = 0;
  /** Capture time of the last packet written, for the idle timeout. */
  lastPacketUs = Number.NEGATIVE_INFINITY;

  constructor(readonly media: CallMedia, private readonly ctx: LegWriterContext) {}

  add(packets: readonly PendingPacket[]): void {
    for (const p of packets) {
      this.pending.push(p);
      this.streams.add(p.stream);
    }
  }

  /** Whether any stream that sent packets here is one `which` accepts. */
  hasStream(which: (ref: StreamRef) => boolean): boolean {
    for (const ref of this.streams) if (which(ref)) return true;
    return false;
  }

  /**
   * Takes back the packets not yet written that `which` picks (their owner may have changed: a
   * later call announced the same endpoints).
   */
  takePending(which: (p: PendingPacket) => boolean): PendingPacket[] {
    const out: PendingPacket[] = [];
    const keep: PendingPacket[] = [];
    for (const p of this.pending) (which(p) ? out : keep).push(p);
    if (out.length > 0) this.pending = keep;
    return out;
  }

  /** Writes the packets up to `limit` in capture order. */
  async flush(limit: number): Promise<void> {
    const pending = this.pending;
    if (pending.length === 0) return;
    pending.sort(comparePending);
    let i = 0;
    while (i < pending.length && (pending[i] as PendingPacket).t <= limit) i++;
    if (i === 0) return;
    const now = pending.splice(0, i);
    const m = this.media;
    for (const p of now) {
      const leg = await this.legFor(p);
      if (leg.lookupVersion !== m.mediaVersion) {
        leg.lookup = lookupIn(legCodecs(m, leg.side));
        leg.lookupVersion = m.mediaVersion;
      }
      if (leg.rec.push(p.t, p.data, leg.lookup, this.ctx.counters)) {
        leg.dirty = true;
        if (p.t > this.lastPacketUs) this.lastPacketUs = p.t;
      }
    }
    // Bytes go to the temporary file in chunks (fewer syscalls); a crash loses nothing: the offsets are held back.
    for (const leg of this.legs.values()) {
      if (!leg.dirty || leg.rec.bufferedBytes < WRITE_CHUNK_BYTES) continue;
      leg.dirty = false;
      await leg.file.append(leg.rec.take());
    }
  }

  /** The leg a packet goes to, by whose audio it is; a new leg starts its file and announces itself. */
  private async legFor(p: PendingPacket): Promise<OpenLeg> {
    const s = p.stream;
    const m = this.media;
    let known = this.tupleSide.get(s.tuple);
    if (!known || (known.side === 'UNKNOWN' && known.version !== m.mediaVersion)) {
      const side = sideOf(m, s.srcKey, s.dstKey);
      if (side !== 'UNKNOWN') this.ctx.directory.latch(m, side, s.srcKey, p.t);
      known = { side, version: m.mediaVersion };
      this.tupleSide.set(s.tuple, known);
    }
    const slot = known.side === 'UNKNOWN' ? s.tuple : known.side;
    const existing = this.legBySide.get(slot);
    if (existing) return existing;
    const legId = known.side === 'CALLER' ? 'caller' : known.side === 'CALLEE' ? 'callee' : `leg-${++this.unknownLegs}`;
    const codecs: RawCodecMapping[] = legCodecs(m, known.side);
    const ssrc = p.data.length >= RTP_FIXED_HEADER_SIZE ? rtpSsrc(p.data) : s.ssrc;
    const rec = new LegRecorder({ callId: m.callId, legId, side: known.side, srcIp: s.src.ip, srcPort: s.src.port, dstIp: s.dst.ip, dstPort: s.dst.port }, p.t, ssrc, codecs);
    const relPath = legRawPath(m.callId, m.startUs, legId);
    const leg: OpenLeg = {
      legId, side: known.side, rec, file: await this.ctx.store.create(relPath), relPath,
      lookup: lookupIn(codecs), lookupVersion: m.mediaVersion, dirty: true,
    };
    this.legs.set(legId, leg);
    this.legBySide.set(slot, leg);
    const codec = leg.lookup(rtpPayloadType(p.data))?.encodingName;
    this.ctx.emit(this.legEvent('LEG_STARTED', p.t, {
      legId, side: known.side, source: s.srcKey, destination: s.dstKey, ssrcs: [ssrc >>> 0], codecs: codec ? [codec] : [],
      rawPath: relPath, rawSha256: null, firstCaptureTimeUs: p.t, lastCaptureTimeUs: p.t,
    }, null));
    this.ctx.counters.inc('legs.started');
    return leg;
  }

  private legEvent(kind: 'LEG_STARTED' | 'LEG_COMPLETED', t: number, leg: RecordingLeg, summary: LegSummary | null): RecordingEvent {
    const callId = this.media.callId;
    return {
      eventId: deterministicEventId(callId, leg.legId, kind), callId, kind, captureTimeUs: t, instanceId: this.ctx.instanceId,
      leg, stats: summary?.stats ?? null, conversion: null, error: null,
    };
  }

  /** Closes every leg at `closeAt` (trailer, fsync, rename), then announces them and the call. */
  async close(closeAt: number, reason: string): Promise<void> {
    const m = this.media;
    const { counters, store } = this.ctx;
    await this.flush(closeAt);
    if (this.pending.length > 0) counters.inc('packets.after-leg-end', this.pending.length);
    this.pending = [];
    const legs = [...this.legs.values()].sort((a, b) => (a.legId < b.legId ? -1 : 1));
    // The legs' files are finished concurrently (their fsyncs overlap); the events follow in leg order.
    const finished = await Promise.all(legs.map(async (leg) => {
      let summary = leg.rec.close(closeAt, reason);
      await leg.file.append(leg.rec.take());
      let sha: string;
      if (await store.exists(leg.relPath)) {
        // Completed by an earlier run (a replay after a crash): keep that file and announce it again.
        await leg.file.discard();
        const bytes = await store.read(leg.relPath);
        sha = createHash('sha256').update(bytes).digest('hex');
        summary = describeRaw(bytes, m.callId, leg.legId, leg.side) ?? summary;
        counters.inc('legs.already-complete');
      } else {
        sha = await leg.file.complete();
      }
      return { leg, summary, sha };
    }));
    for (const { leg, summary, sha } of finished) {
      const h = leg.rec.identity;
      this.ctx.emit(this.legEvent('LEG_COMPLETED', closeAt, {
        legId: leg.legId, side: leg.side, source: endpointString(h.srcIp, h.srcPort), destination: endpointString(h.dstIp, h.dstPort),
        ssrcs: summary.ssrcs, codecs: summary.codecs, rawPath: leg.relPath, rawSha256: sha,
        firstCaptureTimeUs: summary.firstCaptureTimeUs, lastCaptureTimeUs: summary.lastCaptureTimeUs,
      }, summary));
      counters.inc('legs.completed');
    }
    const base = { instanceId: this.ctx.instanceId, leg: null, stats: null, conversion: null };
    if (legs.length > 0) {
      this.ctx.emit({ ...base, eventId: deterministicEventId(m.callId, '', 'CALL_COMPLETED'), callId: m.callId, kind: 'CALL_COMPLETED', captureTimeUs: closeAt, error: null });
      counters.inc('calls.completed');
      this.ctx.log?.('call recorded', { callId: m.callId, legs: legs.map((l) => l.legId), reason });
    } else if (m.answered && m.startUs >= this.ctx.coveredSinceUs()) {
      this.ctx.emit({ ...base, eventId: deterministicEventId(m.callId, '', 'FAILED'), callId: m.callId, kind: 'FAILED', captureTimeUs: closeAt, error: 'no RTP received' });
      counters.inc('calls.no-rtp');
      this.ctx.log?.('call with no RTP', { callId: m.callId });
    } else {
      counters.inc(m.answered ? 'calls.not-covered' : 'calls.not-answered');
    }
  }

  /**
   * Forgets everything built from RTP (partitions reassigned): returns the open files to discard.
   * What call control said stays; reading again from the committed offsets rebuilds the legs whole.
   */
  dropRtp(): RawFileHandle[] {
    const files = [...this.legs.values()].map((l) => l.file);
    this.legs.clear();
    this.legBySide.clear();
    this.tupleSide.clear();
    this.pending = [];
    this.streams.clear();
    this.unknownLegs = 0;
    this.lastPacketUs = Number.NEGATIVE_INFINITY;
    return files;
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
