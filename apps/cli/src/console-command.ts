import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from './stack-control';

const LOCAL_DIR = resolve(process.env['EARSHOT_LOCAL_DIR'] ?? join(REPO_ROOT, '.local'));
const PID_FILE = join(LOCAL_DIR, 'status.pid');
const LOG_FILE = join(LOCAL_DIR, 'status.log');

export interface ConsoleOptions {
  /** Folder of the recordings the console plays (the recorder's and converter's EARSHOT_RECORDINGS_DIR). */
  recordingsDir: string;
  /** Default 8080 (EARSHOT_STATUS_PORT). */
  port?: number;
}

async function healthy(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}api/health`, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

/**
 * Starts the status service (projector, REST API, web console) in the background unless it is
 * already answering, waits until it is healthy, and returns its address. Its log goes to
 * .local/status.log; `earshot down` stops it.
 */
export async function startConsole(options: ConsoleOptions): Promise<string> {
  const port = options.port ?? Number(process.env['EARSHOT_STATUS_PORT'] ?? 8080);
  const url = `http://127.0.0.1:${port}/`;
  if (await healthy(url)) return url;
  mkdirSync(LOCAL_DIR, { recursive: true });
  const log = openSync(LOG_FILE, 'a');
  const child = spawn(process.execPath, ['--require', '@swc-node/register', join(REPO_ROOT, 'apps/status/src/main.ts')], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ['ignore', log, log],
    env: { ...process.env, SWC_NODE_PROJECT: join(REPO_ROOT, 'tsconfig.json'), EARSHOT_RECORDINGS_DIR: resolve(options.recordingsDir), EARSHOT_STATUS_PORT: String(port) },
  });
  writeFileSync(PID_FILE, `${child.pid}\n`);
  child.unref();
  const deadline = Date.now() + 90_000;
  while (!(await healthy(url))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`the status service did not come up on ${url}; see ${LOG_FILE}:\n${readFileSync(LOG_FILE, 'utf8').trimEnd().split('\n').slice(-10).join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return url;
}

/** Stops the status service `startConsole` started, if it runs. */
export async function stopConsole(): Promise<boolean> {
  if (!existsSync(PID_FILE)) return false;
  const pid = Number(readFileSync(PID_FILE, 'utf8').trim());
  rmSync(PID_FILE, { force: true });
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return false;
  }
  for (let i = 0; i < 60; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  process.kill(pid, 'SIGKILL');
  return true;
}
