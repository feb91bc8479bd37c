/**
 * Live capture side by side: the same UDP traffic on `lo` captured by
 *   (a) cap 0.2.1 (a JavaScript callback per packet, read on the event loop) — the old path,
 *   (b) LiveCapture over our earshot_pcap addon (a capture thread, chunks, counted drops),
 *   (c) `dumpcap -w -` writing pcapng into a pipe decoded by @earshot/packet's CaptureFileDecoder,
 * each while the capturing process's JavaScript stalls for STALL_MS in the middle, as a long
 * garbage collection or a slow batch would. The reference, in the same run: what the blaster sent,
 * and `dumpcap` alone writing every packet to a file.
 *
 *   node -r @swc-node/register bench/capture.bench.ts
 *   BENCH_RATES=5000,13000,30000 (packets/s) BENCH_SECONDS=5 BENCH_STALL_MS=300 BENCH_BUFFER_MB=64
 *   BENCH_PATHS=cap,addon,dumpcap
 *
 * Each capturer and the blaster are processes of their own (this file run with --blast or
 * --capture), so a stall in a capturer never slows the sender. Per path: packets received vs sent,
 * loss, the drops it reported, and CPU seconds (the capturing process from the moment it is ready,
 * less the stall's own busy-wait, plus dumpcap for (c)).
 * Every capturer does the same work per packet: decodeFrame and a destination-port check.
 * Needs root (or CAP_NET_RAW) for capture on `lo`; loopback only.
 */
import { spawn, ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureFileDecoder, CaptureRecord, decodeFrame } from '@earshot/packet';
import { LiveCapture } from '@earshot/capture';

const PAYLOAD_BYTES = 200;
const CLK_TCK = 100;

interface CaptureReport {
  path: string;
  received: number;
  wrongPort: number;
  /** Drops the path itself reported while running ('-' where it cannot). */
  dropsWhileRunning: string;
  /** Drops it reported by the end. */
  dropsAtEnd: string;
  cpuSeconds: number;
  /** Largest gap between two consecutive packets' arrival in JavaScript, ms. */
  maxDeliveryGapMs: number;
  notes: string;
}

/** CPU seconds (user + system) a process used so far, from /proc. */
function procCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
}

function busyWait(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // The stall under test: the event loop is held.
  }
}

// ------------------------------------------------------------------------------------------------
// The blaster: RTP-sized datagrams at a steady rate for a fixed time, paced every millisecond.

async function blast(port: number, rate: number, seconds: number): Promise<void> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  let errors = 0;
  socket.on('error', () => errors++);
  const payload = Buffer.alloc(PAYLOAD_BYTES, 0x80);
  const total = Math.round(rate * seconds);
  const start = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
      while (sent < due) {
        payload.writeUInt32BE(sent, 0);
        socket.send(payload, port, '127.0.0.1');
        sent++;
      }
      if (sent >= total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  await new Promise((r) => setTimeout(r, 50));
  socket.close();
  process.stdout.write(`${JSON.stringify({ sent, errors, seconds: (performance.now() - start) / 1000 })}\n`);
}

// ------------------------------------------------------------------------------------------------
// The capturers: run until stdin closes, stall once, print a CaptureReport.

interface Counter {
  received: number;
  wrongPort: number;
  lastArrival: number;
  maxGap: number;
}

/** Runs once, at the first packet: the stall is timed from there. */
let onFirstPacket: (() => void) | null = null;

function count(c: Counter, port: number, linkType: number, data: Uint8Array): void {
  if (onFirstPacket !== null) {
    onFirstPacket();
    onFirstPacket = null;
  }
  const frame = decodeFrame(linkType, data);
  if (frame.dstPort !== port) c.wrongPort++;
  c.received++;
  const now = performance.now();
  if (c.lastArrival > 0 && now - c.lastArrival > c.maxGap) c.maxGap = now - c.lastArrival;
  c.lastArrival = now;
}

