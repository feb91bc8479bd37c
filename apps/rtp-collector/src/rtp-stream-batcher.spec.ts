import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { END_OF_CAPTURE_US, RtpStreamBatcher, type OutgoingRtpBatch, type RtpStream } from './rtp-stream-batcher';

function setup(options: { maxPackets?: number; windowMs?: number; partitions?: number; maxBatchBytes?: number } = {}) {
  const out: OutgoingRtpBatch[] = [];
  const batcher = new RtpStreamBatcher({
    instanceId: 'i1', maxPackets: options.maxPackets ?? 50, windowMs: options.windowMs ?? 1000, partitions: options.partitions ?? 3,
    ...(options.maxBatchBytes === undefined ? {} : { maxBatchBytes: options.maxBatchBytes }), emit: (b) => out.push(b),
  });
  const stream = (srcPort: number, ssrc = 7): RtpStream =>
    batcher.createStream('RTP', { srcIp: '10.0.0.1', srcPort, dstIp: '10.0.0.2', dstPort: 5000, protocol: 'udp', ssrc }, `10.0.0.1:${srcPort}|10.0.0.2:5000`, 'call-1');
  const packet = (n: number): Buffer => Buffer.from([0x80, 0, 0, n, 0, 0, 0, 0, 0, 0, 0, 7, n]);
  const batches = (): OutgoingRtpBatch[] => out.filter((b) => b.value.watermarkUs === null);
  const watermarks = (): OutgoingRtpBatch[] => out.filter((b) => b.value.watermarkUs !== null);
  return { batcher, out, stream, packet, batches, watermarks };
}

