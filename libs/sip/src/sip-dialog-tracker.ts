import { ReasonCounters } from '@earshot/errors';
import { decodeSdp, type SdpMedia } from './sdp';
import { SdpDecodeError, SipDecodeError, SipOptionsError } from './sip-error';
import { formatSipReasons, getSipPAssertedIdentities, getSipReasons, getSipSdpBody, type SipReason } from './sip-headers';
import type { SipMessage, SipRequest, SipResponse } from './sip-message';
import type { SipNameAddr } from './sip-name-addr';

/** Options of a SipDialogTracker. Times are in capture time, never the wall clock. */
export interface SipDialogTrackerOptions {
  /**
   * A call with no final response to its INVITE is failed (`cause: 'timeout'`) after this long
   * without any message of the call. Default 180000 (3 min, RFC 3261 Timer C).
   */
  readonly unansweredTimeoutMs?: number;
  /**
   * An answered call with no message for this long is ended (`by: 'timeout'`): its BYE was lost or
   * never sent. Default 14400000 (4 h; session timers, when used, refresh far more often).
   */
  readonly establishedIdleTimeoutMs?: number;
  /**
   * How long an ended or failed call is kept to absorb late retransmissions (BYE, 200, ACK, 487)
   * without starting anything new. Default 32000 (64·T1, RFC 3261 Timer J / Timer B).
   */
  readonly lingerAfterEndMs?: number;
  /** Most calls tracked at once (lingering ones included). Default 10000. */
  readonly maxDialogs?: number;
  /**
   * What a new INVITE does when `maxDialogs` calls are tracked, after lingering calls are dropped:
   * `drop-oldest` ends the oldest call (`by: 'evicted'` / `cause: 'evicted'`), `refuse` ignores the
   * new call. Both are counted (`evicted`, `refused-full`). Default `drop-oldest`.
   */
  readonly whenFull?: 'drop-oldest' | 'refuse';
}

/** An ip:port of the signalling or media. */
export interface SipEndpoint {
  readonly ip: string;
  readonly port: number;
}

/** The transport a SIP message travelled on, as the capture saw it. */
export interface SipTransportInfo {
  /** `udp`, `tcp`, `tls`, ... */
  readonly protocol: string;
  readonly src: SipEndpoint;
  readonly dst: SipEndpoint;
}

/** One identity of P-Asserted-Identity. */
export interface SipIdentity {
  readonly uri: string;
  readonly user: string | undefined;
  readonly displayName: string | undefined;
}

/** A party of a call as the signalling names it. */
export interface SipCallParty {
  /** The From (caller) or To (callee) URI. */
  readonly uri: string;
  readonly user: string | undefined;
  readonly host: string | undefined;
  readonly displayName: string | undefined;
  /** The dialog tag, when known (the callee's once a response carried one; the winner's after 2xx). */
  readonly tag: string | undefined;
  /** P-Asserted-Identity: the caller's from the INVITE, the callee's from its responses. */
  readonly assertedIdentities: readonly SipIdentity[];
}

/** The media one side announced in its latest offer or answer. */
export interface SipSideMedia {
  /** The o= version of the SDP it came from. */
  readonly sdpVersion: string;
  /** One entry per m= line: where this side receives RTP/RTCP and in which codecs. */
  readonly streams: readonly SdpMedia[];
  /** Whether this side has put the call on hold: every enabled stream is sendonly, inactive or c=0.0.0.0. */
  readonly hold: boolean;
}

export type SipCallSide = 'caller' | 'callee';

/**
 * Fields of every event. `eventId` for the app: `deterministicEventId(callId, startedAtUs, seq)`
 * (startedAtUs tells apart a Call-ID reused for a new call).
 */
export interface SipCallEventBase {
  readonly callId: string;
  /** Position of this event within its call, from 0. */
  readonly seq: number;
  /** Capture time (µs since the epoch) of the packet that caused it; for a timeout, when it expired. */
  readonly captureTimeUs: number;
  /** Capture time of the call's first INVITE. */
  readonly startedAtUs: number;
  /** The transport of the message that caused the event; undefined for timeouts and evictions. */
  readonly transport: SipTransportInfo | undefined;
  /** The transport of the call's first INVITE. */
  readonly signalling: SipTransportInfo;
  /** The sender of the first INVITE. */
  readonly caller: SipCallParty;
  readonly callee: SipCallParty;
  /** The caller's media as of this event (its latest offer or answer), undefined when none was seen. */
  readonly callerMedia: SipSideMedia | undefined;
  readonly calleeMedia: SipSideMedia | undefined;
}

