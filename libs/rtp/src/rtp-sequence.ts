/** Options of RtpSequenceTracker. */
export interface RtpSequenceOptions {
  /** Forward gap (packets) still taken as loss rather than a restart. Default 3000 (RFC 3550 A.1 MAX_DROPOUT). */
  maxDropout?: number;
  /** How far behind the highest sequence a packet is "out of order" rather than "too late". Default 100 (A.1 MAX_MISORDER). */
  maxMisorder?: number;
  /** Sequential packets needed before the source is valid (A.1 MIN_SEQUENTIAL); 1 = none. Default 1. */
  minSequential?: number;
}

/**
 * How one packet's sequence number relates to those before it:
 * - `in-order`: ahead of every earlier packet (a gap in between counts as lost until filled);
 * - `duplicate`: a sequence number already received;
 * - `out-of-order`: behind the highest, within maxMisorder, not seen before (fills a gap);
 * - `too-late`: behind by more than maxMisorder but at most maxDropout (still fills a gap);
 * - `probation`: the source is not yet valid (minSequential > 1);
 * - `jump`: a large jump, held as a possible restart (not counted unless the next packet confirms it);
 * - `restart`: the second sequential packet after a jump: the sequence restarted (counters go on,
 *   extended numbers continue upwards so they stay sortable).
 */
export type RtpSequenceClass = 'in-order' | 'duplicate' | 'out-of-order' | 'too-late' | 'probation' | 'jump' | 'restart';

const SEQ_MOD = 0x10000;
const SEQ_MASK = 0xffff;
/** Ring of "received" flags by extended sequence; bigger than maxDropout so a too-late duplicate is still seen. */
const SEEN_RING = 1 << 13;
const SEEN_MASK = SEEN_RING - 1;

/**
 * Extends 16-bit RTP sequence numbers to a monotonic extended sequence (RFC 3550 A.1 style) and
 * counts expected, received, lost, duplicated, out-of-order and too-late packets. Differences from
 * A.1, for recording: a packet far behind (≤ maxDropout) is "too late", never a restart candidate;
 * the packets of probation and the jump packet that a restart confirms are counted; a restart keeps
 * the extended sequence increasing and the counters cumulative. Allocation-free per packet.
 */
export class RtpSequenceTracker {
  private readonly maxDropout: number;
  private readonly maxMisorder: number;
  private readonly minSequential: number;
  private started = false;
  private probation = 0;
  /** Highest extended sequence accepted. */
  private maxExt = 0;
  /** Lowest extended sequence of the current run (since start or the last restart). */
  private baseExt = 0;
  private expectedBefore = 0;
  /** Extended sequence the next packet must have to confirm a jump; -1 = none pending. */
  private badExt = -1;
  private readonly seen = new Uint8Array(SEEN_RING);

  /** Extended sequence of the last packet pushed. */
  extendedSequence = 0;
  received = 0;
  duplicated = 0;
  outOfOrder = 0;
  tooLate = 0;
  restarts = 0;

  constructor(options: RtpSequenceOptions = {}) {
    this.maxDropout = options.maxDropout ?? 3000;
    this.maxMisorder = options.maxMisorder ?? 100;
    this.minSequential = Math.max(1, options.minSequential ?? 1);
    if (this.maxDropout >= SEEN_RING || this.maxMisorder >= this.maxDropout) {
      throw new RangeError(`RtpSequenceOptions: need maxMisorder < maxDropout < ${SEEN_RING}`);
    }
  }

  /** Packets expected: the span of extended sequences received, summed over restarts. */
  get expected(): number {
    return this.started && this.probation === 0 ? this.expectedBefore + this.maxExt - this.baseExt + 1 : this.expectedBefore;
  }

  /** expected − received, floored at 0. */
  get lost(): number {
    return Math.max(0, this.expected - this.received);
  }

  /** Highest extended sequence so far. */
  get highestExtended(): number {
    return this.maxExt;
  }

