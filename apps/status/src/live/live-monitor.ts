import type { RtpBatch } from '@earshot/events';
import { mediaKeyEndpoints } from './media-key';
import { LiveCallAudio, type CallMedia } from './live-call-audio';
import { LiveMixer } from './live-mixer';
import { endlessWavHeader, pcmBytes } from './live-wav';
import type { RtpTapListener } from './live-rtp-tap';

/** Where a live session writes: the HTTP response, as far as the session needs it. */
export interface AudioSink {
  write(chunk: Buffer): boolean;
  end(): void;
  /** Bytes written but not yet taken by the client. */
  readonly writableLength: number;
}

export interface LiveMonitorOptions {
  callId: string;
  media: CallMedia;
  /** Playout delay behind the first packet, ms. */
  delayMs: number;
  /** Silence sent at once so a player can start, ms (it adds to the delay a listener hears). Default 100. */
  prebufferMs?: number;
  /** Output rate. Default 8000. */
  sampleRate?: number;
  /** Pacing tick, ms. Default 100. */
  tickMs?: number;
  /** A client this far behind (bytes not taken) is dropped. Default 1 MiB (about a minute). */
  maxBacklogBytes?: number;
  /** The wall clock; tests give their own. */
  now?: () => number;
}

/**
 * One listener of one call: an endless WAV (PCM16 mono, 8 kHz) written to the sink in real time,
 * the mix of the call's streams as they arrive from the tap, silence where nothing arrived. The
 * wall clock paces it: live monitoring is the one place where playout follows real time.
 */
export class LiveMonitor implements RtpTapListener {
  readonly audio: LiveCallAudio;
  private readonly mixer: LiveMixer;
  private readonly now: () => number;
  private readonly sampleRate: number;
  private readonly prebufferSamples: number;
  private startedAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private endAt: number | null = null;
  private closed = false;
  private bytes = 0;
  private onClose: Array<(reason: string) => void> = [];

  constructor(
    private readonly sink: AudioSink,
    private readonly options: LiveMonitorOptions,
  ) {
    this.sampleRate = options.sampleRate ?? 8000;
    this.mixer = new LiveMixer({ sampleRate: this.sampleRate, delayMs: options.delayMs });
    this.audio = new LiveCallAudio(this.mixer, options.media);
    this.now = options.now ?? Date.now;
    this.prebufferSamples = Math.round(((options.prebufferMs ?? 100) * this.sampleRate) / 1000);
  }

  /** Writes the header and the first silence, then keeps writing every tick until closed. */
  start(): void {
    this.startedAt = this.now();
    this.write(endlessWavHeader(this.sampleRate));
    this.pump();
    this.timer = setInterval(() => this.pump(), this.options.tickMs ?? 100);
  }

  /** Samples written so far. */
  get samplesWritten(): number {
    return this.mixer.position;
  }

  get bytesWritten(): number {
    return this.bytes;
  }

  get mixerStats(): LiveMixer['stats'] {
    return this.mixer.stats;
  }

  mediaKeys(): string[] | null {
    const endpoints = [...this.audio.endpoints].sort();
    if (endpoints.length === 0) return null;
    // Every pair of the call's SDP endpoints, joined as the rtp lib's mediaKey does (sorted, `a|b`).
    const keys: string[] = [];
    for (let i = 0; i < endpoints.length; i++) for (let j = i + 1; j < endpoints.length; j++) keys.push(`${endpoints[i]}|${endpoints[j]}`);
    return keys;
  }

  wantsKey(mediaKey: string): boolean {
    const endpoints = this.audio.endpoints;
    // Without SDP endpoints only the batch's callId can tell: decode everything.
    if (endpoints.size === 0) return true;
    return mediaKeyEndpoints(mediaKey).some((e) => endpoints.has(e));
  }

  matches(batch: RtpBatch): boolean {
    return this.audio.matches(batch, this.options.callId);
  }

  onBatch(batch: RtpBatch): void {
    if (this.closed) return;
    if (batch.stream.protocol === 'RTP' && batch.packets.length > 0) {
      let earliest = Number.POSITIVE_INFINITY;
      for (const p of batch.packets) if (p.captureTimeUs < earliest) earliest = p.captureTimeUs;
      this.mixer.arrive(earliest);
    }
    this.audio.add(batch);
  }

  updateMedia(media: CallMedia): void {
    this.audio.updateMedia(media);
  }

  /** The call ended: play out what is buffered (the delay and a little more), then end the stream. */
  callEnded(): void {
    if (this.endAt === null) this.endAt = this.now() + this.options.delayMs + 500;
  }

  /** Called once with why the stream ended: `call-ended`, `client-gone`, `client-stalled` or `stopped`. */
  whenClosed(fn: (reason: string) => void): void {
    this.onClose.push(fn);
  }

  close(reason = 'stopped'): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (reason !== 'client-gone') this.sink.end();
    for (const fn of this.onClose.splice(0)) fn(reason);
  }

  private write(chunk: Buffer): void {
    this.bytes += chunk.length;
    this.sink.write(chunk);
  }

  private pump(): void {
    if (this.closed) return;
    if (this.sink.writableLength > (this.options.maxBacklogBytes ?? 1 << 20)) { this.close('client-stalled'); return; }
    const now = this.now();
    const due = Math.floor(((now - this.startedAt) * this.sampleRate) / 1000) + this.prebufferSamples;
    const n = due - this.mixer.position;
    if (n > 0) this.write(pcmBytes(this.mixer.take(n)));
    if (this.endAt !== null && now >= this.endAt) this.close('call-ended');
  }
}
