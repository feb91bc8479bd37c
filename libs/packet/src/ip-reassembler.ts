import { ReasonCounters } from '@earshot/errors';

/**
 * Options of IpReassembler. Timeouts are in seconds of capture time, never the wall clock.
 */
export interface IpReassemblerOptions {
  /** Capture seconds a datagram may wait for its missing fragments. Default 30 (Linux ipfrag_time). */
  timeoutSeconds?: number;
  /** Datagrams waiting at once; the oldest is dropped to make room. Default 1024. */
  maxPendingDatagrams?: number;
  /** Fragment bytes held at once; the oldest datagrams are dropped to make room. Default 16 MiB. */
  maxPendingBytes?: number;
  /** Fragments one datagram may have (bounds tiny-fragment floods). Default 128. */
  maxFragmentsPerDatagram?: number;
  /** Where the outcomes are counted. Default: a counters object of its own. */
  counters?: ReasonCounters;
  /** Prepended to every counter name. Default "". */
  counterPrefix?: string;
}

/** One fragment as the frame decoder reports it. */
export interface IpFragment {
  src: string;
  dst: string;
  protocol: number;
  /** IPv4 identification or IPv6 fragment identification. */
  fragmentId: number;
  /** In bytes. */
  fragmentOffset: number;
  moreFragments: boolean;
  /** The fragment's data (copied when kept). */
  payload: Uint8Array;
}

interface Piece {
  offset: number;
  data: Uint8Array;
  arrival: number;
}

interface Pending {
  pieces: Piece[];
  /** Payload length once the last fragment (MF clear) is seen, else -1. */
  total: number;
  bytes: number;
  firstSeen: number;
}

/** Largest IP payload a fragmented datagram can carry (the 16-bit length limits it). */
const MAX_DATAGRAM_PAYLOAD = 0xffff;
const FRAGMENT_UNIT = 8;

/**
 * Reassembles fragmented IP datagrams, keyed by source, destination, protocol and identification.
 * Written for IPv4 (RFC 791/815); IPv6 fragment-header datagrams follow the same rules (their
 * addresses cannot collide with IPv4 keys).
 *
 * Fragments may arrive in any order. An exact duplicate is ignored; an overlap keeps the bytes
 * that arrived first ("first wins", as BSD and Windows do), so a later fragment cannot rewrite a
 * SIP header already seen. Datagrams whose fragments disagree about the total length are dropped.
 * Memory is bounded by the pending-datagram, byte and per-datagram fragment limits; a datagram
 * waits at most `timeoutSeconds` of capture time. Every outcome is counted:
 * `reassembled`, `duplicate-fragment`, `overlapping-fragment`, and `dropped.<reason>` with reason
 * `timeout`, `too-many-datagrams`, `memory-limit`, `too-many-fragments`, `inconsistent-length`,
 * `too-large`, `bad-fragment-length`, `flushed`.
 */
export class IpReassembler {
  readonly counters: ReasonCounters;
  private readonly prefix: string;
  private readonly timeout: number;
  private readonly maxDatagrams: number;
  private readonly maxBytes: number;
  private readonly maxFragments: number;
  private readonly pending = new Map<string, Pending>();
  private bytes = 0;
  private arrivals = 0;

  constructor(options: IpReassemblerOptions = {}) {
    this.counters = options.counters ?? new ReasonCounters();
    this.prefix = options.counterPrefix ?? '';
    this.timeout = options.timeoutSeconds ?? 30;
    this.maxDatagrams = options.maxPendingDatagrams ?? 1024;
    this.maxBytes = options.maxPendingBytes ?? 16 * 1024 * 1024;
    this.maxFragments = options.maxFragmentsPerDatagram ?? 128;
  }

  /** Datagrams waiting for fragments. */
  get pendingDatagrams(): number {
    return this.pending.size;
  }

  /** Fragment bytes held. */
  get pendingBytes(): number {
    return this.bytes;
  }

