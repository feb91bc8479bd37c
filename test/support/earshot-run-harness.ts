/**
 * `earshot run` as a user starts it, for tests and benchmarks: its own configuration file (instance
 * ids, consumer groups, recordings folder, console port), the run's events followed on the shared
 * topics, and dumpcap counting on lo what was really sent.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TOPICS, type CallEvent, type RecordingEvent, type RtpBatch, type TopicName } from '@earshot/events';
import { ConsumerRunner, initialOffsetsFor } from '@earshot/kafka';
import { connectTestStack, endOffsets } from '../../libs/kafka/src/testing/test-stack';
import { freePort } from '../status-api-stack';

export const REPO_ROOT = resolve(__dirname, '../..');

export interface EarshotRunOptions {
  /** Unique per run: instance ids <service>@<name>, group prefix, folders. */
  name: string;
  /** BPF filter of both captures. */
  filter: string;
  /** More of the configuration file (merged over the defaults here). */
  config?: Record<string, unknown>;
  /** Extra environment. */
  env?: Record<string, string>;
}

export interface EarshotRun {
  child: ChildProcess;
  home: string;
  recordingsDir: string;
  statusUrl: string;
  output: () => string;
  exited: Promise<number>;
  /** The state file the supervisor writes every second. */
  state: () => { ready: boolean; children: Array<{ name: string; kind: string; pid: number | null; state: string; restarts: number; instanceId: string }> } | null;
  /** The instance ids of its children. */
  instanceIds: () => string[];
  stop: () => Promise<number>;
}

