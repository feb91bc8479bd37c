import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { CaptureError } from './errors';

const NATIVE_DIR = join(__dirname, '..', 'native');
/** Where libs/capture/native/build.sh puts the addon (git-ignored; tools/ensure-deps.sh builds it). */
export const NATIVE_ADDON_PATH = join(NATIVE_DIR, 'build', 'earshot_pcap.node');

function modifiedMs(path: string): number | null {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return null;
  }
}

/**
 * Builds the addon when it is missing or older than its C source (a checkout that changed the
 * source must not run the old binary); build.sh renames the result into place, so processes
 * starting together never load a half-written file.
 */
function buildIfStale(): void {
  const built = modifiedMs(NATIVE_ADDON_PATH);
  const source = modifiedMs(join(NATIVE_DIR, 'earshot_pcap.c'));
  if (built !== null && (source === null || built >= source)) return;
  const r = spawnSync('bash', [join(NATIVE_DIR, 'build.sh')], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new CaptureError(
      `live capture needs the earshot_pcap addon, and building it failed (bash libs/capture/native/build.sh): ${(r.stderr || r.error?.message || '').trim()}`,
      { reason: 'open-failed' },
    );
  }
}

/** Options the addon's open() takes; LiveCapture validates them first. */
export interface NativeOpenOptions {
  interface: string;
  filter: string;
  snapLength: number;
  bufferSize: number;
  timeoutMs: number;
  chunkSize: number;
  queueSize: number;
  flushMs: number;
  statsMs: number;
}

/** An open libpcap handle drained by the addon's capture thread. */
export interface NativeHandle {
  /** pcap_datalink(): a DLT_* value. */
  readonly linkType: number;
  /** False when the interface only gives microsecond timestamps (they are then scaled to nanoseconds). */
  readonly nanosecondTimestamps: boolean;
}

/** The addon's counters: libpcap's (from pcap_stats, widened past 32 bits) and the capture thread's own. */
export interface NativeStats {
  /** ps_recv; null until the thread's first pcap_stats. On `lo` every packet is counted twice (out and in). */
  received: number | null;
  /** ps_drop: packets the kernel dropped for this handle (its buffer was full). */
  kernelDrops: number | null;
  /** ps_ifdrop: packets the interface dropped since the handle opened. */
  interfaceDrops: number | null;
  captured: number;
  capturedBytes: number;
  truncated: number;
  /** Packets read from libpcap but dropped because the queue to JavaScript was full. */
  queueDrops: number;
  queueDroppedBytes: number;
  /** Memory held by chunks waiting for JavaScript. */
  queuedBytes: number;
}

/**
 * Receives each chunk of records, on the JavaScript thread, or (null, message) when the capture
 * thread stopped on an error.
 */
export type NativeChunkListener = (chunk: ArrayBuffer | null, error: string | undefined) => void;

/** The earshot_pcap addon (libs/capture/native/earshot_pcap.c). */
export interface NativePcap {
  readonly libpcapVersion: string;
  /** Throws an Error whose code is 'open-failed' and whose message is libpcap's. */
  open(options: NativeOpenOptions, onChunk: NativeChunkListener): NativeHandle;
  /** Stops the thread, hands over the chunks read before, closes libpcap. Idempotent. */
  close(handle: NativeHandle): void;
  stats(handle: NativeHandle): NativeStats;
  interfaces(): string[];
}

let loaded: NativePcap | null = null;

/** Loads the addon on first use (building it first if it is missing or stale), so reading capture files never needs it. */
export function nativePcap(): NativePcap {
  if (loaded !== null) return loaded;
  buildIfStale();
  try {
    loaded = require(NATIVE_ADDON_PATH) as NativePcap;
  } catch (e) {
    throw new CaptureError(`cannot load ${NATIVE_ADDON_PATH}: ${e instanceof Error ? e.message : String(e)}`, { reason: 'open-failed', cause: e });
  }
  return loaded;
}

/** Bytes before each record's data in a chunk: ts seconds, ts nanoseconds, captured and original length (u32 each). */
export const RECORD_HEADER_BYTES = 16;
