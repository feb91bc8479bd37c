/**
 * Live monitoring under load (issue 8 item 7): 200 calls' RTP published to qm.rtp.v1 at real-time
 * rate, both directions, in RtpBatches of LIVE_LOAD_WINDOW_MS (default 200 ms, the rtp-collector
 * window live monitoring needs), each call on this run's own media keys. An admin listens to one
 * call through GET /api/calls/:callId/live, and while that goes on, to a second call whose RTP is on
 * another partition (which the running tap must then start to read). Each listened call's caller
 * sends packets whose samples say
 * which packet they are (two PCMU codes per packet: digit n % 64 from one set of codes, n / 64 from
 * another; its callee sends μ-law zeros), so every sample heard is traced back to its packet, and
 * so to the time its batch was published. Each listener must hear audio for >= 90 % of the time it
 * listens, each packet less than 1 s after its batch was published. "Heard" is when a player that
 * starts at the first byte and plays on reaches the sample (never before it was received).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { decodePcmu, encodePcmu } from '@earshot/codecs';
import { TOPICS, type RtpBatch } from '@earshot/events';
import { encodeRtpPacket, mediaKey } from '@earshot/rtp';
import { publishCallInProgress, startConsoleStack, waitForCall, type ConsoleStack } from './status-console-support';

const CALLS = Number(process.env.LIVE_LOAD_CALLS ?? 200);
const WINDOW_MS = Number(process.env.LIVE_LOAD_WINDOW_MS ?? 200);
const LOAD_S = 14;
/** The two listeners: when each starts after the load, and for how long it listens. */
const LISTENERS = [{ afterMs: 2000, forMs: 9000 }, { afterMs: 4500, forMs: 7000 }] as const;
const PTIME_MS = 20;
const MAX_DELAY_MS = 1000;

/** μ-law codes 0x00-0x3F carry the low digit, 0x80-0xBF the high one: 128 distinct sample values. */
const LOW = Array.from({ length: 64 }, (_, d) => d);
const HIGH = Array.from({ length: 64 }, (_, d) => 0x80 + d);
const digitOf = new Map<number, { high: boolean; digit: number }>();
for (const [set, high] of [[LOW, false], [HIGH, true]] as const) {
  for (const [digit, code] of set.entries()) digitOf.set(decodePcmu(Uint8Array.of(code))[0] as number, { high, digit });
}

function markerPayload(n: number): Uint8Array {
  const p = new Uint8Array(160);
  p.fill(LOW[n % 64] as number, 0, 80);
  p.fill(HIGH[Math.floor(n / 64) % 64] as number, 80);
  return p;
}

function percentile(values: readonly number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : (s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number);
}

