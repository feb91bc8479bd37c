import type { CallEvent, LegSide, MediaDescription } from '@earshot/events';
import type { RawCodecMapping } from '@earshot/raw';
import { endpointString, staticPayloadType } from '@earshot/rtp';

const PT_CN = 13;

/** One call as the recorder knows it from its CallEvents. */
export interface CallMedia {
  callId: string;
  /** Capture time of the earliest event seen (normally STARTED): dates the recording's folder. */
  startUs: number;
  answered: boolean;
  /** Capture time of ENDED/FAILED, or null while the call goes on. */
  endUs: number | null;
  endKind: 'ENDED' | 'FAILED' | null;
  endedByTimeout: boolean;
  /** Capture time of the latest event. */
  lastEventUs: number;
  /** Highest event sequence applied: its SDP is the current one. */
  sequence: number;
  /** Every audio endpoint each party announced in this call (ip:port, canonical), cumulative across re-INVITEs. */
  callerEndpoints: Set<string>;
  calleeEndpoints: Set<string>;
  /** Where each party's packets were actually seen coming from (symmetric RTP behind NAT). */
  callerLatched: Set<string>;
  calleeLatched: Set<string>;
  callerMedia: MediaDescription[];
  calleeMedia: MediaDescription[];
  /** Bumped on every SDP change, so cached lookups know to refresh. */
  mediaVersion: number;
  eventIds: Set<string>;
}

function audioEndpoints(media: readonly MediaDescription[]): string[] {
  const out: string[] = [];
  for (const m of media) {
    if (m.media !== 'audio' || m.port <= 0) continue;
    try {
      out.push(endpointString(m.address, m.port));
    } catch {
      // An unparsable c= address claims nothing.
    }
  }
  return out;
}

/** A call's claim on a media endpoint: since when (capture time of the SDP that announced it, or of the packet it was latched from). */
interface EndpointClaim {
  callId: string;
  sinceUs: number;
}

/**
 * Who owns a stream over a span of capture time: `call` (or null) for every packet with
 * `fromUs <= t < untilUs`, as long as the directory's `version` has not changed.
 */
export interface StreamOwner {
  call: CallMedia | null;
  fromUs: number;
  untilUs: number;
  version: number;
}

/**
 * The calls known from qm.call-control.v1 and which RTP belongs to them: an index from media
 * endpoint (ip:port) to the calls that announced it in SDP (following MEDIA_UPDATED; old endpoints
 * stay, so packets sent before a re-INVITE still match) or were seen sending from it (latching),
 * each claim with the capture time it was made: a later call announcing the same endpoint (ports
 * reused, a fixed SSRC) takes the stream from then on.
 */
export class CallDirectory {
  readonly calls = new Map<string, CallMedia>();
  private readonly byEndpoint = new Map<string, EndpointClaim[]>();
  private changes = 0;

  /** Bumped whenever a claim, a call's end or the set of calls changes: cached owners are then stale. */
  get version(): number { return this.changes; }

  /**
   * Applies one CallEvent; returns the call and the endpoints it claimed anew (or whose call ended),
   * or null for a duplicate.
   */
  apply(ev: CallEvent): { call: CallMedia; touched: string[] } | null {
    let call = this.calls.get(ev.callId);
    if (!call) {
      call = {
        callId: ev.callId, startUs: ev.captureTimeUs, answered: false, endUs: null, endKind: null, endedByTimeout: false,
        lastEventUs: ev.captureTimeUs, sequence: -1, callerEndpoints: new Set(), calleeEndpoints: new Set(),
        callerLatched: new Set(), calleeLatched: new Set(), callerMedia: [], calleeMedia: [], mediaVersion: 0, eventIds: new Set(),
      };
      this.calls.set(ev.callId, call);
      this.changes++;
    }
    if (call.eventIds.has(ev.eventId)) return null;
    call.eventIds.add(ev.eventId);
    const touched: string[] = [];
    if (ev.captureTimeUs < call.startUs) call.startUs = ev.captureTimeUs;
    if (ev.captureTimeUs > call.lastEventUs) call.lastEventUs = ev.captureTimeUs;
    if (ev.kind === 'ANSWERED' || ev.kind === 'MEDIA_UPDATED') call.answered = true;
    if (ev.kind === 'ENDED' || ev.kind === 'FAILED') {
      call.endUs = ev.captureTimeUs;
      call.endKind = ev.kind;
      call.endedByTimeout = ev.endedBy === 'TIMEOUT';
      this.changes++;
      touched.push(...call.callerEndpoints, ...call.calleeEndpoints, ...call.callerLatched, ...call.calleeLatched);
    }
    for (const ep of audioEndpoints(ev.callerMedia)) if (this.addEndpoint(call, call.callerEndpoints, ep, ev.captureTimeUs)) touched.push(ep);
    for (const ep of audioEndpoints(ev.calleeMedia)) if (this.addEndpoint(call, call.calleeEndpoints, ep, ev.captureTimeUs)) touched.push(ep);
    if (ev.sequence > call.sequence) {
      call.sequence = ev.sequence;
      if (ev.callerMedia.length > 0) call.callerMedia = ev.callerMedia;
      if (ev.calleeMedia.length > 0) call.calleeMedia = ev.calleeMedia;
      call.mediaVersion++;
    }
    return { call, touched };
  }

