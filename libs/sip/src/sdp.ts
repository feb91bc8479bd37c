import { parse as parseSdpGrammar, write as writeSdpGrammar, type MediaDescription, type SessionDescription } from 'sdp-transform';
import { SdpDecodeError } from './sip-error';
import { staticPayloadType } from '@earshot/rtp';

/**
 * SDP (RFC 4566 / 8866) reduced to what a recorder needs: where each side receives media and in
 * which codecs. The line grammar is `sdp-transform`'s (as in mediasoup and Jitsi); this file checks
 * the lines a recorder depends on, resolves defaults (session-level c= and direction, static payload
 * types, RTCP port) and gives a small typed model.
 */

export type SdpDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** One payload type of an m= line. */
export interface SdpCodec {
  readonly payloadType: number;
  /** Encoding name as given by rtpmap or the RFC 3551 static table (`PCMU`, `G722`, `telephone-event`). */
  readonly encoding: string;
  /** The RTP clock rate (8000 for G722 by RFC 3551, though the audio is 16 kHz). */
  readonly clockRate: number;
  /** The audio sample rate: the clock rate, except 16000 for G722. */
  readonly sampleRate: number;
  readonly channels: number;
  /** The a=fmtp parameters verbatim, when given. */
  readonly fmtp: string | undefined;
  /** False for a dynamic payload type (96-127) that has no rtpmap: its encoding is unknown. */
  readonly known: boolean;
}

/** One m= line with its effective values. */
export interface SdpMedia {
  /** Position among the m= lines, from 0: offer and answer match m-lines by index (RFC 3264). */
  readonly index: number;
  /** `audio`, `video`, `image`, ... */
  readonly type: string;
  /** The RTP port; 0 = stream disabled/rejected. */
  readonly port: number;
  /** `RTP/AVP`, `RTP/SAVP`, `UDP/TLS/RTP/SAVPF`, `udptl`, ... */
  readonly protocol: string;
  /** The media formats as written on the m= line (payload type numbers for RTP). */
  readonly formats: readonly string[];
  /** The codecs of the numeric formats, in the order of preference given. */
  readonly codecs: readonly SdpCodec[];
  /** The connection address (media-level c= over session-level), without TTL; IPv4 or IPv6. */
  readonly address: string;
  readonly addressType: 'IP4' | 'IP6';
  /** The declared direction (media-level over session-level, default sendrecv). */
  readonly direction: SdpDirection;
  /**
   * The direction counting old-style hold (RFC 2543 c=0.0.0.0, which means "do not send to me"):
   * sendrecv → sendonly and recvonly → inactive when the address is 0.0.0.0; otherwise `direction`.
   */
  readonly effectiveDirection: SdpDirection;
  /** Whether this description asks the peer not to send to it: sendonly, inactive or c=0.0.0.0 (hold). */
  readonly hold: boolean;
  /** a=ptime in ms, when given. */
  readonly ptime: number | undefined;
  /** The RTCP port: a=rtcp, else the RTP port with a=rtcp-mux, else RTP port + 1 (RFC 3550). */
  readonly rtcpPort: number;
  /** The RTCP address when a=rtcp names one, else `address`. */
  readonly rtcpAddress: string;
  /** Whether the RTCP port came from an a=rtcp attribute. */
  readonly rtcpExplicit: boolean;
  readonly rtcpMux: boolean;
}

/** A session description. */
export interface SdpSession {
  /** o= username, session id, version and address; the version changes when the media changes. */
  readonly origin: { readonly username: string; readonly sessionId: string; readonly sessionVersion: string; readonly address: string };
  /** Session-level c= address, when given. */
  readonly sessionAddress: string | undefined;
  /** Session-level direction, when given. */
  readonly sessionDirection: SdpDirection | undefined;
  readonly media: readonly SdpMedia[];
}

const DIRECTIONS: readonly string[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];
const M_LINE_RE = /^m=([a-zA-Z0-9_-]+) (\d{1,5}) ([\w/.-]+)(?: (.*))?$/;
const C_LINE_RE = /^c=IN IP([46]) (\S+)$/;
const utf8 = new TextDecoder('utf-8', { fatal: false });

/** The audio sample rate of an encoding at an RTP clock rate (G722 is sampled at 16 kHz, clocked at 8 kHz). */
export function sdpSampleRate(encoding: string, clockRate: number): number {
  return encoding.toUpperCase() === 'G722' && clockRate === 8000 ? 16000 : clockRate;
}

function fail(reason: string, message: string): never {
  throw new SdpDecodeError(reason, message);
}

