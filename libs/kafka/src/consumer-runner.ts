import type { Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { ReasonCounters, withRetry, type RetryOptions } from '@earshot/errors';
import type { TopicName, TopicValues } from '@earshot/events';
import type { EventCodec } from './event-codec';
import { deadLetterMessage, deadLetterTopic } from './dead-letter';
import { isKafkaRetriable, UndecodableMessageError } from './kafka-errors';

/** A consumed message with its value decoded and validated; `value` is null for a tombstone. */
export interface DecodedMessage<T extends TopicName> {
  topic: T;
  partition: number;
  offset: string;
  key: string | null;
  value: TopicValues[T] | null;
  headers: IHeaders;
  /** The Kafka message timestamp (ms, as kafkajs gives it). */
  timestamp: string;
}

export interface ConsumerRunnerOptions<T extends TopicName> {
  /** The kafkajs client. */
  kafka: Kafka;
  /** Decodes values through the registry. */
  codec: EventCodec;
  /** Consumer group. */
  groupId: string;
  /** Topics to read. */
  topics: readonly T[];
  /** Start from the earliest offset when the group has none. Default true (the log is the truth). */
  fromBeginning?: boolean;
  /**
   * Where a partition starts when the group has committed no offset for it, by topic then
   * partition (e.g. the end offsets taken before a test produces). Overrides `fromBeginning`
   * for the partitions it names. Default: none.
   */
  initialOffsets?: ReadonlyMap<string, ReadonlyMap<number, string>>;
  /**
   * Holds back commits: given the offset a commit would store (the one after the last handled
   * message), returns the offset to store instead, e.g. the first offset of work still open, so a
   * crash replays it. Default: commit everything handled.
   */
  commitOffset?: (topic: T, partition: number, next: string) => string;
  /**
   * Where assigned partitions resume, asked on every assignment (start and each rebalance): for
   * consumers that keep their offsets elsewhere, e.g. in the same database transaction as their
   * results. The assigned partitions stay paused until it answers; each partition it names is
   * sought to its offset whatever the group committed in Kafka (it overrides `initialOffsets`);
   * a partition it leaves out resumes from the group's commit. Errors are retried with backoff.
   * Default: none (resume from the group's commits).
   */
  assignedOffsets?: (assigned: ReadonlyArray<{ topic: T; partitions: readonly number[] }>) => Promise<ReadonlyMap<string, ReadonlyMap<number, string>>>;
  /** Longest wait of a fetch for new messages, in ms; also bounds how long `stop()` waits. Default 1000. */
  maxWaitTimeInMs?: number;
  /**
   * Handles one message. A retriable error is retried with backoff until it passes or the runner
   * stops; any other error sends the message to `<topic>.dlq` with the error, and the runner goes on.
   */
  handle: (message: DecodedMessage<T>) => Promise<void>;
  /**
   * Called after the messages of a batch were handled and before their offsets are committed, with
   * the offset after the last message taken from the partition (handled or dead-lettered).
   */
  afterBatch?: (topic: T, partition: number, next: string) => Promise<void>;
  /** Backoff for retriable errors. Default: from 100 ms up to 10 s, without end. */
  retry?: RetryOptions;
  /** Counts messages, dead letters by reason, retries and commits. Default: a new one. */
  counters?: ReasonCounters;
  /**
   * Commit after this many messages even in the middle of a fetched batch, so that a crash
   * redelivers at most this many. Default 500.
   */
  commitEveryMessages?: number;
  /** Group session timeout in ms. Default 10 000 (short: a killed instance's partitions move quickly). */
  sessionTimeoutMs?: number;
  /** Called with each error that sent a message to the dead-letter topic, for the app's log. */
  onDeadLetter?: (error: Error, message: { topic: string; partition: number; offset: string }) => void;
}

/**
 * Runs a consumer group over typed topics with at-least-once delivery and explicit commits:
 * each batch is decoded and handled message by message, then its offsets are committed. On
 * `stop()` (SIGTERM) the batch in hand is finished and committed before the consumer leaves the
 * group. Undecodable messages and messages the handler rejects go to `<topic>.dlq` with the error
 * and the source offset in headers; the messages around them are processed as usual.
 */
export class ConsumerRunner<T extends TopicName> {
  readonly counters: ReasonCounters;
  private readonly consumer: Consumer;
  private readonly dlqProducer: Producer;
  private readonly stopping = new AbortController();
  private started = false;

  constructor(private readonly options: ConsumerRunnerOptions<T>) {
    this.counters = options.counters ?? new ReasonCounters();
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: Math.max(500, Math.floor((options.sessionTimeoutMs ?? 10_000) / 5)),
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: options.maxWaitTimeInMs ?? 1000,
    });
    this.dlqProducer = options.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  }

  /** Connects, subscribes and starts consuming; resolves once consumption has started. */
  async start(): Promise<void> {
    await this.dlqProducer.connect();
    await this.consumer.connect();
    for (const topic of this.options.topics) {
      await this.consumer.subscribe({ topic, fromBeginning: this.options.fromBeginning ?? true });
    }
    this.seekOnJoin();
    this.started = true;
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.processBatch(payload),
    });
  }

  /** Finishes the batch in hand, commits it, leaves the group and disconnects. */
  async stop(): Promise<void> {
    this.stopping.abort();
    if (this.started) await this.consumer.disconnect();
    await this.dlqProducer.disconnect();
  }

  /**
   * Where each newly assigned partition should resume, if not from the group's commit: the
   * `initialOffsets` of partitions the group has not committed yet (asked at each assignment, so a
   * partition committed since is left alone), overridden by what `assignedOffsets` answers.
   */
  private async offsetsOnAssignment(assigned: ReadonlyArray<{ topic: T; partitions: readonly number[] }>): Promise<Map<string, Map<number, string>>> {
    const out = new Map<string, Map<number, string>>();
    const set = (topic: string, partition: number, offset: string): void => {
      if (!out.has(topic)) out.set(topic, new Map());
      out.get(topic)?.set(partition, offset);
    };
    const initial = this.options.initialOffsets;
    const topics = assigned.map((a) => a.topic).filter((t) => initial?.has(t));
    if (initial && topics.length > 0) {
      const admin = this.options.kafka.admin();
      await admin.connect();
      try {
        for (const { topic, partitions } of await admin.fetchOffsets({ groupId: this.options.groupId, topics })) {
          for (const { partition, offset } of partitions) {
            const start = initial.get(topic)?.get(partition);
            if (offset === '-1' && start !== undefined) set(topic, partition, start);
          }
        }
      } finally {
        await admin.disconnect();
      }
    }
    const stored = this.options.assignedOffsets ? await this.options.assignedOffsets(assigned) : new Map<string, ReadonlyMap<number, string>>();
    for (const [topic, partitions] of stored) for (const [partition, offset] of partitions) set(topic, partition, offset);
    return out;
  }

  /**
   * On each assignment, when `initialOffsets` or `assignedOffsets` is set: pauses the assigned
   * partitions (before the first fetch, as GROUP_JOIN is emitted synchronously after the sync),
   * asks where they resume, seeks and resumes. A newer assignment supersedes an answer still pending.
   */
  private seekOnJoin(): void {
    if ((this.options.initialOffsets?.size ?? 0) === 0 && !this.options.assignedOffsets) return;
    let generation = 0;
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      const assigned = Object.entries(payload.memberAssignment).map(([topic, partitions]) => ({ topic: topic as T, partitions }));
      if (assigned.length === 0) return;
      const mine = ++generation;
      this.consumer.pause(assigned);
      void withRetry(() => this.offsetsOnAssignment(assigned), {
        attempts: Number.POSITIVE_INFINITY, ...this.options.retry, retryIf: () => true, signal: this.stopping.signal,
        onRetry: () => this.counters.inc('retries.assigned-offsets'),
      }).then((offsets) => {
        if (mine !== generation || this.stopping.signal.aborted) return;
        for (const { topic, partitions } of assigned) {
          for (const partition of partitions) {
            const offset = offsets.get(topic)?.get(partition);
            if (offset !== undefined) this.consumer.seek({ topic, partition, offset });
          }
        }
        this.consumer.resume(assigned);
      }, () => undefined); // rejects only when stopping
    });
  }

  /**
   * Rewinds a partition: the next fetch starts at `offset` (e.g. the first message of work that was
   * lost with a database transaction). Messages of the batch in hand after this call are still
   * handed to `handle`; callers that rewind ignore them until the rewound offset comes back.
   */
  rewind(topic: T, partition: number, offset: string): void {
    this.consumer.seek({ topic, partition, offset });
  }

  private async processBatch({ batch, resolveOffset, heartbeat, isStale }: EachBatchPayload): Promise<void> {
    const topic = batch.topic as T;
    const commitEvery = this.options.commitEveryMessages ?? 500;
    let last: string | undefined;
    let uncommitted = 0;
    for (const message of batch.messages) {
      // A rebalance took the partition away: stop here; the new owner resumes from the last commit.
      if (isStale()) break;
      await this.processMessage(topic, batch.partition, message);
      resolveOffset(message.offset);
      last = message.offset;
      if (++uncommitted >= commitEvery) {
        await this.commit(topic, batch.partition, last);
        uncommitted = 0;
      }
      await heartbeat();
    }
    if (last !== undefined && uncommitted > 0) await this.commit(topic, batch.partition, last);
  }

  /** Lets the handler finish its batch work (afterBatch), then commits the offset after `last`. */
  private async commit(topic: T, partition: number, last: string): Promise<void> {
    const afterBatch = this.options.afterBatch;
    const next = (BigInt(last) + 1n).toString();
    if (afterBatch) await this.retrying(() => afterBatch(topic, partition, next));
    const offset = this.options.commitOffset?.(topic, partition, next) ?? next;
    await this.retrying(() => this.consumer.commitOffsets([{ topic, partition, offset }]));
    this.counters.inc('batches.committed');
  }

  private async processMessage(topic: T, partition: number, message: KafkaMessage): Promise<void> {
    this.counters.inc('messages.consumed');
    let decoded: DecodedMessage<T>;
    try {
      const value = message.value === null ? null : await this.retrying(() => this.options.codec.decode(topic, message.value));
      decoded = {
        topic, partition, offset: message.offset, key: message.key?.toString() ?? null, value,
        headers: message.headers ?? {}, timestamp: message.timestamp,
      };
    } catch (error) {
      if (!(error instanceof UndecodableMessageError)) throw error;
      await this.deadLetter(topic, partition, message, error, error.reason);
      return;
    }
    try {
      await this.retrying(() => this.options.handle(decoded));
      this.counters.inc('messages.handled');
    } catch (error) {
      if (this.stopping.signal.aborted && isKafkaRetriable(error)) throw error; // not handled: redelivered after restart
      const reason = (error as { reason?: unknown }).reason;
      await this.deadLetter(topic, partition, message, error as Error, typeof reason === 'string' ? reason : 'handler-failed');
    }
  }

  private async deadLetter(topic: string, partition: number, message: KafkaMessage, error: Error, reason: string): Promise<void> {
    this.counters.inc(`messages.dead-lettered.${reason}`);
    this.options.onDeadLetter?.(error, { topic, partition, offset: message.offset });
    const dlq = deadLetterMessage(message, { error: error.message, reason, sourceTopic: topic, sourcePartition: partition, sourceOffset: message.offset, consumerGroup: this.options.groupId });
    await this.retrying(() => this.dlqProducer.send({ topic: deadLetterTopic(topic), acks: -1, messages: [dlq] }));
  }

  /** Retries retriable errors with backoff until they pass or the runner stops. */
  private retrying<R>(fn: () => Promise<R>): Promise<R> {
    return withRetry(fn, {
      attempts: Number.POSITIVE_INFINITY,
      ...this.options.retry,
      retryIf: isKafkaRetriable,
      signal: this.stopping.signal,
      onRetry: () => this.counters.inc('retries'),
    });
  }
}
