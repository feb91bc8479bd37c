import { HOST_PORT, setting } from './setting';

/** Settings every service has: where Kafka and the registry are, and who this instance is. */
export const commonSettings = {
  kafka: {
    brokers: setting.list('EARSHOT_KAFKA_BROKERS', 'Kafka bootstrap brokers, host:port, comma-separated.', ['127.0.0.1:9092'], HOST_PORT),
    clientId: setting.string('EARSHOT_KAFKA_CLIENT_ID', 'Kafka client id prefix.', 'earshot'),
    groupPrefix: setting.string('EARSHOT_KAFKA_GROUP_PREFIX', 'Prefix of every consumer group id (a separate prefix gives a separate set of groups, e.g. for one earshot record run).', 'earshot'),
    startFrom: setting.string('EARSHOT_KAFKA_START_FROM', 'Where a consumer group with no commit starts: earliest, latest, or a time (ms since the epoch or ISO 8601) whose first messages it reads.', 'earliest',
      { pattern: /^(earliest|latest|\d{10,16}|\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2}))$/, hint: 'earliest, latest, a ms timestamp or an ISO 8601 time' }),
  },
  registry: {
    url: setting.string('EARSHOT_REGISTRY_URL', 'Confluent-compatible schema registry base URL.',
      'http://127.0.0.1:8081/apis/ccompat/v7', { pattern: /^https?:\/\/\S+$/, hint: 'an http(s) URL' }),
  },
  instanceId: setting.optionalString('EARSHOT_INSTANCE_ID', 'Unique id of this instance; default <kind>@<host>:<pid>.'),
  logLevel: setting.oneOf('EARSHOT_LOG_LEVEL', 'Log level of the app.', 'info', ['debug', 'info', 'warn', 'error'] as const),
  heartbeatIntervalMs: setting.int('EARSHOT_HEARTBEAT_MS', 'How often the instance publishes a heartbeat to qm.services.v1.', 10_000, { min: 500, max: 600_000 }),
};

/** Where the PostgreSQL projection lives (status service only). */
export const postgresSettings = {
  url: setting.string('EARSHOT_PG_URL', 'PostgreSQL connection URL of the projection.',
    'postgres://earshot:earshot@127.0.0.1:5432/earshot', { pattern: /^postgres(ql)?:\/\/\S+$/, hint: 'a postgres:// URL' }),
};

/** Where recordings are kept (recorder, converter, status). */
export const storageSettings = {
  recordingsDir: setting.string('EARSHOT_RECORDINGS_DIR', 'Folder of the .raw and WAV files.', '.local/recordings'),
};
