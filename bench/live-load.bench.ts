/**
 * Live load through `earshot run` on the loopback interface (issue 8): sipp callers on 127.0.0.1
 * calling a sipp answerer on 127.0.0.2 that plays audio back, every call about 9 s with G.711
 * PCMA both ways (30 ms packets, or 20 ms with BENCH_PACKET_MS=20) plus an RFC 4733 digit, each
 * call on its own media ports; levels of concurrent calls one after the other, 3 × the level calls
 * each, on one running system.
 *
 *   node -r @swc-node/register bench/live-load.bench.ts
 *   BENCH_LEVELS=50,100,200,400 (default)  BENCH_PACKET_MS=30|20  BENCH_CALLS_PER_LEVEL=3 (× the level)
 *   needs the local stack (npx earshot up), root (sipp's raw sockets, live capture), no other earshot run
 *
 * The reference in the same run: dumpcap on lo with the same filter counts what was really sent
 * (0 dropped, checked); tshark counts it. Printed per level: calls sent / recorded, RTP packets
 * sent / recorded (the recorder's LEG_COMPLETED counts), their ratio and the loss, call end → WAV
 * p50 / p95 (the WAV file's time against the call's ENDED capture time), CPU seconds and peak
 * memory (VmHWM) of every process of the system, and the capture drops the services reported.
 */
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SippLoad } from '@earshot/cli';
import { foreignEndOfCapture, RunEvents, startEarshotRun, WireCount } from '../test/support/earshot-run-harness';

const LEVELS = (process.env.BENCH_LEVELS ?? '50,100,200,400').split(',').map(Number);
const PACKET_MS = Number(process.env.BENCH_PACKET_MS ?? 30) === 20 ? 20 : 30;
const PER_LEVEL = Number(process.env.BENCH_CALLS_PER_LEVEL ?? 3);
const NAME = `bench-${Date.now().toString(36)}`;
const UAC = { ip: '127.0.0.1', sipPort: 5082, mediaPort: 20000 };
const UAS = { ip: '127.0.0.2', sipPort: 5080, mediaPort: 30000 };
const FILTER = `udp and host ${UAS.ip} and (port ${UAC.sipPort} or port ${UAS.sipPort} or portrange 20000-39999)`;
const RTP_ON_WIRE = `ip.addr == ${UAS.ip} && udp.srcport >= 20000 && udp.srcport <= 39999 && udp.dstport >= 20000 && udp.dstport <= 39999`;
const CLK_TCK = 100;

function cpuSeconds(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return Number.NaN;
  }
}

