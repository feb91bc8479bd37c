import type { IHeaders, KafkaMessage } from 'kafkajs';

/** The dead-letter topic of a topic: where its messages go when they cannot be decoded or handled. */
export function deadLetterTopic(topic: string): string {
  return `${topic}.dlq`;
}

/** Header names on a dead-lettered message. */
export const DLQ_HEADERS = {
  error: 'earshot.error',
  reason: 'earshot.error.reason',
  sourceTopic: 'earshot.source.topic',
  sourcePartition: 'earshot.source.partition',
  sourceOffset: 'earshot.source.offset',
  sourceTimestamp: 'earshot.source.timestamp',
  consumerGroup: 'earshot.consumer.group',
} as const;

/** Where a dead-lettered message came from and why it is there. */
export interface DeadLetterInfo {
  error: string;
  reason: string;
  sourceTopic: string;
  sourcePartition: number;
  sourceOffset: string;
  /** The consumer group that refused the message (each group reading a poison message dead-letters it once). */
  consumerGroup?: string;
}

/** The message to produce to the dead-letter topic: the original key and value, the error in headers. */
export function deadLetterMessage(message: KafkaMessage, info: DeadLetterInfo): { key: Buffer | null; value: Buffer | null; headers: IHeaders } {
  return {
    key: message.key,
    value: message.value,
    headers: {
      ...message.headers,
      [DLQ_HEADERS.error]: info.error.slice(0, 4000),
      [DLQ_HEADERS.reason]: info.reason,
      [DLQ_HEADERS.sourceTopic]: info.sourceTopic,
      [DLQ_HEADERS.sourcePartition]: String(info.sourcePartition),
      [DLQ_HEADERS.sourceOffset]: info.sourceOffset,
      [DLQ_HEADERS.sourceTimestamp]: message.timestamp,
      ...(info.consumerGroup === undefined ? {} : { [DLQ_HEADERS.consumerGroup]: info.consumerGroup }),
    },
  };
}

/** Reads the dead-letter headers back (for tools and the console). */
export function readDeadLetterInfo(headers: IHeaders | undefined): DeadLetterInfo | null {
  const get = (name: string): string | undefined => {
    const v = headers?.[name];
    const first = Array.isArray(v) ? v[0] : v;
    return first === undefined ? undefined : first.toString();
  };
  const error = get(DLQ_HEADERS.error);
  if (error === undefined) return null;
  return {
    error,
    reason: get(DLQ_HEADERS.reason) ?? 'unknown',
    sourceTopic: get(DLQ_HEADERS.sourceTopic) ?? '',
    sourcePartition: Number(get(DLQ_HEADERS.sourcePartition) ?? -1),
    sourceOffset: get(DLQ_HEADERS.sourceOffset) ?? '',
    consumerGroup: get(DLQ_HEADERS.consumerGroup),
  };
}