  private addEndpoint(call: CallMedia, set: Set<string>, ep: string, atUs: number): boolean {
    if (set.has(ep)) return false;
    set.add(ep);
    this.claim(call.callId, ep, atUs);
    return true;
  }

  private claim(callId: string, ep: string, atUs: number): void {
    const list = this.byEndpoint.get(ep);
    if (!list) this.byEndpoint.set(ep, [{ callId, sinceUs: atUs }]);
    else {
      const mine = list.find((c) => c.callId === callId);
      if (!mine) list.push({ callId, sinceUs: atUs });
      else if (atUs < mine.sinceUs) mine.sinceUs = atUs;
      else return;
    }
    this.changes++;
  }

  /** Remembers that `side`'s packets come from `ep` (NAT: not what its SDP said), from capture time `atUs`. */
  latch(call: CallMedia, side: 'CALLER' | 'CALLEE', ep: string, atUs: number): void {
    const own = side === 'CALLER' ? call.callerEndpoints : call.calleeEndpoints;
    const latched = side === 'CALLER' ? call.callerLatched : call.calleeLatched;
    if (own.has(ep) || latched.has(ep)) return;
    latched.add(ep);
    this.claim(call.callId, ep, atUs);
  }

  /** Forgets a call and its endpoints. */
  forget(callId: string): void {
    const call = this.calls.get(callId);
    if (!call) return;
    this.calls.delete(callId);
    this.changes++;
    for (const ep of [...call.callerEndpoints, ...call.calleeEndpoints, ...call.callerLatched, ...call.calleeLatched]) {
      const list = this.byEndpoint.get(ep);
      if (!list) continue;
      const rest = list.filter((c) => c.callId !== callId);
      if (rest.length === 0) this.byEndpoint.delete(ep);
      else this.byEndpoint.set(ep, rest);
    }
  }

  /**
   * The call a stream from `src` to `dst` belongs to at capture time `atUs`, by its endpoints. Of
   * the calls claiming them whose life (to end plus `lingerUs`) covers `atUs`: those claiming both
   * endpoints first (two calls can share one side's endpoint, e.g. a media server's port, and differ
   * on the other), then those claiming the destination (the sender targets what the receiver
   * announced), then the source (symmetric RTP). Among those, the one that claimed last at or
   * before `atUs` (ports and SSRCs are reused: a later call takes the stream from its SDP on; the
   * earlier keeps what came before); when every claim is later than `atUs` (RTP ahead of its SDP),
   * the earliest. Also says over which span of capture time the answer holds, so a batch is routed
   * with one look-up per change of owner.
   */
  owner(src: string, dst: string, atUs: number, lingerUs: number): StreamOwner {
    let fromUs = Number.NEGATIVE_INFINITY;
    let untilUs = Number.POSITIVE_INFINITY;
    const bound = (b: number): void => {
      if (b <= atUs) { if (b > fromUs) fromUs = b; } else if (b < untilUs) untilUs = b;
    };
    const claimsOf = new Map<string, { call: CallMedia; dstUs: number | null; srcUs: number | null }>();
    for (const [ep, isDst] of [[dst, true], [src, false]] as const) {
      for (const c of this.byEndpoint.get(ep) ?? []) {
        const call = this.calls.get(c.callId);
        if (!call) continue;
        bound(c.sinceUs);
        if (call.endUs !== null) bound(call.endUs + lingerUs + 1);
        if (call.endUs !== null && atUs > call.endUs + lingerUs) continue;
        let entry = claimsOf.get(c.callId);
        if (!entry) {
          entry = { call, dstUs: null, srcUs: null };
          claimsOf.set(c.callId, entry);
        }
        if (isDst) entry.dstUs = c.sinceUs;
        else entry.srcUs = c.sinceUs;
      }
    }
    let found: CallMedia | null = null;
    for (const tier of ['both', 'dst', 'src'] as const) {
      let before: { call: CallMedia; sinceUs: number } | null = null;
      let after: { call: CallMedia; sinceUs: number } | null = null;
      for (const { call, dstUs, srcUs } of claimsOf.values()) {
        const sinceUs = tier === 'both' ? (dstUs !== null && srcUs !== null ? Math.max(dstUs, srcUs) : null) : tier === 'dst' ? dstUs : srcUs;
        if (sinceUs === null) continue;
        if (sinceUs <= atUs) {
          if (!before || sinceUs > before.sinceUs || (sinceUs === before.sinceUs && call.callId > before.call.callId)) before = { call, sinceUs };
        } else if (!after || sinceUs < after.sinceUs || (sinceUs === after.sinceUs && call.callId > after.call.callId)) {
          after = { call, sinceUs };
        }
      }
      found = before?.call ?? after?.call ?? null;
      if (found) break;
    }
    return { call: found, fromUs, untilUs, version: this.changes };
  }