  /** Classifies one packet by its 16-bit sequence number and updates the counters. */
  push(seq: number): RtpSequenceClass {
    seq &= SEQ_MASK;
    if (!this.started) {
      this.started = true;
      this.startRun(seq, seq);
      this.probation = this.minSequential - 1;
      this.received = this.probation === 0 ? 1 : 0;
      return this.probation === 0 ? 'in-order' : 'probation';
    }
    const maxSeq = this.maxExt & SEQ_MASK;
    const udelta = (seq - maxSeq) & SEQ_MASK;
    if (this.probation > 0) {
      if (udelta === 1) {
        this.advance(udelta);
        this.probation--;
        if (this.probation === 0) {
          this.received += this.maxExt - this.baseExt + 1;
          return 'in-order';
        }
      } else {
        this.startRun(seq, this.maxExt + udelta);
        this.probation = this.minSequential - 1;
      }
      return 'probation';
    }
    if (udelta === 0) {
      this.extendedSequence = this.maxExt;
      this.duplicated++;
      return 'duplicate';
    }
    if (udelta < this.maxDropout) {
      this.advance(udelta);
      this.received++;
      this.badExt = -1;
      return 'in-order';
    }
    const behind = SEQ_MOD - udelta;
    if (behind <= this.maxDropout) {
      const ext = this.maxExt - behind;
      this.extendedSequence = ext;
      // May be negative (a packet from before the first one received): still sortable.
      if (this.seen[ext & SEEN_MASK] === 1) {
        this.duplicated++;
        return 'duplicate';
      }
      this.seen[ext & SEEN_MASK] = 1;
      if (ext < this.baseExt) this.baseExt = ext;
      this.received++;
      if (behind <= this.maxMisorder) { this.outOfOrder++; return 'out-of-order'; }
      this.tooLate++;
      return 'too-late';
    }
    // A large jump: a restart if the next packet follows it, else a stray.
    const ext = this.maxExt + udelta;
    if (ext === this.badExt) {
      this.expectedBefore += this.maxExt - this.baseExt + 1;
      this.startRun(seq, ext - 1);
      this.advance(1);
      this.seen[(ext - 1) & SEEN_MASK] = 1;
      this.received += 2;
      this.restarts++;
      this.badExt = -1;
      return 'restart';
    }
    this.badExt = ext + 1;
    this.extendedSequence = ext;
    return 'jump';
  }

  /** Starts a run whose first accepted extended sequence is `ext`. */
  private startRun(_seq: number, ext: number): void {
    this.seen.fill(0);
    this.baseExt = ext;
    this.maxExt = ext;
    this.extendedSequence = ext;
    this.seen[ext & SEEN_MASK] = 1;
  }

  /** Moves the highest sequence forward by `d` (> 0), clearing the flags of the numbers skipped over. */
  private advance(d: number): void {
    const from = this.maxExt;
    const to = from + d;
    if (d >= SEEN_RING) this.seen.fill(0);
    else for (let e = from + 1; e < to; e++) this.seen[e & SEEN_MASK] = 0;
    this.seen[to & SEEN_MASK] = 1;
    this.maxExt = to;
    this.extendedSequence = to;
  }
}

/**
 * Extends 32-bit RTP timestamps across wrap-around: each timestamp is placed at the extended value
 * nearest the previous one (forward if less than 2^31 ahead, else backward). Returns plain numbers
 * (exact up to 2^53).
 */
export class RtpTimestampExtender {
  private last = -1;

  extend(ts: number): number {
    ts >>>= 0;
    if (this.last < 0) {
      this.last = ts;
      return ts;
    }
    const lastLow = this.last % 0x100000000;
    const delta = (ts - lastLow) >>> 0;
    const ext = delta < 0x80000000 ? this.last + delta : this.last - (0x100000000 - delta);
    this.last = ext;
    return ext;
  }

  reset(): void {
    this.last = -1;
  }
}
