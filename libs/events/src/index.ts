export * from './generated/event-types';
export { EVENT_SCHEMAS, type EventSchemaName } from './generated/event-schemas';
export { TOPICS, TOPIC_SCHEMAS, TOPIC_KEYS, type TopicName, type TopicValues } from './generated/topics';
export { deterministicEventId } from './event-id';
export { validateEvent, eventType, EventValidationError } from './event-validation';
export { sampleEvents } from './sample-events';
