// The integer readers and writers live in @earshot/bytes (shared by every wire codec); the
// checksum is packet's own.
export { u16be, u32be, u16le, u32le, w16be, w32be, w16le, w32le } from '@earshot/bytes';

/** The 16-bit one's complement of the one's complement sum (RFC 1071), continuing from `initial`. */
export function onesComplementSum(b: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
  if (i < end) sum += (b[i] ?? 0) << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

export function internetChecksum(b: Uint8Array, start: number, end: number, initial = 0): number {
  return ~onesComplementSum(b, start, end, initial) & 0xffff;
}
