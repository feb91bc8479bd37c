import { SipDecodeError } from './sip-error';
import { getSipHeader, getSipHeaders, type SipHeader } from './sip-message';
import { parseSipNameAddr, parseSipParams, splitSipHeaderList, type SipNameAddr } from './sip-name-addr';

/**
 * Typed accessors for the headers a recorder reads beyond the four every message has.
 * Each returns undefined (or []) when the header is absent and throws SipDecodeError when it is
 * present but malformed, so a caller can count the reason and go on.
 */

type WithHeaders = { readonly headers: readonly SipHeader[] };

/** One Via entry: `SIP/2.0/UDP host:port;branch=z9hG4bK...;rport`. */
export interface SipVia {
  /** Upper-case transport: UDP, TCP, TLS, SCTP, WS, WSS. */
  readonly transport: string;
  /** The sent-by host, without IPv6 brackets. */
  readonly host: string;
  readonly port: number | undefined;
  /** The branch parameter (transaction id for RFC 3261 senders, starts with z9hG4bK). */
  readonly branch: string | undefined;
  readonly params: Readonly<Record<string, string>>;
}

/** A Content-Type: lower-case `type/subtype` and its parameters (`boundary`, `charset`). */
export interface SipContentType {
  readonly mediaType: string;
  readonly params: Readonly<Record<string, string>>;
}

/** A Reason header entry (RFC 3326): `Q.850;cause=16;text="Normal call clearing"`. */
export interface SipReason {
  /** The protocol as written: `SIP`, `Q.850`, ... */
  readonly protocol: string;
  readonly cause: number | undefined;
  readonly text: string | undefined;
}

function listOf(message: WithHeaders, name: string): string[] {
  return getSipHeaders(message, name).flatMap(splitSipHeaderList);
}

function wrap<T>(name: string, value: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    const reason = e instanceof SipDecodeError ? e.reason : 'bad-header';
    throw new SipDecodeError(`bad-${name}`, `bad ${name} ${JSON.stringify(value.slice(0, 120))}: ${reason}`, e);
  }
}

/** Parses one Via entry. */
export function parseSipVia(value: string): SipVia {
  const m = /^SIP\s*\/\s*\d+\.\d+\s*\/\s*([A-Za-z0-9-]+)\s+(\[[0-9A-Fa-f:.%A-Za-z]+\]|[^\s;:]+)(?:\s*:\s*(\d{1,5}))?\s*(;.*)?$/.exec(value.trim());
  if (!m) throw new SipDecodeError('bad-via', `bad Via ${JSON.stringify(value.slice(0, 120))}`);
  const hostText = m[2] as string;
  const port = m[3] === undefined ? undefined : Number(m[3]);
  if (port !== undefined && port > 65535) throw new SipDecodeError('bad-via', `bad Via port ${port}`);
  const params = m[4] === undefined ? {} : wrap('via', value, () => parseSipParams(m[4] as string));
  return {
    transport: (m[1] as string).toUpperCase(),
    host: hostText.startsWith('[') ? hostText.slice(1, -1) : hostText,
    port,
    branch: params['branch'],
    params,
  };
}

/** Every Via entry, top first (repeated headers and comma-joined values alike). */
export function getSipVias(message: WithHeaders): SipVia[] {
  return listOf(message, 'via').map(parseSipVia);
}

/** The branch of the top Via, the transaction id of RFC 3261 senders. */
export function getSipTopViaBranch(message: WithHeaders): string | undefined {
  const first = listOf(message, 'via')[0];
  return first === undefined ? undefined : parseSipVia(first).branch;
}

/** Every Contact entry; `Contact: *` (REGISTER) gives []. */
export function getSipContacts(message: WithHeaders): SipNameAddr[] {
  return listOf(message, 'contact')
    .filter((v) => v !== '*')
    .map((v) => wrap('contact', v, () => parseSipNameAddr(v)));
}

/** The identities of P-Asserted-Identity (RFC 3325), often a sip: and a tel: one. */
export function getSipPAssertedIdentities(message: WithHeaders): SipNameAddr[] {
  return listOf(message, 'p-asserted-identity').map((v) => wrap('p-asserted-identity', v, () => parseSipNameAddr(v)));
}