function peakMiB(pid: number): number {
  try {
    const kb = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return Number(kb) / 1024;
  } catch {
    return Number.NaN;
  }
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const events = new RunEvents(NAME);
  await events.start();
  // An end-of-capture watermark at any time since the system started poisons every later level.
  const systemStartedAt = Date.now();
  const system = await startEarshotRun({
    name: NAME, filter: FILTER,
    // Every call recorded whatever the shared directory holds. (The harness turns the console's
    // projector off: a new consumer group would replay every topic's history into PostgreSQL.)
    config: { 'call-control': { recordEveryone: true } },
  });
  console.log(`earshot run up (${NAME}); levels ${LEVELS.join(', ')} concurrent calls, ${PACKET_MS} ms packets, ${PER_LEVEL} × level calls each`);
  const rows: string[] = [];
  const seen = new Set<string>();
  try {
    for (const level of LEVELS) {
      const children = system.state()?.children ?? [];
      const cpuBefore = new Map(children.map((c) => [c.name, c.pid === null ? Number.NaN : cpuSeconds(c.pid)]));
      const dropsBefore = captureDrops(system.home);
      const wire = new WireCount(system.home, FILTER);
      await wire.start();
      const started = Date.now();
      const load = new SippLoad({ calls: PER_LEVEL * level, concurrent: level, uac: UAC, uas: UAS, packetMs: PACKET_MS, workDir: join(system.home, `level-${level}`) });
      const sipp = await load.run();
      const loadSeconds = (Date.now() - started) / 1000;
      // Wait for the recordings: until every call of the level is converted, or 60 s without a new
      // one. A FAILED event is not final: on the shared topics another run's recorder may record
      // this run's calls too, and this run's converter then fails on its .raw before converting
      // this run's own.
      const callIds = () => events.callIdsFrom(`${UAC.ip}:${UAC.sipPort}`).filter((id) => !seen.has(id));
      let settled = -1;
      let lastChange = Date.now();
      for (;;) {
        const ids = callIds();
        const done = ids.filter((id) => events.converted(id)).length;
        if (done !== settled) {
          settled = done;
          lastChange = Date.now();
        }
        if ((ids.length >= sipp.succeeded && done === ids.length) || Date.now() - lastChange > 60_000) break;
        await sleep(1000);
      }
      const wireDrops = await wire.stop();
      const sent = wire.count(RTP_ON_WIRE);
      const ids = callIds();
      ids.forEach((id) => seen.add(id));
      const recordedCalls = ids.filter((id) => events.converted(id)).length;
      const recordedPackets = ids.reduce((n, id) => n + events.recordedPackets(id), 0);
      const latencies = ids.flatMap((id) => {
        const wav = events.converted(id)?.conversion?.path;
        const endUs = events.endedAtUs(id);
        if (!wav || endUs === undefined) return [];
        try {
          return [(statSync(join(system.recordingsDir, wav)).mtimeMs - endUs / 1000) / 1000];
        } catch {
          return [];
        }
      });
      const levelSeconds = (Date.now() - started) / 1000;
      const foreign = await foreignEndOfCapture(systemStartedAt, Date.now(), NAME);
      const after = system.state()?.children ?? [];
      const perProcess = after.map((c) => {
        const cpu = c.pid === null ? Number.NaN : cpuSeconds(c.pid) - (cpuBefore.get(c.name) ?? Number.NaN);
        return `${c.name} ${cpu.toFixed(1)} s CPU (${((100 * cpu) / levelSeconds).toFixed(0)} % of a core over ${levelSeconds.toFixed(0)} s), peak ${c.pid === null ? '?' : peakMiB(c.pid).toFixed(0)} MiB${c.restarts ? `, ${c.restarts} restarts` : ''}`;
      });
      const loss = sent === 0 ? 0 : (100 * (sent - recordedPackets)) / sent;
      const line = `| ${level}${foreign.length ? ' (void: another run ended a capture file meanwhile)' : ''} | ${PACKET_MS} ms | ${sipp.succeeded} of ${PER_LEVEL * level} (${sipp.failed} failed) | ${recordedCalls} of ${ids.length} | ${sent} (dumpcap drops ${wireDrops}) | ${recordedPackets} | ${(recordedPackets / Math.max(1, sent)).toFixed(4)} | ${loss.toFixed(2)} % | ${percentile(latencies, 50).toFixed(1)} s / ${percentile(latencies, 95).toFixed(1)} s | ${captureDrops(system.home) - dropsBefore} |`;
      rows.push(line);
      const failures = new Map<string, number>();
      for (const id of ids) {
        const error = events.converted(id) ? undefined : events.failed(id)?.error ?? 'not converted';
        // One line per kind of failure: the call's own paths and ids left out.
        const kind = error?.replace(/\S*\/\S*/g, '<path>');
        if (kind) failures.set(kind, (failures.get(kind) ?? 0) + 1);
      }
      console.log(`\nlevel ${level}: load ${loadSeconds.toFixed(0)} s, sipp ${sipp.succeeded} ok / ${sipp.failed} failed${[...failures].map(([e, n]) => `; ${n} calls not recorded: ${e}`).join('')}`);
      console.log(line);
      for (const p of perProcess) console.log(`  ${p}`);
      if (foreign.length) console.log(`  VOID: end-of-capture watermarks of other runs on qm.rtp.v1 during the level (they take the recorder's clock to the end): ${foreign.join(', ')}`);
      // Let the linger after the last calls pass before the next level reuses the ports.
      await sleep(15_000);
    }
  } finally {
    await system.stop();
    await events.stop();
    // The capture of every level and the recordings are large; BENCH_KEEP=1 keeps them.
    if (!process.env.BENCH_KEEP) rmSync(system.home, { recursive: true, force: true });
  }
  console.log('\n| concurrent calls | packets | calls sent (sipp) | calls recorded | RTP sent (dumpcap) | RTP recorded | recorded / sent | loss | call end → WAV p50 / p95 | capture drops reported |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) console.log(r);
}

/** Capture drops the running services last reported in their heartbeats (the supervisor's state file). */
function captureDrops(home: string): number {
  try {
    const s = JSON.parse(readFileSync(join(home, 'run', 'state.json'), 'utf8')) as { children: Array<{ captureDrops: number | null }> };
    return s.children.reduce((n, c) => n + (c.captureDrops ?? 0), 0);
  } catch {
    return 0;
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
