import { alaw, mulaw } from 'alawmulaw';

/*
 * G.711 (ITU-T G.711, RFC 3551 §4.5.14 PCMU / PCMA): one byte per sample, 8000 Hz.
 * μ-law:  sign(1) exponent(3) mantissa(4), all bits inverted on the wire.
 * A-law:  sign(1) exponent(3) mantissa(4), even bits inverted (XOR 0x55) on the wire.
 * The 256 decoded values come from alawmulaw (by the author of wavefile) once, into tables:
 * a table lookup per byte is several times faster than calling decodeSample per byte.
 */
const CODES = 256;

/** 16-bit PCM value of every μ-law code byte. */
export const PCMU_TABLE: Int16Array = Int16Array.from({ length: CODES }, (_, code) => mulaw.decodeSample(code));
/** 16-bit PCM value of every A-law code byte. */
export const PCMA_TABLE: Int16Array = Int16Array.from({ length: CODES }, (_, code) => alaw.decodeSample(code));

/** Decodes G.711 bytes through `table` into `out` at `offset`; returns the samples written. */
function decodeWith(table: Int16Array, payload: Uint8Array, out: Int16Array, offset: number): number {
  const n = payload.length;
  if (out.length - offset < n) throw new RangeError(`output has room for ${out.length - offset} samples, need ${n}`);
  for (let i = 0; i < n; i++) out[offset + i] = table[payload[i] as number] as number;
  return n;
}

export function decodePcmuInto(payload: Uint8Array, out: Int16Array, offset = 0): number {
  return decodeWith(PCMU_TABLE, payload, out, offset);
}
export function decodePcmaInto(payload: Uint8Array, out: Int16Array, offset = 0): number {
  return decodeWith(PCMA_TABLE, payload, out, offset);
}
export function decodePcmu(payload: Uint8Array): Int16Array {
  const out = new Int16Array(payload.length);
  decodePcmuInto(payload, out, 0);
  return out;
}
export function decodePcma(payload: Uint8Array): Int16Array {
  const out = new Int16Array(payload.length);
  decodePcmaInto(payload, out, 0);
  return out;
}

/** Encodes 16-bit PCM to μ-law (alawmulaw's encoder; used by tests and tools to build payloads). */
export function encodePcmu(samples: Int16Array): Uint8Array {
  return mulaw.encode(samples);
}
/** Encodes 16-bit PCM to A-law. */
export function encodePcma(samples: Int16Array): Uint8Array {
  return alaw.encode(samples);
}
