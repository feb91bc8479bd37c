import type { ReasonCounters } from '@earshot/errors';
import { deterministicEventId, type RecordingEvent, type RtpBatch } from '@earshot/events';
import { canonicalIp, endpointString, mediaKey, rtpStreamKeyString, RtpStreamKeyError, type RtpEndpoint } from '@earshot/rtp';
import type { CallDirectory, StreamOwner } from './call-media';
import type { PendingPacket } from './call-recording';
import type { CommitLedger } from './commit-ledger';

/** One RTP stream (5-tuple + SSRC) as it arrives in RtpBatches: its endpoints as values, with their canonical keys. */
export interface StreamRef {
  /** `src>dst#ssrc`, the stream's identity and its sort key. */
  readonly key: string;
  readonly src: RtpEndpoint;
  readonly dst: RtpEndpoint;
  /** Canonical `ip:port` of each endpoint, as the call directory indexes SDP endpoints. */
  readonly srcKey: string;
  readonly dstKey: string;
  /** `src>dst`: a leg is one direction of a call, whatever its SSRC. */
  readonly tuple: string;
  readonly ssrc: number;
  readonly mediaKey: string;
  /** The call id the collector last gave its batches (it follows SIP itself), or null. */
  hint: string | null;
  lastBatchSequence: number;
  /** Capture time of the last packet of the last batch taken: a lower sequence after it is a restarted collector, not a duplicate. */
  lastBatchEndUs: number;
  /** The owner found last and the span of capture time it holds for. */
  owner: StreamOwner | null;
}

/** RTP of a stream no call has claimed yet, held (bounded) until one does or the orphan timeout passes. */
export interface UnclaimedStream {
  ref: StreamRef;
  packets: PendingPacket[];
  bytes: number;
  firstUs: number;
}

/** Options of StreamRouter. */
export interface StreamRouterOptions {
  directory: CallDirectory;
  ledger: CommitLedger<object>;
  counters: ReasonCounters;
  /** Reported in orphan FAILED events. */
  instanceId: string;
  /** How long after its end a call still claims its streams (µs of capture time). */
  lingerUs: number;
  /** An RTP stream no call claims within this capture time is given up (µs). */
  orphanTimeoutUs: number;
  /** Bytes of unclaimed RTP held at most; beyond it the oldest unclaimed streams are dropped. */
  unclaimedMaxBytes: number;
  emit: (event: RecordingEvent) => void;
  log?: (msg: string, fields: Record<string, unknown>) => void;
}

/**
 * Which call each RTP packet belongs to, and what happens to packets no call claims. A stream is
 * owned, packet by packet, by the call whose SDP announced its endpoints last at or before the
 * packet's capture time (`CallDirectory.owner`), else by the call id the collector gave the batch;
 * packets with no open owner are held until a CallEvent claims them, then given up: reported
 * once per media key as an orphan, or (the collector named a call that call control never
 * published: not to be recorded) dropped silently.
 */
export class StreamRouter {
  private readonly streams = new Map<string, StreamRef>();
  private readonly unclaimed = new Map<string, UnclaimedStream>();
  private unclaimedBytes = 0;
  /** Media keys already reported as orphans, and streams given up (not recorded), with their last packet time. */
  private readonly orphaned = new Map<string, number>();
  private readonly givenUp = new Map<string, number>();

  constructor(private readonly options: StreamRouterOptions) {}

  get unclaimedStreams(): number { return this.unclaimed.size; }

  /** The stream a batch belongs to (null for an address that cannot be one, counted). */
  streamOf(b: RtpBatch): StreamRef | null {
    const s = b.stream;
    let srcKey: string, dstKey: string, src: RtpEndpoint, dst: RtpEndpoint;
    try {
      srcKey = endpointString(s.sourceAddress, s.sourcePort);
      dstKey = endpointString(s.destinationAddress, s.destinationPort);
      src = { ip: canonicalIp(s.sourceAddress), port: s.sourcePort };
      dst = { ip: canonicalIp(s.destinationAddress), port: s.destinationPort };
    } catch (error) {
      if (!(error instanceof RtpStreamKeyError)) throw error;
      this.options.counters.inc(`batches.bad-stream.${error.reason}`);
      return null;
    }
    const ssrc = s.ssrc >>> 0;
    const key = `${srcKey}>${dstKey}#${ssrc}`;
    let ref = this.streams.get(key);
    if (!ref) {
      ref = {
        key, src, dst, srcKey, dstKey, tuple: `${srcKey}>${dstKey}`, ssrc, mediaKey: mediaKey(src, dst),
        hint: null, lastBatchSequence: -1, lastBatchEndUs: Number.NEGATIVE_INFINITY, owner: null,
      };
      this.streams.set(key, ref);
    }
    return ref;
  }

