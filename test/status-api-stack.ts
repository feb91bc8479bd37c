/**
 * A status app process for REST tests: a fresh pair of schemas (`<prefix>projection`,
 * `<prefix>console`) in the shared database with every migration applied under those names, a
 * temporary recordings folder, a unique port, instance id and consumer group prefix.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { REPO_ROOT, startApp, type AppProcess, waitForStatusHealthy } from './app-process';

export const PG_URL = process.env.EARSHOT_PG_URL ?? 'postgres://earshot:earshot@127.0.0.1:5432/earshot';
const MIGRATIONS = resolve(REPO_ROOT, 'apps/status/src/database/migrations');

/** The migrations' SQL with the schemas renamed: `projection.x` → `<prefix>projection.x`. */
export function prefixedMigrations(prefix: string): string[] {
  return readdirSync(MIGRATIONS).filter((f) => /^\d{3,}-.+\.sql$/.test(f)).sort()
    .map((f) => readFileSync(join(MIGRATIONS, f), 'utf8')
      .replace(/\b(projection|console)\./g, `${prefix}$1.`)
      .replace(/schema if not exists (projection|console)\b/g, `schema if not exists ${prefix}$1`));
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => res(port));
    });
  });
}

export interface StatusApiStack {
  prefix: string;
  db: Client;
  recordingsDir: string;
  baseUrl: string;
  app: AppProcess;
  stop(): Promise<void>;
}

export async function startStatusApi(run: string, env: Record<string, string> = {}): Promise<StatusApiStack> {
  const prefix = `t${run}_`;
  const db = new Client({ connectionString: PG_URL });
  await db.connect();
  for (const sql of prefixedMigrations(prefix)) await db.query(sql);
  const recordingsDir = mkdtempSync(join(tmpdir(), 'earshot-status-api-'));
  const port = await freePort();
  const app = startApp('status', {
    EARSHOT_PG_SCHEMA_PREFIX: prefix, EARSHOT_STATUS_PORT: String(port), EARSHOT_KAFKA_GROUP_PREFIX: `status-api-${run}`,
    EARSHOT_INSTANCE_ID: `status-api-${run}`, EARSHOT_RECORDINGS_DIR: recordingsDir, EARSHOT_ADMIN_PASSWORD: `admin-${run}`,
    EARSHOT_HEARTBEAT_MS: '1000', EARSHOT_LOG_LEVEL: 'info', ...env,
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitForStatusHealthy(app, baseUrl);
  return {
    prefix, db, recordingsDir, baseUrl, app,
    async stop() {
      app.child.kill('SIGTERM');
      await app.exited;
      await db.query(`drop schema if exists ${prefix}projection cascade; drop schema if exists ${prefix}console cascade`);
      await db.end();
      rmSync(recordingsDir, { recursive: true, force: true });
    },
  };
}
