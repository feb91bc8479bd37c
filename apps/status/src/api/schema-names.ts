import { STATUS_CONFIG, type StatusConfig } from '../config/status-config.module';

/** Injection token of the qualified table names the API reads and writes. */
export const TABLES = Symbol('TABLES');

/**
 * The tables of 001-projection.sql, qualified by schema. The schemas are `projection` and
 * `console`, or `<prefix>projection` and `<prefix>console` when EARSHOT_PG_SCHEMA_PREFIX is set
 * (tests run against a fresh pair in the shared database).
 */
export function tableNames(prefix: string) {
  const p = prefix === 'none' ? '' : prefix;
  const projection = `${p}projection`;
  const console = `${p}console`;
  return {
    projectionSchema: projection,
    consoleSchema: console,
    calls: `${projection}.calls`,
    timeline: `${projection}.call_timeline`,
    legs: `${projection}.legs`,
    recordings: `${projection}.recordings`,
    users: `${projection}.users`,
    devices: `${projection}.devices`,
    serviceConfig: `${projection}.service_config`,
    serviceInstances: `${projection}.service_instances`,
    auditEntries: `${projection}.audit_entries`,
    accounts: `${console}.accounts`,
    sessions: `${console}.sessions`,
    apiTokens: `${console}.api_tokens`,
  } as const;
}
export type TableNames = ReturnType<typeof tableNames>;

export const tablesProvider = {
  provide: TABLES,
  useFactory: (config: StatusConfig): TableNames => tableNames(config.api.schemaPrefix),
  inject: [STATUS_CONFIG],
};
