import { SipDecodeError } from './sip-error';

/**
 * The grammar pieces shared by SIP headers (RFC 3261 §25.1): quoted strings, generic parameters,
 * comma-separated lists, SIP/SIPS/tel URIs and name-addr / addr-spec.
 */

/** A URI as a recorder needs it: scheme, user (extension or number), host and port. */
export interface SipUri {
  /** The URI as written, without the enclosing `<>`. */
  readonly raw: string;
  /** Lower-case scheme: `sip`, `sips`, `tel`, ... */
  readonly scheme: string;
  /** The user part (`1001`, `+4930123`), without a password; for `tel:` the number. */
  readonly user: string | undefined;
  /** The host without brackets (`pbx.example.com`, `10.0.0.1`, `2001:db8::1`); undefined for `tel:`. */
  readonly host: string | undefined;
  readonly port: number | undefined;
  /** URI parameters (`transport`, `user`, ...), names lower-case; a flag parameter maps to ''. */
  readonly params: Readonly<Record<string, string>>;
}

/** A From/To/Contact/P-Asserted-Identity value: optional display name, the URI and header parameters (`tag`). */
export interface SipNameAddr {
  /** The display name, unquoted and unescaped; undefined when none was given. */
  readonly displayName: string | undefined;
  readonly uri: SipUri;
  /** Header parameters after the URI (`tag`, `expires`, ...), names lower-case. */
  readonly params: Readonly<Record<string, string>>;
}

/** Splits a header value on commas that are outside quoted strings and `<>`. Empty items are dropped. */
export function splitSipHeaderList(value: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '<') depth++;
    else if (c === '>' && depth > 0) depth--;
    else if (c === ',' && depth === 0) {
      const item = value.slice(start, i).trim();
      if (item !== '') out.push(item);
      start = i + 1;
    }
  }
  const last = value.slice(start).trim();
  if (last !== '') out.push(last);
  return out;
}

/** Reads a quoted string starting at `s[start] === '"'`; returns the unescaped text and the index after it. */
export function readQuotedString(s: string, start: number): { text: string; end: number } {
  let text = '';
  for (let i = start + 1; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '\\') {
      const next = s[i + 1];
      if (next === undefined) break;
      text += next;
      i++;
    } else if (c === '"') {
      return { text, end: i + 1 };
    } else {
      text += c;
    }
  }
  throw new SipDecodeError('unterminated-quoted-string', `unterminated quoted string in ${JSON.stringify(s)}`);
}

/** Parses `;name=value;flag;name="quoted"` into a record with lower-case names. Leading `;` optional. */
export function parseSipParams(s: string): Record<string, string> {
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  let i = 0;
  while (i < s.length) {
    while (i < s.length && (s[i] === ';' || s[i] === ' ' || s[i] === '\t')) i++;
    if (i >= s.length) break;
    let nameEnd = i;
    while (nameEnd < s.length && s[nameEnd] !== '=' && s[nameEnd] !== ';') nameEnd++;
    const name = s.slice(i, nameEnd).trim().toLowerCase();
    i = nameEnd;
    let value = '';
    if (s[i] === '=') {
      i++;
      while (s[i] === ' ' || s[i] === '\t') i++;
      if (s[i] === '"') {
        const q = readQuotedString(s, i);
        value = q.text;
        i = q.end;
        while (i < s.length && s[i] !== ';') i++;
      } else {
        const valueEnd = s.indexOf(';', i);
        value = (valueEnd < 0 ? s.slice(i) : s.slice(i, valueEnd)).trim();
        i = valueEnd < 0 ? s.length : valueEnd;
      }
    }
    if (name !== '') params[name] = value;
  }
  return { ...params };
}

