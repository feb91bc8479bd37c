import { compactSipHeaderName } from './sip-header-names';

/**
 * Builders of SIP messages for tests (here and in other projects' tests, which wrap them in
 * UDP/TCP packets and capture files) and for replaying scenarios. They write what a real UA writes;
 * quirks (compact names, folding, odd casing, no Content-Length) are opt-in.
 */

/** A From/To/P-Asserted-Identity party to write. */
export interface SipPartySpec {
  readonly uri: string;
  /** Written quoted, with `"` and `\` escaped. */
  readonly displayName?: string;
  readonly tag?: string;
}

/** A Via to write: `SIP/2.0/<transport> <host>:<port>;branch=<branch>`. */
export interface SipViaSpec {
  /** Default UDP. */
  readonly transport?: string;
  /** IPv6 addresses are bracketed for you. */
  readonly host: string;
  readonly port?: number;
  readonly branch: string;
  /** Extra parameters, written after the branch (`;rport`, `;received=1.2.3.4`). */
  readonly params?: string;
}

interface SipMessageSpecBase {
  readonly callId: string;
  readonly from: SipPartySpec;
  readonly to: SipPartySpec;
  readonly cseq: number;
  /** Top first. Default: none. */
  readonly via?: readonly SipViaSpec[];
  /** A URI, written as `<uri>`. */
  readonly contact?: string;
  readonly pAssertedIdentity?: readonly SipPartySpec[];
  /** Extra headers, written in order after the standard ones (name as given). */
  readonly headers?: ReadonlyArray<readonly [string, string]>;
  readonly body?: string | Uint8Array;
  /** Default `application/sdp` when there is a body. */
  readonly contentType?: string;
  /** Write compact header names (i, f, t, v, m, c, l). Default false. */
  readonly compact?: boolean;
  /** Leave out Content-Length (allowed on UDP). Default false. */
  readonly omitContentLength?: boolean;
}

export interface SipRequestSpec extends SipMessageSpecBase {
  readonly method: string;
  readonly uri: string;
  /** Default: `method`. ACK and CANCEL carry their own method with the INVITE's number. */
  readonly cseqMethod?: string;
  /** Default 70. */
  readonly maxForwards?: number;
}

export interface SipResponseSpec extends SipMessageSpecBase {
  readonly status: number;
  /** Default: the RFC 3261 phrase for the status. */
  readonly reasonPhrase?: string;
  /** The method of the request answered (CSeq method). */
  readonly cseqMethod: string;
}

const PHRASES: Readonly<Record<number, string>> = {
  100: 'Trying', 180: 'Ringing', 181: 'Call Is Being Forwarded', 182: 'Queued', 183: 'Session Progress',
  200: 'OK', 202: 'Accepted', 301: 'Moved Permanently', 302: 'Moved Temporarily', 400: 'Bad Request',
  401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 407: 'Proxy Authentication Required',
  408: 'Request Timeout', 480: 'Temporarily Unavailable', 481: 'Call/Transaction Does Not Exist',
  486: 'Busy Here', 487: 'Request Terminated', 488: 'Not Acceptable Here', 491: 'Request Pending',
  500: 'Server Internal Error', 503: 'Service Unavailable', 600: 'Busy Everywhere', 603: 'Decline',
  604: 'Does Not Exist Anywhere',
};

/** The RFC 3261 reason phrase of a status code (`Unknown` for one it does not list). */
export function sipReasonPhrase(status: number): string {
  return PHRASES[status] ?? 'Unknown';
}

const encoder = new TextEncoder();

/** Writes a party as a name-addr: `"Doe, \"J\"" <sip:1001@pbx>;tag=abc`. */
export function formatSipParty(party: SipPartySpec): string {
  const name = party.displayName === undefined ? '' : `"${party.displayName.replace(/["\\]/g, (c) => `\\${c}`)}" `;
  return `${name}<${party.uri}>${party.tag === undefined ? '' : `;tag=${party.tag}`}`;
}

/** Writes a Via value. */
export function formatSipVia(via: SipViaSpec): string {
  const host = via.host.includes(':') && !via.host.startsWith('[') ? `[${via.host}]` : via.host;
  return `SIP/2.0/${via.transport ?? 'UDP'} ${host}${via.port === undefined ? '' : `:${via.port}`};branch=${via.branch}${via.params ?? ''}`;
}

function assemble(startLine: string, spec: SipMessageSpecBase, cseqMethod: string, extra: Array<[string, string]>): Uint8Array {
  const body = spec.body === undefined ? new Uint8Array(0) : typeof spec.body === 'string' ? encoder.encode(spec.body) : spec.body;
  const name = (long: string): string => (spec.compact ? compactSipHeaderName(long) ?? long : long);
  const headers: Array<[string, string]> = [
    ...(spec.via ?? []).map((v): [string, string] => [name('Via'), formatSipVia(v)]),
    ...extra,
    [name('From'), formatSipParty(spec.from)],
    [name('To'), formatSipParty(spec.to)],
    [name('Call-ID'), spec.callId],
    ['CSeq', `${spec.cseq} ${cseqMethod}`],
  ];
  if (spec.contact !== undefined) headers.push([name('Contact'), `<${spec.contact}>`]);
  for (const p of spec.pAssertedIdentity ?? []) headers.push(['P-Asserted-Identity', formatSipParty(p)]);
  headers.push(...(spec.headers ?? []).map(([n, v]): [string, string] => [n, v]));
  if (body.length > 0) headers.push([name('Content-Type'), spec.contentType ?? 'application/sdp']);
  if (!spec.omitContentLength) headers.push([name('Content-Length'), String(body.length)]);
  const head = encoder.encode(`${startLine}\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`);
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

/** Builds a SIP request's bytes. Content-Length is computed from the body unless `omitContentLength`. */
export function buildSipRequest(spec: SipRequestSpec): Uint8Array {
  return assemble(`${spec.method} ${spec.uri} SIP/2.0`, spec, spec.cseqMethod ?? spec.method, [['Max-Forwards', String(spec.maxForwards ?? 70)]]);
}

/** Builds a SIP response's bytes. */
export function buildSipResponse(spec: SipResponseSpec): Uint8Array {
  return assemble(`SIP/2.0 ${spec.status} ${spec.reasonPhrase ?? sipReasonPhrase(spec.status)}`, spec, spec.cseqMethod, []);
}
