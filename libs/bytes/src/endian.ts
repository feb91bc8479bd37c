// Byte readers and writers for Uint8Array. Callers check lengths first; the `?? 0` only satisfies
// noUncheckedIndexedAccess and is never taken after such a check. They allocate nothing, so the
// per-packet path needs no DataView.

export function u16be(b: Uint8Array, o: number): number {
  return ((b[o] ?? 0) << 8) | (b[o + 1] ?? 0);
}

export function u32be(b: Uint8Array, o: number): number {
  return (b[o] ?? 0) * 0x1000000 + (((b[o + 1] ?? 0) << 16) | ((b[o + 2] ?? 0) << 8) | (b[o + 3] ?? 0));
}

export function u16le(b: Uint8Array, o: number): number {
  return (b[o] ?? 0) | ((b[o + 1] ?? 0) << 8);
}

export function u32le(b: Uint8Array, o: number): number {
  return (b[o + 3] ?? 0) * 0x1000000 + (((b[o + 2] ?? 0) << 16) | ((b[o + 1] ?? 0) << 8) | (b[o] ?? 0));
}

export function w16be(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}

export function w32be(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

export function w16le(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
}

export function w32le(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = (v >>> 24) & 0xff;
}

const TWO_32 = 0x100000000;

/** A big-endian u64 as a number: exact up to 2^53 (capture times in µs); callers bound the high word. */
export function u64be(b: Uint8Array, o: number): number {
  return u32be(b, o) * TWO_32 + u32be(b, o + 4);
}

/** Writes a non-negative safe integer as a big-endian u64. */
export function w64be(b: Uint8Array, o: number, v: number): void {
  w32be(b, o, Math.floor(v / TWO_32));
  w32be(b, o + 4, v % TWO_32);
}

/** A big-endian IEEE 754 double. */
export function f64be(b: Uint8Array, o: number): number {
  return new DataView(b.buffer, b.byteOffset + o, 8).getFloat64(0);
}

/** Writes a big-endian IEEE 754 double. */
export function wf64be(b: Uint8Array, o: number, v: number): void {
  new DataView(b.buffer, b.byteOffset + o, 8).setFloat64(0, v);
}
