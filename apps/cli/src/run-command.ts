import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { EarshotError } from '@earshot/errors';
import { TOPICS, type ServiceHeartbeat } from '@earshot/events';
import { CompactedTopicReader, createKafkaClient, EventCodec, EventProducer, provisionTopicsAndSchemas } from '@earshot/kafka';
import { AppProcess } from './app-process';
import { stopConsole } from './console-command';
import { formatSummary, LiveWatch } from './live-summary';
import { planRun, readRunConfigFile, type RunFlags, type RunPlan } from './run-config';
import { alive, readRunState, runningPid, runPaths, writeRunState, type RunPaths, type RunState } from './run-state';
import { REPO_ROOT, runStack } from './stack-control';
import { Supervisor, type ChildStatus, type SupervisorEvent } from './supervisor';

/** Why `earshot run` cannot start, for a person. */
export class RunCommandError extends EarshotError {
  constructor(message: string, reason: string) {
    super(message, { reason });
  }
}

export interface RunCommandOptions {
  flags: RunFlags;
  /** --config FILE. Default: earshot.config.json in the current folder when there is one. */
  configPath?: string;
  /** How long every child gets to be ready. Default 180 s. */
  readyTimeoutMs?: number;
  /** Lines for the user. */
  say: (line: string) => void;
  /** Redraws the one-line summary in place (a terminal), or null to print it now and then (a log). */
  status?: ((line: string) => void) | null;
  env?: Record<string, string | undefined>;
}

/** CAP_NET_RAW, the capability a live capture needs (bit 13 of the effective set). */
function canCapture(): boolean {
  if (process.getuid?.() === 0) return true;
  try {
    const eff = /CapEff:\s*([0-9a-f]+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return eff !== undefined && (BigInt(`0x${eff}`) & (1n << 13n)) !== 0n;
  } catch {
    return false;
  }
}

function checkInterfaces(interfaces: string[]): void {
  if (!existsSync('/sys/class/net')) return;
  const known = readdirSync('/sys/class/net');
  const missing = interfaces.filter((i) => i !== 'any' && !known.includes(i));
  if (missing.length > 0) throw new RunCommandError(`no interface named ${missing.join(', ')} on this machine; there are: ${known.join(', ')}`, 'no-interface');
}

function configPathOf(options: RunCommandOptions): string | null {
  if (options.configPath !== undefined) return resolve(options.configPath);
  const local = resolve('earshot.config.json');
  return existsSync(local) ? local : null;
}

async function statusHealthy(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}api/health`, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

/**
 * How many users the directory has, read as call control reads it (qm.directory.v1 to its end): the
 * console's projection can lag the topic, and call control decides by the topic. Null when it cannot tell.
 */
async function directoryUsers(plan: RunPlan): Promise<number | null> {
  const users = new Set<string>();
  const reader = new CompactedTopicReader({
    kafka: createKafkaClient({ brokers: plan.brokers, clientId: 'earshot-run-directory' }),
    codec: new EventCodec({ registryUrl: plan.registryUrl }),
    topics: [TOPICS.directory], groupIdBase: 'earshot-run-directory',
    apply: (_topic, userId, entry) => {
      if (entry === null) users.delete(userId);
      else users.add(userId);
    },
  });
  try {
    await reader.start();
    return users.size;
  } catch {
    return null;
  } finally {
    await reader.stop().catch(() => undefined);
  }
}

/** A heartbeat saying an instance the supervisor gave up on is FAILED (the console shows it). */
async function publishFailed(plan: RunPlan, child: ChildStatus, startedAtMs: number): Promise<void> {
  const kafka = createKafkaClient({ brokers: plan.brokers, clientId: 'earshot-run-supervisor' });
  const producer = new EventProducer({ kafka, codec: new EventCodec({ registryUrl: plan.registryUrl }) });
  await producer.connect();
  try {
    const beat: ServiceHeartbeat = {
      instanceId: child.instanceId, serviceKind: child.kind, host: hostname(), pid: 0, version: '0.1.0', state: 'FAILED',
      startedAtMs, sentAtMs: Date.now(), lag: 0,
      counters: { 'supervisor.restarts': child.restarts, 'supervisor.last-exit-code': child.lastExit?.code ?? 0 }, assignments: [],
    };
    await producer.send(TOPICS.services, [{ key: child.instanceId, value: beat }]);
  } finally {
    await producer.disconnect();
  }
}

function describeEvent(e: SupervisorEvent): string | null {
  switch (e.type) {
    case 'exited':
      return `${e.child.name} exited (code ${e.code}); restart ${e.child.restarts + 1} in ${(e.restartInMs / 1000).toFixed(1)} s${e.child.logFile ? ` (log: ${e.child.logFile})` : ''}`;
    case 'restarted':
      return `${e.child.name} running again (pid ${e.child.pid}, restarts ${e.child.restarts})`;
    case 'failed':
      if (e.code === 2) return `${e.child.name} FAILED: configuration error (exit 2); not restarted${e.child.logFile ? ` — see ${e.child.logFile}` : ''}`;
      return `${e.child.name} FAILED: exited ${e.exits} times within ${e.withinMs / 1000} s (last code ${e.code}); not restarted${e.child.logFile ? ` — see ${e.child.logFile}` : ''}`;
    default:
      return null;
  }
}

/** The lines printed once everything is up (foreground and detached alike). */
export function readyLines(state: Pick<RunState, 'statusUrl' | 'adminPassword' | 'recordingsDir' | 'interfaces' | 'recordEveryone' | 'directoryUsers'>): string[] {
  const directory = state.directoryUsers;
  return [
    `console: ${state.statusUrl}   sign in as admin / ${state.adminPassword}`,
    `capturing: ${state.interfaces.join(', ')}   recordings: ${state.recordingsDir}`,
    state.recordEveryone ? 'recording: every call (record everyone is on)'
      : directory === 0
      ? 'the directory is empty: every call is recorded (add users in the console to record by their rules)'
      : directory === null ? 'recording: by the directory\'s rules (every call while the directory is empty)' : `recording: by the rules of the directory's ${directory} user(s)`,
  ];
}