/** Checks the raw lines sdp-transform would silently skip or half-parse. */
function checkLines(text: string): void {
  const lines = text.split(/\r\n|\r|\n/);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0 || !/^v=0\s*$/.test(lines[0] as string)) fail('missing-version', 'SDP must start with v=0');
  let sawOrigin = false;
  lines.forEach((line, i) => {
    if (!/^[a-z]=/.test(line)) fail('bad-line', `line ${i + 1} is not type=value: ${JSON.stringify(line.slice(0, 80))}`);
    if (line.startsWith('o=')) sawOrigin = true;
    if (line.startsWith('m=') && !M_LINE_RE.test(line)) fail('bad-media-line', `bad m= line ${JSON.stringify(line.slice(0, 80))}`);
    if (line.startsWith('c=') && !C_LINE_RE.test(line)) fail('bad-connection', `bad c= line ${JSON.stringify(line.slice(0, 80))}`);
  });
  if (!sawOrigin) fail('missing-origin', 'SDP has no o= line');
}

function connectionAddress(c: { version: number; ip: string } | undefined): { address: string; type: 'IP4' | 'IP6' } | undefined {
  if (c === undefined) return undefined;
  // Multicast addresses carry /ttl[/count]; IPv6 ones /count only. Keep the address.
  const address = String(c.ip).split('/')[0] as string;
  return { address, type: Number(c.version) === 6 ? 'IP6' : 'IP4' };
}

function direction(value: unknown): SdpDirection | undefined {
  return typeof value === 'string' && DIRECTIONS.includes(value) ? (value as SdpDirection) : undefined;
}

function codecsOf(m: MediaDescription, formats: readonly string[], index: number): SdpCodec[] {
  const isRtp = /RTP/i.test(m.protocol);
  const codecs: SdpCodec[] = [];
  for (const f of formats) {
    if (!/^\d{1,3}$/.test(f)) {
      if (isRtp) fail('bad-payload-type', `m-line ${index}: payload type ${JSON.stringify(f.slice(0, 20))} is not a number`);
      continue;
    }
    const pt = Number(f);
    if (pt > 127) fail('bad-payload-type', `m-line ${index}: payload type ${pt} is over 127`);
    const rtpmap = (m.rtp ?? []).find((r) => Number(r.payload) === pt);
    const fmtp = (m.fmtp ?? []).find((r) => Number(r.payload) === pt)?.config;
    const fmtpText = fmtp === undefined ? undefined : String(fmtp);
    if (rtpmap !== undefined) {
      const clockRate = Number(rtpmap.rate);
      if (!Number.isInteger(clockRate) || clockRate <= 0) fail('bad-rtpmap', `m-line ${index}: rtpmap of ${pt} has no clock rate`);
      const encoding = String(rtpmap.codec);
      const channels = rtpmap.encoding === undefined ? 1 : Number(rtpmap.encoding);
      if (!Number.isInteger(channels) || channels < 1) fail('bad-rtpmap', `m-line ${index}: rtpmap of ${pt} has bad channels`);
      codecs.push({ payloadType: pt, encoding, clockRate, sampleRate: sdpSampleRate(encoding, clockRate), channels, fmtp: fmtpText, known: true });
    } else {
      const stat = staticPayloadType(pt);
      codecs.push(stat === undefined
        ? { payloadType: pt, encoding: '', clockRate: 0, sampleRate: 0, channels: 1, fmtp: fmtpText, known: false }
        : { payloadType: pt, encoding: stat.encodingName, clockRate: stat.clockRate, sampleRate: sdpSampleRate(stat.encodingName, stat.clockRate), channels: stat.channels, fmtp: fmtpText, known: true });
    }
  }
  return codecs;
}

