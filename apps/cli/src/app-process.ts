import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { REPO_ROOT } from './stack-control';

/** An Earshot app started as its own process, its output kept for when something goes wrong. */
export class AppProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number>;
  private output = '';

  constructor(readonly app: string, env: Record<string, string>) {
    this.child = spawn(process.execPath, ['--require', '@swc-node/register', resolve(REPO_ROOT, `apps/${app}/src/main.ts`)], {
      cwd: REPO_ROOT,
      env: { ...process.env, SWC_NODE_PROJECT: resolve(REPO_ROOT, 'tsconfig.json'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (d: Buffer): void => {
      this.output = (this.output + d.toString()).slice(-200_000);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.exited = new Promise((r) => this.child.once('exit', (code, signal) => r(code ?? (signal ? 128 : 1))));
  }

  /** The JSON log lines the app wrote, parsed (lines that are not JSON are skipped). */
  logLines(): Array<Record<string, unknown>> {
    return this.output.split('\n').flatMap((l) => {
      try {
        const v = JSON.parse(l) as unknown;
        return typeof v === 'object' && v !== null ? [v as Record<string, unknown>] : [];
      } catch {
        return [];
      }
    });
  }

  /** The last lines of its output, for an error message. */
  tail(lines = 15): string {
    return this.output.trimEnd().split('\n').slice(-lines).map((l) => `  ${this.app}| ${l}`).join('\n');
  }

  /** SIGTERM, then the exit code (SIGKILL after `graceMs`). */
  async stop(graceMs = 15_000): Promise<number> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
