import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import type { TopicName, TopicValues } from '@earshot/events';
import type { EventCodec } from './event-codec';
import { deleteGroupsQuietly, topicOffsets } from './kafka-admin';

/** Options of a CompactedTopicReader. */
export interface CompactedTopicReaderOptions<T extends TopicName> {
  /** The kafkajs client. */
  kafka: Kafka;
  /** Decodes values through the registry. */
  codec: EventCodec;
  /** The compacted topics to read whole (e.g. qm.directory.v1 and qm.config.v1). */
  topics: readonly T[];
  /** The consumer group id's stem; a unique suffix is added per reader. */
  groupIdBase: string;
  /** Called for every keyed record, in partition order; `value` null is a tombstone (deleted). */
  apply: (topic: T, key: string, value: TopicValues[T] | null) => void | Promise<void>;
  /** Called with a record that could not be decoded (it is skipped). Default: skipped silently. */
  onUndecodable?: (topic: T, key: string | null, error: Error) => void;
  /** Called with a record that has no key (it is skipped: a compacted topic's records need one). */
  onNoKey?: (topic: T) => void;
  /**
   * When the end offsets taken at start cannot be reached (a transaction marker or compaction left
   * a gap), reading counts as complete once the group has been joined and nothing has been fetched
   * for this long, in ms. Default 1500.
   */
  quietCompleteMs?: number;
}

/** How `start()` found the end: every partition `read` to its end offset, or counted complete when `quiet`. */
export type CompactedTopicReadEnd = 'read' | 'quiet';

/**
 * A view of compacted topics read whole, then followed: every instance of a service needs every
 * entry (the directory, the configuration), so the reader consumes all partitions from the
 * beginning in a consumer group of its own (a fresh id per reader, never committed, deleted on
 * stop). A fresh id matters: a restarted process does not wait for its predecessor's membership
 * of a reused group to time out.
 *
 * `start()` resolves once everything on the topics when it was called has been applied: the end
 * offsets are taken first, then a partition is done when a message reaches its end offset or a
 * fetched batch says no lag remains (this also covers a transaction marker at the end, which no
 * message reaches), or after `quietCompleteMs` without a fetch once joined.
 */
export class CompactedTopicReader<T extends TopicName> {
  private readonly consumer: Consumer;
  private readonly groupId: string;
  private readonly remaining = new Map<string, bigint>();
  private joined = false;
  private lastFetchAt = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private finish!: (how: CompactedTopicReadEnd) => void;
  private readonly ready = new Promise<CompactedTopicReadEnd>((r) => (this.finish = r));

  constructor(private readonly options: CompactedTopicReaderOptions<T>) {
    this.groupId = `${options.groupIdBase}-${randomUUID()}`;
    this.consumer = options.kafka.consumer({ groupId: this.groupId, maxWaitTimeInMs: 250, allowAutoTopicCreation: false, sessionTimeout: 10_000 });
  }

  /** Reads to the end offsets of now and goes on following; resolves how the end was found. */
  async start(): Promise<CompactedTopicReadEnd> {
    for (const topic of this.options.topics) {
      for (const o of await topicOffsets(this.options.kafka, topic)) {
        if (BigInt(o.high) > BigInt(o.low)) this.remaining.set(`${topic}:${o.partition}`, BigInt(o.high));
      }
    }
    if (this.remaining.size === 0) this.finish('read');
    await this.consumer.connect();
    for (const topic of this.options.topics) await this.consumer.subscribe({ topic, fromBeginning: true });
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
      this.joined = true;
      this.lastFetchAt = Date.now();
    });
    await this.consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, heartbeat }) => {
        this.lastFetchAt = Date.now();
        const topic = batch.topic as T;
        for (const m of batch.messages) {
          await this.applyRecord(topic, m.key?.toString() ?? null, m.value);
          this.reached(topic, batch.partition, BigInt(m.offset) + 1n);
        }
        if (batch.offsetLag() === '0') this.reached(topic, batch.partition, BigInt(batch.highWatermark));
        await heartbeat();
      },
    });
    const quietMs = this.options.quietCompleteMs ?? 1500;
    this.timer = setInterval(() => {
      if (this.joined && Date.now() - this.lastFetchAt >= quietMs) this.finish('quiet');
    }, 100);
    this.timer.unref();
    const how = await this.ready;
    clearInterval(this.timer);
    return how;
  }

  /** Stops following and deletes the reader's group. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.consumer.disconnect();
    await deleteGroupsQuietly(this.options.kafka, [this.groupId]);
  }

  /** The partitions not yet read to the end offsets taken at start, as `topic:partition` → offset. */
  get unread(): ReadonlyMap<string, bigint> {
    return this.remaining;
  }

  private async applyRecord(topic: T, key: string | null, raw: Buffer | null): Promise<void> {
    if (key === null) {
      this.options.onNoKey?.(topic);
      return;
    }
    let value: TopicValues[T] | null = null;
    if (raw !== null) {
      try {
        value = await this.options.codec.decode(topic, raw);
      } catch (error) {
        this.options.onUndecodable?.(topic, key, error as Error);
        return;
      }
    }
    await this.options.apply(topic, key, value);
  }

  private reached(topic: string, partition: number, next: bigint): void {
    const k = `${topic}:${partition}`;
    const target = this.remaining.get(k);
    if (target !== undefined && next >= target) this.remaining.delete(k);
    if (this.remaining.size === 0) this.finish('read');
  }
}
