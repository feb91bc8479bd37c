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
    e.onCallEvent(callEvent('c1', 'STARTED', 0, T0, A, null), 0, 0);
    e.onCallEvent(callEvent('c1', 'ANSWERED', 1, T0 + S, A, B), 0, 1);
    rtpIn(e, stream(A, B, 1, T0 + S, 50));
    rtpIn(e, stream(B, A, 2, T0 + S + 3000, 50));
    e.onCallEvent(callEvent('c1', 'ENDED', 2, T0 + 2 * S + 10_000, null, null), 0, 2);
    rtpIn(e, watermark(T0 + 3 * S));
    await e.advance();
    assert.deepEqual(kinds(e.takeEvents()), ['LEG_STARTED caller', 'LEG_STARTED callee'], 'end + 2 s linger not reached at +3 s');
    rtpIn(e, watermark(T0 + 4 * S + 10_000));
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
    rtpIn(e, stream(A, B, 1, T0 + S, 10, 0, 0, null));
    assert.equal(e.unclaimedStreams, 1);
    assert.equal(e.rtpCommitOffset(0, '999'), String(offset - 1), 'held stream holds the commit back');
    e.onCallEvent(callEvent('c1', 'ANSWERED', 1, T0 + S, A, B), 0, 0);
    assert.equal(e.unclaimedStreams, 0);
    e.onCallEvent(callEvent('c1', 'ENDED', 2, T0 + 2 * S, null, null), 0, 1);
    rtpIn(e, watermark(T0 + 5 * S));
    await e.advance();
    const events = e.takeEvents();
    assert.deepEqual(kinds(events), ['LEG_STARTED caller', 'LEG_COMPLETED caller', 'CALL_COMPLETED']);
    assert.equal(events[1]?.stats?.packets, 10);
    assert.equal(e.rtpCommitOffset(0, '999'), '999', 'nothing open: commit all');
  });

  test('a call with no end is closed after the idle timeout without packets', async () => {
    const e = engine();
    e.onCallEvent(callEvent('c1', 'ANSWERED', 1, T0, A, B), 0, 0);
    rtpIn(e, stream(A, B, 1, T0, 5));
    rtpIn(e, watermark(T0 + 29 * S));
    await e.advance();
    assert.deepEqual(kinds(e.takeEvents()), ['LEG_STARTED caller']);
    rtpIn(e, watermark(T0 + 31 * S));
    await e.advance();
    const events = e.takeEvents();
    assert.deepEqual(kinds(events), ['LEG_COMPLETED caller', 'CALL_COMPLETED']);
    assert.equal(readRaw(readFileSync(join(dir, events[0]?.leg?.rawPath ?? ''))).trailer?.endReason, 'idle-timeout');
  });

  test('answered call with no RTP → FAILED "no RTP received"; busy call → nothing', async () => {
    const e = engine();
    e.onCallEvent(callEvent('quiet', 'ANSWERED', 1, T0, A, B), 0, 0);
    e.onCallEvent(callEvent('quiet', 'ENDED', 2, T0 + S, null, null), 0, 1);
    e.onCallEvent(callEvent('busy', 'STARTED', 0, T0, { ip: '10.0.0.5', port: 1 }, null), 1, 0);
    e.onCallEvent(callEvent('busy', 'FAILED', 1, T0 + S, null, null), 1, 1);
    rtpIn(e, watermark(T0 + 10 * S));
    await e.advance();
    const events = e.takeEvents();
    assert.deepEqual(events.map((x) => [x.callId, x.kind, x.error]), [['quiet', 'FAILED', 'no RTP received']]);
  });

  test('an RTP stream no call claims → orphan FAILED once per media key; announced for an unknown call → not recorded, no event', async () => {
    const e = engine();
    rtpIn(e, stream({ ip: '10.7.7.7', port: 7000 }, { ip: '10.8.8.8', port: 8000 }, 9, T0, 5, 0, 0, null));
    rtpIn(e, stream({ ip: '10.8.8.8', port: 8000 }, { ip: '10.7.7.7', port: 7000 }, 10, T0 + 1000, 5, 0, 0, null));
    rtpIn(e, stream({ ip: '10.9.9.9', port: 9000 }, { ip: '10.8.8.8', port: 8000 }, 11, T0, 5, 0, 0, 'never-announced'));
    rtpIn(e, watermark(T0 + 4 * S));
    await e.advance();
    assert.deepEqual(e.takeEvents(), []);
    rtpIn(e, watermark(T0 + 6 * S));
    await e.advance();
    const events = e.takeEvents();
    assert.deepEqual(events.map((x) => [x.callId, x.kind, x.error, x.captureTimeUs]), [
      ['orphan:10.7.7.7:7000|10.8.8.8:8000', 'FAILED', 'RTP stream with no call (udp 10.7.7.7:7000>10.8.8.8:8000 ssrc=00000009)', T0 + 5 * S],
    ]);
    assert.equal(e.counters.get('streams.not-recorded'), 1);
  });

  test('the clock waits for every owned partition\'s watermark', async () => {
    const e = engine(dir, [0, 1]);
    e.onCallEvent(callEvent('c1', 'ANSWERED', 1, T0, A, B), 0, 0);
    e.onCallEvent(callEvent('c1', 'ENDED', 2, T0 + S, null, null), 0, 1);
    rtpIn(e, stream(A, B, 1, T0, 5), 0);
    rtpIn(e, watermark(T0 + 10 * S), 0);
    await e.advance();
    assert.deepEqual(e.takeEvents(), [], 'partition 1 has not said how far it is');
    rtpIn(e, watermark(T0 + 10 * S), 1);
    await e.advance();
    assert.deepEqual(kinds(e.takeEvents()), ['LEG_STARTED caller', 'LEG_COMPLETED caller', 'CALL_COMPLETED']);
  });

  test('deterministic: partitions read in a different interleaving give byte-identical files (re-INVITE leg spanning two partitions)', async () => {
    const B2: Ep = { ip: B.ip, port: 5100 };
    const run = async (order: 'a' | 'b'): Promise<string[]> => {
      const root = join(dir, order);
      const e = engine(root, [0, 1]);
      e.onCallEvent(callEvent('c1', 'ANSWERED', 1, T0, A, B), 0, 0);
      e.onCallEvent(callEvent('c1', 'MEDIA_UPDATED', 2, T0 + S, A, B2), 0, 1);
      e.onCallEvent(callEvent('c1', 'ENDED', 3, T0 + 2 * S, null, null), 0, 2);
      const p0 = [stream(A, B, 1, T0, 50, 0), stream(B, A, 2, T0 + 5000, 50, 0), watermark(T0 + 5 * S)];
      const p1 = [stream(A, B2, 1, T0 + S, 50, 50), stream(B2, A, 2, T0 + S + 5000, 50, 50), watermark(T0 + 5 * S)];
      const seq: Array<[RtpBatch, number]> = order === 'a' ? [...p0.map((b) => [b, 0] as [RtpBatch, number]), ...p1.map((b) => [b, 1] as [RtpBatch, number])]
        : [...p1.map((b) => [b, 1] as [RtpBatch, number]), ...p0.map((b) => [b, 0] as [RtpBatch, number])];
      for (const [b, p] of seq) rtpIn(e, b, p);
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
      e.onCallEvent(callEvent('c1', 'ANSWERED', 1, T0, A, B), 0, 0);
      e.onCallEvent(callEvent('c1', 'ENDED', 2, T0 + 2 * S, null, null), 0, 1);
      rtpIn(e, partial ? stream(A, B, 1, T0 + S, 25, 50, 1) : stream(A, B, 1, T0, 75, 0));
      rtpIn(e, watermark(T0 + 5 * S));
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
