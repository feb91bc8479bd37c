import { ReasonCounters } from '@earshot/errors';
import { TcpFlags } from './tcp';

/** One direction of a TCP connection: data flows from src:srcPort to dst:dstPort. */
export interface TcpFlow {
  ipVersion: 4 | 6;
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
}

/** Contiguous bytes of one direction, in order, each byte delivered once. */
export interface TcpStreamChunk {
  flow: TcpFlow;
  /** A view into the captured segment when delivered in order, else a copy. */
  data: Uint8Array;
  /** Position of data[0] in the direction's byte stream (bytes delivered plus bytes skipped in gaps). */
  streamOffset: number;
  /** Capture time of the segment that made these bytes deliverable. */
  tsSec: number;
  tsNanos: number;
}

/** Bytes that never arrived and were skipped so that later data could be delivered. */
export interface TcpStreamGap {
  flow: TcpFlow;
  streamOffset: number;
  missingBytes: number;
  reason: 'buffer-limit' | 'gap-timeout' | 'closing';
  tsSec: number;
  tsNanos: number;
}

export type TcpStreamEndReason = 'fin' | 'rst' | 'idle-timeout' | 'evicted' | 'new-connection' | 'flushed';

export interface TcpStreamEnd {
  flow: TcpFlow;
  reason: TcpStreamEndReason;
  tsSec: number;
  tsNanos: number;
}

/** A TCP segment as the frame decoder reports it (a DecodedFrame fits). */
export interface TcpSegment {
  ipVersion: 4 | 6;
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
  tcpSeq: number;
  tcpFlags: number;
  payload: Uint8Array;
}

/** Options of TcpStreamReassembler; times are seconds of capture time. */
export interface TcpStreamReassemblerOptions {
  /** Out-of-order bytes held per direction before the gap in front of them is skipped. Default 1 MiB. */
  maxBufferedBytesPerDirection?: number;
  /** Out-of-order segments held per direction before the gap is skipped. Default 512. */
  maxBufferedSegmentsPerDirection?: number;
  /** Capture seconds a gap may stay open before it is skipped. Default 10. */
  gapTimeoutSeconds?: number;
  /** Capture seconds without a segment after which a direction is ended (and a closed one forgotten). Default 300. */
  idleTimeoutSeconds?: number;
  /** Directions tracked at once; the least recently active is ended (`evicted`) to make room. Default 10000. */
  maxDirections?: number;
  /** Where the outcomes are counted. Default: a counters object of its own. */
  counters?: ReasonCounters;
  /** Prepended to every counter name. Default "". */
  counterPrefix?: string;
  onData: (chunk: TcpStreamChunk) => void;
  onGap?: (gap: TcpStreamGap) => void;
  onEnd?: (end: TcpStreamEnd) => void;
}

interface Held {
  seq: number;
  data: Uint8Array;
}

interface Direction {
  flow: TcpFlow;
  isn: number;
  synSeen: boolean;
  nextSeq: number;
  streamOffset: number;
  held: Held[];
  heldBytes: number;
  finSeq: number;
  hasFin: boolean;
  closed: boolean;
  lastSeen: number;
  gapSince: number;
}

/** Signed distance a - b in sequence space (RFC 1982 style, 32-bit wrap). */
function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/**
 * Turns TCP segments into the ordered byte stream of each direction, enough for SIP over TCP.
 *
 * Per direction (src:port → dst:port): out-of-order segments are held until the gap before them
 * fills; retransmitted and overlapping bytes are delivered once (the first copy wins); a stream
 * seen without its SYN starts at the first segment carrying data. A gap is skipped (reported to
 * `onGap`) when the held data exceeds its limits, when it stays open `gapTimeoutSeconds`, or at
 * FIN/RST/flush. SYN starts a stream (a SYN with a new ISN ends the old one), FIN ends it once all
 * data before it is delivered, RST ends it at once. A closed direction is remembered until idle so
 * late retransmissions are recognised, not replayed. Counts `segments`, `retransmissions`,
 * `out-of-order`, `gaps`, `gap-bytes`, `midstream-starts`, `data-after-close`, `evicted`.
 */