/** Decodes an SDP body (bytes or text). Throws SdpDecodeError (never anything else). */
export function decodeSdp(input: Uint8Array | string): SdpSession {
  const text = typeof input === 'string' ? input : utf8.decode(input);
  checkLines(text);
  let parsed: SessionDescription;
  try {
    parsed = parseSdpGrammar(text);
  } catch (e) {
    throw new SdpDecodeError('grammar', `sdp-transform could not parse the SDP: ${(e as Error).message}`, e);
  }
  const o = parsed.origin as SessionDescription['origin'] | undefined;
  if (o === undefined || o.address === undefined) fail('bad-origin', 'bad o= line');
  const session = connectionAddress(parsed.connection);
  const sessionDirection = direction(parsed.direction);
  const media = (parsed.media ?? []).map((m, index): SdpMedia => {
    const port = Number(m.port);
    if (typeof m.type !== 'string' || m.type === '' || !Number.isInteger(port) || port > 65535 || typeof m.protocol !== 'string') {
      fail('bad-media-line', `m-line ${index} is malformed`);
    }
    const formats = m.payloads === undefined ? [] : String(m.payloads).trim().split(/\s+/).filter((f) => f !== '');
    const conn = connectionAddress(m.connection) ?? session;
    if (conn === undefined && port !== 0) fail('missing-connection', `m-line ${index} has no c= and there is no session-level c=`);
    const address = conn?.address ?? '';
    const declared = direction(m.direction) ?? sessionDirection ?? 'sendrecv';
    const zero = address === '0.0.0.0';
    const effectiveDirection: SdpDirection = !zero ? declared : declared === 'sendrecv' ? 'sendonly' : declared === 'recvonly' ? 'inactive' : declared;
    const rtcpPortAttr = m.rtcp === undefined ? undefined : Number(m.rtcp.port);
    if (rtcpPortAttr !== undefined && (!Number.isInteger(rtcpPortAttr) || rtcpPortAttr > 65535)) fail('bad-rtcp', `m-line ${index}: bad a=rtcp port`);
    const rtcpMux = m.rtcpMux !== undefined;
    const ptime = m.ptime === undefined ? undefined : Number(m.ptime);
    return {
      index,
      type: m.type,
      port,
      protocol: m.protocol,
      formats,
      codecs: codecsOf(m, formats, index),
      address,
      addressType: conn?.type ?? 'IP4',
      direction: declared,
      effectiveDirection,
      hold: zero || declared === 'sendonly' || declared === 'inactive',
      ptime: ptime !== undefined && Number.isFinite(ptime) ? ptime : undefined,
      rtcpPort: rtcpPortAttr ?? (rtcpMux ? port : port === 0 ? 0 : port + 1),
      rtcpAddress: m.rtcp?.address !== undefined ? String(m.rtcp.address) : address,
      rtcpExplicit: rtcpPortAttr !== undefined,
      rtcpMux,
    };
  });
  return {
    origin: { username: String(o.username), sessionId: String(o.sessionId), sessionVersion: String(o.sessionVersion), address: String(o.address) },
    sessionAddress: session?.address,
    sessionDirection,
    media,
  };
}

/** What `buildSdp` writes: one session with a few m= lines. */
export interface SdpBuildInput {
  /** o= and session-level c= address. */
  readonly address: string;
  /** Default 1. */
  readonly sessionId?: number;
  /** Default 1; bump it on every new offer. */
  readonly sessionVersion?: number;
  readonly direction?: SdpDirection;
  readonly media: ReadonlyArray<{
    /** Default `audio`. */
    readonly type?: string;
    readonly port: number;
    /** Default `RTP/AVP`. */
    readonly protocol?: string;
    /** Media-level c= address, when it differs from the session's. */
    readonly address?: string;
    readonly payloadTypes: readonly number[];
    /** rtpmap lines; static payload types may go without. */
    readonly rtpmap?: ReadonlyArray<{ readonly payloadType: number; readonly encoding: string; readonly clockRate: number; readonly channels?: number }>;
    readonly fmtp?: ReadonlyArray<{ readonly payloadType: number; readonly config: string }>;
    readonly ptime?: number;
    readonly direction?: SdpDirection;
    readonly rtcp?: { readonly port: number; readonly address?: string };
  }>;
}

const ipVersion = (address: string): number => (address.includes(':') ? 6 : 4);

/** Writes an SDP body with sdp-transform's writer (CRLF line ends), for tests and the agent source. */
export function buildSdp(input: SdpBuildInput): string {
  const session: SessionDescription = {
    version: 0,
    origin: { username: '-', sessionId: input.sessionId ?? 1, sessionVersion: input.sessionVersion ?? 1, netType: 'IN', ipVer: ipVersion(input.address), address: input.address },
    name: '-',
    connection: { version: ipVersion(input.address), ip: input.address },
    timing: { start: 0, stop: 0 },
    ...(input.direction === undefined ? {} : { direction: input.direction }),
    media: input.media.map((m): MediaDescription => ({
      type: m.type ?? 'audio',
      port: m.port,
      protocol: m.protocol ?? 'RTP/AVP',
      payloads: m.payloadTypes.join(' '),
      ...(m.address === undefined ? {} : { connection: { version: ipVersion(m.address), ip: m.address } }),
      rtp: (m.rtpmap ?? []).map((r) => ({ payload: r.payloadType, codec: r.encoding, rate: r.clockRate, ...(r.channels === undefined ? {} : { encoding: r.channels }) })),
      fmtp: (m.fmtp ?? []).map((f) => ({ payload: f.payloadType, config: f.config })),
      ...(m.ptime === undefined ? {} : { ptime: m.ptime }),
      ...(m.direction === undefined ? {} : { direction: m.direction }),
      ...(m.rtcp === undefined ? {} : { rtcp: m.rtcp.address === undefined
        ? { port: m.rtcp.port }
        : { port: m.rtcp.port, netType: 'IN', ipVer: ipVersion(m.rtcp.address), address: m.rtcp.address } }),
    })),
  };
  return writeSdpGrammar(session);
}
