import { ReasonCounters } from '@earshot/errors';
import type { CallEvent, RecordingEvent, RtpBatch } from '@earshot/events';
import { CallDirectory } from './call-media';
import { CallRecording, type PendingPacket } from './call-recording';
import { CommitLedger } from './commit-ledger';
import type { RawFileHandle, RawFileStore } from './raw-file-store';
import { StreamRouter, type StreamRef } from './stream-router';

export { describeRaw } from './call-recording';

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
  /**
   * Only RtpBatches (and watermarks) of these rtp-collector instances are read; default: every
   * collector's. A watermark speaks for its own collector's batches only, so a run that shares the
   * topics with another capture (a file recorded while a live collector runs) names its own.
   */
  rtpInstances?: ReadonlySet<string>;
  counters?: ReasonCounters;
  /** One line per event worth a person's attention. */
  log?: (msg: string, fields: Record<string, unknown>) => void;
}

const US_PER_MS = 1000;
const US_PER_S = 1_000_000;

/** Runs async steps one at a time, in the order they were asked for. */
class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(step: () => Promise<T> | T): Promise<T> {
    const next = this.tail.then(step);
    this.tail = next.then(() => undefined, () => undefined);
    return next;
  }
}

/**
 * The recorder's state machine, without Kafka: CallEvents and RtpBatches in, .raw files and
 * RecordingEvents out. Three parts: the StreamRouter says which call each packet belongs to, each
 * open call's CallRecording writes its legs, and the CommitLedger says how far offsets may be
 * committed. Every entry (each input, advance, reassignment, drop) runs alone, in the order it
 * was called, although two consumers (call control and RTP) call in concurrently.
 *
 * Capture time is its only clock: the safe clock is the lowest, over the qm.rtp.v1 partitions it
 * owns, of the highest watermark seen on each, so every packet up to it has been consumed whatever
 * the order partitions were read in. Packets wait in their call until the safe clock passes them,
 * and are then written in capture order (ties: stream key, then arrival), so the same topics give
 * the same bytes however the consumer interleaved partitions.
 */
export class RecorderEngine {
  readonly directory = new CallDirectory();
  readonly counters: ReasonCounters;
  private readonly ledger = new CommitLedger<object>();
  private readonly router: StreamRouter;
  private readonly queue = new SerialQueue();
  private readonly open = new Map<string, CallRecording>();
  /** Closed calls, by id, with their close time: late packets and events for them are dropped. */
  private readonly closed = new Map<string, number>();
  private readonly watermarks = new Map<number, number>();
  private readonly firstSeen = new Map<number, number>();
  private assigned: number[] = [];
  private resumed = new Set<number>();
  private outbox: RecordingEvent[] = [];
  private arrival = 0;

  constructor(private readonly options: RecorderEngineOptions) {
    this.counters = options.counters ?? new ReasonCounters();
    this.router = new StreamRouter({
      directory: this.directory, ledger: this.ledger, counters: this.counters, instanceId: options.instanceId,
      lingerUs: options.lingerMs * US_PER_MS, orphanTimeoutUs: options.orphanTimeoutS * US_PER_S, unclaimedMaxBytes: options.unclaimedMaxBytes,
      emit: (e) => this.outbox.push(e), ...(options.log ? { log: options.log } : {}),
    });
  }

  /** The qm.rtp.v1 partitions this instance owns; `resumed` are those that continue from a commit. */
  assign(partitions: readonly number[], resumed: readonly number[] = []): Promise<void> {
    return this.queue.run(() => this.setAssignment(partitions, resumed));
  }

  /**
   * A new assignment after a rebalance: everything read from qm.rtp.v1 is dropped (reading again
   * from the committed offsets rebuilds it) and the new partitions taken, as one step.
   */
  reassign(partitions: readonly number[], resumed: readonly number[]): Promise<void> {
    return this.queue.run(async () => {
      await this.dropRtp();
      this.setAssignment(partitions, resumed);
    });
  }

