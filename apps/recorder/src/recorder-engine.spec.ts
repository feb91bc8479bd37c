import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordingEvent, RtpBatch } from '@earshot/events';
import { readRaw } from '@earshot/raw';
import { RecorderEngine } from './recorder-engine';
import { RawFileStore } from './raw-file-store';
import { batch, callEvent, rtp, watermark, type Ep } from './recorder-test-kit';

const A: Ep = { ip: '10.0.0.1', port: 4000 };
const B: Ep = { ip: '192.0.2.2', port: 5000 };
const T0 = 1_763_942_400_000_000;
const S = 1_000_000;

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'recorder-engine-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function engine(root = dir, partitions = [0]): RecorderEngine {
  const e = new RecorderEngine({ store: new RawFileStore(root), instanceId: 'rec-test', lingerMs: 2000, idleTimeoutS: 30, orphanTimeoutS: 5, unclaimedMaxBytes: 1 << 20 });
  e.assign(partitions);
  return e;
}

/** n packets of 20 ms from `from` to `to`, starting at `t`, as one batch. */
function stream(from: Ep, to: Ep, ssrc: number, t: number, n: number, seq0 = 0, batchSequence = 0, callId: string | null = 'c1'): RtpBatch {
  return batch(from, to, ssrc, Array.from({ length: n }, (_, i) => ({ t: t + i * 20_000, data: rtp({ seq: seq0 + i, ts: 160 * (seq0 + i), ssrc }) })), batchSequence, callId);
}

let offset = 0;
const rtpIn = (e: RecorderEngine, b: RtpBatch, partition = 0) => e.onRtpBatch(b, partition, offset++);
const kinds = (events: RecordingEvent[]) => events.map((x) => `${x.kind}${x.leg ? ` ${x.leg.legId}` : ''}`);

