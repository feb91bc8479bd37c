/**
 * rtp-collector throughput: RTP packets per second from a capture file through parsing, stream
 * learning (SIP/SDP in the same file) and batching into the real Kafka, on one core, with peak
 * memory; beside `tshark -q -z rtp,streams -o rtp.heuristic_rtp:TRUE` on the same file.
 *
 *   node -r @swc-node/register bench/rtp-collector.bench.ts
 *   BENCH_CALLS=200 BENCH_SECONDS=60 BENCH_CPU=0 (the core both are pinned to with taskset)
 *
 * Needs the local stack (infra/local/stack up). The capture is generated with
 * @earshot/call-scenarios (every RTP packet of every call, G.711 PCMU/PCMA, 20 ms) and kept under
 * .local/bench/ for later runs. The figure is the app's own `capture processed` line (packets over
 * the time from opening the file to the last batch acknowledged); peak RSS is /usr/bin/time -v's.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { buildSyntheticCapture, type CallScript } from '@earshot/call-scenarios';

const ROOT = resolve(__dirname, '..');
const CALLS = Number(process.env['BENCH_CALLS'] ?? 200);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 60);
const CPU = process.env['BENCH_CPU'] ?? '0';
const RESULTS = join(ROOT, 'bench/RESULTS.md');
const SECTION = '## rtp-collector: RTP packets/s from file into Kafka, one core';

function scripts(): CallScript[] {
  const base = 1_763_942_400_000_000;
  return Array.from({ length: CALLS }, (_, i) => ({
    callId: `bench-${i}@example.com`,
    caller: { uri: `sip:${1000 + i}@pbx.example.com`, ip: `10.1.${i >> 8}.${(i & 255) + 1}`, rtpPort: 20000 + 2 * i },
    callee: { uri: `sip:${5000 + i}@carrier.example.com`, ip: `192.0.2.${(i % 250) + 1}`, rtpPort: 40000 + 2 * i },
    // Calls start 50 ms apart, so all are up at once for most of the capture.
    startUs: base + i * 50_000,
    talkMs: SECONDS * 1000,
    codec: i % 2 === 0 ? 'PCMU' : 'PCMA',
  }));
}

function captureFile(): { file: string; rtpPackets: number } {
  const dir = join(ROOT, '.local/bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `rtp-collector-${CALLS}x${SECONDS}s.pcap`);
  const meta = `${file}.json`;
  if (existsSync(file) && existsSync(meta)) return JSON.parse(readFileSync(meta, 'utf8')) as { file: string; rtpPackets: number };
  const t = Date.now();
  const capture = buildSyntheticCapture(scripts());
  const rtpPackets = capture.calls.reduce((n, c) => n + c.rtp.caller.length + c.rtp.callee.length, 0);
  writeFileSync(file, capture.pcap);
  writeFileSync(meta, JSON.stringify({ file, rtpPackets }));
  console.log(`generated ${file}: ${capture.frames} frames, ${rtpPackets} RTP packets, ${(capture.pcap.length / 1e6).toFixed(0)} MB in ${Date.now() - t} ms`);
  return { file, rtpPackets };
}

function maxRssMb(timeOutput: string): number {
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(timeOutput);
  return m ? Number(m[1]) / 1024 : NaN;
}

function runCollector(file: string): { packets: number; elapsedMs: number; rssMb: number; summary: Record<string, unknown> } {
  const run = randomUUID().slice(0, 8);
  const r = spawnSync('/usr/bin/time', ['-v', 'taskset', '-c', CPU, process.execPath, '--require', '@swc-node/register', join(ROOT, 'apps/rtp-collector/src/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, EARSHOT_CAPTURE_FILE: file, EARSHOT_INSTANCE_ID: `rtp-collector-bench-${run}`, EARSHOT_KAFKA_GROUP_PREFIX: `bench-${run}`, EARSHOT_KAFKA_START_FROM: 'latest' },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const line = r.stdout.split('\n').find((l) => l.includes('"capture processed"'));
  if (r.status !== 0 || !line) throw new Error(`rtp-collector failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  const summary = JSON.parse(line) as Record<string, unknown>;
  return { packets: Number(summary['packets']), elapsedMs: Number(summary['elapsedMs']), rssMb: maxRssMb(r.stderr), summary };
}

function runTshark(file: string): { packets: number; elapsedMs: number; rssMb: number; version: string } {
  const version = /TShark \(Wireshark\) (\S+)/.exec(spawnSync('tshark', ['-v'], { encoding: 'utf8' }).stdout)?.[1] ?? '?';
  const t = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-v', 'taskset', '-c', CPU, 'tshark', '-q', '-z', 'rtp,streams', '-o', 'rtp.heuristic_rtp:TRUE', '-r', file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const elapsedMs = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`tshark failed: ${r.stderr}`);
  // Stream rows: "... Payload  Pkts  Lost ..." — the packet count is the column after the payload name.
  let packets = 0;
  for (const row of r.stdout.split('\n')) {
    const m = /\s(0x[0-9A-Fa-f]+)\s+(\S+(?: \S+)*?)\s+(\d+)\s+(-?\d+) \(/.exec(row);
    if (m) packets += Number(m[3]);
  }
  return { packets, elapsedMs, rssMb: maxRssMb(r.stderr), version };
}

function record(row: string, header: string): void {
  const text = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '# Benchmark results\n\nFigures from the benchmarks in `bench/`, each beside the same figure for a reference tool run in the same process. One section per benchmark; each section says how to run it.\n';
  const start = text.indexOf(SECTION);
  if (start < 0) {
    writeFileSync(RESULTS, `${text.trimEnd()}\n\n${SECTION}\n\n${header}\n${row}\n`);
    return;
  }
  const next = text.indexOf('\n## ', start + SECTION.length);
  const end = next < 0 ? text.length : next + 1;
  const section = text.slice(start, end);
  const lines = section.trimEnd().split('\n');
  let lastRow = -1;
  lines.forEach((l, i) => { if (l.startsWith('| 20')) lastRow = i; });
  if (lastRow < 0) lines.push('', header, row);
  else lines.splice(lastRow + 1, 0, row);
  writeFileSync(RESULTS, text.slice(0, start) + lines.join('\n') + '\n' + (next < 0 ? '' : '\n') + text.slice(end));
}

function main(): void {
  const { file, rtpPackets } = captureFile();
  const mb = statSync(file).size / 1e6;
  console.log(`capture: ${CALLS} calls × ${SECONDS} s, ${rtpPackets} RTP packets, ${mb.toFixed(0)} MB; both pinned to CPU ${CPU} (${cpus().length} cores, ${cpus()[0]?.model ?? '?'})`);
  const earshot = runCollector(file);
  if (earshot.packets !== rtpPackets) throw new Error(`rtp-collector published ${earshot.packets} packets, the capture holds ${rtpPackets}`);
  const tshark = runTshark(file);
  const eRate = earshot.packets / (earshot.elapsedMs / 1000);
  const tRate = tshark.packets / (tshark.elapsedMs / 1000);
  console.log(`rtp-collector: ${earshot.packets} packets in ${(earshot.elapsedMs / 1000).toFixed(2)} s = ${Math.round(eRate)} packets/s into Kafka (${earshot.summary['batches']} batches, ${earshot.summary['kafka.requests']} requests), peak RSS ${earshot.rssMb.toFixed(0)} MB`);
  console.log(`tshark ${tshark.version}: ${tshark.packets} packets in ${(tshark.elapsedMs / 1000).toFixed(2)} s = ${Math.round(tRate)} packets/s (rtp,streams), peak RSS ${tshark.rssMb.toFixed(0)} MB`);
  console.log(`ratio rtp-collector ÷ tshark: ${(eRate / tRate).toFixed(2)}×; target ≥ 200,000 packets/s: ${eRate >= 200_000 ? 'met' : 'NOT met'}`);
  const date = new Date().toISOString().slice(0, 10);
  record(
    `| ${date} | ${CALLS} × ${SECONDS} s, ${(rtpPackets / 1e6).toFixed(2)} M pkts, ${mb.toFixed(0)} MB | **${Math.round(eRate).toLocaleString('en-US')}**/s in ${(earshot.elapsedMs / 1000).toFixed(2)} s, ${earshot.rssMb.toFixed(0)} MB | ${Math.round(tRate).toLocaleString('en-US')}/s in ${(tshark.elapsedMs / 1000).toFixed(2)} s, ${tshark.rssMb.toFixed(0)} MB | ${(eRate / tRate).toFixed(2)}× |`,
    `| date (2 cores, node ${process.versions.node}) | capture | rtp-collector → Kafka, peak RSS | tshark ${tshark.version} rtp,streams, peak RSS | ratio |\n| --- | --- | --- | --- | --- |`,
  );
  console.log(`recorded in ${RESULTS}`);
}

main();
