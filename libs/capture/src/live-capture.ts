import { EventEmitter } from 'node:events';
import { CaptureRecord, LinkType } from '@earshot/packet';
import { ChunkTotals, decodeCaptureChunk } from './capture-chunk';
import { CaptureError } from './errors';
import { NativeHandle, NativeStats, nativePcap } from './native-pcap';

const MIB = 1024 * 1024;

/** Options of LiveCapture, validated when it is constructed. */
export interface LiveCaptureOptions {
  /** Interface to capture on ("eth0", "lo", "any"). Required. */
  interface: string;
  /** BPF filter (pcap-filter(7) syntax). Default "" (everything). */
  filter?: string;
  /** Bytes kept of each packet, 64 to 262144. Default 65535. Longer packets are cut (counted as `truncated`). */
  snapLength?: number;
  /**
   * libpcap's kernel ring in bytes, 65536 to 1 GiB. Default 64 MiB. It holds what arrives while the
   * capture thread is not reading (the thread never waits for JavaScript). Linux packs packets into
   * the ring's blocks (TPACKET_V3), so 64 MiB holds about 200,000 RTP packets, 15 s at 200 calls.
   */
  bufferSize?: number;
  /**
   * Memory for chunks read but not yet taken by JavaScript, 1 MiB to 4 GiB. Default 128 MiB: at
   * 13,000 packets/s, some 30 s of JavaScript stall. Chunks that find it full are dropped and
   * counted (`queueDrops`).
   */
  queueSize?: number;
  /** Bytes of one chunk handed to JavaScript, 4 KiB to 64 MiB. Default 256 KiB. */
  chunkSize?: number;
  /**
   * Longest a packet waits in a partly filled chunk or kernel block, 1 to 1000 ms. Default 10 ms:
   * it is libpcap's read timeout and the chunk flush interval, the latency added before JavaScript.
   */
  flushMs?: number;
}

/** What a live capture has seen since it was made (summed over its starts). */
export interface LiveCaptureStats {
  /** Packets handed to the listeners. */
  packets: number;
  /** Captured bytes handed to the listeners. */
  bytes: number;
  /** Packets longer than the snap length, cut. */
  truncated: number;
  /** Packets the kernel dropped for this capture because its ring was full (libpcap's ps_drop). */
  kernelDrops: number;
  /** Packets the interface itself dropped while capturing (libpcap's ps_ifdrop; Linux's rx_dropped). */
  interfaceDrops: number;
  /** Packets read from the kernel but dropped because JavaScript left the queue full. */
  queueDrops: number;
  /** Memory held by chunks waiting for JavaScript now. */
  queuedBytes: number;
}

function integerOption(path: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new CaptureError(`${path} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`, { reason: 'bad-option' });
  }
  return value;
}

/** LINKTYPE_* of a DLT_* value: equal except the platform-specific raw-IP DLTs. */
function linkTypeOfDlt(dlt: number): number {
  return dlt === 12 || dlt === 14 ? LinkType.RAW : dlt;
}

const ZERO_COUNTS = { kernelDrops: 0, interfaceDrops: 0, queueDrops: 0 };

/**
 * Captures packets from a network interface with libpcap and emits them as the same CaptureRecords
 * the file decoder produces, so the pipeline cannot tell live from offline. Records carry the
 * kernel's capture time (nanoseconds where the interface gives them) and the original length.
 *
 * A thread of the earshot_pcap addon drains libpcap into chunks, so the kernel ring keeps being
 * read while JavaScript is busy; chunks wait in a bounded queue. Every loss is counted: in the
 * kernel (`kernelDrops`), at the interface (`interfaceDrops`), in the queue (`queueDrops`).
 *
 * Events: 'batch' with the records of one chunk (cheapest: one call per chunk), 'record' with each
 * record, 'error' with a CaptureError `capture-failed` when the capture stops by itself.
 */
export class LiveCapture extends EventEmitter {
  private handle: NativeHandle | null = null;
  private linkTypeValue = 0;
  private readonly totals: ChunkTotals = { packets: 0, bytes: 0, truncated: 0 };
  /** Counters of the handles closed so far, so stats() sums over start/stop cycles. */
  private closedCounts = { ...ZERO_COUNTS };
  private readonly options: Required<LiveCaptureOptions>;

