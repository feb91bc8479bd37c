/**
 * `earshot record` end to end through the real stack: the CLI as a user runs it, the four apps as
 * processes, Kafka, the registry. What is checked is what a user gets: the WAVs, manifest.json, the
 * exit code and the message.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WaveFile } from 'wavefile';
import { buildSyntheticCapture, standardScenario, type CallScript } from '@earshot/call-scenarios';
import { eventually } from '../libs/kafka/src/testing/test-stack';
import { REPO_ROOT, startApp } from './app-process';

interface Manifest {
  run: { groupPrefix: string; startedAtMs: number };
  calls: Array<{
    callId: string; recording: string; recordingError: string | null; outcome: string; codecs: string[];
    legs: Array<{ legId: string; source: string; packets: number; lost: number; duplicated: number; rawPath: string; rawSha256: string | null }>;
    wav: { path: string; durationMs: number; channels: number; sampleRate: number; sha256: string } | null;
  }>;
  orphanStreams: Array<{ stream: string; error: string }>;
  warnings: string[];
}

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

/** Runs `npx earshot ...args` in the repository, as the README tells a user to; returns exit code and output. */
async function earshot(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    let output = '';
    const child = spawn('npx', ['--no-install', 'earshot', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('exit', (code) => done({ code: code ?? 1, output }));
  });
}

function workDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `earshot-record-${name}-`));
}

async function recordOk(capture: string, out: string): Promise<Manifest> {
  const r = await earshot(['record', capture, '--out', out]);
  assert.equal(r.code, 0, r.output);
  return JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as Manifest;
}

/** Every .raw and WAV of a run, by call and leg, with its sha256 as found on disk. */
function outputHashes(m: Manifest, out: string): Record<string, string> {
  const hashes: Record<string, string> = {};
  for (const c of m.calls) {
    if (c.wav) hashes[`${c.callId}.wav`] = sha256(join(out, c.wav.path));
    for (const l of c.legs) hashes[`${c.callId}/${l.legId}.raw`] = sha256(join(out, 'recordings', l.rawPath));
  }
  return hashes;
}