/** First INVITE of a call; callerMedia is its offer (undefined for a late offer). */
export interface SipCallStarted extends SipCallEventBase {
  readonly type: 'started';
  readonly requestUri: string;
}

/** 2xx to the INVITE; calleeMedia is the answer (or the early-media SDP of the winning fork). */
export interface SipCallAnswered extends SipCallEventBase {
  readonly type: 'answered';
  readonly status: number;
}

/** New media for one side: early media (18x with SDP), re-INVITE, UPDATE, late answer in ACK, PRACK. */
export interface SipCallMediaUpdated extends SipCallEventBase {
  readonly type: 'media-updated';
  readonly trigger: 'early-media' | 're-invite' | 'update' | 'ack' | 'prack';
  /** The side whose offer started the exchange (for early media: the callee). */
  readonly by: SipCallSide;
  /** Whether either side holds the call after this update. */
  readonly onHold: boolean;
}

/** BYE from either side, or no message for `establishedIdleTimeoutMs`, or evicted when full. */
export interface SipCallEnded extends SipCallEventBase {
  readonly type: 'ended';
  readonly by: SipCallSide | 'timeout' | 'evicted';
  /** Reason headers of the BYE. */
  readonly reasons: readonly SipReason[];
  /** Human text: the Reason headers, or why the tracker ended it. */
  readonly reasonText: string | undefined;
  /** Capture time of the 2xx, when one was seen. */
  readonly answeredAtUs: number | undefined;
}

/** A final non-2xx to the INVITE (3xx-6xx, 487 after CANCEL), or no final response in time. */
export interface SipCallFailed extends SipCallEventBase {
  readonly type: 'failed';
  /** `rejected` (4xx-6xx), `redirected` (3xx), `cancelled` (CANCEL or 487), `timeout`, `evicted`. */
  readonly cause: 'rejected' | 'redirected' | 'cancelled' | 'timeout' | 'evicted';
  /** The final status (487 for a cancelled call), or null when none was seen. */
  readonly status: number | null;
  readonly reasonPhrase: string | undefined;
  /** Reason headers of the final response and of the CANCEL. */
  readonly reasons: readonly SipReason[];
  /** Human text: `486 Busy Here; Q.850 cause=17 "User busy"`. */
  readonly reasonText: string;
}

export type SipCallEvent = SipCallStarted | SipCallAnswered | SipCallMediaUpdated | SipCallEnded | SipCallFailed;

const DEFAULTS = {
  unansweredTimeoutMs: 180_000,
  establishedIdleTimeoutMs: 14_400_000,
  lingerAfterEndMs: 32_000,
  maxDialogs: 10_000,
};
const MAX_SEEN_PER_CALL = 512;

type Phase = 'trying' | 'early' | 'confirmed' | 'ended';

interface PendingOffer {
  readonly method: 'INVITE' | 'UPDATE';
  readonly cseq: number;
  readonly by: SipCallSide;
  readonly offer: SipSideMedia | undefined;
}

interface Call {
  readonly callId: string;
  readonly startedAtUs: number;
  readonly signalling: SipTransportInfo;
  readonly callerTag: string | undefined;
  readonly callerUri: string;
  seq: number;
  phase: Phase;
  caller: SipCallParty;
  callee: SipCallParty;
  inviteCseq: number;
  /** The initial INVITE carried no SDP: the 2xx has the callee's offer, the ACK the caller's answer. */
  lateOffer: boolean;
  cancelled: boolean;
  cancelReasons: SipReason[];
  challengedStatus: number | undefined;
  callerMedia: SipSideMedia | undefined;
  calleeMedia: SipSideMedia | undefined;
  /** Early media per to-tag (forked early dialogs). */
  earlyMedia: Map<string, SipSideMedia>;
  pending: PendingOffer | undefined;
  /** A 2xx to a re-INVITE without SDP held an offer; the ACK brings the answer. */
  awaitingAckAnswerFrom: SipCallSide | undefined;
  answeredAtUs: number | undefined;
  lastActivityUs: number;
  endedAtUs: number | undefined;
  seen: Set<string>;
}

