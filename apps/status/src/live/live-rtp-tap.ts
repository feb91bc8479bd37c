import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { ReasonCounters } from '@earshot/errors';
import { TOPICS, type RtpBatch } from '@earshot/events';
import {
  deleteGroupsQuietly, partitionCount, partitionForKey, topicOffsets, UndecodableMessageError, type KafkaConsumer,
} from '@earshot/kafka';
import { STATUS_CONFIG, type StatusConfig } from '../config/status-config.module';
import { KafkaConnections } from '../kafka/kafka.module';

/** Someone listening to one call's media. */
export interface RtpTapListener {
  /**
   * The media keys (`a|b`, qm.rtp.v1's key) the call's RTP may be published under, from its SDP:
   * only their partitions are read. Null: not known yet (no SDP endpoints), read every partition.
   */
  mediaKeys(): readonly string[] | null;
  /** Whether a message with this key (the media key `a|b`) may be the call's: checked before decoding. */
  wantsKey(mediaKey: string): boolean;
  /** Whether a decoded batch is the call's. */
  matches(batch: RtpBatch): boolean;
  /** A batch of the call's, with the wall-clock time (ms) it was read. */
  onBatch(batch: RtpBatch, receivedAtMs: number): void;
}

/** How often the partitions read are brought in line with the listeners' media (a re-INVITE moves it). */
const SYNC_MS = 500;

/**
 * Reads qm.rtp.v1 while someone listens live, in a consumer group of its own for each time it starts
 * (`<groupPrefix>-status-live-<instanceId>-<random>`, one member: it is given every partition,
 * never waits for a member of an earlier process to time out, and is deleted on stop). It is a tap,
 * not a stage of the pipeline: it never commits, and a message it cannot decode is counted and
 * skipped, never dead-lettered (the recorder owns qm.rtp.v1's dead letters). It stops `lingerMs`
 * after the last listener leaves.
 *
 * What keeps it up with 200 calls: the collector keys every RtpBatch by its media key, so a call's
 * RTP is on the partitions of its SDP endpoints' media keys (kafkajs's default partitioner, murmur2
 * of the key, which the collector's producer uses). Only those partitions are read; the others stay
 * paused, so kafkajs neither fetches nor parses them. A partition starts to be read at its end
 * offset of that moment (live is now, never a replay of a backlog), every listener of it shares the
 * one consumer, and a batch whose key names none of a listener's endpoints is skipped before its
 * Avro payload is decoded.
 */