  /** The call a stream belongs to at `atUs` (see `owner`). */
  match(src: string, dst: string, atUs: number, lingerUs: number): CallMedia | null {
    return this.owner(src, dst, atUs, lingerUs).call;
  }
}

/**
 * Whose audio a packet from `src` to `dst` is: sent to the callee's SDP endpoint → the caller's;
 * to the caller's → the callee's; else by the source (symmetric RTP); else by latched addresses
 * (a NAT'd party's packets are sent to where it was seen sending from). UNKNOWN when nothing fits.
 */
export function sideOf(call: CallMedia, src: string, dst: string): LegSide {
  if (call.calleeEndpoints.has(dst)) return 'CALLER';
  if (call.callerEndpoints.has(dst)) return 'CALLEE';
  if (call.callerEndpoints.has(src)) return 'CALLER';
  if (call.calleeEndpoints.has(src)) return 'CALLEE';
  if (call.calleeLatched.has(dst)) return 'CALLER';
  if (call.callerLatched.has(dst)) return 'CALLEE';
  if (call.callerLatched.has(src)) return 'CALLER';
  if (call.calleeLatched.has(src)) return 'CALLEE';
  return 'UNKNOWN';
}

function mappingsOf(media: readonly MediaDescription[]): RawCodecMapping[] {
  const out: RawCodecMapping[] = [];
  for (const m of media) {
    if (m.media !== 'audio') continue;
    for (const c of m.codecs) out.push({ payloadType: c.payloadType, encodingName: c.name, clockRate: c.clockRate, channels: c.channels });
  }
  return out;
}

/**
 * The payload types of a leg: the receiver's SDP first (a sender uses the numbers the other side
 * announced, RFC 3264), then the sender's, then the static types (comfort noise 13 always, so CN
 * packets are marked as such in the header).
 */
export function legCodecs(call: CallMedia, side: LegSide): RawCodecMapping[] {
  const receiver = side === 'CALLER' ? call.calleeMedia : side === 'CALLEE' ? call.callerMedia : [];
  const sender = side === 'CALLER' ? call.callerMedia : side === 'CALLEE' ? call.calleeMedia : [...call.callerMedia, ...call.calleeMedia];
  const byPt = new Map<number, RawCodecMapping>();
  for (const m of [...mappingsOf(receiver), ...mappingsOf(sender)]) if (!byPt.has(m.payloadType)) byPt.set(m.payloadType, m);
  const cn = staticPayloadType(PT_CN);
  if (cn && !byPt.has(PT_CN)) byPt.set(PT_CN, cn);
  return [...byPt.values()];
}

/** Looks a payload type up in a leg's mapping, then the static table. */
export function lookupIn(mappings: readonly RawCodecMapping[]): (pt: number) => RawCodecMapping | undefined {
  const byPt = new Map<number, RawCodecMapping>();
  for (const m of mappings) if (!byPt.has(m.payloadType)) byPt.set(m.payloadType, m);
  return (pt) => byPt.get(pt) ?? staticPayloadType(pt);
}
