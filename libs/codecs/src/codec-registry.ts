import { decodeL16Into } from './l16';
import { G722Decoder } from './g722';
import { PCMA_TABLE, PCMU_TABLE } from './g711';

export type CodecName = 'PCMU' | 'PCMA' | 'G722' | 'L16';

/**
 * A decoder for one stream. G.722 is stateful (ADPCM), so take one Codec per stream from
 * codecFor and feed its payloads in sequence order; the others are stateless.
 */
export interface Codec {
  name: CodecName;
  /** RTP clock rate (timestamp units per second): 8000 for G.722 too (RFC 3551). */
  clockRate: number;
  /** Rate of the decoded PCM: 16000 for G.722. */
  sampleRate: number;
  channels: 1;
  /** Decodes one payload to 16-bit PCM. Throws CodecDecodeError on a malformed payload. */
  decode(payload: Uint8Array): Int16Array;
  /** The same into `out` at `offset` (no allocation); returns the samples written. */
  decodeInto(payload: Uint8Array, out: Int16Array, offset?: number): number;
  /** PCM samples a payload of `payloadBytes` decodes to. */
  samplesPerPacket(payloadBytes: number): number;
  /** PCM samples covering `units` RTP timestamp units (for gaps: lost audio becomes this much silence). */
  samplesForTimestampUnits(units: number): number;
  /** `n` samples of silence (digital zero). */
  silence(n: number): Int16Array;
  /** Back to the initial decoder state. */
  reset(): void;
}

function g711(name: 'PCMU' | 'PCMA', table: Int16Array): Codec {
  const decodeInto = (payload: Uint8Array, out: Int16Array, offset = 0): number => {
    const n = payload.length;
    if (out.length - offset < n) throw new RangeError(`output has room for ${out.length - offset} samples, need ${n}`);
    for (let i = 0; i < n; i++) out[offset + i] = table[payload[i] as number] as number;
    return n;
  };
  return {
    name, clockRate: 8000, sampleRate: 8000, channels: 1,
    decode: (payload) => { const out = new Int16Array(payload.length); decodeInto(payload, out, 0); return out; },
    decodeInto,
    samplesPerPacket: (bytes) => bytes,
    samplesForTimestampUnits: (units) => units,
    silence: (n) => new Int16Array(n),
    reset: () => undefined,
  };
}

function g722(): Codec {
  const dec = new G722Decoder();
  return {
    name: 'G722', clockRate: 8000, sampleRate: 16000, channels: 1,
    decode: (payload) => dec.decode(payload),
    decodeInto: (payload, out, offset = 0) => dec.decodeInto(payload, out, offset),
    samplesPerPacket: (bytes) => bytes * 2,
    samplesForTimestampUnits: (units) => units * 2,
    silence: (n) => new Int16Array(n),
    reset: () => dec.reset(),
  };
}

function l16(rate: number): Codec {
  return {
    name: 'L16', clockRate: rate, sampleRate: rate, channels: 1,
    decode: (payload) => { const out = new Int16Array(payload.length >>> 1); decodeL16Into(payload, out, 0); return out; },
    decodeInto: (payload, out, offset = 0) => decodeL16Into(payload, out, offset),
    samplesPerPacket: (bytes) => bytes >>> 1,
    samplesForTimestampUnits: (units) => units,
    silence: (n) => new Int16Array(n),
    reset: () => undefined,
  };
}

/**
 * A fresh decoder for an SDP/rtpmap encoding name (case-insensitive, as RFC 4566 says) at its RTP
 * clock rate and channel count, or undefined when not supported: PCMU/8000, PCMA/8000, G722/8000,
 * L16 at any rate, mono only.
 */
export function codecFor(encodingName: string, clockRate: number, channels = 1): Codec | undefined {
  if (channels !== 1) return undefined;
  switch (encodingName.toUpperCase()) {
    case 'PCMU': return clockRate === 8000 ? g711('PCMU', PCMU_TABLE) : undefined;
    case 'PCMA': return clockRate === 8000 ? g711('PCMA', PCMA_TABLE) : undefined;
    case 'G722': return clockRate === 8000 ? g722() : undefined;
    case 'L16': return Number.isInteger(clockRate) && clockRate > 0 ? l16(clockRate) : undefined;
    default: return undefined;
  }
}
