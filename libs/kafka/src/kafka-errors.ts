import { EarshotError } from '@earshot/errors';

/** A message that could not be decoded or validated; it goes to `<topic>.dlq`, never retried. */
export class UndecodableMessageError extends EarshotError {
  constructor(message: string, reason: string, cause?: unknown) {
    super(message, { reason, retriable: false, cause });
  }
}

/** Talking to Kafka or the registry failed in a way that may pass (broker or registry down, leader moving). */
export class KafkaUnavailableError extends EarshotError {
  constructor(message: string, cause?: unknown) {
    super(message, { reason: 'kafka-unavailable', retriable: true, cause });
  }
}

/** The registry refused a schema (incompatible with the registered versions, or invalid). */
export class SchemaRejectedError extends EarshotError {
  constructor(
    readonly subject: string,
    message: string,
    cause?: unknown,
  ) {
    super(message, { reason: 'schema-rejected', retriable: false, cause });
  }
}

/** True when kafkajs itself says an error may pass (its own `retriable` flag). */
export function isKafkaRetriable(error: unknown): boolean {
  if (error instanceof EarshotError) return error.retriable;
  const e = error as { retriable?: unknown; name?: unknown } | null;
  if (e && e.retriable === true) return true;
  return e?.name === 'KafkaJSConnectionError' || e?.name === 'KafkaJSNumberOfRetriesExceeded' || e?.name === 'KafkaJSRequestTimeoutError';
}