  private setAssignment(partitions: readonly number[], resumed: readonly number[]): void {
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
  get unclaimedStreams(): number { return this.router.unclaimedStreams; }

  /** Events ready to produce, in order (each call's on one key). */
  takeEvents(): RecordingEvent[] {
    const out = this.outbox;
    this.outbox = [];
    return out;
  }

  /** The qm.rtp.v1 offset to commit: no further than the first packet of work still open on the partition. */
  rtpCommitOffset(partition: number, next: string): string {
    return this.ledger.rtpCommitOffset(partition, next);
  }

  /** The qm.call-control.v1 offset to commit: no further than the first event of a call still open. */
  callCommitOffset(partition: number, next: string): string {
    return this.ledger.callCommitOffset(partition, next);
  }

  // ---- input ----

  onCallEvent(ev: CallEvent, partition: number, offset: number): Promise<void> {
    return this.queue.run(() => this.applyCallEvent(ev, partition, offset));
  }

  onRtpBatch(b: RtpBatch, partition: number, offset: number): Promise<void> {
    return this.queue.run(() => this.applyRtpBatch(b, partition, offset));
  }

  private applyCallEvent(ev: CallEvent, partition: number, offset: number): void {
    if (this.closed.has(ev.callId)) {
      this.counters.inc('call-events.after-close');
      return;
    }
    const applied = this.directory.apply(ev);
    if (!applied) {
      this.counters.inc('call-events.duplicate');
      return;
    }
    let call = this.open.get(ev.callId);
    if (!call) {
      call = new CallRecording(applied.call, {
        store: this.options.store, directory: this.directory, counters: this.counters, instanceId: this.options.instanceId,
        emit: (e) => this.outbox.push(e), coveredSinceUs: () => this.coveredSinceUs(), ...(this.options.log ? { log: this.options.log } : {}),
      });
      this.open.set(ev.callId, call);
    }
    this.ledger.holdCalls(call, partition, offset);
    if (applied.touched.length > 0) this.reroute(new Set(applied.touched));
    this.router.claimHeld((callId, packets) => this.deliver(callId, packets));
  }

  private applyRtpBatch(b: RtpBatch, partition: number, offset: number): void {
    const only = this.options.rtpInstances;
    if (only !== undefined && only.size > 0 && !only.has(b.instanceId)) {
      this.counters.inc('batches.other-collector');
      return;
    }
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
    const ref = this.router.streamOf(b);
    if (!ref) return;
    if (this.router.isRedelivery(ref, b)) {
      this.counters.inc('batches.duplicate');
      return;
    }
    this.ledger.readRtp(partition, offset);
    const pending: PendingPacket[] = b.packets.map((p) => ({ t: p.captureTimeUs, n: this.arrival++, stream: ref, data: p.data, partition, offset }));
    this.counters.inc('packets.received', pending.length);
    for (const run of this.router.runs(ref, pending, ref.hint)) {
      if (run.callId !== null && this.deliver(run.callId, run.packets)) continue;
      // No open or closed call owns these packets (yet).
      if (this.router.isHeld(ref)) this.router.hold(ref, run.packets);
      else if (this.router.notRecorded(ref, (run.packets[run.packets.length - 1] as PendingPacket).t)) this.counters.inc('packets.not-recorded', run.packets.length);
      else this.router.hold(ref, run.packets);
    }
  }

  /** Gives packets to their call: false when the call is not known (yet); a closed call's are counted and dropped. */
  private deliver(callId: string, packets: PendingPacket[]): boolean {
    if (this.closed.has(callId)) {
      this.counters.inc('packets.after-call-closed', packets.length);
      return true;
    }
    const call = this.open.get(callId);
    if (!call) return false;
    let last: PendingPacket | undefined;
    for (const p of packets) {
      if (last === undefined || p.partition !== last.partition || p.offset !== last.offset) this.ledger.holdRtp(call, p.partition, p.offset);
      last = p;
    }
    call.add(packets);
    return true;
  }

  /**
   * A CallEvent claimed endpoints (or ended a call): packets already routed to another open call
   * and not yet written move to the call that owns them now (a later call reusing an address and
   * SSRC takes them from its SDP's capture time on).
   */
  private reroute(endpoints: ReadonlySet<string>): void {
    const touches = (ref: StreamRef): boolean => endpoints.has(ref.srcKey) || endpoints.has(ref.dstKey);
    for (const call of [...this.open.values()]) {
      if (!call.hasStream(touches)) continue;
      const moved = call.takePending((p) => {
        if (!touches(p.stream)) return false;
        const owner = this.router.ownerAt(p.stream, p.t);
        return owner !== null && owner !== call.media.callId && (this.open.has(owner) || this.closed.has(owner));
      });
      for (const p of moved) this.deliver(this.router.ownerAt(p.stream, p.t) as string, [p]);
      if (moved.length > 0) this.counters.inc('packets.rerouted', moved.length);
    }
  }

  // ---- time ----

  /**
   * Moves everything up to the safe clock: writes the packets it passed, closes calls whose end
   * plus linger (or idle timeout) it passed, gives up streams no call claimed in time.
   */
  advance(): Promise<void> {
    return this.queue.run(() => this.advanceNow());
  }

  private async advanceNow(): Promise<void> {
    const clock = this.clockUs;
    if (clock === Number.NEGATIVE_INFINITY) return;
    const linger = this.options.lingerMs * US_PER_MS;
    const idle = this.options.idleTimeoutS * US_PER_S;
    // Held streams an address latched since claims go first, so their packets are written in order.
    if (this.router.unclaimedStreams > 0) this.router.claimHeld((callId, packets) => this.deliver(callId, packets));
    const ids = [...this.open.keys()].sort();
    for (const id of ids) {
      const call = this.open.get(id);
      if (!call) continue;
      const m = call.media;
      const closeAt = m.endUs !== null ? m.endUs + linger : null;
      await call.flush(closeAt !== null ? Math.min(clock, closeAt) : clock);
      if (closeAt !== null) {
        if (clock >= closeAt) await this.close(call, closeAt, m.endKind === 'FAILED' ? 'failed' : m.endedByTimeout ? 'idle-timeout' : 'bye');
      } else {
        const idleAt = Math.max(m.lastEventUs, call.lastPacketUs) + idle;
        if (clock >= idleAt) await this.close(call, idleAt, 'idle-timeout');
      }
    }
    if (this.router.unclaimedStreams > 0) {
      this.router.claimHeld((callId, packets) => this.deliver(callId, packets));
      this.router.giveUp(clock);
    }
    this.forgetOld(clock);
  }

  private async close(call: CallRecording, closeAt: number, reason: string): Promise<void> {
    await call.close(closeAt, reason);
    const id = call.media.callId;
    this.open.delete(id);
    this.closed.set(id, closeAt);
    this.ledger.release(call);
  }

  /** Forgets closed calls, orphans and given-up streams once nothing of them can still arrive. */
  private forgetOld(clock: number): void {
    const keep = this.options.orphanTimeoutS * US_PER_S + this.options.lingerMs * US_PER_MS;
    for (const [id, at] of this.closed) {
      if (clock < at + keep) continue;
      this.closed.delete(id);
      this.directory.forget(id);
    }
    this.router.forgetOld(clock, keep);
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
   * Forgets everything read from qm.rtp.v1 (shutdown, or partitions reassigned: see `reassign`),
   * keeping what call control said: open legs' temporary files go, and since commits never passed
   * their first packets, reading again from the committed offsets rebuilds them whole.
   */
  dropAll(): Promise<void> {
    return this.queue.run(() => this.dropRtp());
  }

  private async dropRtp(): Promise<void> {
    const files: RawFileHandle[] = [];
    for (const call of this.open.values()) files.push(...call.dropRtp());
    this.outbox = this.outbox.filter((e) => e.kind !== 'LEG_STARTED' || this.closed.has(e.callId));
    this.ledger.dropRtp();
    this.router.dropAll();
    this.watermarks.clear();
    this.firstSeen.clear();
    for (const f of files) await f.discard();
  }
}