  /**
   * Adds one fragment seen at capture time `now` (seconds). Returns the whole IP payload of the
   * datagram when this fragment completes it, else null.
   */
  push(f: IpFragment, now: number): Uint8Array | null {
    this.expire(now);
    const len = f.payload.length;
    if (f.fragmentOffset + len > MAX_DATAGRAM_PAYLOAD) return this.count('dropped.too-large'), null;
    if (f.moreFragments && len % FRAGMENT_UNIT !== 0) return this.count('dropped.bad-fragment-length'), null;
    if (f.moreFragments && len === 0) return this.count('dropped.bad-fragment-length'), null;
    const key = `${f.src}|${f.dst}|${f.protocol}|${f.fragmentId}`;
    let d = this.pending.get(key);
    if (d === undefined) {
      d = { pieces: [], total: -1, bytes: 0, firstSeen: now };
      this.pending.set(key, d);
    }
    const end = f.fragmentOffset + len;
    if (!f.moreFragments) {
      if (d.total >= 0 && d.total !== end) return this.drop(key, d, 'inconsistent-length'), null;
      d.total = end;
    }
    if (d.total >= 0 && (end > d.total || d.pieces.some((p) => p.offset + p.data.length > d.total))) {
      return this.drop(key, d, 'inconsistent-length'), null;
    }
    let at = d.pieces.length;
    for (let i = 0; i < d.pieces.length; i++) {
      const p = d.pieces[i];
      if (p === undefined) continue;
      if (p.offset === f.fragmentOffset && p.data.length === len) return this.count('duplicate-fragment'), null;
      if (p.offset < end && f.fragmentOffset < p.offset + p.data.length) this.count('overlapping-fragment');
      if (p.offset > f.fragmentOffset && at === d.pieces.length) at = i;
    }
    if (d.pieces.length >= this.maxFragments) return this.drop(key, d, 'too-many-fragments'), null;
    d.pieces.splice(at, 0, { offset: f.fragmentOffset, data: f.payload.slice(), arrival: this.arrivals++ });
    d.bytes += len;
    this.bytes += len;
    if (d.total >= 0) {
      const whole = this.assemble(d);
      if (whole !== null) {
        this.remove(key, d);
        this.count('reassembled');
        return whole;
      }
    }
    this.enforceLimits(key);
    return null;
  }

  /** Drops the datagrams that have waited longer than the timeout at capture time `now`. */
  expire(now: number): void {
    for (const [key, d] of this.pending) {
      if (now - d.firstSeen <= this.timeout) break; // insertion order is first-seen order
      this.drop(key, d, 'timeout');
    }
  }

  /** Drops everything still waiting (end of a capture file), counted as `dropped.flushed`. */
  flush(): void {
    for (const [key, d] of this.pending) this.drop(key, d, 'flushed');
  }

  private assemble(d: Pending): Uint8Array | null {
    let covered = 0;
    for (const p of d.pieces) {
      if (p.offset > covered) return null;
      covered = Math.max(covered, p.offset + p.data.length);
    }
    if (covered < d.total) return null;
    const out = new Uint8Array(d.total);
    // Latest arrival first, so the first arrival's bytes are written last and win overlaps.
    const byArrival = [...d.pieces].sort((a, b) => b.arrival - a.arrival);
    for (const p of byArrival) out.set(p.data, p.offset);
    return out;
  }

  private enforceLimits(current: string): void {
    while (this.pending.size > this.maxDatagrams || this.bytes > this.maxBytes) {
      const oldest = this.pending.entries().next();
      if (oldest.done === true) return;
      const [key, d] = oldest.value;
      this.drop(key, d, this.pending.size > this.maxDatagrams ? 'too-many-datagrams' : 'memory-limit');
      if (key === current) return;
    }
  }

  private drop(key: string, d: Pending, reason: string): void {
    this.remove(key, d);
    this.count(`dropped.${reason}`);
  }

  private remove(key: string, d: Pending): void {
    this.pending.delete(key);
    this.bytes -= d.bytes;
  }

  private count(name: string): void {
    this.counters.inc(this.prefix + name);
  }
}
