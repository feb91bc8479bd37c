import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type { Type, Resolver } from 'avsc';
import { withRetry, type RetryOptions } from '@earshot/errors';
import {
  EVENT_SCHEMAS, eventType, EventValidationError, TOPIC_SCHEMAS, validateEvent, type TopicName, type TopicValues,
} from '@earshot/events';
import { KafkaUnavailableError, SchemaRejectedError, UndecodableMessageError } from './kafka-errors';

export interface EventCodecOptions {
  /** Base URL of the Confluent-compatible registry API, e.g. http://127.0.0.1:8081/apis/ccompat/v7. */
  registryUrl: string;
  /** Retries for a registry that is not reachable yet. Default: withRetry's defaults. */
  retry?: RetryOptions;
}

/** Confluent wire format: magic byte 0, then the 4-byte schema id, then the Avro body. */
const WIRE_MAGIC = 0;
const WIRE_HEADER_SIZE = 5;

/** The subject a topic's value schema is registered under. */
export function valueSubject(topic: string): string {
  return `${topic}-value`;
}

function httpStatus(error: unknown): number | undefined {
  const e = error as { status?: unknown } | null;
  return typeof e?.status === 'number' ? e.status : undefined;
}

/**
 * Encodes and decodes events in the Confluent wire format through the schema registry
 * (`@kafkajs/confluent-schema-registry`): values are validated against the schema of their topic
 * before they are encoded and after they are decoded, and a value written with an older
 * registered version is read through Avro schema resolution into today's type.
 */
export class EventCodec {
  readonly registry: SchemaRegistry;
  private readonly idByTopic = new Map<string, number>();
  private readonly resolvers = new Map<string, Resolver>();

  constructor(private readonly options: EventCodecOptions) {
    this.registry = new SchemaRegistry({ host: options.registryUrl });
  }

  /** Registers `schemaText` under `subject` with BACKWARD compatibility; returns its id. */
  async registerSchema(subject: string, schemaText: string): Promise<number> {
    return withRetry(async () => {
      try {
        await this.setBackwardCompatibility(subject);
        const { id } = await this.registry.register(
          { type: SchemaType.AVRO, schema: schemaText },
          { subject, compatibility: 'BACKWARD' as never, updateConfig: false } as never,
        );
        return id;
      } catch (error) {
        throw this.classify(subject, error);
      }
    }, this.options.retry);
  }

  /** Registers the value schema of each topic (default: every topic); remembers the ids for encoding. */
  async registerTopics(topics: readonly TopicName[] = Object.keys(TOPIC_SCHEMAS) as TopicName[]): Promise<Map<TopicName, number>> {
    const ids = new Map<TopicName, number>();
    for (const topic of topics) {
      const id = await this.registerSchema(valueSubject(topic), EVENT_SCHEMAS[TOPIC_SCHEMAS[topic]]);
      this.idByTopic.set(topic, id);
      ids.set(topic, id);
    }
    return ids;
  }

  /** Validates `value` against its topic's schema and encodes it; the schema is registered on first use. */
  async encode<T extends TopicName>(topic: T, value: TopicValues[T]): Promise<Buffer> {
    validateEvent(TOPIC_SCHEMAS[topic], value);
    let id = this.idByTopic.get(topic);
    if (id === undefined) id = (await this.registerTopics([topic])).get(topic) as number;
    return this.registry.encode(id, value);
  }

  /**
   * Decodes a message value of `topic`. Throws UndecodableMessageError (reason `not-wire-format`,
   * `unknown-schema`, `bad-avro` or `invalid-event`) for a value that can never be read, and
   * KafkaUnavailableError when the registry cannot be asked.
   */
  async decode<T extends TopicName>(topic: T, data: Buffer | null): Promise<TopicValues[T]> {
    if (!data || data.length < WIRE_HEADER_SIZE || data[0] !== WIRE_MAGIC) {
      throw new UndecodableMessageError(
        `${topic}: value is not in the Confluent wire format (${data ? `${data.length} bytes, first byte ${data[0]}` : 'null'})`,
        'not-wire-format',
      );
    }
    const schemaId = data.readUInt32BE(1);
    const writer = await this.writerType(topic, schemaId);
    const reader = eventType(TOPIC_SCHEMAS[topic]);
    let value: unknown;
    try {
      value = reader.fromBuffer(data.subarray(WIRE_HEADER_SIZE), this.resolver(topic, schemaId, reader, writer));
    } catch (cause) {
      throw new UndecodableMessageError(`${topic}: Avro body does not decode with schema ${schemaId}: ${(cause as Error).message}`, 'bad-avro', cause);
    }
    try {
      return validateEvent(TOPIC_SCHEMAS[topic], value as TopicValues[T]);
    } catch (cause) {
      if (cause instanceof EventValidationError) throw new UndecodableMessageError(cause.message, 'invalid-event', cause);
      throw cause;
    }
  }

  private async writerType(topic: string, schemaId: number): Promise<Type> {
    try {
      return (await withRetry(() => this.registry.getSchema(schemaId).catch((e: unknown) => {
        throw httpStatus(e) === 404 || httpStatus(e) === 422 ? e : new KafkaUnavailableError(`registry: ${(e as Error).message}`, e);
      }), this.options.retry)) as unknown as Type;
    } catch (error) {
      if (error instanceof KafkaUnavailableError) throw error;
      throw new UndecodableMessageError(`${topic}: schema id ${schemaId} is not in the registry`, 'unknown-schema', error);
    }
  }

  private resolver(topic: string, schemaId: number, reader: Type, writer: Type): Resolver | undefined {
    if (reader.equals(writer)) return undefined;
    const key = `${topic}#${schemaId}`;
    let resolver = this.resolvers.get(key);
    if (!resolver) {
      try {
        resolver = reader.createResolver(writer);
      } catch (cause) {
        throw new UndecodableMessageError(`${topic}: schema ${schemaId} cannot be read as ${TOPIC_SCHEMAS[topic as TopicName]}`, 'schema-mismatch', cause);
      }
      this.resolvers.set(key, resolver);
    }
    return resolver;
  }

  private async setBackwardCompatibility(subject: string): Promise<void> {
    const url = `${this.options.registryUrl.replace(/\/$/, '')}/config/${encodeURIComponent(subject)}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'PUT',
        headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
        body: JSON.stringify({ compatibility: 'BACKWARD' }),
      });
    } catch (cause) {
      throw new KafkaUnavailableError(`registry ${this.options.registryUrl} is not reachable: ${(cause as Error).message}`, cause);
    }
    if (response.status >= 500) throw new KafkaUnavailableError(`registry answered ${response.status} to PUT ${url}`);
    if (!response.ok) throw new SchemaRejectedError(subject, `registry answered ${response.status} to PUT ${url}: ${await response.text()}`);
  }

  private classify(subject: string, error: unknown): Error {
    if (error instanceof KafkaUnavailableError || error instanceof SchemaRejectedError) return error;
    const status = httpStatus(error);
    if (status === 409 || status === 422) {
      return new SchemaRejectedError(subject, `registry rejected the schema for ${subject} (${status}): ${(error as Error).message}`, error);
    }
    if (status === undefined || status >= 500) {
      return new KafkaUnavailableError(`registry: ${(error as Error).message}`, error);
    }
    return new SchemaRejectedError(subject, `registry refused ${subject} (${status}): ${(error as Error).message}`, error);
  }
}
