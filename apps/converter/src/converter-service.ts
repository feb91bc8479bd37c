/*
 * The converter's Kafka side. Reads qm.recordings.v1 (group `<prefix>-converter`): remembers each
 * call's LEG_COMPLETED events, and on CALL_COMPLETED starts converting the legs to one WAV at once,
 * beside the other calls of the consumed batch (up to `conversionConcurrency` at a time). When the
 * batch has been handled, the CONVERTED (or FAILED) events of all its calls and the consumed offset
 * are committed in ONE Kafka transaction, so an event and the offset that says "done" are
 * committed together or not at all (exactly once), and the transaction's fixed cost (five round
 * trips, and the coordinator finishing the previous one) is paid once per batch, not per call.
 * See README.md "Latency" for why this and not one transaction per call.
 *
 * Offsets: a call's LEG_COMPLETED events are only in memory until its CALL_COMPLETED, so the
 * committed offset of a partition never passes the first LEG_COMPLETED of a call still open there
 * (a restart replays them). A replay can re-convert a call converted after that point: the WAV
 * bytes, the event and its eventId are the same, so consumers see a duplicate they can recognise.
 *
 * Settings applied while running, from qm.config.v1 (read whole by a group of this process):
 * `converter.outputChannels` (null: EARSHOT_OUTPUT_CHANNELS), and the codecs rendered as audio:
 * `converter.recordedCodecs`, or when empty the recorder's `recordedCodecs` (empty: all known).
 */
import { EarshotError, ReasonCounters, withRetry } from '@earshot/errors';
import { deterministicEventId, TOPICS, type RecordingEvent, type ServiceConfig } from '@earshot/events';
import { CompactedTopicReader, ConsumerRunner, initialOffsetsFor, type DecodedMessage, type EventCodec, type KafkaClient, type KafkaProducer } from '@earshot/kafka';
import type { ServiceLogger } from '@earshot/service';
import type { ChannelLayout } from './call-mix';
import { ConversionError } from './call-conversion';
import { convertCallToWav, type CompletedLeg } from './call-writer';

/** Writing a WAV failed for a reason other than its input (disk full, permissions): retried, never FAILED. */
export class WavWriteError extends EarshotError {}

export interface ConverterServiceOptions {
  kafka: KafkaClient;
  codec: EventCodec;
  log: ServiceLogger;
  counters: ReasonCounters;
  instanceId: string;
  /** Recordings root (EARSHOT_RECORDINGS_DIR). */
  recordingsDir: string;
  groupPrefix: string;
  /** Where the group starts without a commit (EARSHOT_KAFKA_START_FROM). */
  startFrom: string;
  /** Layout when qm.config.v1 says nothing (EARSHOT_OUTPUT_CHANNELS). */
  defaultLayout: ChannelLayout;
  /** Calls converted at the same time (reading, mixing and fsyncing overlap). Default 8. */
  conversionConcurrency?: number;
}

interface OpenCall {
  partition: number;
  /** Offset of the call's first LEG_COMPLETED: commits stop there while the call is open. */
  firstOffset: bigint;
  legs: Map<string, CompletedLeg>;
}

/** A CALL_COMPLETED handled in the batch in hand, its conversion under way or done. */
interface PendingCall {
  callId: string;
  /** The CALL_COMPLETED's offset: a batch redelivered after a failed commit is not taken twice. */
  offset: string;
  done: RecordingEvent;
  legs: CompletedLeg[];
  outcome: Promise<RecordingEvent>;
}

/** The converter's effective settings. */
export interface ConverterSettings {
  layout: ChannelLayout;
  recordedCodecs: string[];
}

/**
 * The settings from the latest qm.config.v1 values: the converter's outputChannels (null: the
 * default), and recordedCodecs from the converter's value, or when empty the recorder's (empty: all).
 */
export function effectiveSettings(converter: ServiceConfig | undefined, recorder: ServiceConfig | undefined, defaultLayout: ChannelLayout): ConverterSettings {
  const layout: ChannelLayout = converter?.outputChannels === 'MONO' ? 'mono' : converter?.outputChannels === 'STEREO' ? 'stereo' : defaultLayout;
  const recordedCodecs = converter && converter.recordedCodecs.length > 0 ? converter.recordedCodecs : recorder?.recordedCodecs ?? [];
  return { layout, recordedCodecs: [...recordedCodecs] };
}

/** Runs at most `limit` tasks at a time, the others queued in order. */
class TaskLimiter {
  private running = 0;
  private readonly queue: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async run<R>(task: () => Promise<R>): Promise<R> {
    if (this.running >= this.limit) await new Promise<void>((r) => this.queue.push(r));
    this.running++;
    try {
      return await task();
    } finally {
      this.running--;
      this.queue.shift()?.();
    }
  }
}

