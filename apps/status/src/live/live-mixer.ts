/** Options of a LiveMixer. */
export interface LiveMixerOptions {
  /** Output rate in Hz. Default 8000. */
  sampleRate?: number;
  /**
   * How far ahead of the playout position the earliest packet of an arriving batch is placed, in ms:
   * room for the variation of delivery (Kafka, the collector's flushes), not for the batch window
   * itself, which `arrive()` measures. Default 300.
   */
  delayMs?: number;
  /**
   * When every batch of this long (ms of playout) arrived more than `catchUpMs` earlier than it had
   * to, playout catches up (a brief skip): a listener stays about `delayMs` behind the arrivals, not
   * behind the slowest moment so far. Default 1000.
   */
  catchUpWindowMs?: number;
  /** Spare time beyond `delayMs` that makes playout catch up. Default 200. */
  catchUpMs?: number;
  /** Longest audio held ahead of playout, in ms; beyond it the capture clock is re-anchored. Default 10 000. */
  maxAheadMs?: number;
  /** Consecutive late packets after which the capture clock is re-anchored (delivery got slower). Default 25 (0.5 s of 20 ms packets). */
  reanchorAfterLate?: number;
}

/** Where one stream's RTP timestamps land in the output. */
interface StreamAnchor {
  rtpTimestamp: number;
  position: number;
  clockRate: number;
}

/**
 * Mixes the audio of a call's streams, as it arrives, into one mono PCM16 signal played out at the
 * wall-clock pace of a listener.
 *
 * Two clocks meet here: packets carry capture time (the pipeline's clock) and RTP timestamps, the
 * listener's player consumes samples in real (wall-clock) time. The first packet fixes an anchor:
 * its capture time plays `delayMs` after the current playout position, and every other packet is
 * placed relative to it by capture time, so both directions line up. Within a stream, packets are
 * placed by RTP timestamp (capture jitter would otherwise leave clicks), re-synchronised when the
 * two disagree by more than 200 ms. Late packets are dropped; steady lateness or audio far ahead
 * moves the anchor.
 */
export class LiveMixer {
  readonly sampleRate: number;
  private readonly delaySamples: number;
  private readonly maxAheadSamples: number;
  private readonly reanchorAfterLate: number;
  private readonly ring: Int32Array;
  /** Samples played out so far: the output position. */
  private written = 0;
  private anchor: { captureUs: number; position: number } | null = null;
  private readonly streams = new Map<string, StreamAnchor>();
  private lateInARow = 0;
  private readonly catchUpWindowSamples: number;
  private readonly catchUpSamples: number;
  /** Smallest spare time (samples) of the batches arrived since `slackSince` (an output position). */
  private minSlack = Number.POSITIVE_INFINITY;
  private slackSince = 0;
  /** Counters for the log and tests. */
  readonly stats = { packets: 0, late: 0, reanchored: 0, ahead: 0, lateBatches: 0, caughtUp: 0 };

  constructor(options: LiveMixerOptions = {}) {
    this.sampleRate = options.sampleRate ?? 8000;
    this.delaySamples = Math.round(((options.delayMs ?? 300) * this.sampleRate) / 1000);
    this.maxAheadSamples = Math.round(((options.maxAheadMs ?? 10_000) * this.sampleRate) / 1000);
    this.reanchorAfterLate = options.reanchorAfterLate ?? 25;
    this.catchUpWindowSamples = Math.round(((options.catchUpWindowMs ?? 1000) * this.sampleRate) / 1000);
    this.catchUpSamples = Math.round(((options.catchUpMs ?? 200) * this.sampleRate) / 1000);
    this.ring = new Int32Array(this.maxAheadSamples + this.delaySamples + this.sampleRate);
  }

  /** Samples played out so far. */
  get position(): number {
    return this.written;
  }

  /** Whether any audio was mixed since the start. */
  get started(): boolean {
    return this.anchor !== null;
  }

  private positionOfCapture(captureUs: number): number {
    if (!this.anchor) this.anchor = { captureUs, position: this.written + this.delaySamples };
    return this.anchor.position + Math.round(((captureUs - this.anchor.captureUs) * this.sampleRate) / 1_000_000);
  }

  private reanchor(captureUs: number): void {
    this.anchor = { captureUs, position: this.written + this.delaySamples };
    this.streams.clear();
    this.lateInARow = 0;
    this.stats.reanchored++;
  }

