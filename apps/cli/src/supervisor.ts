/** A process the supervisor runs: an AppProcess, or anything shaped like one (tests). */
export interface SupervisedProcess {
  readonly child: { readonly pid?: number | undefined };
  readonly exited: Promise<number>;
  onLine(listener: (line: string) => void): void;
  stop(graceMs: number): Promise<number>;
}

/** One child of the supervisor. */
export interface ChildSpec {
  /** Name shown to the user, unique: `call-control/lo`, `recorder`. */
  name: string;
  /** Service kind (call-control, rtp-collector, recorder, converter, status). */
  kind: string;
  /** The instance id the child runs with (its key on qm.services.v1). */
  instanceId: string;
  /** Where its output goes, shown in `earshot status`. Default: none. */
  logFile?: string;
  /** Starts one life of the child. */
  start: () => SupervisedProcess;
  /** Whether an output line says the child is ready. Default: a JSON log line with "msg":"running". */
  ready?: (line: string) => boolean;
}

export type ChildState = 'starting' | 'running' | 'restarting' | 'failed' | 'stopped';

/** A child as the supervisor sees it now. */
export interface ChildStatus {
  name: string;
  kind: string;
  instanceId: string;
  pid: number | null;
  state: ChildState;
  /** Times it was started again after it died. */
  restarts: number;
  /** Its last unexpected exit: code and wall-clock time. */
  lastExit: { code: number; atMs: number } | null;
  /** When its current life started (wall clock). */
  startedAtMs: number;
  logFile: string | null;
}

/** What happened to a child, for the user and the heartbeats. */
export type SupervisorEvent =
  | { type: 'ready'; child: ChildStatus }
  | { type: 'exited'; child: ChildStatus; code: number; restartInMs: number }
  | { type: 'restarted'; child: ChildStatus }
  | { type: 'failed'; child: ChildStatus; code: number; exits: number; withinMs: number };

export interface SupervisorOptions {
  /** Wait before the first restart, doubled for each further exit in the window. Default 1000 ms. */
  initialRestartDelayMs?: number;
  /** Longest wait before a restart. Default 30 000 ms. */
  maxRestartDelayMs?: number;
  /** A child that exits this many times within `failWindowMs` is marked failed and left down. Default 5. */
  failAfterExits?: number;
  /** Default 60 000 ms. */
  failWindowMs?: number;
  /** How long a stopping child gets after SIGTERM before SIGKILL. Default 15 000 ms. */
  graceMs?: number;
  /** Exit codes that mark a child failed at once: a configuration error (2) does not fix itself. Default [2]. */
  fatalExitCodes?: readonly number[];
  /** Told of every exit, restart and failure. Default: nothing. */
  onEvent?: (event: SupervisorEvent) => void;
}

const RUNNING_LINE = /"msg":"running"/;

interface Slot {
  spec: ChildSpec;
  status: ChildStatus;
  process: SupervisedProcess | null;
  exits: number[];
  timer: NodeJS.Timeout | null;
}

/**
 * Runs child processes and keeps them running: a child that dies is started again after a delay
 * that doubles with each exit in the last `failWindowMs` (1 s, 2 s, 4 s, ... up to 30 s); one that
 * dies `failAfterExits` times in that window is marked failed and not started again (a crash loop
 * only burns CPU and floods the logs). `stop()` sends SIGTERM to every child, waits, then SIGKILLs.
 */
export class Supervisor {
  private readonly slots: Slot[] = [];
  private stopping = false;
  private readonly o: Required<Omit<SupervisorOptions, 'onEvent'>> & Pick<SupervisorOptions, 'onEvent'>;

  constructor(options: SupervisorOptions = {}) {
    this.o = {
      initialRestartDelayMs: options.initialRestartDelayMs ?? 1000,
      maxRestartDelayMs: options.maxRestartDelayMs ?? 30_000,
      failAfterExits: options.failAfterExits ?? 5,
      failWindowMs: options.failWindowMs ?? 60_000,
      graceMs: options.graceMs ?? 15_000,
      fatalExitCodes: options.fatalExitCodes ?? [2],
      onEvent: options.onEvent,
    };
  }

  /** Starts a child and supervises it from now on. */
  add(spec: ChildSpec): void {
    const slot: Slot = {
      spec, process: null, exits: [], timer: null,
      status: {
        name: spec.name, kind: spec.kind, instanceId: spec.instanceId, pid: null, state: 'starting', restarts: 0,
        lastExit: null, startedAtMs: Date.now(), logFile: spec.logFile ?? null,
      },
    };
    this.slots.push(slot);
    this.launch(slot);
  }

  /** Every child's status, in the order they were added. */
  children(): ChildStatus[] {
    return this.slots.map((s) => ({ ...s.status }));
  }

  /** The running process of a child (tests kill it), or undefined. */
  processOf(name: string): SupervisedProcess | undefined {
    return this.slots.find((s) => s.spec.name === name)?.process ?? undefined;
  }

  /** Resolves when every child is running or failed (true when all run), or false after `timeoutMs`. */
  async whenReady(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const states = this.slots.map((s) => s.status.state);
      if (states.every((s) => s === 'running' || s === 'failed')) return states.every((s) => s === 'running');
      if (Date.now() > deadline || this.stopping) return false;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** SIGTERM to every child, SIGKILL to those still running after the grace period; resolves when all exited. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const slot of this.slots) {
      if (slot.timer) clearTimeout(slot.timer);
      slot.timer = null;
    }
    await Promise.all(this.slots.map(async (slot) => {
      if (slot.process) await slot.process.stop(this.o.graceMs);
      slot.status.state = 'stopped';
      slot.status.pid = null;
    }));
  }

  private launch(slot: Slot): void {
    const proc = slot.spec.start();
    slot.process = proc;
    slot.status.pid = proc.child.pid ?? null;
    slot.status.startedAtMs = Date.now();
    slot.status.state = 'starting';
    const ready = slot.spec.ready ?? ((line: string) => RUNNING_LINE.test(line));
    proc.onLine((line) => {
      if (slot.process === proc && slot.status.state === 'starting' && ready(line)) {
        slot.status.state = 'running';
        this.o.onEvent?.({ type: slot.status.restarts > 0 ? 'restarted' : 'ready', child: { ...slot.status } });
      }
    });
    void proc.exited.then((code) => this.onExit(slot, proc, code));
  }

  private onExit(slot: Slot, proc: SupervisedProcess, code: number): void {
    if (slot.process !== proc) return;
    slot.process = null;
    slot.status.pid = null;
    if (this.stopping) return;
    const now = Date.now();
    slot.status.lastExit = { code, atMs: now };
    slot.exits = [...slot.exits.filter((t) => now - t < this.o.failWindowMs), now];
    if (slot.exits.length >= this.o.failAfterExits || this.o.fatalExitCodes.includes(code)) {
      slot.status.state = 'failed';
      this.o.onEvent?.({ type: 'failed', child: { ...slot.status }, code, exits: slot.exits.length, withinMs: this.o.failWindowMs });
      return;
    }
    const delay = Math.min(this.o.maxRestartDelayMs, this.o.initialRestartDelayMs * 2 ** (slot.exits.length - 1));
    slot.status.state = 'restarting';
    this.o.onEvent?.({ type: 'exited', child: { ...slot.status }, code, restartInMs: delay });
    slot.timer = setTimeout(() => {
      slot.timer = null;
      if (this.stopping) return;
      slot.status.restarts++;
      this.launch(slot);
    }, delay);
  }
}
