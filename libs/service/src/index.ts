export { runService, EARSHOT_VERSION, type ServiceConfigOf, type ServiceContext, type RunningService, type RunServiceOptions } from './run-service';
export { HeartbeatPublisher, type HeartbeatPublisherOptions } from './heartbeat-publisher';
export { createServiceLogger, type ServiceLogger, type LogLevel } from './service-logger';