  /**
   * Whether the batch was taken before (a redelivery). A lower sequence whose packets are all newer
   * than the last batch's is a collector that restarted its count, not a duplicate.
   */
  isRedelivery(ref: StreamRef, b: RtpBatch): boolean {
    const firstUs = b.packets[0]?.captureTimeUs ?? Number.NEGATIVE_INFINITY;
    if (b.batchSequence <= ref.lastBatchSequence && firstUs <= ref.lastBatchEndUs) return true;
    ref.lastBatchSequence = b.batchSequence;
    ref.lastBatchEndUs = b.packets[b.packets.length - 1]?.captureTimeUs ?? firstUs;
    if (b.callId !== null) ref.hint = b.callId;
    return false;
  }

  /** The call that owns the stream's packet at `t` by the SDP endpoints, or null. */
  ownerAt(ref: StreamRef, t: number): string | null {
    const d = this.options.directory;
    let o = ref.owner;
    if (o === null || o.version !== d.version || t < o.fromUs || t >= o.untilUs) {
      o = d.owner(ref.srcKey, ref.dstKey, t, this.options.lingerUs);
      ref.owner = o;
    }
    return o.call?.callId ?? null;
  }

  /** Splits packets of one stream into runs of one owner: the SDP owner, else the collector's call id. */
  runs(ref: StreamRef, packets: readonly PendingPacket[], hint: string | null): Array<{ callId: string | null; packets: PendingPacket[] }> {
    const out: Array<{ callId: string | null; packets: PendingPacket[] }> = [];
    let run: { callId: string | null; packets: PendingPacket[] } | null = null;
    for (const p of packets) {
      const callId = this.ownerAt(ref, p.t) ?? hint;
      if (!run || run.callId !== callId) {
        run = { callId, packets: [] };
        out.push(run);
      }
      run.packets.push(p);
    }
    return out;
  }

  /** Whether packets of this stream with no owner are dropped (its media key was reported an orphan, or it was given up). */
  notRecorded(ref: StreamRef, lastUs: number): boolean {
    const orphan = this.orphaned.has(ref.mediaKey);
    const given = this.givenUp.has(ref.key);
    if (orphan) this.orphaned.set(ref.mediaKey, lastUs);
    if (given) this.givenUp.set(ref.key, lastUs);
    return orphan || given;
  }

  isHeld(ref: StreamRef): boolean {
    return this.unclaimed.has(ref.key);
  }

  /** Holds packets no call claims yet; over the byte bound the oldest held streams are dropped. */
  hold(ref: StreamRef, packets: readonly PendingPacket[]): void {
    const first = packets[0];
    if (!first) return;
    let u = this.unclaimed.get(ref.key);
    if (!u) {
      u = { ref, packets: [], bytes: 0, firstUs: first.t };
      this.unclaimed.set(ref.key, u);
    }
    for (const p of packets) {
      u.packets.push(p);
      u.bytes += p.data.length;
      this.unclaimedBytes += p.data.length;
      this.options.ledger.holdRtp(u, p.partition, p.offset);
    }
    this.options.counters.inc('packets.unclaimed', packets.length);
    if (this.unclaimedBytes <= this.options.unclaimedMaxBytes) return;
    // Over the bound: drop the oldest unclaimed streams (their start is lost if a call claims them later).
    const oldest = [...this.unclaimed.values()].sort((a, b) => a.firstUs - b.firstUs || (a.ref.key < b.ref.key ? -1 : 1));
    for (const o of oldest) {
      if (this.unclaimedBytes <= this.options.unclaimedMaxBytes) break;
      this.release(o);
      this.options.counters.inc('packets.unclaimed-overflow', o.packets.length);
      this.options.log?.('unclaimed RTP buffer full: dropped the oldest stream', { stream: o.ref.key, packets: o.packets.length });
    }
  }

