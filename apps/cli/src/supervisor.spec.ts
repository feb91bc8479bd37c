import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Supervisor, type SupervisedProcess, type SupervisorEvent } from './supervisor';

/** A real node process running `script`, shaped like an AppProcess. */
function nodeProcess(script: string): SupervisedProcess {
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const listeners: Array<(line: string) => void> = [];
  child.stdout.on('data', (d: Buffer) => d.toString().split('\n').filter(Boolean).forEach((l) => listeners.forEach((f) => f(l))));
  const exited = new Promise<number>((r) => child.once('exit', (code, signal) => r(code ?? (signal === 'SIGKILL' ? 137 : 143))));
  return {
    child, exited,
    onLine: (l) => listeners.push(l),
    stop: async (graceMs) => {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(t);
      }
    },
  };
}

const RUNNING = `console.log(JSON.stringify({ msg: 'running' }));`;

test('a child that is killed is started again, reported, and counted as a restart', async () => {
  const events: SupervisorEvent[] = [];
  const s = new Supervisor({ initialRestartDelayMs: 50, onEvent: (e) => events.push(e) });
  s.add({ name: 'sleeper', kind: 'test', instanceId: 'sleeper@t', start: () => nodeProcess(`${RUNNING} setInterval(() => {}, 1000);`) });
  assert.equal(await s.whenReady(10_000), true);
  const first = s.children()[0]?.pid;
  s.processOf('sleeper')?.stop(0);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(await s.whenReady(10_000), true);
  const after = s.children()[0];
  assert.equal(after?.restarts, 1);
  assert.notEqual(after?.pid, first);
  assert.deepEqual(events.map((e) => e.type), ['ready', 'exited', 'restarted']);
  await s.stop();
  assert.equal(s.children()[0]?.state, 'stopped');
});

test('a child that keeps dying is marked failed after 5 exits within the window, with doubling delays', async () => {
  const events: SupervisorEvent[] = [];
  const s = new Supervisor({ initialRestartDelayMs: 20, onEvent: (e) => events.push(e) });
  s.add({ name: 'crasher', kind: 'test', instanceId: 'crasher@t', start: () => nodeProcess('process.exit(3)') });
  assert.equal(await s.whenReady(20_000), false);
  const c = s.children()[0];
  assert.equal(c?.state, 'failed');
  assert.equal(c?.restarts, 4);
  assert.equal(c?.lastExit?.code, 3);
  const delays = events.flatMap((e) => (e.type === 'exited' ? [e.restartInMs] : []));
  assert.deepEqual(delays, [20, 40, 80, 160]);
  assert.equal(events.at(-1)?.type, 'failed');
  await s.stop();
});

test('stop sends SIGTERM, then SIGKILL to a child that ignores it after the grace period', async () => {
  const s = new Supervisor({ graceMs: 300 });
  s.add({ name: 'stubborn', kind: 'test', instanceId: 'stubborn@t', start: () => nodeProcess(`process.on('SIGTERM', () => {}); ${RUNNING} setInterval(() => {}, 1000);`) });
  assert.equal(await s.whenReady(10_000), true);
  const started = Date.now();
  await s.stop();
  assert.ok(Date.now() - started >= 250, 'waited for the grace period');
  assert.equal(s.children()[0]?.state, 'stopped');
});

test('a child that exits 2 (a configuration error) is marked failed at once, not restarted', async () => {
  const events: SupervisorEvent[] = [];
  const s = new Supervisor({ initialRestartDelayMs: 20, onEvent: (e) => events.push(e) });
  s.add({ name: 'misconfigured', kind: 'test', instanceId: 'm@t', start: () => nodeProcess('process.exit(2)') });
  assert.equal(await s.whenReady(10_000), false);
  assert.deepEqual([s.children()[0]?.state, s.children()[0]?.restarts], ['failed', 0]);
  assert.deepEqual(events.map((e) => e.type), ['failed']);
  await s.stop();
});
