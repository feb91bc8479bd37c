export { runService, EARSHOT_VERSION, type ServiceConfigOf, type ServiceContext, type RunningService, type RunServiceOptions } from './run-service';
export { HeartbeatPublisher, type HeartbeatPublisherOptions } from './heartbeat-publisher';
export {
  createServiceLogger, serializeError, REDACTED, REDACTED_KEYS,
  type ServiceLogger, type ServiceLoggerOptions, type LogLevel, type LogFields,
} from './service-logger';