async function capture(path: string, port: number, stallAfterMs: number, stallMs: number, bufferMb: number): Promise<void> {
  const filter = `udp and dst port ${port}`;
  const c: Counter = { received: 0, wrongPort: 0, lastArrival: 0, maxGap: 0 };
  let stop: () => Promise<Omit<CaptureReport, 'path' | 'received' | 'wrongPort' | 'maxDeliveryGapMs'>>;
  let dropsWhileRunning = '-';

  if (path === 'cap') {
    interface CapHandle {
      open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
      close(): void;
      on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): void;
    }
    const cap = require('cap') as { Cap: new () => CapHandle };
    const handle = new cap.Cap();
    const buffer = Buffer.alloc(65535);
    handle.open('lo', filter, bufferMb * 1024 * 1024, buffer);
    handle.on('packet', (nbytes) => count(c, port, 1, Uint8Array.prototype.slice.call(buffer.subarray(0, nbytes))));
    stop = async () => {
      handle.close();
      return { dropsWhileRunning: 'none (cap has no pcap_stats)', dropsAtEnd: 'none', cpuSeconds: cpuOfSelf(), notes: '' };
    };
  } else if (path === 'addon') {
    const live = new LiveCapture({ interface: 'lo', filter, bufferSize: bufferMb * 1024 * 1024 });
    live.on('batch', (records: CaptureRecord[]) => {
      for (const r of records) count(c, port, r.linkType, r.data);
    });
    live.start();
    const poll = setInterval(() => {
      const s = live.stats();
      dropsWhileRunning = `kernel ${s.kernelDrops}, if ${s.interfaceDrops}, queue ${s.queueDrops}`;
    }, 250);
    stop = async () => {
      clearInterval(poll);
      live.stop();
      const s = live.stats();
      return { dropsWhileRunning, dropsAtEnd: `kernel ${s.kernelDrops}, if ${s.interfaceDrops}, queue ${s.queueDrops}`, cpuSeconds: cpuOfSelf(), notes: '' };
    };
  } else if (path === 'dumpcap') {
    const child = spawn('dumpcap', ['-i', 'lo', '-f', filter, '-B', String(bufferMb), '-q', '-w', '-'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const decoder = new CaptureFileDecoder();
    const isbs = new IsbWatcher();
    const started = performance.now();
    child.stdout.on('data', (chunk: Buffer) => {
      const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
      isbs.push(bytes, performance.now() - started);
      decoder.push(bytes, (r) => count(c, port, r.linkType, r.data));
    });
    const ended = new Promise<void>((resolve) => child.stdout.on('end', resolve));
    await waitForDumpcap(child);
    stop = async () => {
      const dumpcapCpu = procCpuSeconds(child.pid ?? 0);
      child.kill('SIGTERM');
      await ended;
      const running = isbs.seen.filter((s) => s.atMs < isbs.lastAtMs);
      return {
        dropsWhileRunning: running.length === 0 ? 'none (no ISB before the end)' : running.map((s) => `${s.drops}@${(s.atMs / 1000).toFixed(1)}s`).join(' '),
        dropsAtEnd: isbs.seen.length === 0 ? 'no ISB' : `if_drop ${isbs.seen[isbs.seen.length - 1]?.drops} (ISB at exit)`,
        cpuSeconds: cpuOfSelf() + dumpcapCpu,
        notes: `${isbs.seen.length} ISB(s); dumpcap CPU ${dumpcapCpu.toFixed(2)} s`,
      };
    };
  } else {
    throw new Error(`unknown path ${path}`);
  }

  // CPU from here on: the capture itself, not loading TypeScript.
  const cpuAtReady = cpuOfSelf();
  process.stdout.write('ready\n');
  let stallTimer: NodeJS.Timeout | undefined;
  // The stall's own busy-wait is not capture work: its CPU is taken out of the figure.
  let stallCpu = 0;
  onFirstPacket = () =>
    (stallTimer = setTimeout(() => {
      const before = cpuOfSelf();
      busyWait(stallMs);
      stallCpu = cpuOfSelf() - before;
    }, stallAfterMs));
  await new Promise<void>((resolve) => {
    process.stdin.on('end', resolve);
    process.stdin.resume();
  });
  clearTimeout(stallTimer);
  const end = await stop();
  const report: CaptureReport = { path, received: c.received, wrongPort: c.wrongPort, maxDeliveryGapMs: Math.round(c.maxGap), ...end, cpuSeconds: end.cpuSeconds - cpuAtReady - stallCpu };
  process.stdout.write(`${JSON.stringify(report)}\n`);
  process.exit(0);
}

function cpuOfSelf(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** dumpcap says "Capturing on 'Loopback: lo'" on stderr once the capture is open. */
function waitForDumpcap(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = '';
    child.stderr?.on('data', (d: Buffer) => {
      text += d.toString();
      if (/Capturing on/.test(text)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`dumpcap exited ${code}: ${text}`)));
  });
}

/** Finds pcapng Interface Statistics Blocks (type 5) in the stream and reads isb_ifdrop, noting when each arrived. */
class IsbWatcher {
  readonly seen: Array<{ atMs: number; drops: string }> = [];
  lastAtMs = 0;
  private pending = new Uint8Array(0);

  push(bytes: Uint8Array, atMs: number): void {
    const joined = new Uint8Array(this.pending.length + bytes.length);
    joined.set(this.pending);
    joined.set(bytes, this.pending.length);
    const view = new DataView(joined.buffer);
    let offset = 0;
    while (offset + 12 <= joined.length) {
      const type = view.getUint32(offset, true);
      const length = view.getUint32(offset + 4, true);
      if (length < 12 || offset + length > joined.length) break;
      if (type === 5) this.seen.push({ atMs, drops: this.ifDrop(view, offset, length) });
      offset += length;
    }
    this.pending = joined.slice(offset);
    this.lastAtMs = atMs;
  }