/** Parses the Content-Type header. */
export function getSipContentType(message: WithHeaders): SipContentType | undefined {
  const v = getSipHeader(message, 'content-type');
  if (v === undefined) return undefined;
  const semi = v.indexOf(';');
  const mediaType = (semi < 0 ? v : v.slice(0, semi)).trim().toLowerCase();
  if (!/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(mediaType)) {
    throw new SipDecodeError('bad-content-type', `bad Content-Type ${JSON.stringify(v.slice(0, 120))}`);
  }
  return { mediaType, params: semi < 0 ? {} : wrap('content-type', v, () => parseSipParams(v.slice(semi))) };
}

/** Parses one Reason entry. */
export function parseSipReason(value: string): SipReason {
  const semi = value.indexOf(';');
  const protocol = (semi < 0 ? value : value.slice(0, semi)).trim();
  if (!/^[A-Za-z0-9.!%*_+`'~-]+$/.test(protocol)) throw new SipDecodeError('bad-reason', `bad Reason ${JSON.stringify(value.slice(0, 120))}`);
  const params = semi < 0 ? {} : wrap('reason', value, () => parseSipParams(value.slice(semi)));
  const causeText = params['cause'];
  const cause = causeText !== undefined && /^\d{1,6}$/.test(causeText) ? Number(causeText) : undefined;
  return { protocol, cause, text: params['text'] };
}

/** Every Reason entry (a BYE or CANCEL may carry a SIP one and a Q.850 one). */
export function getSipReasons(message: WithHeaders): SipReason[] {
  return listOf(message, 'reason').map(parseSipReason);
}

/** A one-line human text of Reason entries: `Q.850 cause=17 "User busy"; SIP cause=600`. */
export function formatSipReasons(reasons: readonly SipReason[]): string {
  return reasons
    .map((r) => [r.protocol, r.cause === undefined ? undefined : `cause=${r.cause}`, r.text === undefined ? undefined : JSON.stringify(r.text)]
      .filter((p) => p !== undefined).join(' '))
    .join('; ');
}

const latin1 = new TextDecoder('latin1');

/**
 * The SDP of a message: the body when Content-Type is application/sdp (or absent with a body that
 * starts with `v=`), or the application/sdp part of a multipart body (SIP-I carries ISUP beside it).
 * Undefined when there is none.
 */
export function getSipSdpBody(message: WithHeaders & { readonly body: Uint8Array }): Uint8Array | undefined {
  if (message.body.length === 0) return undefined;
  const type = getSipContentType(message);
  if (type === undefined) return latin1.decode(message.body.subarray(0, 2)) === 'v=' ? message.body : undefined;
  if (type.mediaType === 'application/sdp') return message.body;
  if (!type.mediaType.startsWith('multipart/')) return undefined;
  const boundary = type.params['boundary'];
  if (boundary === undefined || boundary === '') throw new SipDecodeError('bad-multipart', 'multipart body without a boundary');
  return findSdpPart(message.body, boundary);
}

function findSdpPart(body: Uint8Array, boundary: string): Uint8Array | undefined {
  // latin1 maps bytes 1:1 to chars, so string indices are byte offsets.
  const text = latin1.decode(body);
  const delimiter = `--${boundary}`;
  let at = text.indexOf(delimiter);
  while (at >= 0) {
    const partStart = text.indexOf('\n', at);
    if (partStart < 0) return undefined;
    const next = text.indexOf(`\n${delimiter}`, partStart);
    const partEnd = next < 0 ? text.length : next;
    const part = text.slice(partStart + 1, partEnd);
    const sep = /\r?\n\r?\n/.exec(part);
    if (sep) {
      const head = part.slice(0, sep.index);
      const typeLine = head.split(/\r?\n/).find((l) => /^content-type\s*:/i.test(l));
      if (typeLine !== undefined && /^content-type\s*:\s*application\/sdp\b/i.test(typeLine)) {
        const from = partStart + 1 + sep.index + sep[0].length;
        let to = partEnd;
        if (text[to - 1] === '\r') to--; // the CRLF before the delimiter belongs to the delimiter
        return body.slice(from, Math.max(from, to));
      }
    }
    if (next < 0) return undefined;
    at = next + 1;
  }
  return undefined;
}