/** Starts `node bin/earshot.js run` with a config file of its own; resolves once it says it is running. */
export async function startEarshotRun(o: EarshotRunOptions): Promise<EarshotRun> {
  const home = mkdtempSync(join(tmpdir(), `earshot-run-${o.name}-`));
  const recordingsDir = join(home, 'recordings');
  mkdirSync(recordingsDir);
  const port = await freePort();
  const config = {
    stack: 'external',
    name: o.name,
    recordingsDir,
    kafka: { groupPrefix: `earshot-run-${o.name}` },
    heartbeatIntervalMs: 1000,
    status: { http: { port }, projector: { enabled: false }, api: { adminPassword: `admin-${o.name}` } },
    ...o.config,
  };
  const configFile = join(home, 'earshot.config.json');
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  let out = '';
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/earshot.js'), 'run', '--config', configFile, '--filter', o.filter], {
    cwd: REPO_ROOT, env: { ...process.env, EARSHOT_RUN_HOME: home, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number>((r) => child.once('exit', (code, signal) => r(code ?? (signal ? 128 : 1))));
  const stateFile = join(home, 'run', 'state.json');
  const run: EarshotRun = {
    child, home, recordingsDir, statusUrl: `http://127.0.0.1:${port}/`, output: () => out, exited,
    state: () => {
      try {
        return JSON.parse(readFileSync(stateFile, 'utf8')) as ReturnType<EarshotRun['state']>;
      } catch {
        return null;
      }
    },
    instanceIds: () => run.state()?.children.map((c) => c.instanceId) ?? [],
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 60_000);
      try {
        return await exited;
      } finally {
        clearTimeout(t);
      }
    },
  };
  const deadline = Date.now() + 180_000;
  while (!/running; Ctrl-C stops everything/.test(out)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`earshot run did not come up (exit ${child.exitCode}):\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return run;
}

/** The run's call and recording events, from now on, by its own instances. */
export class RunEvents {
  readonly calls: CallEvent[] = [];
  readonly recordings: RecordingEvent[] = [];
  private runner: ConsumerRunner<TopicName> | undefined;

  constructor(private readonly name: string) {}

  async start(): Promise<void> {
    const { kafka, codec } = await connectTestStack(`run-events-${this.name}`);
    const topics: TopicName[] = [TOPICS.callControl, TOPICS.recordings];
    const suffix = `@${this.name}`;
    this.runner = new ConsumerRunner({
      kafka, codec, groupId: `run-events-${this.name}`, topics, initialOffsets: await endOffsets(kafka, topics),
      handle: async (m) => {
        if (!m.value) return;
        const v = m.value as CallEvent | RecordingEvent;
        if (!v.instanceId.includes(suffix)) return;
        if (m.topic === TOPICS.callControl) this.calls.push(v as CallEvent);
        else this.recordings.push(v as RecordingEvent);
      },
    });
    await this.runner.start();
  }

  async stop(): Promise<void> {
    await this.runner?.stop();
  }

  /** Calls whose caller is at this SIP address (the load's own), by call id. */
  callIdsFrom(callerHostPort: string): string[] {
    return [...new Set(this.calls.filter((e) => e.kind === 'STARTED' && e.caller.uri.includes(`@${callerHostPort}`)).map((e) => e.callId))];
  }

  converted(callId: string): RecordingEvent | undefined {
    return this.recordings.find((r) => r.callId === callId && r.kind === 'CONVERTED');
  }

  failed(callId: string): RecordingEvent | undefined {
    return this.recordings.find((r) => r.callId === callId && r.kind === 'FAILED');
  }

  /** RTP packets the recorder wrote for a call, summed over its legs (LEG_COMPLETED stats). */
  recordedPackets(callId: string): number {
    const legs = new Map<string, number>();
    for (const r of this.recordings) if (r.callId === callId && r.kind === 'LEG_COMPLETED' && r.leg && r.stats) legs.set(r.leg.legId, r.stats.packets);
    return [...legs.values()].reduce((a, b) => a + b, 0);
  }

  endedAtUs(callId: string): number | undefined {
    return this.calls.find((e) => e.callId === callId && (e.kind === 'ENDED' || e.kind === 'FAILED'))?.captureTimeUs;
  }
}

/** dumpcap on lo with a filter, into a pcapng: what was really sent, counted by Wireshark's tools. */
export class WireCount {
  private child: ChildProcess | undefined;
  private err = '';
  readonly file: string;

  constructor(dir: string, private readonly filter: string) {
    this.file = join(dir, 'wire.pcapng');
  }

  async start(): Promise<void> {
    this.child = spawn('dumpcap', ['-i', 'lo', '-f', this.filter, '-w', this.file, '-B', '256', '-q'], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child.stderr?.on('data', (d: Buffer) => (this.err += d.toString()));
    const deadline = Date.now() + 15_000;
    while (!/Capturing on/.test(this.err)) {
      if (this.child.exitCode !== null || Date.now() > deadline) throw new Error(`dumpcap did not start: ${this.err}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Stops it; returns the packets it says the kernel dropped (must be 0 for the count to hold). */
  async stop(): Promise<number> {
    const c = this.child;
    if (!c) return 0;
    c.kill('SIGINT');
    await new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)));
    const m = /dropped on interface '[^']*': \d+\/(\d+)/.exec(this.err) ?? /Packets received\/dropped on interface[^:]*: \d+\/(\d+)/.exec(this.err);
    return m ? Number(m[1]) : 0;
  }

  /** Frames in the capture matching a display filter, counted by tshark. */
  count(displayFilter: string): number {
    const r = spawnSync('tshark', ['-r', this.file, '-Y', displayFilter, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`tshark failed: ${r.stderr}`);
    return r.stdout.split('\n').filter(Boolean).length;
  }
}

/**
 * Collectors of other runs that ended a capture file between two times: each publishes an
 * end-of-capture watermark (2^52 - 1) to every partition of the shared qm.rtp.v1, which takes a
 * live recorder's capture clock to the end (every call in progress closes). A measurement made
 * while one did is void. Reads qm.rtp.v1 from `sinceMs` for `readMs`.
 */
export async function foreignEndOfCapture(sinceMs: number, untilMs: number, ownName: string, readMs = 15_000): Promise<string[]> {
  const { kafka, codec } = await connectTestStack(`eoc-probe-${ownName}`);
  const found = new Set<string>();
  const runner = new ConsumerRunner({
    kafka, codec, groupId: `eoc-probe-${ownName}-${Date.now()}`, topics: [TOPICS.rtp],
    initialOffsets: await initialOffsetsFor(kafka, [TOPICS.rtp], String(sinceMs)),
    handle: async (m) => {
      const b = m.value as RtpBatch | null;
      const at = Number(m.timestamp);
      if (b?.watermarkUs !== null && b !== null && at <= untilMs && b.watermarkUs > at * 1000 + 3_600_000_000 && !b.instanceId.includes(ownName)) {
        found.add(`${b.instanceId} at ${new Date(at).toISOString().slice(11, 19)}`);
      }
    },
  });
  await runner.start();
  await new Promise((r) => setTimeout(r, readMs));
  await runner.stop();
  return [...found];
}