  constructor(options: LiveCaptureOptions) {
    super();
    if (typeof options.interface !== 'string' || options.interface === '') {
      throw new CaptureError(`capture.interface must be an interface name, got ${JSON.stringify(options.interface)}`, { reason: 'bad-option' });
    }
    if (options.filter !== undefined && typeof options.filter !== 'string') {
      throw new CaptureError(`capture.filter must be a BPF filter string, got ${JSON.stringify(options.filter)}`, { reason: 'bad-option' });
    }
    this.options = {
      interface: options.interface,
      filter: options.filter ?? '',
      snapLength: integerOption('capture.snapLength', options.snapLength, 64, 262144, 65535),
      bufferSize: integerOption('capture.bufferSize', options.bufferSize, 65536, 1 << 30, 64 * MIB),
      queueSize: integerOption('capture.queueSize', options.queueSize, MIB, 4096 * MIB - 1, 128 * MIB),
      chunkSize: integerOption('capture.chunkSize', options.chunkSize, 4096, 64 * MIB, 256 * 1024),
      flushMs: integerOption('capture.flushMs', options.flushMs, 1, 1000, 10),
    };
    if (this.options.chunkSize > this.options.queueSize) {
      // A chunk larger than the whole queue could never be queued: every packet would be dropped.
      throw new CaptureError(`capture.chunkSize (${this.options.chunkSize}) must not exceed capture.queueSize (${this.options.queueSize})`, { reason: 'bad-option' });
    }
  }

  override on(event: 'batch', listener: (records: CaptureRecord[]) => void): this;
  override on(event: 'record', listener: (record: CaptureRecord) => void): this;
  override on(event: 'error', listener: (error: Error) => void): this;
  override on(event: string, listener: (...args: never[]) => void): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }

  /** LINKTYPE_* of the interface, once started. */
  get linkType(): number {
    return this.linkTypeValue;
  }

  /** True between start() and stop() (or until the capture failed by itself). */
  get running(): boolean {
    return this.handle !== null;
  }

  /**
   * Opens the interface and starts emitting. Throws CaptureError `open-failed` with libpcap's
   * message (no such interface, no permission, bad filter) or when the addon is not built.
   */
  start(): void {
    if (this.handle !== null) return;
    const native = nativePcap();
    const o = this.options;
    let handle: NativeHandle;
    try {
      handle = native.open(
        { interface: o.interface, filter: o.filter, snapLength: o.snapLength, bufferSize: o.bufferSize, timeoutMs: o.flushMs, chunkSize: o.chunkSize, queueSize: o.queueSize, flushMs: o.flushMs, statsMs: 250 },
        (chunk, error) => this.onChunk(chunk, error),
      );
    } catch (e) {
      throw new CaptureError(`cannot capture on ${o.interface}: ${e instanceof Error ? e.message : String(e)}`, { reason: 'open-failed', cause: e });
    }
    this.linkTypeValue = linkTypeOfDlt(handle.linkType);
    this.handle = handle;
  }

  /**
   * Stops capturing. Every packet that reached the kernel before the call is emitted before it
   * returns (it reads on for one `flushMs`, until the kernel hands over its last block); none after.
   */
  stop(): void {
    const handle = this.handle;
    if (handle === null) return;
    const native = nativePcap();
    native.close(handle);
    this.retire(handle, native.stats(handle));
  }

  stats(): LiveCaptureStats {
    const live = this.handle === null ? null : nativePcap().stats(this.handle);
    const c = this.closedCounts;
    return {
      ...this.totals,
      kernelDrops: c.kernelDrops + (live?.kernelDrops ?? 0),
      interfaceDrops: c.interfaceDrops + (live?.interfaceDrops ?? 0),
      queueDrops: c.queueDrops + (live?.queueDrops ?? 0),
      queuedBytes: live?.queuedBytes ?? 0,
    };
  }

  /** Names of the interfaces libpcap can open. */
  static interfaces(): string[] {
    return nativePcap().interfaces();
  }

  private retire(handle: NativeHandle, last: NativeStats): void {
    if (this.handle !== handle) return;
    this.handle = null;
    const c = this.closedCounts;
    this.closedCounts = {
      kernelDrops: c.kernelDrops + (last.kernelDrops ?? 0),
      interfaceDrops: c.interfaceDrops + (last.interfaceDrops ?? 0),
      queueDrops: c.queueDrops + last.queueDrops,
    };
  }

  private onChunk(chunk: ArrayBuffer | null, error: string | undefined): void {
    if (chunk === null) {
      // The capture thread ended on an error: close the handle, keep its counts, say so.
      const handle = this.handle;
      if (handle !== null) {
        const native = nativePcap();
        native.close(handle);
        this.retire(handle, native.stats(handle));
      }
      this.emit('error', new CaptureError(`capture on ${this.options.interface} stopped: ${error ?? 'unknown error'}`, { reason: 'capture-failed' }));
      return;
    }
    const records: CaptureRecord[] = [];
    decodeCaptureChunk(chunk, this.linkTypeValue, records, this.totals);
    if (this.listenerCount('batch') > 0) this.emit('batch', records);
    if (this.listenerCount('record') > 0) {
      for (const record of records) this.emit('record', record);
    }
  }
}
