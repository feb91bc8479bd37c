import { ReasonCounters, withRetry } from '@earshot/errors';
import type { CallDirection, CallEvent } from '@earshot/events';
import type { SipCallEvent } from '@earshot/sip';
import { callDirection } from './call-direction';
import { mapSipCallEvent, partyIdentity } from './call-event-mapper';
import type { DirectoryView, RecordingDecision } from './directory-view';

/** Sends CallEvents, in order, resolving once they are acknowledged (EventProducer.send in the app). */
export type CallEventSink = (events: CallEvent[]) => Promise<void>;

/** Options of a CallEventPublisher. */
export interface CallEventPublisherOptions {
  readonly view: DirectoryView;
  readonly instanceId: string;
  readonly sink: CallEventSink;
  /** Where `calls.recorded`, `calls.not-recorded`, `events.published` and `events.failed` are counted. */
  readonly counters: ReasonCounters;
  /** Whether a send error is worth retrying (retried with backoff until `signal` aborts). Default: none is. */
  readonly retryIf?: (error: unknown) => boolean;
  readonly signal?: AbortSignal;
  /** Each call's decision, for the app's log. */
  readonly onDecision?: (callId: string, decision: RecordingDecision, direction: CallDirection) => void;
  /** Events given up on (not retriable, or stopped), for the app's log. */
  readonly onSendError?: (error: unknown, events: CallEvent[]) => void;
  /** Events per send at most. Default 500. */
  readonly maxBatch?: number;
}

interface Decided {
  readonly record: boolean;
  readonly direction: CallDirection;
  readonly userId: string | null;
}

interface Queued {
  readonly event: CallEvent;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

/**
 * Decides once per call, at its STARTED, whether to record it (the directory as it stands then,
 * so a file processed twice decides the same) and its direction; maps the tracker's events of
 * recorded calls to CallEvents and sends them one batch at a time, so the events of a call reach
 * the topic in order. Calls not recorded are counted, their events dropped.
 */
export class CallEventPublisher {
  private readonly decided = new Map<string, Decided>();
  private readonly queue: Queued[] = [];
  private sending: Promise<void> | null = null;
  private idleWaiters: Array<() => void> = [];
  private failure: unknown;

  constructor(private readonly options: CallEventPublisherOptions) {}

  /** Events queued or being sent. */
  get pending(): number {
    return this.queue.length + (this.sending === null ? 0 : 1);
  }

  /** The first send error given up on, if any (file mode then fails). */
  get firstFailure(): unknown {
    return this.failure;
  }

  /** Takes one tracker event; returns the CallEvent queued for it, or undefined when its call is not recorded. */
  onSipEvent(e: SipCallEvent): CallEvent | undefined {
    const key = `${e.callId}\u0000${e.startedAtUs}`;
    let d = this.decided.get(key);
    if (d === undefined) {
      const caller = partyIdentity(e.caller);
      const callee = partyIdentity(e.callee);
      const decision = this.options.view.decide({
        callId: e.callId,
        caller,
        callee,
        callerAddresses: [e.signalling.src.ip, ...(e.callerMedia?.streams.map((s) => s.address) ?? [])],
        calleeAddresses: [e.signalling.dst.ip, ...(e.calleeMedia?.streams.map((s) => s.address) ?? [])],
      });
      d = { record: decision.record, userId: decision.userId, direction: callDirection(caller, callee, this.options.view.localPolicy) };
      this.decided.set(key, d);
      this.options.counters.inc(d.record ? 'calls.recorded' : 'calls.not-recorded');
      this.options.onDecision?.(e.callId, decision, d.direction);
    }
    if (e.type === 'ended' || e.type === 'failed') this.decided.delete(key);
    if (!d.record) return undefined;
    const event = mapSipCallEvent(e, { instanceId: this.options.instanceId, direction: d.direction, recordedUserId: d.userId });
    void this.enqueue(event).catch(() => undefined); // counted and reported in drain()
    return event;
  }

  /** Queues one event; resolves when the topic has acknowledged it. */
  enqueue(event: CallEvent): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ event, resolve, reject });
      this.kick();
    });
  }

  /** Resolves when everything queued so far has been sent (or given up on). */
  flush(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private kick(): void {
    if (this.sending !== null) return;
    this.sending = this.drain().finally(() => {
      this.sending = null;
      if (this.queue.length > 0) {
        this.kick();
        return;
      }
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    });
  }

  private async drain(): Promise<void> {
    const max = this.options.maxBatch ?? 500;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, max);
      const events = batch.map((q) => q.event);
      try {
        await withRetry(() => this.options.sink(events), {
          attempts: Number.POSITIVE_INFINITY,
          initialDelayMs: 200,
          retryIf: this.options.retryIf ?? (() => false),
          ...(this.options.signal ? { signal: this.options.signal } : {}),
          onRetry: () => this.options.counters.inc('events.send-retries'),
        });
        this.options.counters.inc('events.published', events.length);
        for (const q of batch) q.resolve();
      } catch (error) {
        this.options.counters.inc('events.failed', events.length);
        if (this.failure === undefined) this.failure = error;
        this.options.onSendError?.(error, events);
        for (const q of batch) q.reject(error);
      }
    }
  }
}