describe('live monitoring with 200 calls of RTP on qm.rtp.v1', () => {
  const run = randomUUID().replace(/-/g, '').slice(0, 10);
  let stack: ConsoleStack;
  let token: string;
  // This run's own addresses: 10.<x>.<y>.<n> for callers, 10.<x>.<y+1>.<n> for callees.
  const x = 1 + (parseInt(run.slice(0, 2), 16) % 250);
  const y = 2 * (parseInt(run.slice(2, 4), 16) % 120);
  const calls = Array.from({ length: CALLS }, (_, i) => ({
    callId: `liveload-${i}-${run}@console.test`,
    caller: { ip: `10.${x}.${y}.${1 + (i % 250)}`, port: 20_000 + 2 * i },
    callee: { ip: `10.${x}.${y + 1}.${1 + (i % 250)}`, port: 30_000 + 2 * i },
  }));
  type Call = (typeof calls)[number];
  let listened: Call[] = [];

  before(async () => {
    stack = await startConsoleStack(run);
    token = await stack.login('admin', stack.adminPassword);
    // The second listened call: the first whose media key is on another partition than the first's.
    const admin = stack.kafka.admin();
    await admin.connect();
    const partitionMetadata: PartitionMetadata[] = (await admin.fetchTopicMetadata({ topics: [TOPICS.rtp] })).topics[0]?.partitions ?? [];
    await admin.disconnect();
    const partitioner = Partitioners.DefaultPartitioner();
    const partitionOf = (c: Call): number => partitioner({ topic: TOPICS.rtp, partitionMetadata, message: { key: mediaKey(c.caller, c.callee), value: null } });
    const first = calls[0] as Call;
    const second = calls.find((c) => partitionOf(c) !== partitionOf(first));
    assert.ok(second, 'a call on another partition');
    listened = [first, second];
    for (const c of listened) {
      await publishCallInProgress(stack.producer, {
        callId: c.callId, recordedUserId: 'alice', startedUs: (Date.now() - 5000) * 1000,
        caller: { user: '1001', name: null, ...c.caller }, callee: { user: '+15550001111', name: null, ...c.callee },
      });
    }
    for (const c of listened) await waitForCall(stack, token, c.callId, false);
  });

  after(async () => {
    await stack?.stop();
  });

  test(`listeners of two calls hear them continuously, under ${MAX_DELAY_MS} ms behind each batch's publication`, async () => {
    const tone = new Int16Array(160);
    for (let i = 0; i < 160; i++) tone[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000));
    const otherPayload = encodePcmu(tone);
    const zeros = new Uint8Array(160).fill(0xff);
    const packetsPerBatch = WINDOW_MS / PTIME_MS;
    const publishedAt = new Map<number, number>(); // packet n of a listened caller → when its batch was published (the same for both)
    let startMs = Date.now();
    let startUs = startMs * 1000;
    let published = 0;
    let behindMs = 0;

    const rtp = (src: { ip: string; port: number }, dst: { ip: string; port: number }, ssrc: number, callId: string, seq: number, k0: number, payload: (k: number) => Uint8Array): RtpBatch => {
      const packets = [];
      for (let k = k0; k < k0 + packetsPerBatch; k++) {
        const p = payload(k);
        const buf = new Uint8Array(12 + p.length);
        encodeRtpPacket({ marker: k === 0, payloadType: 0, sequenceNumber: k & 0xffff, timestamp: (k * 160) >>> 0, ssrc, csrcs: [], extension: null, payload: p, paddingSize: 0 }, buf);
        packets.push({ captureTimeUs: startUs + k * PTIME_MS * 1000, data: Buffer.from(buf) });
      }
      return {
        batchId: `liveload-${run}:${src.ip}:${src.port}#${ssrc}/${seq}`, mediaKey: mediaKey(src, dst),
        stream: { protocol: 'RTP', sourceAddress: src.ip, sourcePort: src.port, destinationAddress: dst.ip, destinationPort: dst.port, ssrc },
        callId, batchSequence: seq, instanceId: `rtp-collector@liveload-${run}`, packets, watermarkUs: null,
      };
    };

    // The other calls' batches are encoded once and published again every window (the listener
    // skips them by key; what matters is that they are on the topic at the rate 200 calls make):
    // encoding 400 batches every 200 ms would make this publisher, not the status app, the bottleneck.
    const others: Array<{ key: string; value: Buffer }> = [];
    for (const [i, c] of calls.entries()) {
      if (listened.includes(c)) continue;
      for (const b of [rtp(c.caller, c.callee, 0x10000000 + i, c.callId, 0, 0, () => otherPayload), rtp(c.callee, c.caller, 0x20000000 + i, c.callId, 0, 0, () => otherPayload)]) {
        others.push({ key: b.mediaKey, value: await stack.codec.encode(TOPICS.rtp, b) });
      }
    }
    startMs = Date.now();
    startUs = startMs * 1000;
    // Sends are not awaited one by one: a slow acknowledgement must not hold back the next window.
    const sender = stack.kafka.producer();
    await sender.connect();
    const sends: Array<Promise<unknown>> = [];
    const load = (async () => {
      for (let seq = 0; (seq + 1) * WINDOW_MS <= LOAD_S * 1000; seq++) {
        const due = startMs + (seq + 1) * WINDOW_MS;
        await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
        behindMs = Math.max(behindMs, Date.now() - due);
        const k0 = seq * packetsPerBatch;
        const mine = listened.flatMap((c) => [rtp(c.caller, c.callee, 0x10000000, c.callId, seq, k0, markerPayload), rtp(c.callee, c.caller, 0x20000000, c.callId, seq, k0, () => zeros)]);
        const messages = [...others];
        for (const b of mine) messages.splice(Math.floor(Math.random() * messages.length), 0, { key: b.mediaKey, value: await stack.codec.encode(TOPICS.rtp, b) });
        const at = Date.now();
        for (let k = k0; k < k0 + packetsPerBatch; k++) publishedAt.set(k, at);
        sends.push(sender.send({ topic: TOPICS.rtp, acks: 1, messages }));
        published += messages.length;
      }
      await Promise.all(sends);
    })().finally(() => sender.disconnect());

    /** One listener: the chunks of the live stream as they were received. */
    const listen = async (c: Call, afterMs: number, forMs: number): Promise<Array<{ at: number; bytes: Buffer }>> => {
      await new Promise((r) => setTimeout(r, afterMs));
      const received: Array<{ at: number; bytes: Buffer }> = [];
      const controller = new AbortController();
      const listenStart = Date.now();
      try {
        const r = await fetch(`${stack.baseUrl}/api/calls/${encodeURIComponent(c.callId)}/live`, { headers: { Authorization: `Bearer ${token}` }, signal: controller.signal });
        assert.equal(r.status, 200);
        const reader = r.body?.getReader();
        assert.ok(reader);
        while (Date.now() - listenStart < forMs) {
          const { value, done } = await reader.read();
          if (done) break;
          received.push({ at: Date.now(), bytes: Buffer.from(value) });
        }
      } finally {
        controller.abort();
      }
      return received;
    };
    let heard: Array<Array<{ at: number; bytes: Buffer }>>;
    try {
      heard = await Promise.all(listened.map((c, i) => listen(c, LISTENERS[i]?.afterMs ?? 0, LISTENERS[i]?.forMs ?? 0)));
    } finally {
      await load;
    }
    await new Promise((r) => setTimeout(r, 500)); // the status app logs each session when it sees the client go
    const output = stack.app.output().split('\n').filter((l) => l.startsWith('{'));
    const messages = output.map((l) => (JSON.parse(l) as { msg?: string }).msg ?? '');
    const partitions = messages.filter((m) => m.includes('live tap reads partitions'));
    console.log(`live load: ${CALLS} calls, ${WINDOW_MS} ms batches, ${published} batches published (publisher at most ${behindMs} ms late)\n  ${partitions.join('\n  ')}`);

    for (const [i, received] of heard.entries()) {
      const c = listened[i] as Call;
      const forMs = LISTENERS[i]?.forMs ?? 0;
      // Every sample, with when it was received and when a player would have played it.
      const all = Buffer.concat(received.map((x) => x.bytes));
      const at: number[] = [];
      for (const x of received) for (let b = 0; b < x.bytes.length; b++) at.push(x.at);
      const firstByteAt = received[0]?.at ?? Number.NaN;
      const samples = Math.floor((all.length - 44) / 2);
      const heardAt = (s: number): number => Math.max(at[44 + 2 * s] ?? Number.NaN, firstByteAt + (s * 1000) / 8000);
      // Runs of one marker value: a low-digit run followed by a high-digit run is one packet.
      const runs: Array<{ start: number; length: number; mark: { high: boolean; digit: number } | undefined }> = [];
      for (let s = 0; s < samples; s++) {
        const v = all.readInt16LE(44 + 2 * s);
        const last = runs[runs.length - 1];
        if (last && s > 0 && all.readInt16LE(44 + 2 * (s - 1)) === v) last.length++;
        else runs.push({ start: s, length: 1, mark: digitOf.get(v) });
      }
      let covered = 0;
      let firstAudio = -1;
      const delays: number[] = [];
      for (let r = 0; r + 1 < runs.length; r++) {
        const lo = runs[r];
        const hi = runs[r + 1];
        if (!lo?.mark || lo.mark.high || !hi?.mark?.high) continue;
        const pub = publishedAt.get(lo.mark.digit + 64 * hi.mark.digit);
        if (pub === undefined) continue;
        const delay = heardAt(lo.start) - pub;
        delays.push(delay);
        if (firstAudio < 0) firstAudio = lo.start;
        if (delay < MAX_DELAY_MS) covered += lo.length + hi.length;
      }
      const span = firstAudio < 0 ? 0 : samples - firstAudio;
      const share = span === 0 ? 0 : covered / span;
      const summary = `listener ${i + 1} (${c.callId}): listened ${(samples / 8000).toFixed(1)} s, audio from ${(firstAudio / 8000).toFixed(2)} s on, `
        + `${(100 * share).toFixed(1)} % of it heard < ${MAX_DELAY_MS} ms after publication; `
        + `delay p50 ${percentile(delays, 50).toFixed(0)} ms, p95 ${percentile(delays, 95).toFixed(0)} ms, max ${percentile(delays, 100).toFixed(0)} ms (${delays.length} packets)`;
      const session = messages.find((m) => m.includes(`stopped listening to call ${c.callId}`)) ?? '(no session line)';
      console.log(`  ${summary}\n    status: ${session}`);
      assert.ok(span >= (forMs - 4000) * 8, `at least ${(forMs - 4000) / 1000} s of the call heard (${summary})`);
      assert.ok(share >= 0.9, `>= 90 % of the listened time is the call's audio heard in time (${summary})`);
    }
  });
});
