/**
 * A status app process for REST tests: a fresh pair of schemas (`<prefix>projection`,
 * `<prefix>console`, EARSHOT_PG_SCHEMA_PREFIX) in the shared database, which the app migrates
 * itself, a temporary recordings folder, a unique port, instance id and consumer group prefix. The
 * projector is off unless `env` turns it on: it writes the same prefixed schemas the API reads, and
 * the REST tests fill them themselves.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startApp, type AppProcess, waitForStatusHealthy } from './app-process';

export const PG_URL = process.env.EARSHOT_PG_URL ?? 'postgres://earshot:earshot@127.0.0.1:5432/earshot';

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
  const recordingsDir = mkdtempSync(join(tmpdir(), 'earshot-status-api-'));
  const port = await freePort();
  const app = startApp('status', {
    EARSHOT_PG_SCHEMA_PREFIX: prefix, EARSHOT_STATUS_PORT: String(port), EARSHOT_KAFKA_GROUP_PREFIX: `status-api-${run}`,
    EARSHOT_INSTANCE_ID: `status-api-${run}`, EARSHOT_RECORDINGS_DIR: recordingsDir, EARSHOT_ADMIN_PASSWORD: `admin-${run}`,
    EARSHOT_HEARTBEAT_MS: '1000', EARSHOT_LOG_LEVEL: 'info', EARSHOT_PROJECTOR: 'false', ...env,
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitForStatusHealthy(app, baseUrl);
  return {
    prefix, db, recordingsDir, baseUrl, app,
    async stop() {
      app.child.kill('SIGTERM');
      await app.exited;
      await db.query(`drop schema if exists ${prefix}projection cascade; drop schema if exists ${prefix}console cascade;
        drop table if exists public.${prefix}schema_migrations`);
      await db.end();
      rmSync(recordingsDir, { recursive: true, force: true });
    },
  };
}
