/**
 * `earshot record` end to end (issue 4): a capture of many concurrent calls through the whole
 * pipeline on the real local stack — call control, RTP collector, recorder, converter as their own
 * processes, Kafka and the registry between them — until every call's WAV is written.
 *
 *   node -r @swc-node/register bench/earshot-record.bench.ts
 *   BENCH_CALLS=120 BENCH_SECONDS=30 (defaults); needs the local stack (npx earshot up)
 *
 * Prints the wall time, RTP packets per second through the pipeline, and the ratio of the
 * capture's own duration to the wall time (how much faster than real time a capture is recorded).
 * Reference in the same run, on the same file: `tshark -q -z rtp,streams` (which only reads and
 * analyses the RTP), as a yardstick for reading the capture at all.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildSyntheticCapture, type CallScript } from '@earshot/call-scenarios';

const CALLS = Number(process.env.BENCH_CALLS ?? 120);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const T0 = 1_763_970_000_000_000;

function scripts(): CallScript[] {
  return Array.from({ length: CALLS }, (_, i) => ({
    callId: `bench-${i}@earshot.bench`,
    caller: { uri: `sip:${5000 + i}@pbx.example.com`, ip: `10.3.${Math.floor(i / 200)}.${(i % 200) + 1}`, rtpPort: 20000 + 2 * i },
    callee: { uri: `sip:+1555${String(i).padStart(7, '0')}@carrier.example.net`, ip: `198.51.100.${(i % 200) + 1}`, rtpPort: 30000 + 2 * i },
    // All calls overlap: they start within the first 2 s.
    startUs: T0 + Math.floor((i * 2_000_000) / CALLS),
    talkMs: SECONDS * 1000,
    codec: i % 2 === 0 ? 'PCMU' : 'PCMA',
  }));
}

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), 'earshot-record-bench-'));
  const capture = buildSyntheticCapture(scripts());
  const file = join(dir, 'calls.pcap');
  writeFileSync(file, capture.pcap);
  const rtpPackets = capture.calls.reduce((n, c) => n + c.rtp.caller.length + c.rtp.callee.length, 0);
  const firstUs = Math.min(...capture.calls.map((c) => c.script.startUs));
  let lastUs = firstUs;
  for (const c of capture.calls) for (const p of [...c.rtp.caller, ...c.rtp.callee]) lastUs = Math.max(lastUs, p.captureTimeUs);
  const captureSeconds = (lastUs - firstUs) / 1e6;
  console.log(`capture: ${CALLS} concurrent calls × ${SECONDS} s, ${capture.frames} frames, ${rtpPackets} RTP packets, ${captureSeconds.toFixed(1)} s long, ${(capture.pcap.length / 1e6).toFixed(1)} MB`);

  const started = performance.now();
  const run = spawnSync(process.execPath, [resolve(__dirname, '../bin/earshot.js'), 'record', file, '--out', join(dir, 'out')], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const wallSeconds = (performance.now() - started) / 1000;
  if (run.status !== 0) throw new Error(`earshot record failed (${run.status}):\n${run.stdout.slice(-3000)}\n${run.stderr.slice(-3000)}`);
  const manifest = JSON.parse(readFileSync(join(dir, 'out', 'manifest.json'), 'utf8')) as { calls: Array<{ recording: string }> };
  const recorded = manifest.calls.filter((c) => c.recording === 'recorded').length;
  if (recorded !== CALLS) throw new Error(`only ${recorded} of ${CALLS} calls recorded`);

  const tStarted = performance.now();
  const tshark = spawnSync('tshark', ['-q', '-z', 'rtp,streams', '-o', 'rtp.heuristic_rtp:TRUE', '-r', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const tsharkSeconds = (performance.now() - tStarted) / 1000;
  if (tshark.status !== 0) throw new Error(`tshark failed: ${tshark.stderr}`);

  const rate = rtpPackets / wallSeconds;
  const tsharkRate = rtpPackets / tsharkSeconds;
  console.log(`earshot record: ${wallSeconds.toFixed(2)} s wall (stack up, processes started, all ${recorded} calls recorded and converted), ${Math.round(rate)} RTP packets/s, ${(captureSeconds / wallSeconds).toFixed(1)}× the capture's duration`);
  console.log(`tshark rtp,streams (read + analyse only): ${tsharkSeconds.toFixed(2)} s, ${Math.round(tsharkRate)} RTP packets/s`);
  console.log(`ratio earshot record ÷ tshark rtp,streams: ${(rate / tsharkRate).toFixed(2)}`);
}

main();
