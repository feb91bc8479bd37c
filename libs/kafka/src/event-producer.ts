import type { IHeaders, Kafka, Producer, RecordMetadata } from 'kafkajs';
import type { TopicName, TopicValues } from '@earshot/events';
import type { EventCodec } from './event-codec';

export interface EventProducerOptions {
  /** The kafkajs client. */
  kafka: Kafka;
  /** Encodes values through the registry. */
  codec: EventCodec;
  /**
   * Set for consume-transform-produce steps whose duplicates would matter; enables Kafka
   * transactions (`transaction()`). Default: none, an idempotent producer.
   */
  transactionalId?: string;
}

/** One event to send: its key and value, and headers if any. */
export interface OutgoingEvent<T extends TopicName> {
  key: string;
  value: TopicValues[T];
  headers?: IHeaders;
}

/**
 * An idempotent producer of typed events: each value is validated and encoded through the schema
 * registry, so nothing that does not match its topic's schema reaches the topic.
 */
export class EventProducer {
  readonly producer: Producer;

  constructor(private readonly options: EventProducerOptions) {
    this.producer = options.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      ...(options.transactionalId ? { transactionalId: options.transactionalId } : {}),
    });
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }

  /** Encodes and sends events to one topic, in order, waiting for all replicas. */
  async send<T extends TopicName>(topic: T, events: ReadonlyArray<OutgoingEvent<T>>): Promise<RecordMetadata[]> {
    const messages = await Promise.all(
      events.map(async (e) => ({ key: e.key, value: await this.options.codec.encode(topic, e.value), headers: e.headers })),
    );
    return this.producer.send({ topic, acks: -1, messages });
  }

  /** Sends a tombstone (null value): on a compacted topic it deletes the key. */
  async sendTombstone(topic: TopicName, key: string): Promise<RecordMetadata[]> {
    return this.producer.send({ topic, acks: -1, messages: [{ key, value: null }] });
  }
}