function checkOption(path: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new SipOptionsError(`${path} must be an integer of at least ${min}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function identity(na: SipNameAddr): SipIdentity {
  return { uri: na.uri.raw, user: na.uri.user, displayName: na.displayName };
}

function party(na: SipNameAddr, assertedIdentities: readonly SipIdentity[]): SipCallParty {
  return { uri: na.uri.raw, user: na.uri.user, host: na.uri.host, displayName: na.displayName, tag: na.params['tag'], assertedIdentities };
}

function sameMedia(a: SipSideMedia | undefined, b: SipSideMedia | undefined): boolean {
  return JSON.stringify(a?.streams) === JSON.stringify(b?.streams);
}

/**
 * Follows SIP calls from the messages a capture sees and tells the call-level story: started,
 * answered, media-updated, ended, failed. Pure and deterministic: driven only by the messages and
 * their capture times (µs since the epoch, a plain number), so a capture file and the same traffic
 * live give the same events in the same order with the same sequence numbers.
 *
 * A call is keyed by its Call-ID. Requests are told apart by (From tag, method, CSeq) and responses
 * by (From tag, CSeq, status, To tag): retransmissions, and the same message seen again at another
 * hop of a proxy, are counted (`retransmission`) and produce nothing.
 *
 * `onMessage` and `tick` return the events they cause, in order; `counters` counts what was
 * ignored and why.
 */
export class SipDialogTracker {
  readonly counters = new ReasonCounters();
  private readonly unansweredTimeoutUs: number;
  private readonly establishedIdleTimeoutUs: number;
  private readonly lingerUs: number;
  private readonly maxDialogs: number;
  private readonly whenFull: 'drop-oldest' | 'refuse';
  private readonly calls = new Map<string, Call>();
  private nowUs = -Infinity;
  private nextDeadlineUs = Infinity;

  constructor(options: SipDialogTrackerOptions = {}) {
    this.unansweredTimeoutUs = checkOption('sipDialogTracker.unansweredTimeoutMs', options.unansweredTimeoutMs, DEFAULTS.unansweredTimeoutMs, 1) * 1000;
    this.establishedIdleTimeoutUs = checkOption('sipDialogTracker.establishedIdleTimeoutMs', options.establishedIdleTimeoutMs, DEFAULTS.establishedIdleTimeoutMs, 1) * 1000;
    this.lingerUs = checkOption('sipDialogTracker.lingerAfterEndMs', options.lingerAfterEndMs, DEFAULTS.lingerAfterEndMs, 0) * 1000;
    this.maxDialogs = checkOption('sipDialogTracker.maxDialogs', options.maxDialogs, DEFAULTS.maxDialogs, 1);
    const whenFull = options.whenFull ?? 'drop-oldest';
    if (whenFull !== 'drop-oldest' && whenFull !== 'refuse') {
      throw new SipOptionsError(`sipDialogTracker.whenFull must be "drop-oldest" or "refuse", got ${JSON.stringify(whenFull)}`);
    }
    this.whenFull = whenFull;
  }

  /** Calls tracked now, lingering ones included. */
  get size(): number {
    return this.calls.size;
  }

  /** Calls not yet ended or failed. */
  get activeCalls(): number {
    let n = 0;
    for (const c of this.calls.values()) if (c.phase !== 'ended') n++;
    return n;
  }

  /**
   * Feeds one decoded SIP message with its capture time (µs since the epoch) and transport.
   * Returns the events it causes, after those of any timeouts that expired by `captureTimeUs`.
   */
  onMessage(message: SipMessage, captureTimeUs: number, transport: SipTransportInfo): SipCallEvent[] {
    const events = this.tick(captureTimeUs);
    this.counters.inc('messages');
    const call = this.calls.get(message.callId);
    if (call !== undefined && this.isRepeat(call, message)) {
      this.counters.inc('retransmission');
      return events;
    }
    if (message.kind === 'request') this.onRequest(message, call, captureTimeUs, transport, events);
    else this.onResponse(message, call, captureTimeUs, transport, events);
    return events;
  }

  /**
   * Advances capture time: fails unanswered calls, ends idle ones and forgets lingering ones whose
   * time is up. A timeout event carries the capture time at which it expired, so calling `tick`
   * late (or with Infinity at the end of a capture file) gives the same events.
   */
  tick(captureTimeUs: number): SipCallEvent[] {
    if (typeof captureTimeUs !== 'number' || Number.isNaN(captureTimeUs)) {
      throw new SipOptionsError(`captureTimeUs must be a number of microseconds, got ${JSON.stringify(captureTimeUs)}`);
    }
    if (captureTimeUs > this.nowUs) this.nowUs = captureTimeUs;
    const events: SipCallEvent[] = [];
    if (this.nowUs < this.nextDeadlineUs) return events;
    let next = Infinity;
    for (const call of [...this.calls.values()]) {
      const deadline = this.deadlineOf(call);
      if (deadline > this.nowUs) {
        next = Math.min(next, deadline);
        continue;
      }
      if (call.phase === 'ended') {
        this.calls.delete(call.callId);
        continue;
      }
      if (call.phase === 'confirmed') {
        events.push(this.end(call, deadline, undefined, 'timeout', [], `no SIP message for ${this.establishedIdleTimeoutUs / 1000} ms`));
      } else {
        events.push(this.fail(call, deadline, undefined, call.cancelled ? 'cancelled' : 'timeout', call.challengedStatus ?? null, undefined, []));
      }
      next = Math.min(next, this.deadlineOf(call));
    }
    this.nextDeadlineUs = next;
    return events;
  }

  private deadlineOf(call: Call): number {
    switch (call.phase) {
      case 'ended': return (call.endedAtUs ?? call.lastActivityUs) + this.lingerUs;
      case 'confirmed': return call.lastActivityUs + this.establishedIdleTimeoutUs;
      default: return call.lastActivityUs + this.unansweredTimeoutUs;
    }
  }

  private touch(call: Call, timeUs: number): void {
    if (timeUs > call.lastActivityUs) call.lastActivityUs = timeUs;
    this.nextDeadlineUs = Math.min(this.nextDeadlineUs, this.deadlineOf(call));
  }

  private isRepeat(call: Call, m: SipMessage): boolean {
    const fromTag = m.from.params['tag'] ?? '';
    const key = m.kind === 'request'
      ? `Q ${fromTag} ${m.method} ${m.cseq.seq}`
      : `R ${fromTag} ${m.cseq.method} ${m.cseq.seq} ${m.status} ${m.to.params['tag'] ?? ''}`;
    if (call.seen.has(key)) return true;
    if (call.seen.size >= MAX_SEEN_PER_CALL) call.seen.clear();
    call.seen.add(key);
    return false;
  }

  /** Which side sent a request (or, for a response, which side sent the request it answers). */
  private requester(call: Call, m: SipMessage): SipCallSide {
    const tag = m.from.params['tag'];
    if (call.callerTag !== undefined && tag !== undefined) return tag === call.callerTag ? 'caller' : 'callee';
    return m.from.uri.raw === call.callerUri ? 'caller' : 'callee';
  }

  private media(m: SipMessage): SipSideMedia | undefined {
    let body: Uint8Array | undefined;
    try {
      body = getSipSdpBody(m);
      if (body === undefined) return undefined;
      const sdp = decodeSdp(body);
      const enabled = sdp.media.filter((s) => s.port !== 0);
      return { sdpVersion: sdp.origin.sessionVersion, streams: sdp.media, hold: enabled.length > 0 && enabled.every((s) => s.hold) };
    } catch (e) {
      if (e instanceof SdpDecodeError) this.counters.inc(`sdp.${e.reason}`);
      else if (e instanceof SipDecodeError) this.counters.inc(`header.${e.reason}`);
      else throw e;
      return undefined;
    }
  }

  private identities(m: SipMessage): SipIdentity[] {
    try {
      return getSipPAssertedIdentities(m).map(identity);
    } catch (e) {
      if (!(e instanceof SipDecodeError)) throw e;
      this.counters.inc(`header.${e.reason}`);
      return [];
    }
  }

  private reasons(m: SipMessage): SipReason[] {
    try {
      return getSipReasons(m);
    } catch (e) {
      if (!(e instanceof SipDecodeError)) throw e;
      this.counters.inc(`header.${e.reason}`);
      return [];
    }
  }

  private base(call: Call, timeUs: number, transport: SipTransportInfo | undefined): SipCallEventBase {
    return {
      callId: call.callId,
      seq: call.seq++,
      captureTimeUs: timeUs,
      startedAtUs: call.startedAtUs,
      transport,
      signalling: call.signalling,
      caller: call.caller,
      callee: call.callee,
      callerMedia: call.callerMedia,
      calleeMedia: call.calleeMedia,
    };
  }

  private onRequest(m: SipRequest, call: Call | undefined, t: number, transport: SipTransportInfo, events: SipCallEvent[]): void {
    const hasToTag = m.to.params['tag'] !== undefined;
    if (m.method === 'INVITE' && !hasToTag) {
      if (call === undefined || (call.phase === 'ended' && call.answeredAtUs === undefined && m.cseq.seq > call.inviteCseq)) {
        // A new call, or a new attempt after a redirect or a 422/491 with a higher CSeq.
        if (call !== undefined) this.calls.delete(call.callId);
        this.start(m, t, transport, events);
        return;
      }
      if (call.phase !== 'ended' && m.cseq.seq > call.inviteCseq && call.answeredAtUs === undefined) {
        // The same INVITE again with credentials after 401/407: same call, new transaction.
        call.inviteCseq = m.cseq.seq;
        call.challengedStatus = undefined;
        const offer = this.media(m);
        if (offer !== undefined) call.callerMedia = offer;
        call.lateOffer = offer === undefined;
        this.touch(call, t);
        return;
      }
      this.counters.inc(call.phase === 'ended' ? 'after-end' : 'retransmission');
      return;
    }
    if (call === undefined) {
      this.counters.inc(m.method === 'INVITE' || m.method === 'BYE' || m.method === 'UPDATE' ? 'unknown-dialog' : 'not-a-call');
      return;
    }
    if (call.phase === 'ended') {
      this.counters.inc('after-end');
      return;
    }
    this.touch(call, t);
    const by = this.requester(call, m);
    switch (m.method) {
      case 'INVITE':
      case 'UPDATE':
        call.pending = { method: m.method, cseq: m.cseq.seq, by, offer: this.media(m) };
        return;
      case 'ACK': {
        const answer = this.media(m);
        if (answer === undefined) return;
        if (call.lateOffer && by === 'caller' && call.phase === 'confirmed' && call.callerMedia === undefined) {
          call.lateOffer = false;
          this.setMedia(call, 'caller', answer, t, transport, 'ack', 'callee', events);
        } else if (call.awaitingAckAnswerFrom === by) {
          call.awaitingAckAnswerFrom = undefined;
          this.setMedia(call, by, answer, t, transport, 'ack', by === 'caller' ? 'callee' : 'caller', events);
        }
        return;
      }
      case 'PRACK': {
        const sdp = this.media(m);
        if (sdp !== undefined) this.setMedia(call, by, sdp, t, transport, 'prack', by === 'caller' ? 'callee' : 'caller', events);
        return;
      }
      case 'CANCEL':
        if (call.answeredAtUs === undefined) {
          call.cancelled = true;
          call.cancelReasons = this.reasons(m);
        }
        return;
      case 'BYE':
        events.push(this.end(call, t, transport, by, this.reasons(m), undefined));
        return;
      default:
        return;
    }
  }

  private start(m: SipRequest, t: number, transport: SipTransportInfo, events: SipCallEvent[]): void {
    if (this.calls.size >= this.maxDialogs) this.makeRoom(t, events);
    if (this.calls.size >= this.maxDialogs) {
      this.counters.inc('refused-full');
      return;
    }
    const offer = this.media(m);
    const call: Call = {
      callId: m.callId,
      startedAtUs: t,
      signalling: transport,
      callerTag: m.from.params['tag'],
      callerUri: m.from.uri.raw,
      seq: 0,
      phase: 'trying',
      caller: party(m.from, this.identities(m)),
      callee: party(m.to, []),
      inviteCseq: m.cseq.seq,
      lateOffer: offer === undefined,
      cancelled: false,
      cancelReasons: [],
      challengedStatus: undefined,
      callerMedia: offer,
      calleeMedia: undefined,
      earlyMedia: new Map(),
      pending: undefined,
      awaitingAckAnswerFrom: undefined,
      answeredAtUs: undefined,
      lastActivityUs: t,
      endedAtUs: undefined,
      seen: new Set([`Q ${m.from.params['tag'] ?? ''} INVITE ${m.cseq.seq}`]),
    };
    this.calls.set(call.callId, call);
    this.touch(call, t);
    this.counters.inc('calls');
    events.push({ ...this.base(call, t, transport), type: 'started', requestUri: m.requestUri });
  }

  /** Drops a lingering call, or with `drop-oldest` ends the oldest call. */
  private makeRoom(t: number, events: SipCallEvent[]): void {
    for (const c of this.calls.values()) {
      if (c.phase === 'ended') {
        this.calls.delete(c.callId);
        return;
      }
    }
    if (this.whenFull !== 'drop-oldest') return;
    const oldest = this.calls.values().next();
    if (oldest.done === true) return;
    const call = oldest.value;
    this.counters.inc('evicted');
    events.push(call.phase === 'confirmed'
      ? this.end(call, t, undefined, 'evicted', [], 'evicted: too many concurrent calls')
      : this.fail(call, t, undefined, 'evicted', null, undefined, []));
    this.calls.delete(call.callId);
  }

  private onResponse(m: SipResponse, call: Call | undefined, t: number, transport: SipTransportInfo, events: SipCallEvent[]): void {
    if (call === undefined) {
      this.counters.inc(m.cseq.method === 'INVITE' ? 'unknown-dialog' : 'not-a-call');
      return;
    }
    if (call.phase === 'ended') {
      this.counters.inc('after-end');
      return;
    }
    this.touch(call, t);
    const requester = this.requester(call, m);
    const responder: SipCallSide = requester === 'caller' ? 'callee' : 'caller';
    const toTag = m.to.params['tag'];
    if (m.cseq.method === 'INVITE' && m.cseq.seq === call.inviteCseq && requester === 'caller') {
      this.onInviteResponse(m, call, toTag, t, transport, events);
      return;
    }
    const pending = call.pending;
    if (pending === undefined || pending.method !== m.cseq.method || pending.cseq !== m.cseq.seq || pending.by !== requester || m.status < 200) return;
    call.pending = undefined;
    if (m.status >= 300) return; // offer rejected (488, 491, ...): the media stay as they were
    const answer = this.media(m);
    const trigger = pending.method === 'INVITE' ? 're-invite' : 'update';
    if (pending.offer === undefined) {
      // Offer in the 2xx, answer in the ACK (re-INVITE without SDP).
      if (answer !== undefined && pending.method === 'INVITE') {
        call.awaitingAckAnswerFrom = requester;
        this.setMedia(call, responder, answer, t, transport, trigger, responder, events);
      }
      return;
    }
    const before = JSON.stringify([call.callerMedia?.streams, call.calleeMedia?.streams]);
    this.assign(call, pending.by, pending.offer);
    if (answer !== undefined) this.assign(call, responder, answer);
    if (JSON.stringify([call.callerMedia?.streams, call.calleeMedia?.streams]) === before) {
      this.counters.inc('session-refresh');
      return;
    }
    events.push(this.mediaUpdated(call, t, transport, trigger, pending.by));
  }

  private onInviteResponse(m: SipResponse, call: Call, toTag: string | undefined, t: number, transport: SipTransportInfo, events: SipCallEvent[]): void {
    const pai = this.identities(m);
    if (m.status < 200) {
      if (m.status === 100 || toTag === undefined) return;
      if (call.phase === 'trying') call.phase = 'early';
      if (call.phase !== 'early') return;
      call.callee = { ...call.callee, tag: toTag, assertedIdentities: pai.length > 0 ? pai : call.callee.assertedIdentities };
      const sdp = this.media(m);
      if (sdp === undefined) return;
      const previous = call.earlyMedia.get(toTag);
      call.earlyMedia.set(toTag, sdp);
      if (call.lateOffer) {
        // No offer in the INVITE: this SDP is the callee's offer; the caller answers in PRACK (or the 2xx/ACK).
        call.calleeMedia = sdp;
        return;
      }
      if (previous !== undefined && sameMedia(previous, sdp)) return;
      call.calleeMedia = sdp;
      events.push(this.mediaUpdated(call, t, transport, 'early-media', 'callee'));
      return;
    }
    if (m.status < 300) {
      if (call.phase === 'confirmed') {
        this.counters.inc('fork-extra-2xx');
        return;
      }
      call.phase = 'confirmed';
      call.answeredAtUs = t;
      call.callee = { ...call.callee, tag: toTag, assertedIdentities: pai.length > 0 ? pai : call.callee.assertedIdentities };
      const sdp = this.media(m) ?? (toTag === undefined ? undefined : call.earlyMedia.get(toTag));
      if (sdp !== undefined) call.calleeMedia = sdp;
      call.earlyMedia.clear();
      this.touch(call, t);
      events.push({ ...this.base(call, t, transport), type: 'answered', status: m.status });
      return;
    }
    if (call.phase === 'confirmed') return; // a late failure from another fork after one answered
    if ((m.status === 401 || m.status === 407) && !call.cancelled) {
      this.counters.inc('auth-challenge');
      call.challengedStatus = m.status;
      return;
    }
    const cause = call.cancelled || m.status === 487 ? 'cancelled' : m.status < 400 ? 'redirected' : 'rejected';
    events.push(this.fail(call, t, transport, cause, m.status, m.reasonPhrase, [...this.reasons(m), ...call.cancelReasons]));
  }

  private assign(call: Call, side: SipCallSide, media: SipSideMedia): void {
    if (side === 'caller') call.callerMedia = media;
    else call.calleeMedia = media;
  }

  private setMedia(call: Call, side: SipCallSide, media: SipSideMedia, t: number, transport: SipTransportInfo, trigger: SipCallMediaUpdated['trigger'], by: SipCallSide, events: SipCallEvent[]): void {
    const current = side === 'caller' ? call.callerMedia : call.calleeMedia;
    if (sameMedia(current, media)) return;
    this.assign(call, side, media);
    events.push(this.mediaUpdated(call, t, transport, trigger, by));
  }

  private mediaUpdated(call: Call, t: number, transport: SipTransportInfo, trigger: SipCallMediaUpdated['trigger'], by: SipCallSide): SipCallMediaUpdated {
    const onHold = (call.callerMedia?.hold ?? false) || (call.calleeMedia?.hold ?? false);
    return { ...this.base(call, t, transport), type: 'media-updated', trigger, by, onHold };
  }

  private finish(call: Call, t: number): void {
    call.phase = 'ended';
    call.endedAtUs = t;
    call.pending = undefined;
    this.nextDeadlineUs = Math.min(this.nextDeadlineUs, this.deadlineOf(call));
  }

  private end(call: Call, t: number, transport: SipTransportInfo | undefined, by: SipCallEnded['by'], reasons: SipReason[], why: string | undefined): SipCallEnded {
    this.finish(call, t);
    const text = reasons.length > 0 ? formatSipReasons(reasons) : why;
    return { ...this.base(call, t, transport), type: 'ended', by, reasons, reasonText: text, answeredAtUs: call.answeredAtUs };
  }

  private fail(call: Call, t: number, transport: SipTransportInfo | undefined, cause: SipCallFailed['cause'], status: number | null, phrase: string | undefined, reasons: SipReason[]): SipCallFailed {
    this.finish(call, t);
    const head = status === null
      ? cause === 'evicted' ? 'evicted: too many concurrent calls' : `no final response within ${this.unansweredTimeoutUs / 1000} ms`
      : `${status}${phrase ? ` ${phrase}` : ''}`;
    const reasonText = reasons.length > 0 ? `${head}; ${formatSipReasons(reasons)}` : head;
    return { ...this.base(call, t, transport), type: 'failed', cause, status, reasonPhrase: phrase, reasons, reasonText };
  }
}
