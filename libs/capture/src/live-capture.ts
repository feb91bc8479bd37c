import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { CaptureRecord, LinkType } from '@earshot/packet';
import { CaptureError } from './errors';

/** Options of LiveCapture, validated when it starts. */
export interface LiveCaptureOptions {
  /** Interface to capture on ("eth0", "lo", "any"). Required. */
  interface: string;
  /** BPF filter (pcap-filter(7) syntax). Default "" (everything). */
  filter?: string;
  /**
   * Bytes kept of each packet, 64 to 262144. Default 65535. cap 0.2 always asks libpcap for 65535
   * bytes; this sets the size of the packet buffer, so longer packets are cut to it (counted as
   * `truncated`).
   */
  snapLength?: number;
  /** libpcap's kernel buffer in bytes, 65536 to 1 GiB. Default 16 MiB. */
  bufferSize?: number;
  /**
   * Copy each packet out of cap's single shared buffer. Default true. With false, a record's data
   * is valid only until the 'record' listener returns (cap reuses the buffer for the next packet).
   */
  copy?: boolean;
}

/** What a live capture has seen since it started. */
export interface LiveCaptureStats {
  packets: number;
  bytes: number;
  /** Packets longer than the snap length, cut. */
  truncated: number;
  /**
   * Packets the kernel dropped for this capture. null: cap 0.2.1 does not expose pcap_stats(), so
   * libpcap's own drop count cannot be read from Node; see interfaceDrops.
   */
  kernelDrops: number | null;
  /** The interface's receive drops since start (Linux /sys/class/net/<if>/statistics/rx_dropped), or null where unavailable. */
  interfaceDrops: number | null;
}

/** The part of cap's native Cap object used here (the package ships no types). */
interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): void;
  on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): void;
}
interface CapModule {
  Cap: new () => CapHandle;
  deviceList(): Array<{ name: string }>;
}

/**
 * Handles kept referenced for the process's life. cap 0.2.1 stops a handle's libuv poll without
 * closing it (on a failed open, and in close()) and then lets V8 collect the handle: the native
 * object is freed while libuv still points into it, which aborts or segfaults the process later.
 * Never collected, a handle cannot be freed under libuv.
 */
const retiredHandles: CapHandle[] = [];

/** LINKTYPE_* for the names cap's open() returns ("Unknown linktype 276" for the rest). */
const LINK_TYPES: Record<string, number> = {
  NULL: LinkType.NULL,
  ETHERNET: LinkType.ETHERNET,
  IEEE802_11_RADIO: 127,
  LINKTYPE_LINUX_SLL: LinkType.LINUX_SLL,
  RAW: LinkType.RAW,
};

function linkTypeOf(name: string): number {
  const known = LINK_TYPES[name];
  if (known !== undefined) return known;
  const m = /^Unknown linktype (\d+)$/.exec(name);
  if (m) {
    const dlt = Number(m[1]);
    return dlt === 276 ? LinkType.LINUX_SLL2 : dlt;
  }
  throw new CaptureError(`cap reported an unknown link type "${name}"`, { reason: 'open-failed' });
}

function integerOption(path: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new CaptureError(`${path} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`, { reason: 'bad-option' });
  }
  return value;
}

function readInterfaceDrops(iface: string): number | null {
  try {
    return Number(readFileSync(`/sys/class/net/${iface}/statistics/rx_dropped`, 'utf8').trim());
  } catch {
    return null;
  }
}

/**
 * Captures packets from a network interface with libpcap (through `cap`) and emits them as the
 * same CaptureRecords the file decoder produces, so the pipeline cannot tell live from offline.
 *
 * Capture time: cap 0.2 passes no libpcap timestamp to JavaScript, so a record's time is the wall
 * clock when the packet reaches Node (immediate mode on Linux keeps that close to arrival). It is
 * the one place the wall clock stands in for capture time.
 */
export class LiveCapture extends EventEmitter {
  private handle: CapHandle | null = null;
  private linkTypeValue = 0;
  private readonly stat = { packets: 0, bytes: 0, truncated: 0 };
  private dropsAtStart: number | null = null;
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
      bufferSize: integerOption('capture.bufferSize', options.bufferSize, 65536, 1 << 30, 16 * 1024 * 1024),
      copy: options.copy ?? true,
    };
  }

  override on(event: 'record', listener: (record: CaptureRecord) => void): this;
  override on(event: 'error', listener: (error: Error) => void): this;
  override on(event: string, listener: (...args: never[]) => void): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }

  /** LINKTYPE_* of the interface, once started. */
  get linkType(): number {
    return this.linkTypeValue;
  }

  /** Opens the interface and starts emitting 'record'. Throws CaptureError `open-failed` (no such interface, no permission, bad filter). */
  start(): void {
    if (this.handle !== null) return;
    // Loaded here, not at import: reading capture files must not need the native addon.
    const cap = require('cap') as CapModule;
    const handle = new cap.Cap();
    const buffer = Buffer.alloc(this.options.snapLength);
    let linkName: string;
    try {
      linkName = handle.open(this.options.interface, this.options.filter, this.options.bufferSize, buffer);
    } catch (e) {
      // A handle whose open failed must never be collected either (see retiredHandles).
      retiredHandles.push(handle);
      throw new CaptureError(`cannot capture on ${this.options.interface}: ${e instanceof Error ? e.message : String(e)}`, { reason: 'open-failed', cause: e });
    }
    this.linkTypeValue = linkTypeOf(linkName);
    this.dropsAtStart = readInterfaceDrops(this.options.interface);
    const copy = this.options.copy;
    handle.on('packet', (nbytes: number, truncated: boolean) => {
      const now = performance.timeOrigin + performance.now();
      const tsSec = Math.floor(now / 1000);
      this.stat.packets++;
      this.stat.bytes += nbytes;
      if (truncated) this.stat.truncated++;
      const view = buffer.subarray(0, nbytes);
      const record: CaptureRecord = {
        linkType: this.linkTypeValue,
        tsSec,
        tsNanos: Math.min(999_999_999, Math.round((now - tsSec * 1000) * 1e6)),
        capturedLength: nbytes,
        // cap reports only the captured length; a cut packet's true length is unknown.
        originalLength: nbytes,
        data: copy ? Uint8Array.prototype.slice.call(view) : view,
        interfaceId: 0,
      };
      this.emit('record', record);
    });
    this.handle = handle;
  }

  /** Stops capturing. */
  stop(): void {
    if (this.handle === null) return;
    this.handle.close();
    retiredHandles.push(this.handle);
    this.handle = null;
  }

  stats(): LiveCaptureStats {
    const drops = readInterfaceDrops(this.options.interface);
    return {
      ...this.stat,
      kernelDrops: null,
      interfaceDrops: drops === null || this.dropsAtStart === null ? null : drops - this.dropsAtStart,
    };
  }

  /** Names of the interfaces libpcap can open. */
  static interfaces(): string[] {
    const cap = require('cap') as CapModule;
    return cap.deviceList().map((d) => d.name);
  }
}
