import type { KafkaOutgoingMessage, KafkaProducer } from '@earshot/kafka';
import { TOPICS } from '@earshot/events';
import { encodeRtpBatchMessage } from './rtp-batch-avro';
import type { OutgoingRtpBatch } from './rtp-stream-batcher';

/** Options of RtpBatchPublisher. */
export interface RtpBatchPublisherOptions {
  /** A connected idempotent kafkajs producer used by this publisher alone. */
  producer: KafkaProducer;
  /** The registry id of qm.rtp.v1's value schema (EventCodec.registerTopics gives it). */
  schemaId: number;
  /** Messages per produce request at most. Default 2000. */
  maxRequestMessages?: number;
  /**
   * Payload bytes per produce request at most. Default 3 MiB, under the topic's 4 MiB
   * max.message.bytes, which applies to each partition's record batch within a request.
   */
  maxRequestBytes?: number;
}

interface Pending {
  message: KafkaOutgoingMessage;
  bytes: number;
}

/**
 * Produces RtpBatches to qm.rtp.v1 in the order they are given, many per Kafka request, without
 * waiting for each: one request is in flight while the next fills. kafkajs's idempotent producer
 * numbers a partition's records when the request is built and learns the next number from the
 * answer, so two requests in flight at once would reuse numbers; one at a time keeps the
 * idempotent guarantee and the order. `pendingBytes` (queued + in flight) lets the caller hold
 * back input (file mode) or shed load (live mode).
 */
export class RtpBatchPublisher {
  /** Messages and payload bytes acknowledged by Kafka. */
  sentMessages = 0;
  sentBytes = 0;
  requests = 0;
  private queue: Pending[] = [];
  private queuedBytes = 0;
  private inFlightBytes = 0;
  private sending = false;
  /** Rejects with the error that stopped producing (kafkajs gave up retrying); never resolves. */
  readonly failure: Promise<never>;
  private failWith: (e: Error) => void = () => undefined;
  private failureError: Error | undefined;
  private waiters: Array<{ below: number; resolve: () => void; reject: (e: Error) => void }> = [];
  private readonly maxMessages: number;
  private readonly maxBytes: number;

  constructor(private readonly options: RtpBatchPublisherOptions) {
    this.maxMessages = options.maxRequestMessages ?? 2000;
    this.maxBytes = options.maxRequestBytes ?? 3 * 1024 * 1024;
    this.failure = new Promise<never>((_resolve, reject) => (this.failWith = reject));
    this.failure.catch(() => undefined);
  }

  /** The error that stopped producing, if any: nothing more can be enqueued. */
  get failed(): Error | undefined {
    return this.failureError;
  }

  /** Payload bytes queued or in flight, not yet acknowledged. */
  get pendingBytes(): number {
    return this.queuedBytes + this.inFlightBytes;
  }

  /** Queues one batch or watermark; it is encoded now (see rtp-batch-avro.ts) and sent with the next request. */
  enqueue(batch: OutgoingRtpBatch): void {
    if (this.failureError) throw this.failureError;
    const value = encodeRtpBatchMessage(this.options.schemaId, batch.value);
    const message: KafkaOutgoingMessage = batch.partition === undefined ? { key: batch.key, value } : { key: batch.key, value, partition: batch.partition };
    this.queue.push({ message, bytes: batch.bytes });
    this.queuedBytes += batch.bytes;
    this.pump();
  }

  /** Resolves once at most `bytes` are pending; rejects if producing failed. */
  waitBelow(bytes: number): Promise<void> {
    if (this.failureError) return Promise.reject(this.failureError);
    if (this.pendingBytes <= bytes && (bytes > 0 || (this.queue.length === 0 && !this.sending))) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ below: bytes, resolve, reject }));
  }

  /** Resolves when everything queued has been acknowledged. */
  drain(): Promise<void> {
    return this.waitBelow(0);
  }

  private pump(): void {
    if (this.sending || this.queue.length === 0 || this.failureError) return;
    this.sending = true;
    let count = 0;
    let bytes = 0;
    while (count < this.queue.length && count < this.maxMessages) {
      const next = (this.queue[count] as Pending).bytes;
      if (count > 0 && bytes + next > this.maxBytes) break;
      bytes += next;
      count++;
    }
    const taken = this.queue.splice(0, count);
    this.queuedBytes -= bytes;
    this.inFlightBytes = bytes;
    void this.send(taken, bytes);
  }

  private async send(taken: Pending[], bytes: number): Promise<void> {
    try {
      const messages = taken.map((p) => p.message);
      await this.options.producer.send({ topic: TOPICS.rtp, acks: -1, messages });
      this.requests++;
      this.sentMessages += messages.length;
      this.sentBytes += bytes;
    } catch (e) {
      this.failureError = e instanceof Error ? e : new Error(String(e));
      this.failWith(this.failureError);
    } finally {
      this.inFlightBytes = 0;
      this.sending = false;
    }
    this.settleWaiters();
    this.pump();
  }

  private settleWaiters(): void {
    const idle = this.queue.length === 0 && !this.sending;
    this.waiters = this.waiters.filter((w) => {
      if (this.failureError) {
        w.reject(this.failureError);
        return false;
      }
      if (this.pendingBytes <= w.below && (w.below > 0 || idle)) {
        w.resolve();
        return false;
      }
      return true;
    });
  }
}
