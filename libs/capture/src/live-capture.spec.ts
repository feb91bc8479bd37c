import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createSocket, Socket } from 'node:dgram';
import { join } from 'node:path';
import { CaptureRecord, decodeFrame } from '@earshot/packet';
import { CaptureError, LiveCapture } from './index';

/** A port of this test's own, so parallel test files never see each other's packets. */
function freshPort(): number {
  return 20000 + Math.floor(Math.random() * 40000);
}

async function boundSocket(): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return socket;
}

/** Resolves once `count` records were seen (rejecting after 5 s with how many were). */
function awaitRecords(capture: LiveCapture, count: number): { records: CaptureRecord[]; done: Promise<void> } {
  const records: CaptureRecord[] = [];
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`saw ${records.length} of ${count} datagrams within 5 s`)), 5000);
    capture.on('record', (r) => {
      records.push(r);
      if (records.length === count) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return { records, done };
}

/**
 * Sends `count` datagrams in one burst: dgram queues them for the next tick (after the address
 * look-up) and then sends them all in a row, the event loop held for as long as that lasts.
 */
function blastSynchronously(socket: Socket, port: number, count: number, size: number): void {
  const payload = Buffer.alloc(size, 0x55);
  for (let i = 0; i < count; i++) socket.send(payload, port, '127.0.0.1');
}

function stallFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // The event loop is held here, as by a long garbage collection or a slow batch.
  }
}

/**
 * Starts `capture`, sends `sent` 200-byte datagrams to `port` at once, stalls the event loop for
 * `stallMs` (nothing is read meanwhile), lets the capture drain, and stops it; returns the packets
 * that reached JavaScript.
 */
async function blastWithStall(capture: LiveCapture, port: number, sent: number, stallMs: number): Promise<number> {
  let received = 0;
  capture.on('batch', (b) => (received += b.length));
  capture.start();
  const socket = await boundSocket();
  try {
    blastSynchronously(socket, port, sent, 200);
    stallFor(stallMs);
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    socket.close();
    capture.stop();
  }
  return received;
}

