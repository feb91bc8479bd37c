/**
 * SIP header names: compact forms (RFC 3261 §7.3.3 and the extensions that define one) and
 * canonical spelling. Names compare case-insensitively; we key headers by their lower-case long name.
 */

/** Compact form → lower-case long name. */
const COMPACT_NAMES: Readonly<Record<string, string>> = {
  a: 'accept-contact', // RFC 3841
  b: 'referred-by', // RFC 3892
  c: 'content-type',
  d: 'request-disposition', // RFC 3841
  e: 'content-encoding',
  f: 'from',
  i: 'call-id',
  j: 'reject-contact', // RFC 3841
  k: 'supported',
  l: 'content-length',
  m: 'contact',
  n: 'identity-info', // RFC 4474
  o: 'event', // RFC 6665
  r: 'refer-to', // RFC 3515
  s: 'subject',
  t: 'to',
  u: 'allow-events', // RFC 6665
  v: 'via',
  x: 'session-expires', // RFC 4028
  y: 'identity', // RFC 8224
};

/** Long names whose usual spelling is not plain Title-Case of the words. */
const CANONICAL_SPELLING: Readonly<Record<string, string>> = {
  'call-id': 'Call-ID',
  cseq: 'CSeq',
  'www-authenticate': 'WWW-Authenticate',
  'p-asserted-identity': 'P-Asserted-Identity',
  'p-preferred-identity': 'P-Preferred-Identity',
  'mime-version': 'MIME-Version',
};

/** The lower-case long name of a header name as written on the wire (`i`, `CALL-ID`, `call-id` → `call-id`). */
export function normalizeSipHeaderName(name: string): string {
  const lower = name.toLowerCase();
  return Object.prototype.hasOwnProperty.call(COMPACT_NAMES, lower) ? (COMPACT_NAMES[lower] as string) : lower;
}

/** The usual spelling of a header name (`call-id` → `Call-ID`, `content-length` → `Content-Length`). */
export function canonicalSipHeaderName(name: string): string {
  const long = normalizeSipHeaderName(name);
  const special = CANONICAL_SPELLING[long];
  if (special !== undefined) return special;
  return long.replace(/(^|-)([a-z])/g, (_m, sep: string, c: string) => sep + c.toUpperCase());
}

/** The compact form of a long header name, when it has one (`via` → `v`). */
export function compactSipHeaderName(name: string): string | undefined {
  const long = normalizeSipHeaderName(name);
  for (const [short, full] of Object.entries(COMPACT_NAMES)) if (full === long) return short;
  return undefined;
}
