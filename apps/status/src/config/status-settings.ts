import { commonSettings, postgresSettings, setting, storageSettings } from '@earshot/config';

/** The status service's settings: the common ones, PostgreSQL, recordings, and its HTTP listener. */
export const statusSettings = {
  ...commonSettings,
  postgres: postgresSettings,
  ...storageSettings,
  http: {
    host: setting.string('EARSHOT_STATUS_HOST', 'Address the console and REST API listen on.', '127.0.0.1'),
    port: setting.int('EARSHOT_STATUS_PORT', 'Port of the console and REST API.', 8080, { min: 1, max: 65535 }),
  },
  projector: {
    enabled: setting.bool('EARSHOT_PROJECTOR', 'Run the projector (topics → PostgreSQL) in this instance.', true),
    batchEvents: setting.int('EARSHOT_PROJECTOR_BATCH_EVENTS', 'Events per projection transaction at most (rows and offsets committed together).', 500, { min: 1, max: 100_000 }),
    rebuild: setting.bool('EARSHOT_PROJECTOR_REBUILD', 'Empty every projection.* table at start and replay the topics (see apps/status/README.md); set it for one start only.', false),
  },
  api: {
    schemaPrefix: setting.string('EARSHOT_PG_SCHEMA_PREFIX', 'Prefix of the projection and console schemas that the migrations create, the projector writes and the REST API reads (tests use a fresh pair, e.g. t1234_); "none" for the schemas projection and console.', 'none',
      { pattern: /^(none|[a-z][a-z0-9_]{0,40})$/, hint: 'none or lower-case letters, digits and _' }),
    adminPassword: setting.string('EARSHOT_ADMIN_PASSWORD', 'Password of the first account (admin), created on start when there is no account; local development only.', 'earshot-admin'),
    sessionTtlMinutes: setting.int('EARSHOT_SESSION_TTL_MINUTES', 'How long a console session (login) stays valid.', 720, { min: 1, max: 43_200 }),
  },
  live: {
    delayMs: setting.int('EARSHOT_LIVE_DELAY_MS', 'How far live monitoring plays behind the arrival of each RtpBatch: room for Kafka delivery jitter (the rtp-collector batch window, EARSHOT_BATCH_WINDOW_MS, adds to it, measured).', 300, { min: 100, max: 30_000 }),
    lingerMs: setting.int('EARSHOT_LIVE_LINGER_MS', 'How long the live monitor keeps reading qm.rtp.v1 after the last listener left (a quick re-listen skips the group join).', 15_000, { min: 0, max: 600_000 }),
  },
};
