/**
 * One captured packet, from a file or a live interface.
 *
 * Capture time is two numbers, whole seconds since 1970 and nanoseconds within that second, so a
 * nanosecond file keeps its precision without a bigint per packet (a float of seconds would lose
 * it: 1.7e9 s needs 31 bits, leaving 22 for the fraction, about 0.24 µs). Use captureTimeNanos()
 * when one comparable value is needed, captureTimeSeconds() for timeouts.
 */
export interface CaptureRecord {
  /** LINKTYPE_* of the interface it was captured on. */
  linkType: number;
  tsSec: number;
  /** 0 to 999,999,999. */
  tsNanos: number;
  /** Bytes captured (data.length). */
  capturedLength: number;
  /** Bytes on the wire; larger than capturedLength when the snap length cut the packet. */
  originalLength: number;
  /** The captured bytes: a view into the chunk read, never modified afterwards; copy to keep it past the chunk's life. */
  data: Uint8Array;
  /** pcapng interface number; 0 for pcap and live capture. */
  interfaceId: number;
}

/** Capture time as a bigint count of nanoseconds since 1970 (exact). */
export function captureTimeNanos(r: { tsSec: number; tsNanos: number }): bigint {
  return BigInt(r.tsSec) * 1_000_000_000n + BigInt(r.tsNanos);
}

/** Capture time as float seconds since 1970: precise to a fraction of a microsecond, enough for timeouts and windows. */
export function captureTimeSeconds(r: { tsSec: number; tsNanos: number }): number {
  return r.tsSec + r.tsNanos / 1e9;
}

/** Capture time as whole microseconds since 1970 (a safe integer until the year 2255). */
export function captureTimeMicros(r: { tsSec: number; tsNanos: number }): number {
  return r.tsSec * 1_000_000 + Math.floor(r.tsNanos / 1000);
}
