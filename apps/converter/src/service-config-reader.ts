import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import { TOPICS, type ServiceConfig } from '@earshot/events';
import type { EventCodec } from '@earshot/kafka';

/** Options of a ServiceConfigReader. */
export interface ServiceConfigReaderOptions {
  kafka: Kafka;
  codec: EventCodec;
  /** The group id's stem; a unique suffix is added per process. */
  groupIdBase: string;
  /** Called for every value of qm.config.v1 (null: deleted), in order. */
  apply: (key: string, value: ServiceConfig | null) => void;
  /** Called with a record that could not be decoded (skipped). */
  onUndecodable?: (key: string | null, error: Error) => void;
  /**
   * When the end offsets taken at start cannot be reached (a transaction marker or compaction left
   * a gap), reading counts as complete once the group has been joined and nothing has been fetched
   * for this long. Default 1500 ms.
   */
  quietCompleteMs?: number;
}

/**
 * Reads qm.config.v1 whole, then keeps applying what comes after. Every instance needs every value,
 * so the process reads in a consumer group of its own (a fresh id per process, never committed,
 * deleted on stop): a restarted converter does not wait for its predecessor's membership of a
 * reused group to time out, which made the start-up take 17-19 s.
 *
 * `start()` resolves once the topic has been read up to where it ended when `start()` was called:
 * a partition is done when a fetched batch says no lag remains (this also covers a transaction
 * marker at the end, which no message reaches), or after `quietCompleteMs` without a fetch.
 */
export class ServiceConfigReader {
  private readonly consumer: Consumer;
  private readonly groupId: string;
  private readonly remaining = new Map<number, bigint>();
  private joined = false;
  private lastFetchAt = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private done!: (how: 'read' | 'quiet') => void;
  private readonly ready = new Promise<'read' | 'quiet'>((r) => (this.done = r));

  constructor(private readonly options: ServiceConfigReaderOptions) {
    this.groupId = `${options.groupIdBase}-${randomUUID()}`;
    this.consumer = options.kafka.consumer({ groupId: this.groupId, maxWaitTimeInMs: 250, allowAutoTopicCreation: false, sessionTimeout: 10_000 });
  }

  /** Reads to the end offsets of now; resolves `read`, or `quiet` when counted complete by the quiet time. */
  async start(): Promise<'read' | 'quiet'> {
    const admin = this.options.kafka.admin();
    await admin.connect();
    try {
      for (const o of await admin.fetchTopicOffsets(TOPICS.config)) {
        if (BigInt(o.high) > BigInt(o.low)) this.remaining.set(o.partition, BigInt(o.high));
      }
    } finally {
      await admin.disconnect();
    }
    if (this.remaining.size === 0) this.done('read');
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: TOPICS.config, fromBeginning: true });
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
      this.joined = true;
      this.lastFetchAt = Date.now();
    });
    await this.consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, heartbeat }) => {
        this.lastFetchAt = Date.now();
        for (const m of batch.messages) {
          const key = m.key?.toString() ?? null;
          if (key === null) continue;
          let value: ServiceConfig | null = null;
          if (m.value !== null) {
            try {
              value = await this.options.codec.decode(TOPICS.config, m.value);
            } catch (error) {
              this.options.onUndecodable?.(key, error as Error);
              continue;
            }
          }
          this.options.apply(key, value);
          this.reached(batch.partition, BigInt(m.offset) + 1n);
        }
        if (batch.offsetLag() === '0') this.reached(batch.partition, BigInt(batch.highWatermark));
        await heartbeat();
      },
    });
    const quietMs = this.options.quietCompleteMs ?? 1500;
    this.timer = setInterval(() => {
      if (this.joined && Date.now() - this.lastFetchAt >= quietMs) this.done('quiet');
    }, 100);
    this.timer.unref();
    const how = await this.ready;
    clearInterval(this.timer);
    return how;
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.consumer.disconnect();
    const admin = this.options.kafka.admin();
    try {
      await admin.connect();
      await admin.deleteGroups([this.groupId]);
    } catch {
      // best effort: an empty group without offsets expires on its own
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  private reached(partition: number, next: bigint): void {
    const target = this.remaining.get(partition);
    if (target !== undefined && next >= target) this.remaining.delete(partition);
    if (this.remaining.size === 0) this.done('read');
  }
}
