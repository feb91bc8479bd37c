import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '..');

/** The apps that run as services, with their entry points. */
export const SERVICE_APPS = ['call-control', 'rtp-collector', 'recorder', 'converter', 'status'] as const;
export type ServiceApp = (typeof SERVICE_APPS)[number];

/** A started app process with its output collected. */
export interface AppProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `apps/<app>/src/main.ts` as its own process with extra environment. */
export function startApp(app: ServiceApp | 'cli', env: Record<string, string>, args: string[] = []): AppProcess {
  let out = '';
  const child = spawn(process.execPath, ['--require', '@swc-node/register', resolve(REPO_ROOT, `apps/${app}/src/main.ts`), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  return { child, output: () => out, exited };
}

/**
 * Waits until a started status app answers GET /api/health with 200; if it exits or does not answer
 * in time, kills it and throws with its output.
 */
export async function waitForStatusHealthy(app: AppProcess, baseUrl: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (app.child.exitCode !== null) break;
    if ((await fetch(`${baseUrl}/api/health`).catch(() => null))?.status === 200) return;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  app.child.kill('SIGKILL');
  throw new Error(`the status app did not answer ${baseUrl}/api/health (exit ${app.child.exitCode}):\n${app.output()}`);
}