describe('recorder engine: leg lifecycle by capture clock', () => {
  test('legs close at end + linger by the watermark clock, never before; events in contract order', async () => {
    const e = engine();
    await e.onCallEvent(callEvent('c1', 'STARTED', 0, T0, A, null), 0, 0);
    await e.onCallEvent(callEvent('c1', 'ANSWERED', 1, T0 + S, A, B), 0, 1);
    await rtpIn(e, stream(A, B, 1, T0 + S, 50));
    await rtpIn(e, stream(B, A, 2, T0 + S + 3000, 50));
    await e.onCallEvent(callEvent('c1', 'ENDED', 2, T0 + 2 * S + 10_000, null, null), 0, 2);
    await rtpIn(e, watermark(T0 + 3 * S));
    await e.advance();
    assert.deepEqual(kinds(e.takeEvents()), ['LEG_STARTED caller', 'LEG_STARTED callee'], 'end + 2 s linger not reached at +3 s');
    await rtpIn(e, watermark(T0 + 4 * S + 10_000));
    await e.advance();
    const events = e.takeEvents();
    assert.deepEqual(kinds(events), ['LEG_COMPLETED callee', 'LEG_COMPLETED caller', 'CALL_COMPLETED']);
    const caller = events.find((x) => x.leg?.legId === 'caller');
    assert.equal(caller?.stats?.packets, 50);
    assert.equal(caller?.captureTimeUs, T0 + 4 * S + 10_000);
    assert.equal(caller?.leg?.rawPath, '2025/11/24/c1/caller.raw');
    const bytes = readFileSync(join(dir, '2025/11/24/c1/caller.raw'));
    const read = readRaw(bytes);
    assert.equal(read.error, null);
    assert.equal(read.records.length, 50);
    assert.equal(read.trailer?.endReason, 'bye');
    assert.deepEqual(readdirSync(join(dir, '2025/11/24/c1')).sort(), ['callee.raw', 'caller.raw'], 'no temporary file left');
  });

  test('RTP before its CallEvent is held, then claimed whole; the offset commit waits for it', async () => {
    const e = engine();
    await rtpIn(e, stream(A, B, 1, T0 + S, 10, 0, 0, null));
    assert.equal(e.unclaimedStreams, 1);
    assert.equal(e.rtpCommitOffset(0, '999'), String(offset - 1), 'held stream holds the commit back');
    await e.onCallEvent(callEvent('c1', 'ANSWERED', 1, T0 + S, A, B), 0, 0);
    assert.equal(e.unclaimedStreams, 0);
    await e.onCallEvent(callEvent('c1', 'ENDED', 2, T0 + 2 * S, null, null), 0, 1);
    await rtpIn(e, watermark(T0 + 5 * S));
    await e.advance();
    const events = e.takeEvents();
    assert.deepEqual(kinds(events), ['LEG_STARTED caller', 'LEG_COMPLETED caller', 'CALL_COMPLETED']);
    assert.equal(events[1]?.stats?.packets, 10);
    assert.equal(e.rtpCommitOffset(0, '999'), '999', 'nothing open: commit all');
  });

  test('a call with no end is closed after the idle timeout without packets', async () => {
    const e = engine();
    await e.onCallEvent(callEvent('c1', 'ANSWERED', 1, T0, A, B), 0, 0);
    await rtpIn(e, stream(A, B, 1, T0, 5));
    await rtpIn(e, watermark(T0 + 29 * S));
    await e.advance();
    assert.deepEqual(kinds(e.takeEvents()), ['LEG_STARTED caller']);
    await rtpIn(e, watermark(T0 + 31 * S));
    await e.advance();
    const events = e.takeEvents();
    assert.deepEqual(kinds(events), ['LEG_COMPLETED caller', 'CALL_COMPLETED']);
    assert.equal(readRaw(readFileSync(join(dir, events[0]?.leg?.rawPath ?? ''))).trailer?.endReason, 'idle-timeout');
  });

  test('answered call with no RTP → FAILED "no RTP received"; busy call → nothing', async () => {
    const e = engine();
    await e.onCallEvent(callEvent('quiet', 'ANSWERED', 1, T0, A, B), 0, 0);
    await e.onCallEvent(callEvent('quiet', 'ENDED', 2, T0 + S, null, null), 0, 1);
    await e.onCallEvent(callEvent('busy', 'STARTED', 0, T0, { ip: '10.0.0.5', port: 1 }, null), 1, 0);
    await e.onCallEvent(callEvent('busy', 'FAILED', 1, T0 + S, null, null), 1, 1);
    await rtpIn(e, watermark(T0 + 10 * S));
    await e.advance();
    const events = e.takeEvents();
    assert.deepEqual(events.map((x) => [x.callId, x.kind, x.error]), [['quiet', 'FAILED', 'no RTP received']]);
  });

  test('an RTP stream no call claims → orphan FAILED once per media key; announced for an unknown call → not recorded, no event', async () => {
    const e = engine();
    await rtpIn(e, stream({ ip: '10.7.7.7', port: 7000 }, { ip: '10.8.8.8', port: 8000 }, 9, T0, 5, 0, 0, null));
    await rtpIn(e, stream({ ip: '10.8.8.8', port: 8000 }, { ip: '10.7.7.7', port: 7000 }, 10, T0 + 1000, 5, 0, 0, null));
    await rtpIn(e, stream({ ip: '10.9.9.9', port: 9000 }, { ip: '10.8.8.8', port: 8000 }, 11, T0, 5, 0, 0, 'never-announced'));
    await rtpIn(e, watermark(T0 + 4 * S));
    await e.advance();
    assert.deepEqual(e.takeEvents(), []);
    await rtpIn(e, watermark(T0 + 6 * S));
    await e.advance();
    const events = e.takeEvents();
    assert.deepEqual(events.map((x) => [x.callId, x.kind, x.error, x.captureTimeUs]), [
      ['orphan:10.7.7.7:7000|10.8.8.8:8000', 'FAILED', 'RTP stream with no call (udp 10.7.7.7:7000>10.8.8.8:8000 ssrc=00000009)', T0 + 5 * S],
    ]);
    assert.equal(e.counters.get('streams.not-recorded'), 1);
  });

  test('the clock waits for every owned partition\'s watermark', async () => {
    const e = engine(dir, [0, 1]);
    await e.onCallEvent(callEvent('c1', 'ANSWERED', 1, T0, A, B), 0, 0);
    await e.onCallEvent(callEvent('c1', 'ENDED', 2, T0 + S, null, null), 0, 1);
    await rtpIn(e, stream(A, B, 1, T0, 5), 0);
    await rtpIn(e, watermark(T0 + 10 * S), 0);
    await e.advance();
    assert.deepEqual(e.takeEvents(), [], 'partition 1 has not said how far it is');
    await rtpIn(e, watermark(T0 + 10 * S), 1);
    await e.advance();
    assert.deepEqual(kinds(e.takeEvents()), ['LEG_STARTED caller', 'LEG_COMPLETED caller', 'CALL_COMPLETED']);
  });

  test('deterministic: partitions read in a different interleaving give byte-identical files (re-INVITE leg spanning two partitions)', async () => {
    const B2: Ep = { ip: B.ip, port: 5100 };
    const run = async (order: 'a' | 'b'): Promise<string[]> => {
      const root = join(dir, order);
      const e = engine(root, [0, 1]);
      await e.onCallEvent(callEvent('c1', 'ANSWERED', 1, T0, A, B), 0, 0);
      await e.onCallEvent(callEvent('c1', 'MEDIA_UPDATED', 2, T0 + S, A, B2), 0, 1);
      await e.onCallEvent(callEvent('c1', 'ENDED', 3, T0 + 2 * S, null, null), 0, 2);
      const p0 = [stream(A, B, 1, T0, 50, 0), stream(B, A, 2, T0 + 5000, 50, 0), watermark(T0 + 5 * S)];
      const p1 = [stream(A, B2, 1, T0 + S, 50, 50), stream(B2, A, 2, T0 + S + 5000, 50, 50), watermark(T0 + 5 * S)];
      const seq: Array<[RtpBatch, number]> = order === 'a' ? [...p0.map((b) => [b, 0] as [RtpBatch, number]), ...p1.map((b) => [b, 1] as [RtpBatch, number])]
        : [...p1.map((b) => [b, 1] as [RtpBatch, number]), ...p0.map((b) => [b, 0] as [RtpBatch, number])];
      for (const [b, p] of seq) await rtpIn(e, b, p);
      await e.advance();
      const events = e.takeEvents();
      assert.deepEqual(kinds(events), ['LEG_STARTED caller', 'LEG_STARTED callee', 'LEG_COMPLETED callee', 'LEG_COMPLETED caller', 'CALL_COMPLETED']);
      assert.equal(events.find((x) => x.kind === 'LEG_COMPLETED' && x.leg?.legId === 'caller')?.stats?.outOfOrder, 0);
      return events.filter((x) => x.kind === 'LEG_COMPLETED').map((x) => x.leg?.rawSha256 ?? '');
    };
    assert.deepEqual(await run('a'), await run('b'));
  });

  test('a leg already completed by an earlier run is kept and announced again with the same figures', async () => {
    const feed = async (e: RecorderEngine, partial: boolean) => {
      await e.onCallEvent(callEvent('c1', 'ANSWERED', 1, T0, A, B), 0, 0);
      await e.onCallEvent(callEvent('c1', 'ENDED', 2, T0 + 2 * S, null, null), 0, 1);
      await rtpIn(e, partial ? stream(A, B, 1, T0 + S, 25, 50, 1) : stream(A, B, 1, T0, 75, 0));
      await rtpIn(e, watermark(T0 + 5 * S));
      await e.advance();
      return e.takeEvents().find((x) => x.kind === 'LEG_COMPLETED');
    };
    const first = await feed(engine(), false);
    const replay = await feed(engine(), true);
    assert.equal(replay?.leg?.rawSha256, first?.leg?.rawSha256);
    assert.deepEqual(replay?.stats, first?.stats);
    assert.equal(first?.stats?.packets, 75);
  });
});

