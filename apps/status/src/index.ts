// @earshot/status's public entry point, for the tests, benchmarks and tools outside the app
// (the service itself starts from main.ts). Nothing else reaches into src/ by a relative path.
export { statusSettings } from './config/status-settings';
export { schemaNames, tableNames, NO_SCHEMA_PREFIX, type SchemaNames, type TableNames } from './database/schema-names';
export { runMigrations, readMigrations, MigrationError, MIGRATIONS_DIR, type MigrationOptions, type Migration } from './database/migration-runner';
export { Projector, type ProjectorOptions } from './projection/projector';
export { PROJECTED_TOPICS, type ProjectedTopic } from './projection/projection-store';
