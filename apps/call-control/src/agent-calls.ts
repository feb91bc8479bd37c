import { deterministicEventId, type CallDirection, type CallEvent, type CallEventKind, type CallParty, type MediaDescription } from '@earshot/events';
import { callDirection, type PartyIdentity } from './call-direction';
import type { DirectoryView } from './directory-view';
import { AgentRequestError, type AgentAnswerRequest, type AgentMediaRequest, type AgentParty, type AgentStartRequest, type AgentStopRequest } from './agent-request';

/** Where an agent-announced call stands. */
export type AgentCallPhase = 'ringing' | 'answered' | 'ended' | 'failed';

/** One call a PBX announced, as it stands after its last accepted request. */
export interface AgentCall {
  readonly callId: string;
  readonly startedAtUs: number;
  readonly phase: AgentCallPhase;
  /** Sequence of the next event. */
  readonly nextSeq: number;
  readonly lastTimeUs: number;
  readonly caller: AgentParty;
  readonly callee: AgentParty;
  readonly callerMedia: MediaDescription[];
  readonly calleeMedia: MediaDescription[];
  readonly record: boolean;
  readonly recordedUserId: string | null;
  readonly direction: CallDirection;
  /** Wall-clock ms when it ended, for forgetting it later. */
  readonly endedAtMs: number | undefined;
}

/** What a request leads to: the call's next state and the event to publish (none for a call not recorded). */
export interface AgentStep {
  readonly call: AgentCall;
  readonly event: CallEvent | undefined;
}

export interface AgentCallsOptions {
  readonly view: DirectoryView;
  readonly instanceId: string;
  /** Calls tracked at once before new ones are refused (503). Default 10000. */
  readonly maxCalls?: number;
  /** How long an ended call is remembered (answering 409, not 404, to late requests). Default 600000 ms. */
  readonly retainEndedMs?: number;
}

function identity(p: AgentParty): PartyIdentity {
  return { uri: p.uri, user: p.user, host: p.host, asserted: p.assertedIdentity ?? undefined };
}

function callParty(p: AgentParty): CallParty {
  return { uri: p.uri, user: p.user ?? null, displayName: p.displayName, assertedIdentity: p.assertedIdentity?.uri ?? null, tag: null };
}

/**
 * The calls a PBX agent announces, and the CallEvents each accepted request makes. Requests are
 * planned (`plan*`: validate the state, build the event) and committed (`commit`) only once the
 * event is on the topic, so a request that failed to publish can be sent again. The server
 * serialises requests per call id.
 *
 * Capture time of agent events: the request's `timeUs` when given, else the time the request was
 * received (µs, wall clock). It never goes back within a call: an earlier time is refused (400).
 */
export class AgentCalls {
  private readonly calls = new Map<string, AgentCall>();
  private readonly maxCalls: number;
  private readonly retainEndedMs: number;

  constructor(private readonly options: AgentCallsOptions) {
    this.maxCalls = options.maxCalls ?? 10_000;
    this.retainEndedMs = options.retainEndedMs ?? 600_000;
  }

  get(callId: string): AgentCall | undefined {
    return this.calls.get(callId);
  }

  get size(): number {
    return this.calls.size;
  }

  commit(step: AgentStep): void {
    this.calls.set(step.call.callId, step.call);
  }

  /** Forgets calls ended more than `retainEndedMs` ago. */
  sweep(nowMs: number): void {
    for (const [id, c] of this.calls) if (c.endedAtMs !== undefined && nowMs - c.endedAtMs > this.retainEndedMs) this.calls.delete(id);
  }

  planStart(req: AgentStartRequest, receivedUs: number): AgentStep {
    const existing = this.calls.get(req.callId);
    if (existing !== undefined) throw new AgentRequestError(409, `call ${JSON.stringify(req.callId)} was already started (it is ${existing.phase})`);
    this.sweep(Math.floor(receivedUs / 1000));
    if (this.calls.size >= this.maxCalls) throw new AgentRequestError(503, `too many calls tracked (${this.maxCalls}); end some first`);
    const t = req.timeUs ?? receivedUs;
    const caller = identity(req.caller);
    const callee = identity(req.callee);
    const media = (m: MediaDescription[] | undefined) => m?.map((s) => s.address) ?? [];
    const decision = this.options.view.decide({
      callId: req.callId,
      caller,
      callee,
      callerAddresses: [...(req.caller.address === null ? [] : [req.caller.address]), ...media(req.callerMedia)],
      calleeAddresses: [...(req.callee.address === null ? [] : [req.callee.address]), ...media(req.calleeMedia)],
    });
    const call: AgentCall = {
      callId: req.callId, startedAtUs: t, phase: 'ringing', nextSeq: 0, lastTimeUs: t,
      caller: req.caller, callee: req.callee, callerMedia: req.callerMedia ?? [], calleeMedia: req.calleeMedia ?? [],
      record: decision.record, recordedUserId: decision.userId,
      direction: callDirection(caller, callee, this.options.view.localPolicy), endedAtMs: undefined,
    };
    return this.step(call, 'STARTED', t, {});
  }