describe('recorder engine: a reused address and SSRC belongs to the call that announced it last', () => {
  // sipp's SSRC is fixed and PBXs reuse port pools: call r2 uses r1's endpoints and SSRCs, and its
  // SDP (ANSWERED at +3.3 s) comes while r1 still lingers after its BYE (+3 s, linger 2 s).
  const R1_END = T0 + 3 * S;
  const R2_SDP = T0 + 3 * S + 300_000;
  const R2_END = T0 + 6 * S;
  /** 20 ms packets A→B (SSRC 1) and B→A (SSRC 2) from +1 s to +6 s with continuing sequence numbers, in batches of 10 (200 ms). */
  const batches = (hint: (t: number) => string | null): RtpBatch[] => {
    const out: RtpBatch[] = [];
    for (let i = 0; i < 250; i += 10) {
      for (const [from, to, ssrc, dt] of [[A, B, 1, 0], [B, A, 2, 3000]] as const) {
        const t = T0 + S + i * 20_000 + dt;
        const packets = Array.from({ length: 10 }, (_, k) => ({ t: t + k * 20_000, data: rtp({ seq: i + k, ts: 160 * (i + k), ssrc }) }));
        out.push(batch(from, to, ssrc, packets, i / 10, hint(t)));
      }
    }
    return out;
  };
  const callEvents = [
    callEvent('r1', 'ANSWERED', 1, T0 + S - 100_000, A, B), callEvent('r1', 'ENDED', 2, R1_END, null, null),
    callEvent('r2', 'ANSWERED', 1, R2_SDP, A, B), callEvent('r2', 'ENDED', 2, R2_END, null, null),
  ];
  const rtpTimes = (file: string): number[] => readRaw(readFileSync(join(dir, file))).records.flatMap((r) => (r.kind === 'rtp' ? [r.captureTimeUs] : []));

  const hints: Array<[string, (t: number) => string | null]> = [
    ['the collector names each call', (t) => (t < R2_SDP ? 'r1' : 'r2')],
    ['the collector missed r2\'s SIP and still names r1', () => 'r1'],
    ['no call ids (heuristic streams)', () => null],
  ];
  for (const [name, hint] of hints) {
    for (const order of ['events first', 'r2\'s events after its RTP'] as const) {
      test(`${name}, ${order}: each call gets exactly its own packets`, async () => {
        const e = engine();
        const rtpBatches = batches(hint);
        if (order === 'events first') {
          for (const [i, ev] of callEvents.entries()) await e.onCallEvent(ev, 0, i);
          for (const b of rtpBatches) await rtpIn(e, b);
        } else {
          for (const [i, ev] of callEvents.slice(0, 2).entries()) await e.onCallEvent(ev, 0, i);
          for (const b of rtpBatches) await rtpIn(e, b);
          await rtpIn(e, watermark(R1_END));
          await e.advance();
          for (const [i, ev] of callEvents.slice(2).entries()) await e.onCallEvent(ev, 0, 2 + i);
        }
        await rtpIn(e, watermark(T0 + 20 * S));
        await e.advance();
        const events = e.takeEvents();
        const done = (callId: string, legId: string) => events.find((x) => x.callId === callId && x.kind === 'LEG_COMPLETED' && x.leg?.legId === legId);
        const all = rtpBatches.flatMap((b) => b.packets.map((p) => p.captureTimeUs)).sort((a, b) => a - b);
        for (const legId of ['caller', 'callee']) {
          const r1 = done('r1', legId);
          const r2 = done('r2', legId);
          assert.ok(r1?.leg && r2?.leg, `${legId}: both calls recorded`);
          const t1 = rtpTimes(r1.leg.rawPath);
          const t2 = rtpTimes(r2.leg.rawPath);
          assert.ok(t1.length > 0 && t1.every((t) => t < R2_SDP), `r1 ${legId}: only before r2's SDP`);
          assert.ok(t2.length > 0 && t2.every((t) => t >= R2_SDP && t <= R2_END + 2 * S), `r2 ${legId}: only from r2's SDP on`);
          assert.equal(r1.stats?.packets, t1.length);
          assert.equal(r2.stats?.packets, t2.length);
        }
        const recorded = events.filter((x) => x.kind === 'LEG_COMPLETED').flatMap((x) => rtpTimes(x.leg?.rawPath ?? '')).sort((a, b) => a - b);
        assert.deepEqual(recorded, all, 'every packet recorded once, none twice');
        assert.deepEqual(events.filter((x) => x.kind === 'CALL_COMPLETED').map((x) => x.callId).sort(), ['r1', 'r2']);
        assert.equal(e.rtpCommitOffset(0, '999'), '999', 'nothing left open');
      });
    }
  }
});

