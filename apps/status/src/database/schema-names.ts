/**
 * The one place that names the status service's PostgreSQL schemas and tables. The migrations (their
 * `{projection}` and `{console}` placeholders), the projector and the REST API all take their names
 * from here, so EARSHOT_PG_SCHEMA_PREFIX moves all three together: `projection` and `console` by
 * default, `<prefix>projection` and `<prefix>console` with a prefix (tests run on a fresh pair in
 * the shared database).
 */

/** The value of EARSHOT_PG_SCHEMA_PREFIX that means no prefix. */
export const NO_SCHEMA_PREFIX = 'none';

/** A prefix that keeps every name a plain lower-case SQL identifier (no quoting anywhere). */
const PREFIX = /^[a-z][a-z0-9_]{0,40}$/;

/** The schemas and the migrations ledger of one schema prefix. */
export interface SchemaNames {
  /** The projection of the topics (rebuilt by replaying them). */
  projection: string;
  /** The status service's own state: accounts, sessions, API tokens. */
  console: string;
  /** The table recording the migrations applied to these schemas. */
  migrationsTable: string;
}

/** The schemas for `prefix` (`'none'` or `''`: the unprefixed names). */
export function schemaNames(prefix: string = NO_SCHEMA_PREFIX): SchemaNames {
  const p = prefix === NO_SCHEMA_PREFIX ? '' : prefix;
  if (p !== '' && !PREFIX.test(p)) throw new RangeError(`schema prefix must be "${NO_SCHEMA_PREFIX}" or lower-case letters, digits and _, got "${prefix}"`);
  return { projection: `${p}projection`, console: `${p}console`, migrationsTable: `public.${p}schema_migrations` };
}

/** The tables of the migrations, qualified by schema. */
export function tableNames(schemas: SchemaNames = schemaNames()) {
  const { projection, console } = schemas;
  return {
    projectionSchema: projection,
    consoleSchema: console,
    appliedOffsets: `${projection}.applied_offsets`,
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