describe('LiveCapture', () => {
  test('captures UDP datagrams on the loopback interface with the kernel time, lengths and payload', async () => {
    const port = freshPort();
    const capture = new LiveCapture({ interface: 'lo', filter: `udp and dst port ${port}`, snapLength: 2048, bufferSize: 1 << 20 });
    const payloads = ['one', 'two', 'three', 'x'.repeat(1000)];
    const { records, done } = awaitRecords(capture, payloads.length);
    const batches: number[] = [];
    capture.on('batch', (b) => batches.push(b.length));
    capture.start();
    const socket = await boundSocket();
    const sentAt: number[] = [];
    try {
      // The filter is attached before start() returns, so everything sent from here on is seen.
      for (const p of payloads) {
        sentAt.push(Date.now() / 1000);
        socket.send(p, port, '127.0.0.1');
        await new Promise((r) => setTimeout(r, 20));
      }
      await done;
    } finally {
      socket.close();
      capture.stop();
    }
    assert.equal(capture.linkType, 1, 'Linux loopback is Ethernet-framed');
    const frames = records.map((r) => decodeFrame(r.linkType, r.data));
    assert.deepEqual(frames.map((f) => [f.src, f.dst, f.dstPort]), payloads.map(() => ['127.0.0.1', '127.0.0.1', port]));
    assert.deepEqual(frames.map((f) => Buffer.from(f.payload).toString()), payloads);
    // Ethernet 14 + IPv4 20 + UDP 8 + payload, whole.
    assert.deepEqual(records.map((r) => [r.capturedLength, r.originalLength, r.data.length]), payloads.map((p) => [42 + p.length, 42 + p.length, 42 + p.length]));
    const times = records.map((r) => r.tsSec + r.tsNanos / 1e9);
    times.forEach((t, i) => assert.ok(Math.abs(t - (sentAt[i] as number)) < 1, `packet ${i} stamped ${t}, sent at ${sentAt[i]}`));
    for (let i = 1; i < times.length; i++) assert.ok((times[i] as number) > (times[i - 1] as number), 'kernel times increase');
    assert.ok(records.every((r) => Number.isInteger(r.tsNanos) && r.tsNanos >= 0 && r.tsNanos < 1e9));
    assert.equal(batches.reduce((a, b) => a + b, 0), payloads.length, 'batch and record listeners see the same records');
    const stats = capture.stats();
    assert.deepEqual([stats.packets, stats.truncated, stats.kernelDrops, stats.queueDrops], [payloads.length, 0, 0, 0]);
    assert.equal(stats.bytes, records.reduce((a, r) => a + r.capturedLength, 0));
  });

  test('a packet longer than the snap length is cut and keeps its original length', async () => {
    const port = freshPort();
    const capture = new LiveCapture({ interface: 'lo', filter: `udp and dst port ${port}`, snapLength: 64, bufferSize: 1 << 20 });
    const { records, done } = awaitRecords(capture, 1);
    capture.start();
    const socket = await boundSocket();
    try {
      socket.send(Buffer.alloc(500, 7), port, '127.0.0.1');
      await done;
    } finally {
      socket.close();
      capture.stop();
    }
    assert.deepEqual([records[0]?.capturedLength, records[0]?.originalLength, records[0]?.data.length], [64, 542, 64]);
    assert.equal(capture.stats().truncated, 1);
  });

  test('stop() emits what was read before it and nothing after; start() again captures anew', async () => {
    const port = freshPort();
    // 512-byte frames: 8 MiB of ring holds every packet of each blast.
    const capture = new LiveCapture({ interface: 'lo', filter: `udp and dst port ${port}`, snapLength: 512, bufferSize: 8 << 20 });
    let seen = 0;
    capture.on('batch', (b) => (seen += b.length));
    const socket = await boundSocket();
    try {
      capture.start();
      blastSynchronously(socket, port, 500, 200);
      // dgram sends once the address is looked up (next tick): past one turn of the loop all 500
      // reached the kernel, and stop() hands over the ring's last block before it returns.
      await new Promise((r) => setImmediate(r));
      capture.stop();
      assert.equal(seen, 500);
      blastSynchronously(socket, port, 100, 200);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(seen, 500, 'nothing is emitted while stopped');
      capture.start();
      blastSynchronously(socket, port, 300, 200);
      await new Promise((r) => setTimeout(r, 200));
      capture.stop();
      assert.equal(seen, 800);
      assert.deepEqual([capture.stats().packets, capture.stats().kernelDrops], [800, 0], 'stats add up over starts');
    } finally {
      socket.close();
      capture.stop();
    }
  });

  test('a tiny kernel buffer under a blast reports its kernel drops, and everything sent is received or counted', async () => {
    const port = freshPort();
    const capture = new LiveCapture({ interface: 'lo', filter: `udp and dst port ${port}`, bufferSize: 65536 });
    const sent = 40_000;
    const received = await blastWithStall(capture, port, sent, 200);
    const stats = capture.stats();
    assert.ok(stats.kernelDrops > 0, `kernel drops reported: ${JSON.stringify(stats)}`);
    assert.equal(stats.packets, received);
    assert.ok(received + stats.kernelDrops <= sent, `received ${received} + dropped ${stats.kernelDrops} of ${sent} sent`);
    // Whatever the loopback itself lost (its backlog) aside, nearly all of it is accounted for.
    assert.ok(received + stats.kernelDrops > sent * 0.9, `received ${received} + dropped ${stats.kernelDrops} of ${sent} sent`);
  });

  test('a JavaScript stall longer than the queue holds drops whole chunks and counts them in queueDrops', async () => {
    const port = freshPort();
    // 1 MiB of queue holds about 4,000 packets of 200 bytes; the stall lasts while 40,000 arrive.
    const capture = new LiveCapture({ interface: 'lo', filter: `udp and dst port ${port}`, snapLength: 256, bufferSize: 64 << 20, queueSize: 1 << 20, chunkSize: 64 * 1024 });
    const sent = 40_000;
    const received = await blastWithStall(capture, port, sent, 300);
    const stats = capture.stats();
    assert.ok(stats.queueDrops > 0, `queue drops reported: ${JSON.stringify(stats)}`);
    assert.ok(received < sent - stats.queueDrops + 1);
    assert.ok(received + stats.queueDrops + stats.kernelDrops > sent * 0.9, `received ${received}, dropped ${JSON.stringify(stats)} of ${sent} sent`);
  });

  test('options are validated with the field path', () => {
    assert.throws(
      () => new LiveCapture({ interface: 'lo', snapLength: 10 }),
      (e: unknown) => e instanceof CaptureError && e.reason === 'bad-option' && e.message === 'capture.snapLength must be an integer from 64 to 262144, got 10',
    );
    assert.throws(
      () => new LiveCapture({ interface: 'lo', bufferSize: 1000 }),
      (e: unknown) => e instanceof CaptureError && e.reason === 'bad-option' && /^capture\.bufferSize must be an integer from 65536/.test(e.message),
    );
    assert.throws(() => new LiveCapture({ interface: 'lo', queueSize: 0.5 }), (e: unknown) => e instanceof CaptureError && e.reason === 'bad-option');
    assert.throws(
      () => new LiveCapture({ interface: 'lo', queueSize: 1 << 20, chunkSize: 2 << 20 }),
      (e: unknown) => e instanceof CaptureError && e.message === 'capture.chunkSize (2097152) must not exceed capture.queueSize (1048576)',
    );
    assert.throws(() => new LiveCapture({ interface: '' }), CaptureError);
  });

  test('an interface that does not exist fails to open with libpcap\'s message', () => {
    const capture = new LiveCapture({ interface: 'earshot-nope0', bufferSize: 1 << 20 });
    assert.throws(
      () => capture.start(),
      (e: unknown) => e instanceof CaptureError && e.reason === 'open-failed' && e.message === 'cannot capture on earshot-nope0: earshot-nope0: No such device exists (No such device exists)',
    );
    assert.equal(capture.running, false);
  });

  test('a bad BPF filter fails to open with the parser\'s message', () => {
    const capture = new LiveCapture({ interface: 'lo', filter: 'udp and and', bufferSize: 1 << 20 });
    assert.throws(
      () => capture.start(),
      (e: unknown) => e instanceof CaptureError && e.reason === 'open-failed' && /^cannot capture on lo: lo: bad filter: .*syntax error/.test(e.message),
    );
  });

  test('a process capturing under traffic exits cleanly, stopped or not', () => {
    // In a child: capture while blasting, stop, start again, then exit with the capture running.
    const script = `
      const { LiveCapture } = require(${JSON.stringify(join(__dirname, 'index.ts'))});
      const dgram = require('node:dgram');
      const port = ${freshPort()};
      const capture = new LiveCapture({ interface: 'lo', filter: 'udp and dst port ' + port, bufferSize: 1 << 20 });
      let seen = 0;
      capture.on('batch', (b) => (seen += b.length));
      const s = dgram.createSocket('udp4');
      s.bind(0, '127.0.0.1', async () => {
        const blast = () => { for (let i = 0; i < 2000; i++) s.send(Buffer.alloc(200), port, '127.0.0.1'); };
        capture.start(); blast(); await new Promise((r) => setTimeout(r, 100));
        capture.stop(); capture.start(); blast();
        setTimeout(() => { blast(); console.log('seen', seen); process.exit(seen > 0 ? 0 : 3); }, 100);
      });
    `;
    for (let run = 0; run < 2; run++) {
      const r = spawnSync(process.execPath, ['-r', '@swc-node/register', '-e', script], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(r.signal, null, `run ${run} died of ${r.signal}: ${r.stderr}`);
      assert.equal(r.status, 0, `run ${run} exited ${r.status}: ${r.stdout} ${r.stderr}`);
    }
  });
});