describe('recorder engine: every entry runs alone, in call order', () => {
  const C: Ep = { ip: '10.0.0.3', port: 4100 };
  const D: Ep = { ip: '192.0.2.4', port: 5100 };
  /**
   * Two calls over two partitions as a consumer reads them: c1 (A↔B, +0..+3 s) on partition 0,
   * c2 (C↔D, +0.5..+5 s) on partition 1, batches of 10 packets, watermarks to both partitions each second.
   */
  const messages = (): Array<{ b: RtpBatch; partition: number; offset: number }> => {
    const out: Array<{ b: RtpBatch; t: number; partition: number }> = [];
    const add = (from: Ep, to: Ep, ssrc: number, partition: number, callId: string, t0: number, n: number): void => {
      for (let i = 0; i < n; i += 10) {
        const t = t0 + i * 20_000;
        out.push({ partition, t, b: batch(from, to, ssrc, Array.from({ length: 10 }, (_, k) => ({ t: t + k * 20_000, data: rtp({ seq: i + k, ts: 160 * (i + k), ssrc }) })), i / 10, callId) });
      }
    };
    add(A, B, 1, 0, 'c1', T0, 150);
    add(B, A, 2, 0, 'c1', T0 + 5000, 150);
    add(C, D, 3, 1, 'c2', T0 + S / 2, 220);
    add(D, C, 4, 1, 'c2', T0 + S / 2 + 5000, 220);
    for (let s = 1; s <= 12; s++) for (const p of [0, 1]) out.push({ partition: p, t: T0 + s * S - 1, b: watermark(T0 + s * S) });
    out.sort((x, y) => x.t - y.t);
    const next = new Map<number, number>();
    return out.map(({ b, partition }) => {
      const offset = next.get(partition) ?? 0;
      next.set(partition, offset + 1);
      return { b, partition, offset };
    });
  };
  const feedCalls = async (e: RecorderEngine): Promise<void> => {
    await e.onCallEvent(callEvent('c1', 'ANSWERED', 1, T0, A, B), 0, 0);
    await e.onCallEvent(callEvent('c1', 'ENDED', 2, T0 + 3 * S, null, null), 0, 1);
    await e.onCallEvent(callEvent('c2', 'ANSWERED', 1, T0 + S / 2, C, D), 1, 0);
    await e.onCallEvent(callEvent('c2', 'ENDED', 2, T0 + 5 * S, null, null), 1, 1);
  };
  const completed = (events: RecordingEvent[]) => events.filter((x) => x.kind !== 'LEG_STARTED')
    .map((x) => `${x.callId} ${x.kind} ${x.leg?.legId ?? ''} ${x.leg?.rawSha256 ?? ''} ${x.stats?.packets ?? ''}`).sort();

  test('a rebalance racing batches and advances loses, doubles and corrupts nothing: the files are those of a run without it', async () => {
    const msgs = messages();
    const reference = engine(join(dir, 'reference'), [0, 1]);
    await feedCalls(reference);
    for (const m of msgs) {
      await reference.onRtpBatch(m.b, m.partition, m.offset);
      await reference.advance();
    }
    const expected = completed(reference.takeEvents());
    assert.equal(expected.filter((x) => x.includes('LEG_COMPLETED')).length, 4);

    const e = engine(join(dir, 'rebalanced'), [0, 1]);
    await feedCalls(e);
    const committed = [0, 0];
    const events: RecordingEvent[] = [];
    // The consumer reads half, advancing and committing after each batch as ConsumerRunner does.
    const half = Math.floor(msgs.length / 2);
    for (const m of msgs.slice(0, half)) {
      await e.onRtpBatch(m.b, m.partition, m.offset);
      await e.advance();
      events.push(...e.takeEvents());
      committed[m.partition] = Number(e.rtpCommitOffset(m.partition, String(m.offset + 1)));
    }
    assert.ok(e.openCalls === 2, 'both calls open at the rebalance');
    // Now, without waiting for one another: call control's advance, the rebalance, the partitions
    // read again from their commits, each batch followed by an advance; and a commit asked mid-way.
    const inFlight: Array<Promise<void>> = [e.advance(), e.reassign([0, 1], [0, 1])];
    const commitsAsked: string[] = [];
    for (const m of msgs.filter((x) => x.offset >= (committed[x.partition] as number))) {
      inFlight.push(e.onRtpBatch(m.b, m.partition, m.offset), e.advance());
      if (m.offset === committed[m.partition]) commitsAsked.push(e.rtpCommitOffset(m.partition, String(m.offset + 1)));
    }
    await Promise.all(inFlight);
    await e.advance();
    events.push(...e.takeEvents());
    assert.deepEqual(completed(events), expected, 'each leg completed once, with the bytes of the run without rebalance');
    for (const c of commitsAsked) assert.ok(Number(c) <= Math.max(...committed), 'no commit past the dropped work');
    const leftovers = readdirSync(join(dir, 'rebalanced'), { recursive: true }).map(String).filter((f) => f.includes('.tmp-'));
    assert.deepEqual(leftovers, [], 'no temporary file left behind');
  });

  test('a commit asked between the drop and the re-read stays at the dropped work', async () => {
    const e = engine(dir, [0]);
    await e.onCallEvent(callEvent('c1', 'ANSWERED', 1, T0, A, B), 0, 0);
    await rtpIn(e, stream(A, B, 1, T0, 10), 0);
    const first = offset - 1;
    await rtpIn(e, stream(A, B, 1, T0 + 200_000, 10, 10, 1), 0);
    assert.equal(e.rtpCommitOffset(0, String(offset)), String(first));
    await e.reassign([0], [0]);
    assert.equal(e.rtpCommitOffset(0, String(offset)), String(first), 'the dropped leg still holds the commit back');
    await e.onRtpBatch(stream(A, B, 1, T0, 10), 0, first);
    assert.equal(e.rtpCommitOffset(0, String(first + 1)), String(first), 'read again: the rebuilt leg holds it');
  });
});