export class ConverterService {
  private readonly open = new Map<string, OpenCall>();
  /** CALL_COMPLETED handled but not yet committed, by partition. */
  private readonly pending = new Map<number, PendingCall[]>();
  /** The latest conversion of each call in progress: a replayed call waits for it (same WAV path). */
  private readonly converting = new Map<string, Promise<unknown>>();
  private readonly configs = new Map<string, ServiceConfig>();
  private readonly groupId: string;
  private readonly producer: KafkaProducer;
  private readonly limiter: TaskLimiter;
  private recordings?: ConsumerRunner<typeof TOPICS.recordings>;
  private config?: CompactedTopicReader<typeof TOPICS.config>;

  constructor(private readonly o: ConverterServiceOptions) {
    this.groupId = `${o.groupPrefix}-converter`;
    this.limiter = new TaskLimiter(o.conversionConcurrency ?? 8);
    // One transactional id per instance: a restarted instance with the same id fences its predecessor.
    // Retries start at 10 ms (kafkajs: 100 ms, doubling): right after a commit the coordinator is
    // still writing its markers and answers the next transaction's first request with
    // CONCURRENT_TRANSACTIONS for a few milliseconds; waiting 100-300 ms each time serialised the
    // transactions (the "another concurrent operation" retries of issue 8).
    this.producer = o.kafka.producer({
      idempotent: true, maxInFlightRequests: 1, transactionalId: `${this.groupId}-${o.instanceId}`,
      retry: { initialRetryTime: 10, maxRetryTime: 2000, retries: Number.MAX_SAFE_INTEGER },
    });
  }

  /** The settings in force now. */
  get settings(): ConverterSettings {
    return effectiveSettings(this.configs.get('converter'), this.configs.get('recorder'), this.o.defaultLayout);
  }

  async start(): Promise<void> {
    const { kafka, codec, log } = this.o;
    const [, initialOffsets] = await Promise.all([
      this.producer.connect(),
      initialOffsetsFor(kafka, [TOPICS.recordings], this.o.startFrom),
      this.startConfig(),
    ]);
    this.recordings = new ConsumerRunner({
      kafka, codec, groupId: this.groupId, topics: [TOPICS.recordings], maxWaitTimeInMs: 250,
      initialOffsets,
      counters: this.o.counters,
      commitOffset: (_topic, partition, next) => this.commitOffsetFor(partition, BigInt(next)).toString(),
      handle: async (m) => this.handleRecording(m),
      afterBatch: (_topic, partition, next) => this.commitConversions(partition, BigInt(next)),
      onDeadLetter: (error, m) => log.warn('recording event dead-lettered', { error, ...m }),
    });
    await this.recordings.start();
    log.info('converter consuming', { groupId: this.groupId, ...this.settings });
  }

  async stop(): Promise<void> {
    await this.recordings?.stop();
    await this.config?.stop();
    await this.producer.disconnect();
  }

  /** Reads qm.config.v1 from its beginning to its end of now, in a group of this process's own. */
  private async startConfig(): Promise<void> {
    const { kafka, codec, log } = this.o;
    this.config = new CompactedTopicReader({
      kafka, codec, topics: [TOPICS.config], groupIdBase: `${this.groupId}-config`,
      apply: (_topic, key, value) => {
        if (key !== 'converter' && key !== 'recorder') return;
        const before = JSON.stringify(this.settings);
        if (value) this.configs.set(key, value);
        else this.configs.delete(key);
        if (JSON.stringify(this.settings) !== before) log.info('settings applied', { from: key, revision: value?.revision ?? null, ...this.settings });
      },
      onUndecodable: (_topic, key, error) => log.warn('qm.config.v1 record not applied: cannot decode it', { key, error }),
    });
    const how = await this.config.start();
    if (how === 'quiet') log.info('qm.config.v1 counted as read: nothing more to fetch before its end offset (a transaction marker or a compacted gap)', this.settings as unknown as Record<string, unknown>);
  }

  /** The offset to commit on `partition`: `next`, held back to the first LEG_COMPLETED of a call still open there. */
  private commitOffsetFor(partition: number, next: bigint): bigint {
    let out = next;
    for (const c of this.open.values()) if (c.partition === partition && c.firstOffset < out) out = c.firstOffset;
    return out;
  }

  private async handleRecording(m: DecodedMessage<typeof TOPICS.recordings>): Promise<void> {
    const e = m.value;
    if (!e) return;
    if (e.kind === 'LEG_COMPLETED' && e.leg) {
      let call = this.open.get(e.callId);
      if (!call) {
        call = { partition: m.partition, firstOffset: BigInt(m.offset), legs: new Map() };
        this.open.set(e.callId, call);
      }
      call.legs.set(e.leg.legId, { legId: e.leg.legId, side: e.leg.side, rawPath: e.leg.rawPath });
      return;
    }
    if (e.kind !== 'CALL_COMPLETED') return;
    const list = this.pending.get(m.partition) ?? [];
    if (list.some((c) => c.offset === m.offset)) {
      // Redelivered after a failed commit: its conversion is pending already; its legs, read again, are not open.
      this.open.delete(e.callId);
      return;
    }
    // The call leaves `open` now: every commit of this partition runs commitConversions first, which
    // commits its outcome in the same transaction as the offset.
    const legs = [...(this.open.get(e.callId)?.legs.values() ?? [])];
    this.open.delete(e.callId);
    list.push({ callId: e.callId, offset: m.offset, done: e, legs, outcome: this.startConversion(e, legs) });
    this.pending.set(m.partition, list);
  }