/**
 * `earshot run` in the foreground: the stack (unless external), the topics and schemas, then every
 * service as a supervised child; the console's address once all are ready; a summary line until
 * SIGINT/SIGTERM, which stops every child (SIGTERM, then SIGKILL after the grace period).
 */
export async function runSystem(options: RunCommandOptions): Promise<number> {
  const env = options.env ?? process.env;
  const say = options.say;
  const paths = runPaths(env);
  const other = runningPid(paths);
  if (other !== null && other !== process.pid) {
    throw new RunCommandError(`earshot run is already running (pid ${other}); 'earshot status' shows it, 'earshot down' stops it`, 'already-running');
  }
  if (!canCapture()) {
    throw new RunCommandError('live capture needs root or the CAP_NET_RAW capability: run as root (sudo), or grant it: setcap cap_net_raw,cap_net_admin=eip $(command -v node)', 'no-capture-permission');
  }
  const configFile = configPathOf(options);
  const startedAtMs = Date.now();
  const plan = planRun({
    file: configFile === null ? null : readRunConfigFile(configFile), filePath: configFile, flags: options.flags, env,
    runDir: paths.runDir, baseDir: REPO_ROOT, host: hostname(), nowMs: startedAtMs,
  });
  checkInterfaces(plan.interfaces);
  // The console 'earshot console' started (the file recording's) gives way to the whole system's.
  if ((await statusHealthy(plan.statusUrl)) && (await stopConsole())) say(`stopped the console 'earshot console' had started; ${plan.statusUrl} is the whole system's now`);
  if (await statusHealthy(plan.statusUrl)) {
    throw new RunCommandError(`something already answers on ${plan.statusUrl} (a console started by 'earshot console'? 'earshot down' stops it), or set status.http.port in the configuration`, 'port-taken');
  }

  if (plan.stack === 'local') {
    if (runStack('status', true) !== 0) {
      say('starting the local stack (Kafka, schema registry, PostgreSQL)...');
      if (runStack('up') !== 0) throw new RunCommandError('the local stack did not come up (see above)', 'stack-down');
    }
  }
  await provisionTopicsAndSchemas({ brokers: plan.brokers, registryUrl: plan.registryUrl });

  mkdirSync(paths.runDir, { recursive: true });
  mkdirSync(paths.logsDir, { recursive: true });
  mkdirSync(plan.recordingsDir, { recursive: true });
  writeFileSync(paths.pidFile, `${process.pid}\n`);
  for (const child of plan.children) writeFileSync(child.configFile, `${JSON.stringify(child.fileContent, null, 2)}\n`);

  const watch = new LiveWatch({ brokers: plan.brokers, registryUrl: plan.registryUrl, instanceIds: plan.children.map((c) => c.instanceId), sinceMs: startedAtMs });
  await watch.start();
  let ready = false;
  let directory: number | null = null;
  const supervisor = new Supervisor({
    onEvent: (e) => {
      const line = describeEvent(e);
      if (line && ready) say(line);
      if (e.type === 'failed') void publishFailed(plan, e.child, startedAtMs).catch(() => undefined);
    },
  });
  const logOf = (name: string) => join(paths.logsDir, `${name.replace(/[^A-Za-z0-9._-]/g, '_')}.log`);
  for (const child of plan.children) {
    const logFile = logOf(child.name);
    writeFileSync(logFile, `--- earshot run ${new Date().toISOString()} ---\n`, { flag: 'a' });
    supervisor.add({
      name: child.name, kind: child.app, instanceId: child.instanceId, logFile,
      start: () => new AppProcess(child.app, child.env, { logFile }),
    });
  }

  const state = (): RunState => ({
    pid: process.pid, startedAtMs, updatedAtMs: Date.now(), ready, statusUrl: plan.statusUrl, adminPassword: plan.adminPassword,
    recordingsDir: plan.recordingsDir, interfaces: plan.interfaces, configFile, directoryUsers: directory, recordEveryone: plan.recordEveryone,
    children: supervisor.children().map((c) => {
      const h = watch.instance(c.instanceId);
      return { ...c, heartbeatState: h?.state ?? null, captureDrops: c.kind === 'call-control' || c.kind === 'rtp-collector' ? h?.captureDrops ?? 0 : null };
    }),
    summary: watch.summary(),
  });
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= (async () => {
    clearInterval(stateTimer);
    await supervisor.stop();
    await watch.stop().catch(() => undefined);
    rmSync(paths.stateFile, { force: true });
    if (runningPid(paths) === process.pid) rmSync(paths.pidFile, { force: true });
  })());
  const stateTimer = setInterval(() => {
    try {
      writeRunState(paths, state());
    } catch {
      // the next tick tries again
    }
  }, 1000);
  const signalled = new Promise<string>((r) => {
    process.once('SIGINT', () => r('SIGINT'));
    process.once('SIGTERM', () => r('SIGTERM'));
  });

  say(`starting ${plan.children.map((c) => c.name).join(', ')} (logs: ${paths.logsDir})...`);
  const allUp = await Promise.race([
    (async () => {
      const ok = await supervisor.whenReady(options.readyTimeoutMs ?? 180_000);
      if (!ok) return false;
      const deadline = Date.now() + 60_000;
      while (!(await statusHealthy(plan.statusUrl))) {
        if (Date.now() > deadline) return false;
        await new Promise((r) => setTimeout(r, 500));
      }
      return true;
    })(),
    signalled.then(() => null),
  ]);
  if (allUp !== true) {
    if (allUp === false) {
      const bad = supervisor.children().filter((c) => c.state !== 'running');
      say(`not every service came up: ${bad.map((c) => `${c.name} ${c.state}`).join(', ') || 'the console does not answer'}`);
      for (const c of bad.length > 0 ? bad : supervisor.children().filter((c) => c.kind === 'status')) {
        if (c.logFile) say(`--- ${c.logFile} (last lines)\n${tailOf(c.logFile, 12)}`);
      }
    }
    say('stopping...');
    await stop();
    return allUp === null ? 0 : 1;
  }
  directory = await directoryUsers(plan);
  ready = true;
  writeRunState(paths, state());
  for (const line of readyLines(state())) say(line);
  say('running; Ctrl-C stops everything');

  let lastLogged = 0;
  const summaryTimer = setInterval(() => {
    const line = `${new Date().toISOString().slice(11, 19)}  ${formatSummary(watch.summary())}${failedNote(supervisor.children())}`;
    if (options.status) options.status(line);
    else if (Date.now() - lastLogged >= 30_000) {
      lastLogged = Date.now();
      say(line);
    }
  }, 1500);
  const signal = await signalled;
  clearInterval(summaryTimer);
  say(`${signal}: stopping every service...`);
  await stop();
  say('stopped');
  return 0;
}