  private ifDrop(view: DataView, block: number, length: number): string {
    // ISB: type, length, interface id, ts high, ts low, then options.
    let o = block + 20;
    const end = block + length - 4;
    while (o + 4 <= end) {
      const code = view.getUint16(o, true);
      const len = view.getUint16(o + 2, true);
      if (code === 0) break;
      if (code === 5 && len === 8) return String(view.getBigUint64(o + 4, true));
      o += 4 + ((len + 3) & ~3);
    }
    return '?';
  }
}

// ------------------------------------------------------------------------------------------------
// The driver.

interface Line {
  stdout: string;
  exited: Promise<number | null>;
  child: ChildProcess;
  waitFor(pattern: RegExp): Promise<void>;
}

function run(args: string[]): Line {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', __filename, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line: Line = {
    stdout: '',
    child,
    exited: new Promise((resolve) => child.once('exit', resolve)),
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (pattern.test(line.stdout)) resolve();
        };
        child.stdout?.on('data', check);
        child.once('exit', () => (pattern.test(line.stdout) ? resolve() : reject(new Error(`exited before ${pattern}: ${line.stdout}`))));
        check();
      }),
  };
  child.stdout?.on('data', (d: Buffer) => (line.stdout += d.toString()));
  return line;
}

function lastJson<T>(text: string): T {
  const lines = text.trim().split('\n').filter((l) => l.startsWith('{'));
  return JSON.parse(lines[lines.length - 1] as string) as T;
}

async function countPcapng(file: string): Promise<number> {
  const decoder = new CaptureFileDecoder();
  let n = 0;
  decoder.push(new Uint8Array(readFileSync(file)), () => n++);
  decoder.end();
  return n;
}

async function main(): Promise<void> {
  const rates = (process.env['BENCH_RATES'] ?? '5000,13000,30000').split(',').map(Number);
  const seconds = Number(process.env['BENCH_SECONDS'] ?? 5);
  const stallMs = Number(process.env['BENCH_STALL_MS'] ?? 300);
  const bufferMb = Number(process.env['BENCH_BUFFER_MB'] ?? 64);
  const paths = (process.env['BENCH_PATHS'] ?? 'cap,addon,dumpcap').split(',');
  const dir = mkdtempSync(join(tmpdir(), 'earshot-capture-bench-'));
  console.log(`capture bench: ${seconds} s of ${PAYLOAD_BYTES}-byte UDP payloads on lo per run, a ${stallMs} ms JavaScript stall in each capturer at ${seconds / 2} s, ${bufferMb} MiB kernel buffer for every path`);
  console.log('| rate pkt/s | path | sent | on the wire (dumpcap to file) | received | lost vs sent | drops reported while running | drops reported at end | CPU s | max gap in JS ms | notes |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  try {
    for (const rate of rates) {
      for (const path of paths) {
        const port = 30000 + Math.floor(Math.random() * 20000);
        const refFile = join(dir, `ref-${rate}-${path}.pcapng`);
        const ref = spawn('dumpcap', ['-i', 'lo', '-f', `udp and dst port ${port}`, '-B', String(bufferMb), '-q', '-w', refFile], { stdio: ['ignore', 'ignore', 'pipe'] });
        await waitForDumpcap(ref);
        const capturer = run(['--capture', path, String(port), String((seconds * 1000) / 2), String(stallMs), String(bufferMb)]);
        await capturer.waitFor(/ready/);
        const blaster = run(['--blast', String(port), String(rate), String(seconds)]);
        await blaster.exited;
        const sent = lastJson<{ sent: number; errors: number }>(blaster.stdout);
        await new Promise((r) => setTimeout(r, 1000));
        capturer.child.stdin?.end();
        await capturer.exited;
        const refExited = new Promise((resolve) => ref.once('exit', resolve));
        ref.kill('SIGTERM');
        await refExited;
        const wire = await countPcapng(refFile);
        const r = lastJson<CaptureReport>(capturer.stdout);
        const lost = sent.sent - r.received;
        console.log(
          `| ${rate} | ${path} | ${sent.sent} | ${wire} | ${r.received}${r.wrongPort ? ` (${r.wrongPort} wrong port)` : ''} | ${lost} (${((lost / sent.sent) * 100).toFixed(2)} %) | ${r.dropsWhileRunning} | ${r.dropsAtEnd} | ${r.cpuSeconds.toFixed(2)} | ${r.maxDeliveryGapMs} | ${r.notes} |`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === '--blast') {
  void blast(Number(rest[0]), Number(rest[1]), Number(rest[2]));
} else if (mode === '--capture') {
  void capture(rest[0] as string, Number(rest[1]), Number(rest[2]), Number(rest[3]), Number(rest[4]));
} else {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