  /** Converts a call (after any conversion of the same call still running), without waiting for it. */
  private startConversion(done: RecordingEvent, legs: CompletedLeg[]): Promise<RecordingEvent> {
    const previous = this.converting.get(done.callId) ?? Promise.resolve();
    const settings = this.settings;
    const outcome = previous.catch(() => undefined).then(() => this.limiter.run(() => this.convert(done, legs, settings)));
    this.converting.set(done.callId, outcome);
    const forget = (): void => {
      if (this.converting.get(done.callId) === outcome) this.converting.delete(done.callId);
    };
    outcome.then(forget, forget);
    outcome.catch(() => undefined); // awaited in commitConversions; never an unhandled rejection
    return outcome;
  }

  /** Waits for the conversions of the batch in hand, then commits their events and the offset in one transaction. */
  private async commitConversions(partition: number, next: bigint): Promise<void> {
    const calls = this.pending.get(partition);
    if (!calls || calls.length === 0) return;
    const began = Date.now();
    const settled = await Promise.allSettled(calls.map((c) => c.outcome));
    const failed = settled.flatMap((s, i) => (s.status === 'rejected' ? [i] : []));
    if (failed.length > 0) {
      // A WAV that could not be written: convert it again, and let the runner retry this commit.
      for (const i of failed) {
        const c = calls[i] as PendingCall;
        c.outcome = this.startConversion(c.done, c.legs);
      }
      const first = settled[failed[0] as number] as PromiseRejectedResult;
      throw new WavWriteError(`${failed.length} WAV(s) could not be written: ${(first.reason as Error).message}`, { reason: 'wav-write-failed', retriable: true, cause: first.reason });
    }
    const events = settled.map((s) => (s as PromiseFulfilledResult<RecordingEvent>).value);
    const messages = await Promise.all(events.map(async (event) => ({ key: event.callId, value: await this.o.codec.encode(TOPICS.recordings, event) })));
    const offset = this.commitOffsetFor(partition, next);
    const converted = Date.now();
    const tx = await this.producer.transaction();
    try {
      await tx.send({ topic: TOPICS.recordings, acks: -1, messages });
      await tx.sendOffsets({ consumerGroupId: this.groupId, topics: [{ topic: TOPICS.recordings, partitions: [{ partition, offset: offset.toString() }] }] });
      await tx.commit();
    } catch (error) {
      await tx.abort().catch(() => undefined);
      throw error;
    }
    this.pending.delete(partition);
    this.o.counters.inc('transactions.committed');
    this.o.log.debug('conversions committed', { partition, calls: calls.length, offset: offset.toString(), waitMs: converted - began, transactionMs: Date.now() - converted });
  }

  /** One call's outcome: CONVERTED (the WAV written) or FAILED; throws only when the WAV could not be written. */
  private async convert(done: RecordingEvent, legs: CompletedLeg[], settings: ConverterSettings): Promise<RecordingEvent> {
    const { log, counters, instanceId } = this.o;
    const base = { callId: done.callId, captureTimeUs: done.captureTimeUs, instanceId, leg: null, stats: null };
    try {
      const written = await withRetry(() => convertCallToWav(this.o.recordingsDir, done.callId, legs, settings), {
        attempts: 3, initialDelayMs: 100, retryIf: (e) => !(e instanceof ConversionError), onRetry: () => counters.inc('retries.wav-write'),
      });
      const warning = written.warnings.length > 0 ? `converted partially: ${written.warnings.join('; ')}` : null;
      counters.inc(warning ? 'calls.converted-partially' : 'calls.converted');
      log[warning ? 'warn' : 'info']('call converted', { callId: done.callId, ...written.conversion, warning, legs: written.legCounts });
      return { ...base, eventId: deterministicEventId(done.callId, '', 'CONVERTED'), kind: 'CONVERTED', conversion: written.conversion, error: warning };
    } catch (error) {
      if (!(error instanceof ConversionError)) {
        log.warn('WAV not written; retrying', { callId: done.callId, error });
        throw error;
      }
      counters.inc(`calls.failed.${error.reason}`);
      log.warn('call not converted', { callId: done.callId, reason: error.reason, error: error.message });
      return { ...base, eventId: deterministicEventId(done.callId, '', 'FAILED'), kind: 'FAILED', conversion: null, error: error.message };
    }
  }
}
