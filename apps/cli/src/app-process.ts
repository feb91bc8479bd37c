import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { REPO_ROOT } from './stack-control';

export interface AppProcessOptions {
  /** Appends the app's output (stdout and stderr) to this file too. Default: output kept in memory only. */
  logFile?: string;
}

/** An Earshot app started as its own process, its output kept for when something goes wrong. */
export class AppProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number>;
  private output = '';
  private readonly log: WriteStream | undefined;
  private readonly lineListeners: Array<(line: string) => void> = [];
  private partial = '';

  constructor(readonly app: string, env: Record<string, string>, options: AppProcessOptions = {}) {
    this.log = options.logFile === undefined ? undefined : createWriteStream(options.logFile, { flags: 'a' });
    this.child = spawn(process.execPath, ['--require', '@swc-node/register', resolve(REPO_ROOT, `apps/${app}/src/main.ts`)], {
      cwd: REPO_ROOT,
      env: { ...process.env, SWC_NODE_PROJECT: resolve(REPO_ROOT, 'tsconfig.json'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (d: Buffer): void => {
      const text = d.toString();
      this.output = (this.output + text).slice(-200_000);
      this.log?.write(d);
      if (this.lineListeners.length > 0) {
        const lines = (this.partial + text).split('\n');
        this.partial = lines.pop() ?? '';
        for (const line of lines) for (const listener of this.lineListeners) listener(line);
      }
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.exited = new Promise((r) => this.child.once('exit', (code, signal) => {
      this.log?.end();
      r(code ?? (signal ? 128 + (signal === 'SIGKILL' ? 9 : signal === 'SIGTERM' ? 15 : 0) : 1));
    }));
  }

  /** Calls `listener` with each line the app writes from now on. */
  onLine(listener: (line: string) => void): void {
    this.lineListeners.push(listener);
  }

  /** Whether the process still runs. */
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
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
    if (this.running) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