/** Parses a SIP, SIPS or tel URI; other schemes keep only `raw` and `scheme`. */
export function parseSipUri(raw: string): SipUri {
  const text = raw.trim();
  const colon = text.indexOf(':');
  if (colon <= 0 || !/^[A-Za-z][A-Za-z0-9+.-]*$/.test(text.slice(0, colon))) {
    throw new SipDecodeError('bad-uri', `not a URI: ${JSON.stringify(raw)}`);
  }
  const scheme = text.slice(0, colon).toLowerCase();
  const rest = text.slice(colon + 1);
  if (scheme === 'tel') {
    const semi = rest.indexOf(';');
    const user = semi < 0 ? rest : rest.slice(0, semi);
    if (user === '') throw new SipDecodeError('bad-uri', `tel URI without a number: ${JSON.stringify(raw)}`);
    return { raw: text, scheme, user, host: undefined, port: undefined, params: semi < 0 ? {} : parseSipParams(rest.slice(semi)) };
  }
  if (scheme !== 'sip' && scheme !== 'sips') {
    return { raw: text, scheme, user: undefined, host: undefined, port: undefined, params: {} };
  }
  const at = rest.lastIndexOf('@', firstOf(rest, ['?'], rest.length));
  const userinfo = at < 0 ? undefined : rest.slice(0, at);
  const afterUser = at < 0 ? rest : rest.slice(at + 1);
  const hostEnd = firstOf(afterUser, [';', '?'], afterUser.length);
  const hostport = afterUser.slice(0, hostEnd);
  const paramsText = afterUser.slice(hostEnd);
  let host: string;
  let portText: string | undefined;
  if (hostport.startsWith('[')) {
    const close = hostport.indexOf(']');
    if (close < 0) throw new SipDecodeError('bad-uri', `unterminated IPv6 reference in ${JSON.stringify(raw)}`);
    host = hostport.slice(1, close);
    const after = hostport.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) throw new SipDecodeError('bad-uri', `junk after IPv6 reference in ${JSON.stringify(raw)}`);
    portText = after === '' ? undefined : after.slice(1);
  } else {
    const pc = hostport.lastIndexOf(':');
    host = pc < 0 ? hostport : hostport.slice(0, pc);
    portText = pc < 0 ? undefined : hostport.slice(pc + 1);
  }
  if (host === '' || /[\s<>"]/.test(host)) throw new SipDecodeError('bad-uri', `bad host in ${JSON.stringify(raw)}`);
  const port = portText === undefined ? undefined : parsePort(portText, raw);
  let user: string | undefined;
  if (userinfo !== undefined) {
    const pw = userinfo.indexOf(':');
    user = pw < 0 ? userinfo : userinfo.slice(0, pw);
  }
  const q = paramsText.indexOf('?');
  const params = parseSipParams(q < 0 ? paramsText : paramsText.slice(0, q));
  return { raw: text, scheme, user, host, port, params };
}

function parsePort(text: string, raw: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) {
    throw new SipDecodeError('bad-uri', `bad port ${JSON.stringify(text)} in ${JSON.stringify(raw)}`);
  }
  return Number(text);
}

function firstOf(s: string, chars: string[], fallback: number): number {
  let best = fallback;
  for (const c of chars) {
    const i = s.indexOf(c);
    if (i >= 0 && i < best) best = i;
  }
  return best;
}

/**
 * Parses name-addr (`"Doe, John \"JD\"" <sip:1001@pbx;user=phone>;tag=abc`) or addr-spec
 * (`sip:1001@pbx;tag=abc`, where parameters after the URI belong to the header, RFC 3261 §20.10).
 */
export function parseSipNameAddr(value: string): SipNameAddr {
  const s = value.trim();
  let i = 0;
  let displayName: string | undefined;
  if (s.startsWith('"')) {
    const q = readQuotedString(s, 0);
    displayName = q.text;
    i = q.end;
    while (s[i] === ' ' || s[i] === '\t') i++;
    if (s[i] !== '<') throw new SipDecodeError('bad-name-addr', `quoted display name not followed by <uri>: ${JSON.stringify(value)}`);
  }
  const lt = s.indexOf('<', i);
  if (lt >= 0) {
    if (displayName === undefined) {
      const token = s.slice(0, lt).trim();
      displayName = token === '' ? undefined : token;
    }
    const gt = s.indexOf('>', lt);
    if (gt < 0) throw new SipDecodeError('bad-name-addr', `missing > in ${JSON.stringify(value)}`);
    const uri = parseSipUri(s.slice(lt + 1, gt));
    const rest = s.slice(gt + 1).trim();
    if (rest !== '' && !rest.startsWith(';')) throw new SipDecodeError('bad-name-addr', `junk after > in ${JSON.stringify(value)}`);
    return { displayName, uri, params: parseSipParams(rest) };
  }
  if (s === '') throw new SipDecodeError('bad-name-addr', 'empty name-addr');
  const semi = s.indexOf(';');
  const uri = parseSipUri(semi < 0 ? s : s.slice(0, semi));
  return { displayName: undefined, uri, params: semi < 0 ? {} : parseSipParams(s.slice(semi)) };
}
