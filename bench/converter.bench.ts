/**
 * Converter benchmark (issue 4): G.711 → WAV, times real time, on one core.
 *
 *   taskset -c 0 node -r @swc-node/register bench/converter.bench.ts
 *   BENCH_CALLS=100 BENCH_SECONDS=60 BENCH_CODEC=PCMU (defaults)
 *
 * Setup (not timed): CALLS two-leg calls of SECONDS each (20 ms packets, a different tone per leg),
 * written as .raw files the way the recorder writes them, and the same payloads as headerless
 * G.711 files for sox.
 * Timed, in-process: the converter's own path for every call (convertCallToWav: read both .raw
 * files, order and decode, stereo mix, WAV bytes via wavefile, sha256, write temp + fsync + rename).
 * Timed, sox, the same audio: one `sox -M -t ul -r 8000 -c 1 caller.ul -t ul … callee.ul out.wav` per
 * call (the same stereo WAV), and one `sox -t ul -r 8000 -c 1 leg.ul leg.wav` per leg.
 * "× real time" = seconds of call audio / wall seconds. The first call's WAV samples are checked
 * equal between the converter and sox, so both converted the same audio.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { tonePayloads } from '@earshot/call-scenarios';
import { buildRawLeg, convertCallToWav, PCMA, PCMU, steadyPackets, type CompletedLeg } from '@earshot/converter';

const CALLS = Number(process.env.BENCH_CALLS ?? 100);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const CODEC = (process.env.BENCH_CODEC ?? 'PCMU') as 'PCMU' | 'PCMA';
const PACKETS = SECONDS * 50;
const T0 = 1_763_942_400_000_000;
const SOX_TYPE = CODEC === 'PCMU' ? 'ul' : 'al';

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

function sox(args: string[]): void {
  const r = spawnSync('sox', args);
  if (r.error || r.status !== 0) throw new Error(`sox ${args.join(' ')}: ${r.error?.message ?? r.stderr.toString()}`);
}

/** The data chunk of a WAV (sox may write a different header than wavefile). */
function wavData(bytes: Buffer): Buffer {
  let o = 12;
  while (o + 8 <= bytes.length) {
    const id = bytes.toString('latin1', o, o + 4);
    const size = bytes.readUInt32LE(o + 4);
    if (id === 'data') return bytes.subarray(o + 8, o + 8 + size);
    o += 8 + size + (size & 1);
  }
  throw new Error('no data chunk');
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'converter-bench-'));
  try {
    // Setup: .raw legs and headerless G.711 legs.
    const mapping = CODEC === 'PCMU' ? PCMU : PCMA;
    const calls: Array<{ callId: string; legs: CompletedLeg[]; ul: [string, string] }> = [];
    const tones = [300, 350, 440, 520, 660, 780, 900, 1040].map((hz) => tonePayloads(CODEC, hz, PACKETS));
    for (let c = 0; c < CALLS; c++) {
      const callId = `bench-${c}@earshot`;
      const folder = `2025/11/24/${callId}`;
      const legs: CompletedLeg[] = [];
      const ul: string[] = [];
      for (const [i, legId] of (['caller', 'callee'] as const).entries()) {
        const payloads = tones[(c + i * 3) % tones.length] as Uint8Array[];
        const rawPath = `${folder}/${legId}.raw`;
        await mkdir(dirname(join(root, rawPath)), { recursive: true });
        await writeFile(join(root, rawPath), buildRawLeg({ callId, legId, direction: legId, codecs: [mapping], ssrc: 1000 + c * 2 + i, packets: steadyPackets(payloads, { startUs: T0 + i * 7_000 }) }));
        const ulPath = join(root, 'sox', `${c}-${legId}.${SOX_TYPE}`);
        await mkdir(dirname(ulPath), { recursive: true });
        await writeFile(ulPath, concat(payloads));
        legs.push({ legId, side: legId === 'caller' ? 'CALLER' : 'CALLEE', rawPath });
        ul.push(ulPath);
      }
      calls.push({ callId, legs, ul: ul as [string, string] });
    }
    const audioSeconds = CALLS * SECONDS;
    const legSeconds = 2 * audioSeconds;
    const options = { layout: 'stereo' as const, recordedCodecs: [] };

    // Warm-up (JIT) on one call, then the timed run.
    const first = calls[0];
    if (!first) throw new Error('BENCH_CALLS must be at least 1');
    await convertCallToWav(root, first.callId, first.legs, options);
    const t0 = process.hrtime.bigint();
    let bytes = 0;
    let firstPath = '';
    for (const call of calls) {
      const w = await convertCallToWav(root, call.callId, call.legs, options);
      bytes += w.conversion.bytes;
      if (call === first) firstPath = w.conversion.path;
    }
    const ours = Number(process.hrtime.bigint() - t0) / 1e9;

    // sox: the same stereo WAV per call, then per leg.
    const t1 = process.hrtime.bigint();
    for (const [c, call] of calls.entries()) {
      sox(['-M', '-t', SOX_TYPE, '-r', '8000', '-c', '1', call.ul[0], '-t', SOX_TYPE, '-r', '8000', '-c', '1', call.ul[1], '-b', '16', '-e', 'signed-integer', join(root, 'sox', `${c}.wav`)]);
    }
    const soxStereo = Number(process.hrtime.bigint() - t1) / 1e9;
    const t2 = process.hrtime.bigint();
    for (const call of calls) for (const ul of call.ul) sox(['-t', SOX_TYPE, '-r', '8000', '-c', '1', ul, '-b', '16', '-e', 'signed-integer', `${ul}.wav`]);
    const soxLegs = Number(process.hrtime.bigint() - t2) / 1e9;

    // Same audio? The converter aligns the callee 7 ms (56 frames) later, so compare from there on both channels.
    const a = wavData(await readFile(join(root, firstPath)));
    const b = wavData(await readFile(join(root, 'sox', '0.wav')));
    const frame = 4;
    const left = (buf: Buffer, from: number, n: number): number[] => Array.from({ length: n }, (_, i) => buf.readInt16LE((from + i) * frame));
    const right = (buf: Buffer, from: number, n: number): number[] => Array.from({ length: n }, (_, i) => buf.readInt16LE((from + i) * frame + 2));
    const n = PACKETS * 160;
    const same = JSON.stringify(left(a, 0, n)) === JSON.stringify(left(b, 0, n)) && JSON.stringify(right(a, 56, n)) === JSON.stringify(right(b, 0, n));
    if (!same) throw new Error('the converter and sox did not produce the same samples for call 0');

    const x = (s: number): string => `${Math.round(audioSeconds / s).toLocaleString('en-US')}×`;
    console.log(`converter bench: ${CALLS} calls × ${SECONDS} s stereo ${CODEC} (${audioSeconds} s of calls, ${legSeconds} s of legs), node ${process.version}, ${process.env.BENCH_CPU ?? 'affinity: see taskset'}`);
    console.log(`  earshot converter, in-process (raw → WAV file, fsync, sha256): ${ours.toFixed(3)} s  = ${x(ours)} real time  (${(bytes / 1e6).toFixed(0)} MB of WAV)`);
    console.log(`  sox -M per call (same stereo WAV):                               ${soxStereo.toFixed(3)} s  = ${x(soxStereo)} real time`);
    console.log(`  sox per leg (mono WAVs):                                         ${soxLegs.toFixed(3)} s  = ${x(soxLegs)} real time`);
    console.log(`  speed ratio earshot ÷ sox (>1: earshot faster): ${(soxStereo / ours).toFixed(2)}× (per call), ${(soxLegs / ours).toFixed(2)}× (per leg); same samples as sox: ${same}`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