describe('earshot record on the real stack', () => {
  test('the sample capture: one WAV per answered call, clear outcomes for the rest; recorded twice and replayed from the topics, identical bytes', async () => {
    const dir = workDir('sample');
    const capture = join(dir, 'sample.pcap');
    const built = buildSyntheticCapture(standardScenario());
    writeFileSync(capture, built.pcap);

    const first = await recordOk(capture, join(dir, 'first'));
    const byId = new Map(first.calls.map((c) => [c.callId, c]));
    assert.equal(first.calls.length, built.calls.length);
    for (const expected of built.calls) {
      const call = byId.get(expected.script.callId);
      assert.ok(call, `${expected.script.callId} is in the manifest`);
      const answered = expected.kinds.includes('ANSWERED');
      assert.equal(call.recording, answered ? 'recorded' : 'not-recorded', `${call.callId}: ${call.recordingError}`);
      if (!answered) continue;
      assert.deepEqual(call.legs.map((l) => [l.legId, l.packets]), [['callee', expected.rtp.callee.length], ['caller', expected.rtp.caller.length]]);
      const wav = new WaveFile(readFileSync(join(dir, 'first', call.wav?.path ?? '')));
      assert.equal((wav.fmt as { numChannels: number }).numChannels, 2);
      assert.equal(sha256(join(dir, 'first', call.wav?.path ?? '')), call.wav?.sha256);
    }
    assert.equal(byId.get('call-lossy@example.com')?.legs.find((l) => l.legId === 'caller')?.lost, 3);
    assert.equal(byId.get('call-busy@example.com')?.outcome, 'failed 486 Busy Here');

    // The same capture again: byte-identical .raw and WAV files.
    const second = await recordOk(capture, join(dir, 'second'));
    const hashes = outputHashes(first, join(dir, 'first'));
    assert.equal(Object.keys(hashes).length, 6 + 12);
    assert.deepEqual(outputHashes(second, join(dir, 'second')), hashes);

    // Replayed from the topics: a new recorder and converter read the first run's events again.
    const replayDir = join(dir, 'replay');
    mkdirSync(join(replayDir, 'recordings'), { recursive: true });
    const env = {
      EARSHOT_KAFKA_GROUP_PREFIX: `${first.run.groupPrefix}-replay`, EARSHOT_KAFKA_START_FROM: String(first.run.startedAtMs),
      EARSHOT_RECORDINGS_DIR: join(replayDir, 'recordings'),
    };
    // The topics may hold other runs' traffic since then (a live capture's wall-clock watermarks):
    // the replaying recorder follows the first run's collector only, as earshot record does.
    const firstCollector = `rtp-collector@${first.run.groupPrefix.replace(/^earshot-/, '')}`;
    const apps = [startApp('recorder', { ...env, EARSHOT_INSTANCE_ID: `recorder@${first.run.groupPrefix}-replay`, EARSHOT_RECORDER_RTP_INSTANCES: firstCollector }),
      startApp('converter', { ...env, EARSHOT_INSTANCE_ID: `converter@${first.run.groupPrefix}-replay` })];
    try {
      for (const call of first.calls.filter((c) => c.wav)) {
        const wavPath = join(replayDir, 'recordings', call.legs[0]?.rawPath.replace(/[^/]+\.raw$/, '') ?? '', call.wav?.path ?? '');
        await eventually(`the replayed WAV of ${call.callId}`, () => {
          try { return sha256(wavPath) === call.wav?.sha256; } catch { return false; }
        }, 60_000);
        for (const leg of call.legs) assert.equal(sha256(join(replayDir, 'recordings', leg.rawPath)), leg.rawSha256, `${call.callId}/${leg.legId}.raw replayed`);
      }
    } finally {
      for (const a of apps) a.child.kill('SIGTERM');
      await Promise.all(apps.map((a) => a.exited));
    }
  });

  test('bad input: an answered call with no RTP, an RTP stream with no call, a truncated capture — clear outcomes, the other calls unaffected', async () => {
    const dir = workDir('bad');
    const base = 1_763_950_000_000_000;
    const party = (n: number, ip: string, port: number) => ({ uri: `sip:${n}@pbx.example.com`, ip, rtpPort: port });
    const scripts: CallScript[] = [
      { callId: 'good@bad.test', caller: party(3001, '10.1.0.1', 41000), callee: party(4001, '192.0.2.41', 51000), startUs: base, talkMs: 2000 },
      { callId: 'silent@bad.test', caller: party(3002, '10.1.0.2', 41002), callee: party(4002, '192.0.2.42', 51002), startUs: base + 100_000, talkMs: 10 },
      { callId: 'nobody@bad.test', caller: party(3003, '10.1.0.3', 41004), callee: party(4003, '192.0.2.43', 51004), startUs: base + 200_000, talkMs: 1000, withoutSignalling: true },
    ];
    const built = buildSyntheticCapture(scripts);
    const capture = join(dir, 'bad.pcap');
    writeFileSync(capture, built.pcap);
    const m = await recordOk(capture, join(dir, 'out'));
    const call = (id: string) => m.calls.find((c) => c.callId === id);
    assert.equal(call('good@bad.test')?.recording, 'recorded');
    assert.deepEqual(call('good@bad.test')?.legs.map((l) => l.packets), [100, 100]);
    assert.equal(call('silent@bad.test')?.recording, 'failed');
    assert.match(call('silent@bad.test')?.recordingError ?? '', /no RTP received/);
    assert.equal(call('nobody@bad.test'), undefined);
    assert.deepEqual(m.orphanStreams.map((o) => o.stream), ['10.1.0.3:41004|192.0.2.43:51004']);
    assert.match(m.orphanStreams[0]?.error ?? '', /RTP stream with no call/);

    // Cut inside a record: what came before is recorded, and the manifest says the capture was damaged.
    const truncated = join(dir, 'truncated.pcap');
    writeFileSync(truncated, built.pcap.subarray(0, Math.floor(built.pcap.length * 0.6) + 5));
    const t = await recordOk(truncated, join(dir, 'truncated'));
    assert.equal(t.calls.find((c) => c.callId === 'good@bad.test')?.recording, 'recorded');
    assert.ok(t.warnings.some((w) => /call-control: capture damaged/.test(w)), JSON.stringify(t.warnings));
    assert.ok(t.warnings.some((w) => /rtp-collector: capture damaged/.test(w)), JSON.stringify(t.warnings));
  });

  test('a file that is not a capture, and a capture with no call: a clear message and a non-zero exit', async () => {
    const dir = workDir('refused');
    writeFileSync(join(dir, 'notes.txt'), 'this is not a capture\n');
    const notCapture = await earshot(['record', join(dir, 'notes.txt'), '--out', join(dir, 'a')]);
    assert.equal(notCapture.code, 2);
    assert.match(notCapture.output, /notes\.txt is not a capture file earshot can read \(not-a-capture-file\)/);

    const onlyRtp = buildSyntheticCapture([{ callId: 'x', caller: { uri: 'sip:1@x', ip: '10.2.0.1', rtpPort: 42000 }, callee: { uri: 'sip:2@x', ip: '10.2.0.2', rtpPort: 52000 },
      startUs: 1_763_960_000_000_000, withoutSignalling: true }]);
    writeFileSync(join(dir, 'rtp-only.pcap'), onlyRtp.pcap);
    const noCall = await earshot(['record', join(dir, 'rtp-only.pcap'), '--out', join(dir, 'b')]);
    assert.equal(noCall.code, 3);
    assert.match(noCall.output, /rtp-only\.pcap holds no SIP call/);
  });

  test('sipp calls captured on the wire: each WAV holds exactly the decoded audio sipp sent', async () => {
    const dir = workDir('sipp');
    symlinkSync('/usr/share/sip-tester', join(dir, 'pcap'));
    const capture = join(dir, 'sipp.pcap');
    // An independent capture of the calls (tshark's dumpcap), then recorded from the file.
    const dumpcap = spawn('tshark', ['-i', 'lo', '-f', 'udp port 5062 or udp port 5072 or udp portrange 6100-6110 or udp portrange 17000-17100', '-w', capture, '-q'], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 2000));
    const uas = spawn('sipp', ['-sn', 'uas', '-i', '127.0.0.1', '-p', '5072', '-mp', '6100', '-nostdin'], { cwd: dir, stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 500));
    const uac = spawnSync('sipp', ['-sn', 'uac_pcap', '127.0.0.1:5072', '-i', '127.0.0.1', '-p', '5062', '-mp', '17000', '-m', '2', '-l', '2', '-r', '10', '-nostdin', '-timeout', '60s'],
      { cwd: dir, encoding: 'utf8', timeout: 90_000 });
    await new Promise((r) => setTimeout(r, 1500));
    uas.kill('SIGKILL');
    dumpcap.kill('SIGINT');
    await new Promise((r) => dumpcap.once('exit', r));
    assert.equal(uac.status, 0, uac.stdout.slice(-1500));

    const m = await recordOk(capture, join(dir, 'out'));
    const recorded = m.calls.filter((c) => c.recording === 'recorded');
    assert.equal(recorded.length, 2, JSON.stringify(m.calls.map((c) => [c.callId, c.recording, c.recordingError])));

    for (const call of recorded) {
      // What sipp sent for this call, read by tshark: its PCMA payloads in order, with RTP timestamps.
      const leg = call.legs.find((l) => l.legId === 'caller');
      assert.ok(leg);
      const port = leg.source.split(':').pop();
      const fields = spawnSync('tshark', ['-r', capture, '-d', `udp.port==${port},rtp`, '-Y', `udp.srcport==${port} && rtp.p_type==8`, '-T', 'fields', '-e', 'rtp.timestamp', '-e', 'rtp.payload'], { encoding: 'utf8' });
      const packets = fields.stdout.split('\n').filter(Boolean).map((l) => {
        const [ts, hex] = l.split('\t');
        return { ts: Number(ts), payload: Buffer.from((hex ?? '').replace(/:/g, ''), 'hex') };
      });
      assert.ok(packets.length > 200, `tshark found ${packets.length} PCMA packets from port ${port}`);
      // Independent G.711 A-law decode (ITU-T G.711), each payload placed by its RTP timestamp.
      const alaw = (a: number): number => {
        const v = a ^ 0x55;
        const exp = (v & 0x70) >> 4;
        const mant = v & 0x0f;
        const mag = exp === 0 ? (mant << 4) + 8 : ((mant << 4) + 0x108) << (exp - 1);
        return v & 0x80 ? mag : -mag;
      };
      const ts0 = packets[0]?.ts ?? 0;
      const expected = new Int16Array((packets[packets.length - 1]?.ts ?? 0) - ts0 + 160);
      for (const p of packets) for (let i = 0; i < p.payload.length; i++) expected[p.ts - ts0 + i] = alaw(p.payload[i] ?? 0);

      const wav = new WaveFile(readFileSync(join(dir, 'out', call.wav?.path ?? '')));
      const samples = wav.getSamples(false, Int16Array) as unknown as Int16Array[];
      const left = samples[0] as Int16Array;
      assert.equal(wav.fmt && (wav.fmt as { sampleRate: number }).sampleRate, 8000);
      assert.ok(left.length >= expected.length, `WAV has ${left.length} samples for ${expected.length} sent`);
      let firstDiff = -1;
      for (let i = 0; i < expected.length; i++) if (left[i] !== expected[i]) { firstDiff = i; break; }
      assert.equal(firstDiff, -1, `${call.callId}: caller channel differs from the decoded RTP at sample ${firstDiff}`);
      // The callee sent nothing (sipp's UAS plays no audio): its channel is silence.
      assert.ok((samples[1] as Int16Array).every((v) => v === 0));
    }
  });
});
