import { PacketEncodeError } from './errors';

/** "192.0.2.1" from the 4 bytes at `o` (the caller checked the length). */
export function formatIpv4(b: Uint8Array, o: number): string {
  return `${b[o] ?? 0}.${b[o + 1] ?? 0}.${b[o + 2] ?? 0}.${b[o + 3] ?? 0}`;
}

/**
 * The RFC 5952 text form of the 16 bytes at `o`: lowercase, no leading zeros, the longest run of
 * two or more zero groups (the first on a tie) as "::", and IPv4-mapped addresses as ::ffff:a.b.c.d.
 * One canonical form matters: stream keys built from it must match the SDP's addresses.
 */
export function formatIpv6(b: Uint8Array, o: number): string {
  let bestStart = -1;
  let bestLen = 0;
  let runStart = -1;
  for (let g = 0; g < 8; g++) {
    const zero = (b[o + 2 * g] ?? 0) === 0 && (b[o + 2 * g + 1] ?? 0) === 0;
    if (zero) {
      if (runStart < 0) runStart = g;
      const len = g - runStart + 1;
      if (len > bestLen) {
        bestLen = len;
        bestStart = runStart;
      }
    } else runStart = -1;
  }
  if (bestStart === 0 && bestLen === 5 && (b[o + 10] ?? 0) === 0xff && (b[o + 11] ?? 0) === 0xff) {
    return `::ffff:${formatIpv4(b, o + 12)}`;
  }
  if (bestLen < 2) bestStart = -1;
  let s = '';
  for (let g = 0; g < 8; g++) {
    if (g === bestStart) {
      s += g === 0 ? '::' : ':';
      g += bestLen - 1;
      continue;
    }
    s += (((b[o + 2 * g] ?? 0) << 8) | (b[o + 2 * g + 1] ?? 0)).toString(16);
    if (g < 7) s += ':';
  }
  return s;
}

const IPV4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The 4 bytes of a dotted-quad address; throws PacketEncodeError `bad-address` otherwise. */
export function parseIpv4(text: string): Uint8Array {
  const m = IPV4_RE.exec(text);
  const out = new Uint8Array(4);
  if (m) {
    for (let i = 0; i < 4; i++) {
      const n = Number(m[i + 1]);
      if (n > 255) break;
      out[i] = n;
      if (i === 3) return out;
    }
  }
  throw new PacketEncodeError(`not an IPv4 address: "${text}"`, 'bad-address');
}

/** The 16 bytes of an IPv6 address (with "::" and a trailing dotted quad allowed). */
export function parseIpv6(text: string): Uint8Array {
  const fail = (): never => {
    throw new PacketEncodeError(`not an IPv6 address: "${text}"`, 'bad-address');
  };
  const halves = text.split('::');
  if (halves.length > 2) fail();
  const groups = (part: string | undefined): number[] => {
    if (part === undefined || part === '') return [];
    const out: number[] = [];
    const items = part.split(':');
    items.forEach((item, i) => {
      if (i === items.length - 1 && item.includes('.')) {
        const v4 = parseIpv4(item);
        out.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
      } else if (/^[0-9a-fA-F]{1,4}$/.test(item)) out.push(parseInt(item, 16));
      else fail();
    });
    return out;
  };
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) fail();
  const all = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >>> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/** 4 or 6 by the text form; the bytes of it. */
export function parseIpAddress(text: string): { version: 4 | 6; bytes: Uint8Array } {
  return text.includes(':') ? { version: 6, bytes: parseIpv6(text) } : { version: 4, bytes: parseIpv4(text) };
}