export class TcpStreamReassembler {
  readonly counters: ReasonCounters;
  private readonly prefix: string;
  private readonly maxHeldBytes: number;
  private readonly maxHeldSegments: number;
  private readonly gapTimeout: number;
  private readonly idleTimeout: number;
  private readonly maxDirections: number;
  private readonly onData: (chunk: TcpStreamChunk) => void;
  private readonly onGap: (gap: TcpStreamGap) => void;
  private readonly onEnd: (end: TcpStreamEnd) => void;
  private readonly directions = new Map<string, Direction>();
  private tsSec = 0;
  private tsNanos = 0;

  constructor(options: TcpStreamReassemblerOptions) {
    this.counters = options.counters ?? new ReasonCounters();
    this.prefix = options.counterPrefix ?? '';
    this.maxHeldBytes = options.maxBufferedBytesPerDirection ?? 1024 * 1024;
    this.maxHeldSegments = options.maxBufferedSegmentsPerDirection ?? 512;
    this.gapTimeout = options.gapTimeoutSeconds ?? 10;
    this.idleTimeout = options.idleTimeoutSeconds ?? 300;
    this.maxDirections = options.maxDirections ?? 10000;
    this.onData = options.onData;
    this.onGap = options.onGap ?? (() => undefined);
    this.onEnd = options.onEnd ?? (() => undefined);
  }

  /** Directions tracked (open or recently closed). */
  get size(): number {
    return this.directions.size;
  }

  /** Adds one segment captured at tsSec + tsNanos. */
  push(seg: TcpSegment, tsSec: number, tsNanos: number): void {
    this.tsSec = tsSec;
    this.tsNanos = tsNanos;
    const now = tsSec + tsNanos / 1e9;
    this.count('segments');
    const key = `${seg.src}|${seg.srcPort}|${seg.dst}|${seg.dstPort}`;
    let d = this.directions.get(key);
    const flags = seg.tcpFlags;
    if ((flags & TcpFlags.RST) !== 0) {
      if (d !== undefined && !d.closed) this.end(d, 'rst', true);
      if (d !== undefined) d.lastSeen = now;
      return;
    }
    let seq = seg.tcpSeq;
    if ((flags & TcpFlags.SYN) !== 0) {
      if (d !== undefined && d.synSeen && d.isn === seq) {
        this.count('retransmissions');
        d.lastSeen = now;
        return;
      }
      if (d !== undefined && !d.closed) this.end(d, 'new-connection', true);
      d = this.create(key, seg, (seq + 1) >>> 0, now);
      d.synSeen = true;
      d.isn = seq;
      seq = (seq + 1) >>> 0; // SYN takes one sequence number; data on a SYN (TFO) follows it
    } else if (d === undefined) {
      if (seg.payload.length === 0) return; // a bare ACK or FIN of a stream never seen carries nothing to deliver
      d = this.create(key, seg, seq, now);
      this.count('midstream-starts');
    }
    d.lastSeen = now;
    if (d.closed) {
      if (seg.payload.length > 0) this.count(seqDiff(seq + seg.payload.length, d.nextSeq) <= 0 ? 'retransmissions' : 'data-after-close');
      return;
    }
    if ((flags & TcpFlags.FIN) !== 0) {
      d.hasFin = true;
      d.finSeq = (seq + seg.payload.length) >>> 0;
    }
    if (seg.payload.length > 0) this.accept(d, seq, seg.payload);
    if (d.held.length === 0) d.gapSince = -1;
    else if (d.gapSince < 0) d.gapSince = now;
    if (d.hasFin && seqDiff(d.nextSeq, d.finSeq) >= 0) this.end(d, 'fin', false);
  }

  /** Skips gaps open longer than the gap timeout and ends directions idle longer than the idle timeout, at capture time `now` (seconds). */
  expire(now: number): void {
    for (const [key, d] of this.directions) {
      if (now - d.lastSeen > this.idleTimeout) {
        if (!d.closed) this.end(d, 'idle-timeout', true);
        this.directions.delete(key);
      } else if (!d.closed && d.gapSince >= 0 && now - d.gapSince > this.gapTimeout) {
        this.skipGap(d, 'gap-timeout');
        d.gapSince = d.held.length === 0 ? -1 : now;
        if (d.hasFin && seqDiff(d.nextSeq, d.finSeq) >= 0) this.end(d, 'fin', false);
      }
    }
  }

  /** Delivers everything held (skipping gaps) and ends every open direction (end of a capture file). */
  flush(): void {
    for (const [key, d] of this.directions) {
      if (!d.closed) this.end(d, 'flushed', true);
      this.directions.delete(key);
    }
  }

