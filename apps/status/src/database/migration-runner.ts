import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Pool, PoolClient } from 'pg';
import { schemaNames, type SchemaNames } from './schema-names';

/** Options of `runMigrations`. */
export interface MigrationOptions {
  /** Folder of the `NNN-name.sql` files. Default: `migrations/` beside this file. */
  dir?: string;
  /** The schemas to create and change (EARSHOT_PG_SCHEMA_PREFIX). Default: `projection` and `console`. */
  schemas?: SchemaNames;
  /** Told of each migration applied, for the app's log. Default: nothing. */
  onApplied?: (migration: { version: string; name: string; ms: number }) => void;
}

/** One migration file. */
export interface Migration {
  /** The NNN prefix, e.g. `001`: the order and the identity of the migration. */
  version: string;
  /** The file name. */
  name: string;
  /** The file's SQL, schemas written as `{projection}` and `{console}`. */
  template: string;
  /** Of the SQL with the default schema names, so it does not depend on the prefix it is applied under. */
  sha256: string;
}

/** Where the migrations name the schemas; the runner puts in the names of schema-names.ts. */
const SCHEMA_PLACEHOLDER = /\{(projection|console)\}/g;
/** A schema named literally, which a prefix would not move. */
const LITERAL_SCHEMA = /(?<![\w{])(projection|console)\.(?=[\w*])/;

/** The migration's SQL for `schemas`. */
export function migrationSql(m: Migration, schemas: SchemaNames = schemaNames()): string {
  return m.template.replace(SCHEMA_PLACEHOLDER, (_, schema: 'projection' | 'console') => schemas[schema]);
}

/** A migration file that cannot be applied, or one applied earlier whose file was edited since. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

export const MIGRATIONS_DIR = resolve(__dirname, 'migrations');

/**
 * Key of the session-level advisory lock held while migrating, so that two instances starting at
 * once apply each migration once (the second waits, then finds everything applied). Any constant
 * works as long as nothing else takes it: "earshot:migrations" folded into a 64-bit integer.
 */
export const MIGRATION_LOCK_KEY = '7310313837416297332';

const FILE = /^(\d{3,})-[A-Za-z0-9._-]+\.sql$/;

/** The migration files of `dir` in order; a stray file or a duplicate version is an error. */
export function readMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const out: Migration[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith('.sql')) continue;
    const version = FILE.exec(name)?.[1];
    if (version === undefined) throw new MigrationError(`migration file ${name} is not named NNN-name.sql`);
    if (out.some((m) => m.version === version)) throw new MigrationError(`two migration files have version ${version}`);
    const template = readFileSync(join(dir, name), 'utf8');
    const literal = LITERAL_SCHEMA.exec(template);
    if (literal) throw new MigrationError(`migration file ${name} names the schema ${literal[1]} literally ("${literal[0]}"); write {${literal[1]}} so that EARSHOT_PG_SCHEMA_PREFIX applies`);
    const m = { version, name, template, sha256: '' };
    out.push({ ...m, sha256: createHash('sha256').update(migrationSql(m)).digest('hex') });
  }
  return out;
}

/**
 * Applies the migrations not yet recorded in the schemas' ledger (`public.schema_migrations`, or
 * `public.<prefix>schema_migrations`), in version order, each in its own transaction together with
 * its record; returns the versions applied. A migration applied earlier whose file has changed stops
 * the start: schema changes are new files, never edits.
 */
export async function runMigrations(pool: Pool, options: MigrationOptions = {}): Promise<string[]> {
  const migrations = readMigrations(options.dir);
  const schemas = options.schemas ?? schemaNames();
  const ledger = schemas.migrationsTable;
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await client.query('select pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    try {
      await client.query(`create table if not exists ${ledger} (
        version    text primary key,
        name       text not null,
        sha256     text not null,
        applied_at timestamptz not null default now()
      )`);
      const done = new Map((await client.query<{ version: string; name: string; sha256: string }>(`select version, name, sha256 from ${ledger}`)).rows.map((r) => [r.version, r]));
      for (const m of migrations) {
        const before = done.get(m.version);
        if (before) {
          if (before.sha256 !== m.sha256) {
            throw new MigrationError(`migration ${m.name} was edited after it was applied (as ${before.name}); change the schema with a new migration file instead`);
          }
          continue;
        }
        const started = Date.now();
        await inTransaction(client, async () => {
          await client.query(migrationSql(m, schemas));
          await client.query(`insert into ${ledger} (version, name, sha256) values ($1, $2, $3)`, [m.version, m.name, m.sha256]);
        }).catch((error: unknown) => {
          throw new MigrationError(`migration ${m.name} failed: ${(error as Error).message}`, { cause: error });
        });
        applied.push(m.version);
        options.onApplied?.({ version: m.version, name: m.name, ms: Date.now() - started });
      }
    } finally {
      await client.query('select pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
  return applied;
}

async function inTransaction(client: PoolClient, work: () => Promise<void>): Promise<void> {
  await client.query('begin');
  try {
    await work();
    await client.query('commit');
  } catch (error) {
    await client.query('rollback');
    throw error;
  }
}
