export { createKafkaClient, type KafkaClientOptions, type KafkaLogSink } from './kafka-client';
export { EventCodec, valueSubject, type EventCodecOptions } from './event-codec';
export { EventProducer, type EventProducerOptions, type OutgoingEvent } from './event-producer';
export { ConsumerRunner, type ConsumerRunnerOptions, type DecodedMessage } from './consumer-runner';
export { deadLetterTopic, deadLetterMessage, readDeadLetterInfo, DLQ_HEADERS, type DeadLetterInfo } from './dead-letter';
export { ensureTopics, loadTopicDefinitions, withDeadLetterTopics, type TopicDefinition, type TopicChanges } from './topic-admin';
export { UndecodableMessageError, KafkaUnavailableError, SchemaRejectedError, isKafkaRetriable } from './kafka-errors';
export { localStackEndpoints } from './local-stack';
export { provisionTopicsAndSchemas } from './provision';