  private create(key: string, seg: TcpSegment, nextSeq: number, now: number): Direction {
    if (!this.directions.has(key) && this.directions.size >= this.maxDirections) this.evictOne();
    const d: Direction = {
      flow: { ipVersion: seg.ipVersion, src: seg.src, srcPort: seg.srcPort, dst: seg.dst, dstPort: seg.dstPort },
      isn: 0,
      synSeen: false,
      nextSeq,
      streamOffset: 0,
      held: [],
      heldBytes: 0,
      finSeq: 0,
      hasFin: false,
      closed: false,
      lastSeen: now,
      gapSince: -1,
    };
    this.directions.set(key, d);
    return d;
  }

  private evictOne(): void {
    let oldestKey: string | undefined;
    let oldest: Direction | undefined;
    for (const [key, d] of this.directions) {
      if (oldest === undefined || d.lastSeen < oldest.lastSeen) {
        oldest = d;
        oldestKey = key;
      }
    }
    if (oldest === undefined || oldestKey === undefined) return;
    if (!oldest.closed) this.end(oldest, 'evicted', true);
    this.directions.delete(oldestKey);
    this.count('evicted');
  }

  private accept(d: Direction, seq: number, data: Uint8Array): void {
    const rel = seqDiff(seq, d.nextSeq);
    if (rel + data.length <= 0) {
      this.count('retransmissions');
      return;
    }
    if (rel <= 0) {
      if (rel < 0) this.count('retransmissions');
      this.deliver(d, data.subarray(-rel));
      this.drain(d);
      return;
    }
    this.count('out-of-order');
    let at = d.held.length;
    for (let i = 0; i < d.held.length; i++) {
      const h = d.held[i];
      if (h !== undefined && seqDiff(h.seq, seq) > 0) {
        at = i;
        break;
      }
    }
    // The captured bytes may be a view into a buffer the caller reuses: keep a copy.
    d.held.splice(at, 0, { seq, data: data.slice() });
    d.heldBytes += data.length;
    while (d.held.length > 0 && (d.heldBytes > this.maxHeldBytes || d.held.length > this.maxHeldSegments)) this.skipGap(d, 'buffer-limit');
  }

  /** Delivers held segments that have become contiguous. */
  private drain(d: Direction): void {
    for (;;) {
      const h = d.held[0];
      if (h === undefined) return;
      const rel = seqDiff(h.seq, d.nextSeq);
      if (rel > 0) return;
      d.held.shift();
      d.heldBytes -= h.data.length;
      if (rel + h.data.length <= 0) {
        this.count('retransmissions');
        continue;
      }
      this.deliver(d, h.data.subarray(-rel));
    }
  }

  /** Gives up on the bytes missing before the first held segment and delivers what follows. */
  private skipGap(d: Direction, reason: TcpStreamGap['reason']): void {
    const h = d.held[0];
    if (h === undefined) return;
    const missing = seqDiff(h.seq, d.nextSeq);
    if (missing > 0) {
      this.count('gaps');
      this.counters.inc(this.prefix + 'gap-bytes', missing);
      this.onGap({ flow: d.flow, streamOffset: d.streamOffset, missingBytes: missing, reason, tsSec: this.tsSec, tsNanos: this.tsNanos });
      d.streamOffset += missing;
      d.nextSeq = h.seq;
    }
    this.drain(d);
  }

  private deliver(d: Direction, data: Uint8Array): void {
    if (data.length === 0) return;
    const streamOffset = d.streamOffset;
    d.streamOffset += data.length;
    d.nextSeq = (d.nextSeq + data.length) >>> 0;
    this.onData({ flow: d.flow, data, streamOffset, tsSec: this.tsSec, tsNanos: this.tsNanos });
  }

  private end(d: Direction, reason: TcpStreamEndReason, deliverHeld: boolean): void {
    if (deliverHeld) while (d.held.length > 0) this.skipGap(d, 'closing');
    d.held = [];
    d.heldBytes = 0;
    d.closed = true;
    d.gapSince = -1;
    this.onEnd({ flow: d.flow, reason, tsSec: this.tsSec, tsNanos: this.tsNanos });
  }

  private count(name: string): void {
    this.counters.inc(this.prefix + name);
  }
}
