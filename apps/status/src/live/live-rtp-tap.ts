import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Consumer } from 'kafkajs';
import { ReasonCounters } from '@earshot/errors';
import { TOPICS, type RtpBatch } from '@earshot/events';
import { UndecodableMessageError } from '@earshot/kafka';
import { STATUS_CONFIG, type StatusConfig } from '../config/status-config.module';
import { KafkaConnections } from '../kafka/kafka.module';

/** Someone listening to one call's media. */
export interface RtpTapListener {
  /** Whether a message with this key (the media key `a|b`) may be the call's: checked before decoding. */
  wantsKey(mediaKey: string): boolean;
  /** Whether a decoded batch is the call's. */
  matches(batch: RtpBatch): boolean;
  onBatch(batch: RtpBatch): void;
}

/**
 * Reads qm.rtp.v1 while someone listens live, in the status instance's own consumer group
 * (`<groupPrefix>-status-live-<instanceId>`) from the end of the topic: it never commits, so each
 * start begins at `latest` (live means now, not a replay). It is a tap, not a stage of the
 * pipeline: a message it cannot decode is counted and skipped, never dead-lettered (the recorder
 * owns qm.rtp.v1's dead letters). It stops `lingerMs` after the last listener leaves.
 */
@Injectable()
export class LiveRtpTap implements OnApplicationShutdown {
  readonly counters = new ReasonCounters();
  readonly groupId: string;
  private readonly log = new Logger('live');
  private readonly listeners = new Set<RtpTapListener>();
  private consumer: Consumer | null = null;
  private running: Promise<void> | null = null;
  private stopTimer: NodeJS.Timeout | null = null;
  private joinedAt = 0;
  private joinWaiters: Array<() => void> = [];

  constructor(
    private readonly connections: KafkaConnections,
    @Inject(STATUS_CONFIG) private readonly config: StatusConfig,
  ) {
    this.groupId = `${config.kafka.groupPrefix}-status-live-${connections.instanceId}`;
  }

  /** Adds a listener (starting the consumer if needed); returns its unsubscribe. */
  subscribe(listener: RtpTapListener): () => void {
    this.listeners.add(listener);
    if (this.stopTimer) { clearTimeout(this.stopTimer); this.stopTimer = null; }
    if (!this.running) {
      this.running = this.start();
      this.running.catch(() => undefined); // logged in start(); the next listener tries again
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && !this.stopTimer) {
        this.stopTimer = setTimeout(() => { this.stopTimer = null; void this.stop(); }, this.config.live.lingerMs);
        this.stopTimer.unref();
      }
    };
  }

  /** Resolves once the consumer has joined its group and has the partitions (for tests and logs). */
  joined(): Promise<void> {
    if (this.joinedAt > 0) return Promise.resolve();
    return new Promise((r) => this.joinWaiters.push(r));
  }

  get listening(): number {
    return this.listeners.size;
  }

  private async start(): Promise<void> {
    const consumer = this.connections.kafka.consumer({
      groupId: this.groupId, sessionTimeout: 10_000, heartbeatInterval: 2000, maxWaitTimeInMs: 100, allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.joinedAt = Date.now();
      for (const w of this.joinWaiters.splice(0)) w();
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: TOPICS.rtp, fromBeginning: false });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ message }) => {
          const key = message.key?.toString() ?? '';
          if (key === 'watermark' || !message.value) return;
          const interested = [...this.listeners].filter((l) => l.wantsKey(key));
          if (interested.length === 0) return;
          let batch: RtpBatch;
          try {
            batch = await this.connections.codec.decode(TOPICS.rtp, message.value);
          } catch (e) {
            this.counters.inc(e instanceof UndecodableMessageError ? `undecodable.${e.reason}` : 'decode-failed');
            return;
          }
          this.counters.inc('batches');
          for (const l of interested) {
            if (l.matches(batch)) l.onBatch(batch);
          }
        },
      });
      this.log.log(`live tap reading ${TOPICS.rtp} in group ${this.groupId}`);
    } catch (e) {
      this.log.error(`live tap could not start: ${(e as Error).message}`);
      await consumer.disconnect().catch(() => undefined);
      this.consumer = null;
      this.running = null;
      throw e;
    }
  }

  private async stop(): Promise<void> {
    const running = this.running;
    const consumer = this.consumer;
    this.running = null;
    this.consumer = null;
    this.joinedAt = 0;
    await running?.catch(() => undefined);
    await consumer?.disconnect().catch(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.stopTimer) clearTimeout(this.stopTimer);
    this.listeners.clear();
    await this.stop();
  }
}