@Injectable()
export class LiveRtpTap implements OnApplicationShutdown {
  readonly counters = new ReasonCounters();
  /** The group of the running consumer (a fresh one each start). */
  groupId: string;
  private readonly log = new Logger('live');
  private readonly listeners = new Set<RtpTapListener>();
  /** Partitions of qm.rtp.v1 (0 until the consumer starts). */
  private partitions = 0;
  private consumer: KafkaConsumer | null = null;
  private running: Promise<void> | null = null;
  private stopTimer: NodeJS.Timeout | null = null;
  private syncTimer: NodeJS.Timeout | null = null;
  private syncing: Promise<void> = Promise.resolve();
  /** Partitions assigned to the consumer, and of those, the ones being read (not paused). */
  private assigned: number[] = [];
  private readonly reading = new Set<number>();
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
    } else this.requestSync();
    return () => {
      this.listeners.delete(listener);
      this.requestSync();
      if (this.listeners.size === 0 && !this.stopTimer) {
        this.stopTimer = setTimeout(() => { this.stopTimer = null; void this.stop(); }, this.config.live.lingerMs);
        this.stopTimer.unref();
      }
    };
  }

  /** Resolves once the consumer has joined its group and reads the listeners' partitions (for tests and logs). */
  joined(): Promise<void> {
    if (this.joinedAt > 0) return Promise.resolve();
    return new Promise((r) => this.joinWaiters.push(r));
  }

  get listening(): number {
    return this.listeners.size;
  }

  /** The partitions being read now. */
  get partitionsRead(): number[] {
    return [...this.reading].sort((a, b) => a - b);
  }

  /** The partition of qm.rtp.v1 a media key is published to. */
  partitionOf(mediaKey: string): number {
    return partitionForKey(mediaKey, this.partitions);
  }

  /** The partitions the listeners need: every assigned one when a listener's media is not known. */
  private wantedPartitions(): Set<number> {
    const out = new Set<number>();
    for (const l of this.listeners) {
      const keys = l.mediaKeys();
      if (keys === null || this.partitions === 0) return new Set(this.assigned);
      for (const k of keys) out.add(this.partitionOf(k));
    }
    return out;
  }

  private requestSync(): void {
    if (!this.consumer || this.assigned.length === 0) return;
    this.syncing = this.syncing.then(() => this.syncPartitions()).catch((e: Error) => this.log.warn(`live tap: partitions not updated: ${e.message}`));
  }

  /** Pauses the partitions no listener needs; resumes the newly needed ones from their end offsets of now. */
  private async syncPartitions(): Promise<void> {
    const consumer = this.consumer;
    if (!consumer) return;
    const wanted = this.wantedPartitions();
    const stop = [...this.reading].filter((p) => !wanted.has(p));
    const begin = this.assigned.filter((p) => wanted.has(p) && !this.reading.has(p));
    if (stop.length > 0) {
      consumer.pause([{ topic: TOPICS.rtp, partitions: stop }]);
      for (const p of stop) this.reading.delete(p);
    }
    if (begin.length > 0) {
      const ends = new Map((await topicOffsets(this.connections.kafka, TOPICS.rtp)).map((o) => [o.partition, o.high]));
      if (this.consumer !== consumer) return;
      for (const p of begin) {
        const end = ends.get(p);
        if (end !== undefined) consumer.seek({ topic: TOPICS.rtp, partition: p, offset: end });
        this.reading.add(p);
      }
      consumer.resume([{ topic: TOPICS.rtp, partitions: begin }]);
    }
    if (stop.length > 0 || begin.length > 0) this.logPartitions();
  }

  private logPartitions(): void {
    this.log.log(`live tap reads partitions [${this.partitionsRead.join(', ')}] of ${this.assigned.length} of ${TOPICS.rtp} for ${this.listeners.size} listener(s)`);
  }

  private async start(): Promise<void> {
    this.groupId = `${this.config.kafka.groupPrefix}-status-live-${this.connections.instanceId}-${randomUUID().slice(0, 8)}`;
    const consumer = this.connections.kafka.consumer({
      groupId: this.groupId, sessionTimeout: 10_000, heartbeatInterval: 2000, maxWaitTimeInMs: 100, allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      // Nothing is fetched before this returns: pause all but the listeners' partitions at once.
      this.assigned = [...(payload.memberAssignment[TOPICS.rtp] ?? [])];
      const wanted = this.wantedPartitions();
      this.reading.clear();
      const paused = this.assigned.filter((p) => !wanted.has(p));
      if (paused.length > 0) consumer.pause([{ topic: TOPICS.rtp, partitions: paused }]);
      for (const p of this.assigned) if (wanted.has(p)) this.reading.add(p);
      this.logPartitions();
      this.joinedAt = Date.now();
      for (const w of this.joinWaiters.splice(0)) w();
    });
    try {
      this.partitions = await partitionCount(this.connections.kafka, TOPICS.rtp);
      await consumer.connect();
      await consumer.subscribe({ topic: TOPICS.rtp, fromBeginning: false });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch, heartbeat, isStale }) => {
          const receivedAtMs = Date.now();
          for (const message of batch.messages) {
            if (isStale()) break;
            await this.handleMessage(message.key, message.value, receivedAtMs);
          }
          await heartbeat();
        },
      });
      this.syncTimer = setInterval(() => this.requestSync(), SYNC_MS);
      this.syncTimer.unref();
      this.log.log(`live tap reading ${TOPICS.rtp} in group ${this.groupId}`);
    } catch (e) {
      this.log.error(`live tap could not start: ${(e as Error).message}`);
      await consumer.disconnect().catch(() => undefined);
      this.consumer = null;
      this.running = null;
      throw e;
    }
  }

  private async handleMessage(rawKey: Buffer | null, value: Buffer | null, receivedAtMs: number): Promise<void> {
    const key = rawKey?.toString() ?? '';
    if (key === 'watermark' || !value) return;
    const interested = [...this.listeners].filter((l) => l.wantsKey(key));
    if (interested.length === 0) { this.counters.inc('batches.skipped'); return; }
    let batch: RtpBatch;
    try {
      batch = await this.connections.codec.decode(TOPICS.rtp, value);
    } catch (e) {
      this.counters.inc(e instanceof UndecodableMessageError ? `undecodable.${e.reason}` : 'decode-failed');
      return;
    }
    this.counters.inc('batches');
    for (const l of interested) if (l.matches(batch)) l.onBatch(batch, receivedAtMs);
  }

  private async stop(): Promise<void> {
    const running = this.running;
    const consumer = this.consumer;
    const groupId = this.groupId;
    this.running = null;
    this.consumer = null;
    this.joinedAt = 0;
    this.assigned = [];
    this.reading.clear();
    if (this.syncTimer) clearInterval(this.syncTimer);
    this.syncTimer = null;
    await running?.catch(() => undefined);
    await consumer?.disconnect().catch(() => undefined);
    // The group never committed; remove it so that one per listening session does not pile up.
    if (consumer) await deleteGroupsQuietly(this.connections.kafka, [groupId]);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.stopTimer) clearTimeout(this.stopTimer);
    this.listeners.clear();
    await this.stop();
  }
}