describe('RtpStreamBatcher', () => {
  test('cuts a stream into batches of maxPackets, the rest at finish, numbered up from the first packet\'s capture time in ms', () => {
    const { batcher, stream, packet, batches } = setup({ maxPackets: 3 });
    const s = stream(4000);
    for (let i = 0; i < 7; i++) batcher.add(s, 1_000_000 + i * 20_000, packet(i));
    assert.deepEqual(batches().map((b) => b.value.packets.length), [3, 3]);
    batcher.finish();
    assert.deepEqual(batches().map((b) => [b.value.batchSequence, b.value.packets.length]), [[1000, 3], [1001, 3], [1002, 1]]);
    assert.deepEqual(batches().flatMap((b) => b.value.packets.map((p) => p.data[12])), [0, 1, 2, 3, 4, 5, 6]);
    assert.deepEqual(batches()[0]?.value.packets.map((p) => p.captureTimeUs), [1_000_000, 1_020_000, 1_040_000]);
    assert.equal(new Set(batches().map((b) => b.value.batchId)).size, 3);
    assert.ok(batches().every((b) => b.key === '10.0.0.1:4000|10.0.0.2:5000' && b.partition === undefined && b.value.callId === 'call-1'));
  });

  test('a batch spans less than windowMs of capture time: its own next packet starts a new one', () => {
    const { batcher, stream, packet, batches } = setup({ windowMs: 100 });
    const s = stream(4000);
    for (const t of [0, 50_000, 99_999, 100_000, 150_000]) batcher.add(s, 10_000_000 + t, packet(t % 251));
    batcher.finish();
    assert.deepEqual(batches().map((b) => b.value.packets.map((p) => p.captureTimeUs - 10_000_000)), [[0, 50_000, 99_999], [100_000, 150_000]]);
  });

  test("a packet of any stream flushes the batches whose window it shows has passed", () => {
    const { batcher, stream, packet, batches } = setup({ windowMs: 100 });
    const a = stream(4000);
    const b = stream(4002);
    batcher.add(a, 10_000_000, packet(1));
    batcher.add(b, 10_050_000, packet(2));
    assert.equal(batches().length, 0);
    batcher.add(b, 10_100_000, packet(3));
    assert.deepEqual(batches().map((x) => x.value.stream.sourcePort), [4000]);
    batcher.advance(10_150_000);
    assert.deepEqual(batches().map((x) => x.value.stream.sourcePort), [4000, 4002]);
  });

  test('a batch stays under maxBatchBytes', () => {
    const { batcher, stream, batches } = setup({ maxBatchBytes: 100 });
    const s = stream(4000);
    for (let i = 0; i < 5; i++) batcher.add(s, 1_000_000 + i, Buffer.alloc(40, 0x80));
    batcher.finish();
    assert.deepEqual(batches().map((b) => b.value.packets.length), [2, 2, 1]);
  });

  test('a new callId flushes the open batch, so a batch belongs to one call', () => {
    const { batcher, stream, packet, batches } = setup();
    const s = stream(4000);
    batcher.add(s, 1_000_000, packet(1));
    batcher.setCallId(s, 'call-2');
    batcher.add(s, 1_020_000, packet(2));
    batcher.finish();
    assert.deepEqual(batches().map((b) => [b.value.callId, b.value.batchSequence]), [['call-1', 1000], ['call-2', 1001]]);
  });

  test('a stream seen again (a restarted collector) numbers its batches above those it sent before', () => {
    const before = setup();
    const s1 = before.stream(4000);
    for (let i = 0; i < 200; i++) before.batcher.add(s1, 1_000_000 + i * 20_000, before.packet(i));
    before.batcher.finish();
    const last = Math.max(...before.batches().map((b) => b.value.batchSequence));
    const after = setup();
    const s2 = after.stream(4000);
    after.batcher.add(s2, 1_000_000 + 200 * 20_000, after.packet(0));
    after.batcher.finish();
    const first = after.batches()[0]?.value.batchSequence ?? -1;
    assert.ok(first > last, `${first} > ${last}`);
  });

  test('watermarks: every window of capture time to every partition, never ahead of an unpublished packet, and a final one', () => {
    const { batcher, out, stream, packet, watermarks } = setup({ windowMs: 100, partitions: 3, maxPackets: 4 });
    const streams = [stream(4000), stream(4002), stream(4004)];
    let t = 5_000_000;
    for (let i = 0; i < 200; i++) {
      t += 3_000 + ((i * 7919) % 11_000);
      batcher.add(streams[i % 3] as RtpStream, t, packet(i % 256));
    }
    batcher.finish();
    const marks = watermarks();
    assert.ok(marks.length >= 3 * 10, `${marks.length} watermarks`);
    assert.equal(marks.length % 3, 0);
    for (let i = 0; i < marks.length; i += 3) {
      const group = marks.slice(i, i + 3);
      assert.deepEqual(group.map((m) => m.partition), [0, 1, 2]);
      assert.ok(group.every((m) => m.key === 'watermark' && m.value.packets.length === 0 && m.value.stream.sourceAddress === '' && m.value.stream.ssrc === 0));
      assert.equal(new Set(group.map((m) => m.value.watermarkUs)).size, 1);
    }
    const times = marks.map((m) => m.value.watermarkUs ?? 0);
    assert.deepEqual(times, [...times].sort((x, y) => x - y), 'watermarks never go back');
    assert.equal(times.at(-1), t, 'the final watermark is the newest capture time');
    // Every packet at or before a watermark's time was emitted before that watermark.
    let published = -Infinity;
    const seenBefore: number[] = [];
    for (const m of out) {
      if (m.value.watermarkUs === null) {
        for (const p of m.value.packets) seenBefore.push(p.captureTimeUs);
        continue;
      }
      published = m.value.watermarkUs;
      assert.equal(
        seenBefore.filter((x) => x <= published).length,
        countAtOrBefore(published),
        `watermark ${published} came before a packet at or before it`,
      );
    }
    function countAtOrBefore(w: number): number {
      let n = 0;
      let u = 5_000_000;
      for (let i = 0; i < 200; i++) {
        u += 3_000 + ((i * 7919) % 11_000);
        if (u <= w) n++;
      }
      return n;
    }
  });

  test('the same packets give the same batches and ids', () => {
    const run = (): string[] => {
      const { batcher, out, stream, packet } = setup({ maxPackets: 5, windowMs: 50 });
      const s = [stream(4000), stream(4002, 9)];
      for (let i = 0; i < 60; i++) batcher.add(s[i % 2] as RtpStream, 1_000_000 + i * 7_000, packet(i));
      batcher.finish();
      return out.map((b) => `${b.value.batchId}:${b.partition}:${b.value.packets.length}`);
    };
    assert.deepEqual(run(), run());
  });
});

test('the end of a capture file sends END_OF_CAPTURE_US to every partition; a stop midway, the newest packet time', () => {
  for (const endOfCapture of [true, false]) {
    const { batcher, stream, packet, watermarks } = setup({ partitions: 3 });
    batcher.add(stream(4000), 5_000_000, packet(1));
    const before = watermarks().length;
    batcher.finish(endOfCapture);
    const final = watermarks().slice(before).map((w) => [w.partition, w.value.watermarkUs]);
    assert.deepEqual(final, [0, 1, 2].map((p) => [p, endOfCapture ? END_OF_CAPTURE_US : 5_000_000]));
  }
});
