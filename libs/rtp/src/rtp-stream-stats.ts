import { RtpSequenceClass, RtpSequenceOptions, RtpSequenceTracker, RtpTimestampExtender } from './rtp-sequence';

/** Options of RtpStreamStats. */
export interface RtpStreamStatsOptions extends RtpSequenceOptions {
  /** RTP clock rate of the payload (Hz), for jitter in ms and arrival times in timestamp units. Required. */
  clockRate: number;
}

/** A snapshot of one stream's statistics. */
export interface RtpStreamSummary {
  expected: number;
  received: number;
  /** expected − received, floored at 0. */
  lost: number;
  duplicated: number;
  outOfOrder: number;
  tooLate: number;
  restarts: number;
  /** Interarrival jitter (RFC 3550 A.8) in timestamp units. */
  jitter: number;
  /** The same in milliseconds. */
  jitterMs: number;
  /** Largest jitter value seen, in ms. */
  maxJitterMs: number;
  firstCaptureTimeUs: number | null;
  lastCaptureTimeUs: number | null;
  highestExtendedSequence: number;
}

const US_PER_S = 1_000_000;
const JITTER_GAIN = 16;

/**
 * Sequence classification plus interarrival jitter for one RTP stream (one SSRC). Arrival time is
 * the packet's capture time in µs (never the wall clock), converted to timestamp units. Jitter is
 * updated for every packet counted as received (in order, out of order, too late; RFC 3550 A.8
 * works for any arrival order), and reset on a sequence restart.
 */
export class RtpStreamStats {
  private readonly seq: RtpSequenceTracker;
  private readonly ts = new RtpTimestampExtender();
  private readonly clockRate: number;
  private lastTransit = Number.NaN;
  private jitterTs = 0;
  private maxJitterTs = 0;
  private firstUs: number | null = null;
  private lastUs: number | null = null;
  /** Extended RTP timestamp of the last packet pushed. */
  extendedTimestamp = 0;

  constructor(options: RtpStreamStatsOptions) {
    if (!(options.clockRate > 0)) throw new RangeError(`RtpStreamStatsOptions.clockRate must be a positive number, got ${options.clockRate}`);
    this.clockRate = options.clockRate;
    this.seq = new RtpSequenceTracker(options);
  }

  /** Extended sequence number of the last packet pushed. */
  get extendedSequence(): number {
    return this.seq.extendedSequence;
  }

  /** Feeds one packet's sequence number, RTP timestamp and capture time (µs). */
  push(sequenceNumber: number, timestamp: number, captureTimeUs: number): RtpSequenceClass {
    const cls = this.seq.push(sequenceNumber);
    const extTs = this.ts.extend(timestamp);
    this.extendedTimestamp = extTs;
    if (this.firstUs === null) this.firstUs = captureTimeUs;
    this.lastUs = captureTimeUs;
    if (cls === 'restart') {
      this.ts.reset();
      this.extendedTimestamp = this.ts.extend(timestamp);
      this.lastTransit = Number.NaN;
    }
    if (cls === 'in-order' || cls === 'out-of-order' || cls === 'too-late' || cls === 'restart') {
      const transit = (captureTimeUs * this.clockRate) / US_PER_S - this.extendedTimestamp;
      if (!Number.isNaN(this.lastTransit)) {
        const d = Math.abs(transit - this.lastTransit);
        this.jitterTs += (d - this.jitterTs) / JITTER_GAIN;
        if (this.jitterTs > this.maxJitterTs) this.maxJitterTs = this.jitterTs;
      }
      this.lastTransit = transit;
    }
    return cls;
  }

  summary(): RtpStreamSummary {
    const toMs = 1000 / this.clockRate;
    return {
      expected: this.seq.expected,
      received: this.seq.received,
      lost: this.seq.lost,
      duplicated: this.seq.duplicated,
      outOfOrder: this.seq.outOfOrder,
      tooLate: this.seq.tooLate,
      restarts: this.seq.restarts,
      jitter: this.jitterTs,
      jitterMs: this.jitterTs * toMs,
      maxJitterMs: this.maxJitterTs * toMs,
      firstCaptureTimeUs: this.firstUs,
      lastCaptureTimeUs: this.lastUs,
      highestExtendedSequence: this.seq.highestExtended,
    };
  }
}