  /**
   * A batch arrived whose earliest packet was captured at `captureUs`: keeps playout just behind
   * the arrivals. The first batch is placed `delayMs` ahead of the playout position; a batch that
   * would be late moves playout back so that it plays `delayMs` ahead (one gap, then continuous
   * audio again); when every batch for `catchUpWindowMs` had more than `delayMs + catchUpMs` to
   * spare, playout moves forward by the excess, dropping what was buffered ahead (one skip).
   * A packet's lateness depends on when its batch arrives, and a batch holds up to the
   * rtp-collector's batch window of audio, so this measures the window instead of assuming it.
   */
  arrive(captureUs: number): void {
    if (!this.anchor) {
      this.positionOfCapture(captureUs);
      this.slackSince = this.written;
      return;
    }
    const slack = this.positionOfCapture(captureUs) - this.written;
    if (slack < 0) {
      this.stats.lateBatches++;
      this.reanchor(captureUs);
      this.minSlack = Number.POSITIVE_INFINITY;
      this.slackSince = this.written;
      return;
    }
    if (slack < this.minSlack) this.minSlack = slack;
    if (this.written - this.slackSince < this.catchUpWindowSamples) return;
    const excess = this.minSlack - this.delaySamples;
    if (excess > this.catchUpSamples) {
      this.anchor.position -= excess;
      this.streams.clear();
      this.ring.fill(0);
      this.stats.caughtUp++;
    }
    this.minSlack = Number.POSITIVE_INFINITY;
    this.slackSince = this.written;
  }

  /**
   * Adds one packet's audio, already at the output rate: `stream` names the stream (its key and
   * SSRC), `rtpTimestamp` and `clockRate` place it within the stream, `captureUs` across streams.
   */
  add(stream: string, captureUs: number, rtpTimestamp: number, clockRate: number, pcm: Int16Array): void {
    this.stats.packets++;
    let byCapture = this.positionOfCapture(captureUs);
    if (byCapture > this.written + this.maxAheadSamples) {
      this.stats.ahead++;
      this.reanchor(captureUs);
      byCapture = this.positionOfCapture(captureUs);
    }
    let s = this.streams.get(stream);
    let position = byCapture;
    if (s && s.clockRate === clockRate) {
      // RTP timestamps wrap at 2^32; the signed 32-bit difference is the step.
      const delta = ((rtpTimestamp - s.rtpTimestamp) | 0) * (this.sampleRate / clockRate);
      const byRtp = Math.round(s.position + delta);
      if (Math.abs(byRtp - byCapture) <= this.sampleRate / 5) position = byRtp;
      else s = undefined;
    } else s = undefined;
    if (!s) this.streams.set(stream, { rtpTimestamp, position: byCapture, clockRate });

    if (position + pcm.length <= this.written) {
      this.stats.late++;
      if (++this.lateInARow >= this.reanchorAfterLate) this.reanchor(captureUs);
      return;
    }
    this.lateInARow = 0;
    const start = Math.max(position, this.written);
    const end = Math.min(position + pcm.length, this.written + this.ring.length);
    for (let p = start; p < end; p++) {
      const i = p % this.ring.length;
      this.ring[i] = (this.ring[i] as number) + (pcm[p - position] as number);
    }
  }

  /** The next `n` samples of the mix (silence where nothing arrived), clipped to 16 bits. */
  take(n: number): Int16Array {
    const out = new Int16Array(n);
    for (let k = 0; k < n; k++) {
      const i = (this.written + k) % this.ring.length;
      const v = this.ring[i] as number;
      out[k] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      this.ring[i] = 0;
    }
    this.written += n;
    return out;
  }
}

/** PCM at `fromRate` to `toRate`: pairs averaged for 16 kHz → 8 kHz, linear interpolation otherwise. */
export function resamplePcm(pcm: Int16Array, fromRate: number, toRate: number): Int16Array {
  if (fromRate === toRate) return pcm;
  if (fromRate === toRate * 2) {
    const out = new Int16Array(pcm.length >>> 1);
    for (let i = 0; i < out.length; i++) out[i] = ((pcm[2 * i] as number) + (pcm[2 * i + 1] as number)) >> 1;
    return out;
  }
  const n = Math.floor((pcm.length * toRate) / fromRate);
  const out = new Int16Array(n);
  const step = fromRate / toRate;
  for (let i = 0; i < n; i++) {
    const x = i * step;
    const j = Math.floor(x);
    const a = pcm[j] ?? 0;
    const b = pcm[j + 1] ?? a;
    out[i] = Math.round(a + (b - a) * (x - j));
  }
  return out;
}
