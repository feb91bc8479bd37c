import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import type { ReasonCounters } from '@earshot/errors';
import { TOPICS, type DirectoryEntry, type ServiceConfig } from '@earshot/events';
import type { EventCodec } from '@earshot/kafka';
import type { ServiceLogger } from '@earshot/service';
import type { DirectoryView } from './directory-view';

/** Options of a DirectoryReader. */
export interface DirectoryReaderOptions {
  readonly kafka: Kafka;
  readonly codec: EventCodec;
  readonly view: DirectoryView;
  /** `${groupPrefix}-call-control-directory`; a unique suffix is added per process. */
  readonly groupIdBase: string;
  readonly log: ServiceLogger;
  /** `directory.*` and `config.*` counters. */
  readonly counters: ReasonCounters;
  /**
   * When the end offsets taken at start cannot be reached (records between removed by compaction or
   * retention, transaction markers), reading counts as complete after this long without a fetched
   * batch, once the group has been joined. Default 5000 ms.
   */
  readonly quietCompleteMs?: number;
}

type Topic = typeof TOPICS.directory | typeof TOPICS.config;
const READ_TOPICS: readonly Topic[] = [TOPICS.directory, TOPICS.config];

/**
 * Reads qm.directory.v1 and qm.config.v1 whole into a DirectoryView and keeps applying what comes
 * after, while running. Every instance needs every entry, so each process reads all partitions
 * from the beginning in a consumer group of its own that never commits (and is deleted on stop).
 *
 * `start()` resolves once everything that was on the topics when it was called has been applied:
 * the end offsets are taken first, then the consumer reads until each partition reaches them, so
 * decisions about a capture processed afterwards do not depend on how fast the directory loaded.
 */
export class DirectoryReader {
  private readonly consumer: Consumer;
  private readonly groupId: string;
  private readonly targets = new Map<string, bigint>();
  private caughtUp!: () => void;
  private readonly ready = new Promise<void>((r) => (this.caughtUp = r));
  private isReady = false;
  private lastBatchAt = Date.now();
  private joined = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: DirectoryReaderOptions) {
    this.groupId = `${options.groupIdBase}-${randomUUID()}`;
    this.consumer = options.kafka.consumer({ groupId: this.groupId, maxWaitTimeInMs: 500, allowAutoTopicCreation: false });
  }

  /** Connects and reads; resolves once the topics are read up to where they ended at the call. */
  async start(): Promise<void> {
    const admin = this.options.kafka.admin();
    await admin.connect();
    try {
      for (const topic of READ_TOPICS) {
        for (const o of await admin.fetchTopicOffsets(topic)) {
          if (BigInt(o.high) > BigInt(o.low)) this.targets.set(`${topic}:${o.partition}`, BigInt(o.high));
        }
      }
    } finally {
      await admin.disconnect();
    }
    this.checkReady();
    await this.consumer.connect();
    for (const topic of READ_TOPICS) await this.consumer.subscribe({ topic, fromBeginning: true });
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
      this.joined = true;
      this.lastBatchAt = Date.now();
    });
    await this.consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, heartbeat }) => {
        this.lastBatchAt = Date.now();
        for (const m of batch.messages) {
          await this.apply(batch.topic as Topic, m.key?.toString() ?? null, m.value);
          this.reached(batch.topic, batch.partition, BigInt(m.offset) + 1n);
        }
        if (batch.offsetLag() === '0') this.reached(batch.topic, batch.partition, BigInt(batch.highWatermark));
        await heartbeat();
      },
    });
    const quietMs = this.options.quietCompleteMs ?? 5000;
    this.timer = setInterval(() => {
      if (this.isReady || !this.joined || Date.now() - this.lastBatchAt < quietMs) return;
      this.options.log.warn('directory read counted complete: nothing more to fetch before the end offsets taken at start', { remaining: Object.fromEntries([...this.targets].map(([k, v]) => [k, v.toString()])) });
      this.targets.clear();
      this.checkReady();
    }, 500);
    this.timer.unref();
    await this.ready;
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.consumer.disconnect();
    // The group never committed; remove it so that groups do not pile up.
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

  private async apply(topic: Topic, key: string | null, value: Buffer | null): Promise<void> {
    const prefix = topic === TOPICS.directory ? 'directory' : 'config';
    if (key === null) {
      this.options.counters.inc(`${prefix}.no-key`);
      return;
    }
    let decoded: DirectoryEntry | ServiceConfig | null = null;
    if (value !== null) {
      try {
        decoded = await this.options.codec.decode(topic, value);
      } catch (error) {
        this.options.counters.inc(`${prefix}.undecodable`);
        this.options.log.warn(`${topic} record not applied: cannot decode it`, { key, error });
        return;
      }
    }
    if (topic === TOPICS.directory) {
      this.options.view.applyDirectory(key, decoded as DirectoryEntry | null);
      this.options.counters.inc(decoded === null ? 'directory.deleted' : 'directory.applied');
    } else {
      this.options.view.applyConfig(key, decoded as ServiceConfig | null);
      if (key === 'call-control') {
        this.options.counters.inc('config.applied');
        const policy = this.options.view.localPolicy;
        if (this.isReady) this.options.log.info('configuration applied', { recordEveryone: this.options.view.recordEveryone, localDomains: policy.localDomains, localNumberPatterns: policy.localNumberPatterns.map((r) => r.source) });
        for (const p of this.options.view.configProblems) this.options.log.warn(p);
      }
    }
  }

  private reached(topic: string, partition: number, position: bigint): void {
    const key = `${topic}:${partition}`;
    const target = this.targets.get(key);
    if (target !== undefined && position >= target) {
      this.targets.delete(key);
      this.checkReady();
    }
  }

  private checkReady(): void {
    if (this.isReady || this.targets.size > 0) return;
    this.isReady = true;
    this.caughtUp();
  }
}
