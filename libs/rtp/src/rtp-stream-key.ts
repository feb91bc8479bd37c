import { EarshotError } from '@earshot/errors';

/** A stream key or endpoint string that cannot be parsed. */
export class RtpStreamKeyError extends EarshotError {}

/** One side of a media session. */
export interface RtpEndpoint {
  ip: string;
  port: number;
}

/** One RTP stream: the UDP 5-tuple it travels on plus its SSRC. */
export interface RtpStreamKey {
  srcIp: string;
  srcPort: number;
  dstIp: string;
  dstPort: number;
  protocol: 'udp';
  ssrc: number;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * The canonical text of an IP address, so the same address always gives the same key whichever
 * component saw it: IPv4 dotted decimal without leading zeros, IPv6 in RFC 5952 form (lower case,
 * longest run of two or more zero groups as `::`, leftmost on ties), a zone (`%eth0`) kept.
 * Throws RtpStreamKeyError on anything else.
 */
export function canonicalIp(ip: string): string {
  const v4 = IPV4.exec(ip);
  if (v4) {
    const parts = v4.slice(1).map(Number);
    if (parts.some((n) => n > 255)) throw new RtpStreamKeyError(`bad IPv4 address "${ip}"`, { reason: 'bad-ip' });
    return parts.join('.');
  }
  const groups = parseIpv6(ip);
  if (!groups) throw new RtpStreamKeyError(`bad IP address "${ip}"`, { reason: 'bad-ip' });
  const zoneAt = ip.indexOf('%');
  const zone = zoneAt >= 0 ? ip.slice(zoneAt) : '';
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':') + zone;
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}${zone}`;
}

function parseIpv6(text: string): number[] | null {
  const zoneAt = text.indexOf('%');
  let ip = zoneAt >= 0 ? text.slice(0, zoneAt) : text;
  const lastColon = ip.lastIndexOf(':');
  if (lastColon < 0) return null;
  const last = ip.slice(lastColon + 1);
  if (last.includes('.')) {
    // An embedded IPv4 tail (::ffff:192.0.2.1) becomes two hex groups.
    const v4 = IPV4.exec(last);
    if (!v4) return null;
    const b = v4.slice(1).map(Number);
    if (b.some((n) => n > 255)) return null;
    const hi = (((b[0] as number) << 8) | (b[1] as number)).toString(16);
    const lo = (((b[2] as number) << 8) | (b[3] as number)).toString(16);
    ip = `${ip.slice(0, lastColon + 1)}${hi}:${lo}`;
  }
  const halves = ip.split('::');
  if (halves.length > 2) return null;
  const parse = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parse(halves[0] ?? '');
  const rest = halves.length === 2 ? parse(halves[1] ?? '') : [];
  if (!head || !rest) return null;
  const given = head.length + rest.length;
  if (halves.length === 2) {
    if (given > 7) return null;
    return [...head, ...new Array<number>(8 - given).fill(0), ...rest];
  }
  return given === 8 ? head : null;
}

/** `ip:port`, IPv6 in brackets (`[::1]:4000`), the address in canonical form. */
export function endpointString(ip: string, port: number): string {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RtpStreamKeyError(`bad port ${port}`, { reason: 'bad-port' });
  const c = canonicalIp(ip);
  return c.includes(':') ? `[${c}]:${port}` : `${c}:${port}`;
}

/** Parses `ip:port` or `[ipv6]:port` back into an endpoint with a canonical address. */
export function parseEndpoint(text: string): RtpEndpoint {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]]+):(\d{1,5})$/.exec(text);
  if (!m) throw new RtpStreamKeyError(`bad endpoint "${text}", expected ip:port or [ipv6]:port`, { reason: 'bad-endpoint' });
  const port = Number(m[2]);
  if (port > 65535) throw new RtpStreamKeyError(`bad port in "${text}"`, { reason: 'bad-port' });
  return { ip: canonicalIp(m[1] as string), port };
}

/**
 * The media key (the Kafka key of qm.rtp.v1): both endpoints as `ip:port`, sorted by UTF-16 code
 * units (plain `<`, never locale order) and joined by `|` (as the RtpBatch schema documents), so both
 * directions of a session give the same string: `10.0.0.1:4000|10.0.0.2:5000`.
 */
export function mediaKey(a: RtpEndpoint, b: RtpEndpoint): string {
  const x = endpointString(a.ip, a.port);
  const y = endpointString(b.ip, b.port);
  return x <= y ? `${x}|${y}` : `${y}|${x}`;
}

/** The media key of the session a stream belongs to. */
export function mediaKeyOf(k: RtpStreamKey): string {
  return mediaKey({ ip: k.srcIp, port: k.srcPort }, { ip: k.dstIp, port: k.dstPort });
}

/** Canonical text of a stream key: `udp 10.0.0.1:4000>10.0.0.2:5000 ssrc=0badcafe` (SSRC as 8 hex digits). */
export function rtpStreamKeyString(k: RtpStreamKey): string {
  return `${k.protocol} ${endpointString(k.srcIp, k.srcPort)}>${endpointString(k.dstIp, k.dstPort)} ssrc=${(k.ssrc >>> 0).toString(16).padStart(8, '0')}`;
}

/** Parses the text of rtpStreamKeyString back. */
export function parseRtpStreamKey(text: string): RtpStreamKey {
  const m = /^udp (\S+)>(\S+) ssrc=([0-9a-f]{8})$/.exec(text);
  if (!m) throw new RtpStreamKeyError(`bad stream key "${text}"`, { reason: 'bad-stream-key' });
  const src = parseEndpoint(m[1] as string);
  const dst = parseEndpoint(m[2] as string);
  return { srcIp: src.ip, srcPort: src.port, dstIp: dst.ip, dstPort: dst.port, protocol: 'udp', ssrc: parseInt(m[3] as string, 16) };
}