  /**
   * Offers every held packet to `take` by its owner now (a CallEvent arrived, an address was
   * latched); `take` returns whether the owner took the run. Streams left empty are released.
   */
  claimHeld(take: (callId: string, packets: PendingPacket[]) => boolean): void {
    for (const u of [...this.unclaimed.values()]) {
      let kept: PendingPacket[] | null = null;
      let claimed = 0;
      for (const run of this.runs(u.ref, u.packets, u.ref.hint)) {
        if (run.callId !== null && take(run.callId, run.packets)) {
          claimed++;
          for (const p of run.packets) { u.bytes -= p.data.length; this.unclaimedBytes -= p.data.length; }
        } else {
          (kept ??= []).push(...run.packets);
        }
      }
      if (claimed === 0) continue;
      this.options.counters.inc('streams.claimed-late');
      if (kept === null) this.release(u);
      else u.packets = kept;
    }
  }

  private release(u: UnclaimedStream): void {
    this.unclaimed.delete(u.ref.key);
    this.unclaimedBytes -= u.bytes;
    this.options.ledger.release(u);
  }

  /** Gives up streams held longer than the orphan timeout: an orphan FAILED once per media key, or silently when announced for an unrecorded call. */
  giveUp(clock: number): void {
    const timeout = this.options.orphanTimeoutUs;
    const due = [...this.unclaimed.values()]
      .filter((u) => clock >= u.firstUs + timeout)
      .sort((a, b) => a.firstUs - b.firstUs || (a.ref.key < b.ref.key ? -1 : 1));
    for (const u of due) {
      this.release(u);
      const lastUs = u.packets[u.packets.length - 1]?.t ?? u.firstUs;
      if (u.ref.hint !== null) {
        // Announced for a call that never got a CallEvent: call control chose not to record it.
        this.givenUp.set(u.ref.key, lastUs);
        this.options.counters.inc('streams.not-recorded');
        continue;
      }
      if (this.orphaned.has(u.ref.mediaKey)) {
        this.orphaned.set(u.ref.mediaKey, Math.max(lastUs, this.orphaned.get(u.ref.mediaKey) ?? lastUs));
        continue;
      }
      this.orphaned.set(u.ref.mediaKey, lastUs);
      this.options.counters.inc('streams.orphan');
      const callId = `orphan:${u.ref.mediaKey}`;
      const { src, dst } = u.ref;
      const streamKey = rtpStreamKeyString({ srcIp: src.ip, srcPort: src.port, dstIp: dst.ip, dstPort: dst.port, protocol: 'udp', ssrc: u.ref.ssrc });
      this.options.emit({
        eventId: deterministicEventId(callId, '', 'FAILED'), callId, kind: 'FAILED', captureTimeUs: u.firstUs + timeout,
        instanceId: this.options.instanceId, leg: null, stats: null, conversion: null, error: `RTP stream with no call (${streamKey})`,
      });
      this.options.log?.('RTP stream with no call', { mediaKey: u.ref.mediaKey, stream: streamKey, packets: u.packets.length });
    }
  }

  /** Forgets orphans and given-up streams once `keepUs` of capture time passed their last packet. */
  forgetOld(clock: number, keepUs: number): void {
    for (const [k, at] of this.orphaned) if (clock >= at + keepUs) this.orphaned.delete(k);
    for (const [k, at] of this.givenUp) if (clock >= at + keepUs) { this.givenUp.delete(k); this.streams.delete(k); }
  }

  /** Forgets everything read from qm.rtp.v1 (the ledger keeps what it held as floors). */
  dropAll(): void {
    this.unclaimed.clear();
    this.unclaimedBytes = 0;
    this.streams.clear();
    this.orphaned.clear();
    this.givenUp.clear();
  }
}