describe('recorder engine: whose RTP it reads', () => {
  test('named collectors only: another collector\'s watermark (a live capture on the same topics) neither moves the clock nor adds packets', async () => {
    const e = new RecorderEngine({
      store: new RawFileStore(dir), instanceId: 'rec-test', lingerMs: 500, idleTimeoutS: 30, orphanTimeoutS: 5, unclaimedMaxBytes: 1 << 20, rtpInstances: new Set(['test']),
    });
    await e.assign([0]);
    await e.onCallEvent(callEvent('c1', 'ANSWERED', 1, T0, A, B), 0, 0);
    await e.onCallEvent(callEvent('c1', 'ENDED', 2, T0 + S, null, null), 0, 1);
    const live = { ...watermark(T0 + 3600 * S), instanceId: 'rtp-collector@live' };
    await rtpIn(e, live);
    await rtpIn(e, { ...stream(A, B, 1, T0, 5), instanceId: 'rtp-collector@live' });
    await e.advance();
    assert.deepEqual(e.takeEvents(), [], 'the clock has not moved');
    await rtpIn(e, stream(A, B, 1, T0, 10));
    await rtpIn(e, watermark(T0 + 2 * S));
    await e.advance();
    const events = e.takeEvents();
    assert.deepEqual(kinds(events), ['LEG_STARTED caller', 'LEG_COMPLETED caller', 'CALL_COMPLETED']);
    assert.equal(events[1]?.stats?.packets, 10);
    assert.equal(e.counters.get('batches.other-collector'), 2);
  });
});

