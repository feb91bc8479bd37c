import { CodecDecodeError } from './codec-error';

/*
 * L16 (RFC 3551 §4.5.11): 16-bit signed samples in network byte order (big-endian), here mono.
 *  0                   1
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   sample (MSB first, signed)  |  ... one per sample
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
const BYTES_PER_SAMPLE = 2;

/** Decodes big-endian L16 into `out` at `offset`; returns the samples written. Throws CodecDecodeError on an odd length. */
export function decodeL16Into(payload: Uint8Array, out: Int16Array, offset = 0): number {
  if (payload.length % BYTES_PER_SAMPLE !== 0) {
    throw new CodecDecodeError(`L16 payload of ${payload.length} bytes is not a whole number of 16-bit samples`, { reason: 'odd-length' });
  }
  const n = payload.length / BYTES_PER_SAMPLE;
  if (out.length - offset < n) throw new RangeError(`output has room for ${out.length - offset} samples, need ${n}`);
  for (let i = 0, j = 0; i < n; i++, j += 2) out[offset + i] = ((payload[j] as number) << 8) | (payload[j + 1] as number);
  return n;
}

export function decodeL16(payload: Uint8Array): Int16Array {
  const out = new Int16Array(payload.length >>> 1);
  decodeL16Into(payload, out, 0);
  return out;
}

/** Encodes 16-bit PCM as big-endian L16. */
export function encodeL16(samples: Int16Array): Uint8Array {
  const out = new Uint8Array(samples.length * BYTES_PER_SAMPLE);
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i] as number;
    out[2 * i] = (v >> 8) & 0xff;
    out[2 * i + 1] = v & 0xff;
  }
  return out;
}
