import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRunState, runningPid, runPaths } from './run-state';
import { SippLoad } from './sipp-load';

export interface DemoOptions {
  /** Calls in progress at once. */
  concurrent: number;
  /** How long the load lasts, about. */
  minutes: number;
  say: (line: string) => void;
}

/**
 * `earshot demo`: sipp calls on the loopback interface for a few minutes, for a running
 * `earshot run` to record: a new user sees them in the console as they happen.
 */
export async function runDemo(o: DemoOptions): Promise<number> {
  const paths = runPaths();
  const state = runningPid(paths) === null ? null : readRunState(paths);
  if (state) o.say(`console: ${state.statusUrl}  (sign in as admin / ${state.adminPassword}): open Calls to watch them, listen live, play them when they end`);
  else o.say("earshot run is not running: the calls will not be recorded ('earshot run --detach' starts it)");
  if (state && !state.interfaces.includes('lo') && !state.interfaces.includes('any')) o.say(`note: earshot run captures ${state.interfaces.join(', ')}, not lo where the demo calls go`);
  const rate = o.concurrent / 9.5;
  const calls = Math.max(o.concurrent, Math.round(rate * o.minutes * 60));
  const workDir = mkdtempSync(join(tmpdir(), 'earshot-demo-'));
  let said = 0;
  const load = new SippLoad({
    calls, concurrent: o.concurrent, rate, workDir,
    onProgress: (p) => Date.now() - said >= 10_000 && (said = Date.now()) && o.say(`demo: ${p.created} of ${calls} calls placed, ${p.inProgress} in progress, ${p.succeeded} done${p.failed ? `, ${p.failed} failed` : ''}`),
  });
  const onSignal = () => load.stop();
  process.once('SIGINT', onSignal);
  o.say(`demo: ${calls} calls, ${o.concurrent} at a time (about 9 s each, audio both ways) from sip:sipp@127.0.0.1 to sip:service@127.0.0.2...`);
  try {
    const r = await load.run();
    o.say(`demo: done: ${r.succeeded} calls completed, ${r.failed} failed${state ? `; recordings in ${state.recordingsDir} and in the console` : ''}`);
    return r.failed > 0 && r.succeeded === 0 ? 1 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    rmSync(workDir, { recursive: true, force: true });
  }
}