  planMedia(callId: string, req: AgentMediaRequest, receivedUs: number): AgentStep {
    const call = this.live(callId, 'update the media of');
    const t = this.time(call, req.timeUs, receivedUs);
    const next = { ...call, ...(req.side === 'caller' ? { callerMedia: req.media } : { calleeMedia: req.media }) };
    return this.step(next, 'MEDIA_UPDATED', t, {});
  }

  planAnswer(callId: string, req: AgentAnswerRequest, receivedUs: number): AgentStep {
    const call = this.live(callId, 'answer');
    if (call.phase === 'answered') throw new AgentRequestError(409, `call ${JSON.stringify(callId)} was already answered`);
    const t = this.time(call, req.timeUs, receivedUs);
    const next: AgentCall = { ...call, phase: 'answered', ...(req.calleeMedia ? { calleeMedia: req.calleeMedia } : {}), ...(req.callee ? { callee: req.callee } : {}) };
    return this.step(next, 'ANSWERED', t, {});
  }

  planStop(callId: string, req: AgentStopRequest, receivedUs: number): AgentStep {
    const call = this.live(callId, 'stop');
    const t = this.time(call, req.timeUs, receivedUs);
    const endedAtMs = Math.floor(receivedUs / 1000);
    if (call.phase === 'answered') {
      if (req.status !== undefined) throw new AgentRequestError(400, 'status is only for a call never answered (it failed with that status)', 'status');
      return this.step({ ...call, phase: 'ended', endedAtMs }, 'ENDED', t, { endedBy: req.endedBy, reason: req.reason });
    }
    const status = req.status ?? 487;
    return this.step({ ...call, phase: 'failed', endedAtMs }, 'FAILED', t, { failureStatus: status, reason: req.reason ?? (status === 487 ? 'cancelled before answer' : `${status}`) });
  }

  private live(callId: string, what: string): AgentCall {
    const call = this.calls.get(callId);
    if (call === undefined) throw new AgentRequestError(404, `no call ${JSON.stringify(callId)}: start it first with POST /v1/calls`);
    if (call.phase === 'ended' || call.phase === 'failed') throw new AgentRequestError(409, `cannot ${what} call ${JSON.stringify(callId)}: it has ${call.phase}`);
    return call;
  }

  private time(call: AgentCall, timeUs: number | undefined, receivedUs: number): number {
    const t = timeUs ?? Math.max(receivedUs, call.lastTimeUs);
    if (t < call.lastTimeUs) throw new AgentRequestError(400, `timeUs must not be before the call's previous event (${call.lastTimeUs}), got ${t}`, 'timeUs');
    return t;
  }

  private step(call: AgentCall, kind: CallEventKind, t: number, extra: { endedBy?: CallEvent['endedBy']; failureStatus?: number; reason?: string | null }): AgentStep {
    const seq = call.nextSeq;
    const next: AgentCall = { ...call, nextSeq: seq + 1, lastTimeUs: t };
    if (!call.record) return { call: next, event: undefined };
    const event: CallEvent = {
      eventId: deterministicEventId(call.callId, call.startedAtUs, seq),
      callId: call.callId,
      kind,
      sequence: seq,
      captureTimeUs: t,
      source: 'AGENT',
      instanceId: this.options.instanceId,
      caller: callParty(call.caller),
      callee: callParty(call.callee),
      direction: call.direction,
      recordedUserId: call.recordedUserId,
      callerMedia: call.callerMedia,
      calleeMedia: call.calleeMedia,
      signalling: null,
      endedBy: kind === 'ENDED' ? extra.endedBy ?? 'AGENT' : null,
      failureStatus: kind === 'FAILED' ? extra.failureStatus ?? null : null,
      reason: extra.reason ?? null,
    };
    return { call: next, event };
  }
}
