import { ReasonCounters } from '@earshot/errors';

/** Options of UnannouncedHold. */
export interface UnannouncedHoldOptions {
  /**
   * How long, in capture time, an RTP or RTCP packet that no call announced waits for its
   * announcement before it is dropped. 0 holds nothing. Default 3000.
   */
  holdMs?: number;
  /** Payload bytes held at most: past it the oldest packets are dropped first. Default 33554432 (32 MiB). */
  maxBytes?: number;
}

/** One packet waiting for its announcement. */
export interface HeldPacket<F> {
  readonly flow: F;
  readonly timeUs: number;
  readonly payload: Uint8Array;
  /** Still waiting (false once released or dropped). */
  held: boolean;
}

/**
 * RTP and RTCP that arrived before any call announced its endpoints, held for a bounded time
 * (capture time) and size, by flow (`F`, the caller's 5-tuple object). The announcement may come
 * late: the collector's own capture lost the SDP and call control's event arrives through Kafka,
 * or the collector restarted and is still reading back the calls in progress. When it comes, the
 * flow's packets are taken back in capture order with their capture times; those whose time is up
 * are dropped and counted.
 *
 * Counts (`counters`): `held`, `released`, and drops by reason: `expired` (waited `holdMs`),
 * `over-limit` (the oldest, pushed out by `maxBytes`), `at-end` (still held when capture stopped).
 */
export class UnannouncedHold<F> {
  readonly counters = new ReasonCounters();
  private readonly holdUs: number;
  private readonly maxBytes: number;
  private readonly byFlow = new Map<F, Array<HeldPacket<F>>>();
  /** Every held packet in arrival order (released ones are skipped lazily). */
  private queue: Array<HeldPacket<F>> = [];
  private head = 0;
  private heldBytes = 0;

  constructor(options: UnannouncedHoldOptions = {}) {
    const holdMs = options.holdMs ?? 3000;
    const maxBytes = options.maxBytes ?? 32 * 1024 * 1024;
    if (!Number.isInteger(holdMs) || holdMs < 0) throw new RangeError(`holdMs must be an integer of at least 0, got ${JSON.stringify(holdMs)}`);
    if (!Number.isInteger(maxBytes) || maxBytes < 0) throw new RangeError(`maxBytes must be an integer of at least 0, got ${JSON.stringify(maxBytes)}`);
    this.holdUs = holdMs * 1000;
    this.maxBytes = maxBytes;
  }

  /** Whether anything is held at all (holdMs > 0 and maxBytes > 0). */
  get enabled(): boolean {
    return this.holdUs > 0 && this.maxBytes > 0;
  }

  /** Payload bytes held now. */
  get bytes(): number {
    return this.heldBytes;
  }

  /** Flows with packets held now. */
  flows(): IterableIterator<F> {
    return this.byFlow.keys();
  }

  /** Capture time of the oldest packet held (Infinity when none): no watermark may pass it while it may still be released. */
  oldestUs(): number {
    this.skipDone();
    const first = this.queue[this.head];
    return first === undefined ? Infinity : first.timeUs;
  }

  /** Holds one packet (the caller checked `enabled`); the oldest go if the bytes exceed the bound. */
  hold(flow: F, timeUs: number, payload: Uint8Array): void {
    const p: HeldPacket<F> = { flow, timeUs, payload, held: true };
    let list = this.byFlow.get(flow);
    if (list === undefined) {
      list = [];
      this.byFlow.set(flow, list);
    }
    list.push(p);
    this.queue.push(p);
    this.heldBytes += payload.length;
    this.counters.inc('held');
    while (this.heldBytes > this.maxBytes) this.dropOldest('over-limit');
  }

  /** The packets held for a flow, oldest first, taken out of the hold (counted `released`). */
  release(flow: F): Array<HeldPacket<F>> {
    const list = this.byFlow.get(flow);
    if (list === undefined) return [];
    this.byFlow.delete(flow);
    for (const p of list) {
      p.held = false;
      this.heldBytes -= p.payload.length;
    }
    this.counters.inc('released', list.length);
    return list;
  }

  /** Drops what has waited longer than `holdMs` at capture time `nowUs`, telling `onDrop` the flow of each; returns how many. */
  expire(nowUs: number, onDrop?: (flow: F) => void): number {
    let n = 0;
    for (;;) {
      this.skipDone();
      const first = this.queue[this.head];
      if (first === undefined || first.timeUs + this.holdUs > nowUs) break;
      this.dropOldest('expired');
      onDrop?.(first.flow);
      n++;
    }
    this.compact();
    return n;
  }

  /** Drops everything held (capture stopped: no announcement can come any more); returns how many. */
  dropAll(): number {
    let n = 0;
    for (;;) {
      this.skipDone();
      if (this.head >= this.queue.length) break;
      this.dropOldest('at-end');
      n++;
    }
    this.compact();
    return n;
  }

  private skipDone(): void {
    while (this.head < this.queue.length && !(this.queue[this.head] as HeldPacket<F>).held) this.head++;
  }

  private dropOldest(reason: string): void {
    this.skipDone();
    const p = this.queue[this.head];
    if (p === undefined) return;
    this.head++;
    p.held = false;
    this.heldBytes -= p.payload.length;
    this.counters.inc(reason);
    // Per flow, arrival order is queue order: the oldest of the queue is its flow's first.
    const list = this.byFlow.get(p.flow);
    if (list !== undefined) {
      list.shift();
      if (list.length === 0) this.byFlow.delete(p.flow);
    }
  }

  private compact(): void {
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
