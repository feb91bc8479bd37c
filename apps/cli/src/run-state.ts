import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatSummary, type LiveSummary } from './live-summary';
import { REPO_ROOT } from './stack-control';
import type { ChildStatus } from './supervisor';

/** Where `earshot run` keeps its pid file, state, per-service configuration and logs. */
export interface RunPaths {
  home: string;
  /** The supervisor's pid (`earshot down` sends it SIGTERM). */
  pidFile: string;
  /** The running system as the supervisor last wrote it (`earshot status` reads it). */
  stateFile: string;
  /** The per-service configuration files. */
  runDir: string;
  /** One log file per child, and the supervisor's own (earshot-run.log) when detached. */
  logsDir: string;
}

/** EARSHOT_RUN_HOME, else EARSHOT_LOCAL_DIR, else .local in the repository. */
export function runPaths(env: Record<string, string | undefined> = process.env): RunPaths {
  const home = resolve(env['EARSHOT_RUN_HOME'] || env['EARSHOT_LOCAL_DIR'] || join(REPO_ROOT, '.local'));
  return {
    home, pidFile: join(home, 'earshot-run.pid'), stateFile: join(home, 'run', 'state.json'),
    runDir: join(home, 'run'), logsDir: join(home, 'logs'),
  };
}

/** One child in the state file: the supervisor's view and its latest heartbeat. */
export interface ChildReport extends ChildStatus {
  /** State in its latest heartbeat (RUNNING, STOPPED, ...), or null before the first. */
  heartbeatState: string | null;
  /** Kernel drops its capture reported (capture.*drop* counters), or null when it does not capture. */
  captureDrops: number | null;
}

/** What `earshot run` writes every second. */
export interface RunState {
  pid: number;
  startedAtMs: number;
  updatedAtMs: number;
  /** Every child started and the console answering. */
  ready: boolean;
  statusUrl: string;
  adminPassword: string;
  recordingsDir: string;
  interfaces: string[];
  configFile: string | null;
  /** Directory users the console knew at start (0: every call recorded), null when unknown. */
  directoryUsers: number | null;
  /** Call control records every call whatever the directory says. */
  recordEveryone: boolean;
  children: ChildReport[];
  summary: LiveSummary | null;
}

export function writeRunState(paths: RunPaths, state: RunState): void {
  mkdirSync(paths.runDir, { recursive: true });
  const tmp = `${paths.stateFile}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, paths.stateFile);
}

export function readRunState(paths: RunPaths): RunState | null {
  try {
    return JSON.parse(readFileSync(paths.stateFile, 'utf8')) as RunState;
  } catch {
    return null;
  }
}

/** Whether a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid of the running `earshot run`, or null (a stale pid file is removed). */
export function runningPid(paths: RunPaths): number | null {
  if (!existsSync(paths.pidFile)) return null;
  const pid = Number(readFileSync(paths.pidFile, 'utf8').trim());
  if (Number.isInteger(pid) && pid > 0 && alive(pid)) return pid;
  rmSync(paths.pidFile, { force: true });
  return null;
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : `${Math.round(s / 3600)}h`;
}

/** The running system as a table, for `earshot status`. */
export function formatRunState(state: RunState, now = Date.now()): string {
  const rows = [['SERVICE', 'INSTANCE', 'PID', 'STATE', 'RESTARTS', 'UP', 'HEARTBEAT', 'CAPTURE DROPS']];
  for (const c of state.children) {
    rows.push([
      c.name, c.instanceId, c.pid === null ? '-' : String(c.pid), c.state, String(c.restarts),
      c.state === 'running' ? ago(now - c.startedAtMs) : '-', c.heartbeatState ?? '-', c.captureDrops === null ? '-' : String(c.captureDrops),
    ]);
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  const table = rows.map((r) => r.map((v, i) => v.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
  return [
    `earshot run: pid ${state.pid}, up ${ago(now - state.startedAtMs)}, capturing ${state.interfaces.join(', ')}${state.ready ? '' : ' (starting)'}`,
    `console: ${state.statusUrl}  (admin / ${state.adminPassword})   recordings: ${state.recordingsDir}`,
    table,
    ...(state.summary ? [formatSummary(state.summary)] : []),
  ].join('\n');
}