function failedNote(children: ChildStatus[]): string {
  const failed = children.filter((c) => c.state === 'failed').map((c) => c.name);
  const restarting = children.filter((c) => c.state === 'restarting').map((c) => c.name);
  return `${failed.length ? ` · FAILED: ${failed.join(', ')}` : ''}${restarting.length ? ` · restarting: ${restarting.join(', ')}` : ''}`;
}

function tailOf(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * `earshot run --detach`: the same run as a background process (its own output in
 * logs/earshot-run.log); returns once it says it is ready, or fails with its last lines.
 */
export async function runDetached(args: string[], say: (line: string) => void, env: Record<string, string | undefined> = process.env): Promise<number> {
  const paths = runPaths(env);
  const other = runningPid(paths);
  const running = other === null ? null : readRunState(paths);
  if (other !== null) {
    say(`earshot run is already running (pid ${other}); 'earshot status' shows it, 'earshot down' stops it`);
    if (running?.ready) for (const line of readyLines(running)) say(line);
    return 0;
  }
  mkdirSync(paths.logsDir, { recursive: true });
  const logFile = join(paths.logsDir, 'earshot-run.log');
  const log = openSync(logFile, 'a');
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/earshot.js'), 'run', ...args.filter((a) => a !== '--detach')], {
    cwd: process.cwd(), detached: true, stdio: ['ignore', log, log], env: { ...process.env, ...env } as NodeJS.ProcessEnv,
  });
  child.unref();
  const pid = child.pid ?? 0;
  say(`earshot run started in the background (pid ${pid}; log: ${logFile}); waiting until every service is ready...`);
  const deadline = Date.now() + 300_000;
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    const state = readRunState(paths);
    if (state?.pid === pid && state.ready) {
      for (const line of readyLines(state)) say(line);
      say("'earshot status' shows every service; 'earshot down' stops them (and the stack)");
      return 0;
    }
    if (!alive(pid) || Date.now() > deadline) {
      if (alive(pid)) process.kill(pid, 'SIGTERM');
      throw new RunCommandError(`earshot run did not come up; the last lines of ${logFile}:\n${tailOf(logFile, 25)}`, 'not-ready');
    }
  }
}

/** Stops a running `earshot run` (SIGTERM; it stops its children); false when none runs. */
export async function stopRun(say: (line: string) => void, env: Record<string, string | undefined> = process.env): Promise<boolean> {
  const paths: RunPaths = runPaths(env);
  const pid = runningPid(paths);
  if (pid === null) return false;
  say(`earshot run (pid ${pid}): stopping every service...`);
  process.kill(pid, 'SIGTERM');
  // Children get 15 s after SIGTERM before SIGKILL; then the supervisor exits.
  const deadline = Date.now() + 40_000;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  if (alive(pid)) {
    say(`earshot run (pid ${pid}) did not stop in 40 s: killing it and its children`);
    for (const c of readRunState(paths)?.children ?? []) if (c.pid !== null && alive(c.pid)) process.kill(c.pid, 'SIGKILL');
    process.kill(pid, 'SIGKILL');
  }
  rmSync(paths.pidFile, { force: true });
  rmSync(paths.stateFile, { force: true });
  return true;
}
