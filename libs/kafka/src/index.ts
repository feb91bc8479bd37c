export { createKafkaClient, type KafkaClientOptions, type KafkaLogSink } from './kafka-client';
export { EventCodec, valueSubject, type EventCodecOptions } from './event-codec';
export { EventProducer, type EventProducerOptions, type OutgoingEvent } from './event-producer';
export { ConsumerRunner, type ConsumerRunnerOptions, type DecodedMessage } from './consumer-runner';
export { deadLetterTopic, deadLetterMessage, readDeadLetterInfo, DLQ_HEADERS, type DeadLetterInfo } from './dead-letter';
export { ensureTopics, loadTopicDefinitions, withDeadLetterTopics, type TopicDefinition, type TopicChanges } from './topic-admin';
export { UndecodableMessageError, KafkaUnavailableError, SchemaRejectedError, isKafkaRetriable } from './kafka-errors';
export { localStackEndpoints } from './local-stack';
export { provisionTopicsAndSchemas } from './provision';
export { initialOffsetsFor } from './start-position';
export { withAdmin, topicOffsets, partitionCount, committedOffsets, deleteGroupsQuietly, type PartitionOffsets } from './kafka-admin';
export { CompactedTopicReader, type CompactedTopicReaderOptions, type CompactedTopicReadEnd } from './compacted-topic-reader';
export { partitionForKey } from './partition-for-key';
/**
 * The client's types, for apps that pass them along: apps never import kafkajs themselves (a lint
 * rule), so the client is named in this lib alone.
 */
export type {
  Kafka as KafkaClient, Producer as KafkaProducer, Consumer as KafkaConsumer, Admin as KafkaAdmin,
  Message as KafkaOutgoingMessage,
} from 'kafkajs';
