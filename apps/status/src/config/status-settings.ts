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
};