describe('recorder engine: concurrent calls on one shared endpoint', () => {
  test('sipp-style: two calls in progress send with the same SSRC to the same answerer port from their own ports; each gets its own stream', async () => {
    const U: Ep = { ip: '127.0.0.1', port: 6100 };
    const P1: Ep = { ip: '127.0.0.1', port: 17000 };
    const P2: Ep = { ip: '127.0.0.1', port: 17004 };
    const e = engine();
    await e.onCallEvent(callEvent('s1', 'ANSWERED', 1, T0, P1, U), 0, 0);
    await e.onCallEvent(callEvent('s2', 'ANSWERED', 1, T0 + 100_000, P2, U), 0, 1);
    for (let i = 0; i < 100; i += 10) {
      await rtpIn(e, stream(P1, U, 0xdee0ee8f, T0 + 20_000 + i * 20_000, 10, i, i / 10, null));
      await rtpIn(e, stream(P2, U, 0xdee0ee8f, T0 + 120_000 + i * 20_000, 10, i, i / 10, null));
    }
    await e.onCallEvent(callEvent('s1', 'ENDED', 2, T0 + 3 * S, null, null), 0, 2);
    await e.onCallEvent(callEvent('s2', 'ENDED', 2, T0 + 3 * S + 100_000, null, null), 0, 3);
    await rtpIn(e, watermark(T0 + 10 * S));
    await e.advance();
    const events = e.takeEvents();
    for (const [callId, from] of [['s1', '127.0.0.1:17000'], ['s2', '127.0.0.1:17004']] as const) {
      const done = events.find((x) => x.callId === callId && x.kind === 'LEG_COMPLETED');
      assert.equal(done?.leg?.source, from, callId);
      assert.equal(done?.stats?.packets, 100, `${callId}: its own 100 packets, none of the other's`);
    }
  });
});
