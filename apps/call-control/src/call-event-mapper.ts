import { deterministicEventId, type CallDirection, type CallEndCause, type CallEvent, type CallEventKind, type CallParty, type MediaDescription, type MediaMode, type SignallingPath } from '@earshot/events';
import type { SdpMedia, SipCallEvent, SipCallParty, SipSideMedia, SipTransportInfo } from '@earshot/sip';
import type { PartyIdentity } from './call-direction';

/** What the mapper needs beside the tracker's event: who we are and what was decided about the call. */
export interface CallEventContext {
  readonly instanceId: string;
  readonly direction: CallDirection;
  readonly recordedUserId: string | null;
}

const KINDS: Record<SipCallEvent['type'], CallEventKind> = {
  started: 'STARTED',
  answered: 'ANSWERED',
  'media-updated': 'MEDIA_UPDATED',
  ended: 'ENDED',
  failed: 'FAILED',
};

const END_CAUSES: Record<'caller' | 'callee' | 'timeout' | 'evicted', CallEndCause> = {
  caller: 'CALLER',
  callee: 'CALLEE',
  timeout: 'TIMEOUT',
  evicted: 'UNKNOWN',
};

/** `ip:port`, `[v6]:port` for IPv6. */
export function formatEndpoint(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

export function signallingPath(t: SipTransportInfo): SignallingPath {
  return { transport: t.protocol, source: formatEndpoint(t.src.ip, t.src.port), destination: formatEndpoint(t.dst.ip, t.dst.port) };
}

/** One m= line as a CallEvent carries it; the RTCP port only when a=rtcp gave it (the schema's convention). */
export function mediaDescription(m: SdpMedia): MediaDescription {
  return {
    media: m.type,
    address: m.address,
    port: m.port,
    rtcpPort: m.rtcpExplicit ? m.rtcpPort : null,
    mode: m.effectiveDirection.toUpperCase() as MediaMode,
    ptimeMs: m.ptime === undefined ? null : Math.round(m.ptime),
    codecs: m.codecs.map((c) => ({ payloadType: c.payloadType, name: c.encoding, clockRate: c.clockRate, channels: c.channels, fmtp: c.fmtp ?? null })),
  };
}

export function sideMedia(side: SipSideMedia | undefined): MediaDescription[] {
  return side === undefined ? [] : side.streams.map(mediaDescription);
}

/** A tracker party as a CallEvent names it; the first P-Asserted-Identity is the asserted one. */
export function callParty(p: SipCallParty): CallParty {
  return {
    uri: p.uri,
    user: p.user ?? null,
    displayName: p.displayName ?? null,
    assertedIdentity: p.assertedIdentities[0]?.uri ?? null,
    tag: p.tag ?? null,
  };
}

/** A tracker party as direction and directory matching see it. */
export function partyIdentity(p: SipCallParty): PartyIdentity {
  const a = p.assertedIdentities[0];
  let asserted: PartyIdentity['asserted'];
  if (a !== undefined) {
    // The host of the asserted URI: identities carry the URI, not its parts.
    const at = a.uri.indexOf('@');
    const host = at < 0 ? undefined : a.uri.slice(at + 1).split(/[;:>?]/)[0];
    asserted = { uri: a.uri, user: a.user, host: host === '' ? undefined : host };
  }
  return { uri: p.uri, user: p.user, host: p.host, asserted };
}

/**
 * A dialog tracker event as the CallEvent of the contract: eventId from (callId, startedAtUs, seq),
 * sequence = seq, capture time as given, both parties and both sides' media as of the event.
 * The signalling path is that of the message that caused the event; for a timeout (no message),
 * that of the call's first INVITE.
 */
export function mapSipCallEvent(e: SipCallEvent, ctx: CallEventContext): CallEvent {
  return {
    eventId: deterministicEventId(e.callId, e.startedAtUs, e.seq),
    callId: e.callId,
    kind: KINDS[e.type],
    sequence: e.seq,
    captureTimeUs: e.captureTimeUs,
    source: 'SNIFF',
    instanceId: ctx.instanceId,
    caller: callParty(e.caller),
    callee: callParty(e.callee),
    direction: ctx.direction,
    recordedUserId: ctx.recordedUserId,
    callerMedia: sideMedia(e.callerMedia),
    calleeMedia: sideMedia(e.calleeMedia),
    signalling: signallingPath(e.transport ?? e.signalling),
    endedBy: e.type === 'ended' ? END_CAUSES[e.by] : null,
    failureStatus: e.type === 'failed' ? e.status : null,
    reason: e.type === 'ended' ? e.reasonText ?? null : e.type === 'failed' ? e.reasonText : null,
  };
}
