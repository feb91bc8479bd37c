import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { CaptureRecord, decodeFrame } from '@earshot/packet';
import { CaptureError, LiveCapture } from './index';

describe('LiveCapture', () => {
  test('captures UDP datagrams sent on the loopback interface', async () => {
    const port = 40000 + Math.floor(Math.random() * 20000);
    const capture = new LiveCapture({ interface: 'lo', filter: `udp and dst port ${port}`, snapLength: 2048, bufferSize: 1 << 20 });
    const records: CaptureRecord[] = [];
    const payloads = ['one', 'two', 'three'];
    const before = Date.now() / 1000;
    const got = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`saw ${records.length} of ${payloads.length} datagrams within 5 s`)), 5000);
      capture.on('record', (r) => {
        records.push(r);
        if (records.length === payloads.length) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    capture.start();
    const socket = createSocket('udp4');
    try {
      // cap attaches the filter before open() returns, so everything sent from here on is seen.
      for (const p of payloads) socket.send(p, port, '127.0.0.1');
      await got;
    } finally {
      socket.close();
      capture.stop();
    }
    assert.equal(capture.linkType, 1, 'Linux loopback is Ethernet-framed');
    const frames = records.map((r) => decodeFrame(r.linkType, r.data));
    assert.deepEqual(frames.map((f) => [f.src, f.dst, f.dstPort]), payloads.map(() => ['127.0.0.1', '127.0.0.1', port]));
    assert.deepEqual(frames.map((f) => Buffer.from(f.payload).toString()), payloads);
    const r0 = records[0];
    assert.ok(r0 && r0.tsSec + r0.tsNanos / 1e9 >= before - 1 && r0.tsNanos < 1e9);
    const stats = capture.stats();
    assert.ok(stats.packets >= 3);
    assert.equal(stats.kernelDrops, null);
  });

  test('options are validated with the field path', () => {
    assert.throws(
      () => new LiveCapture({ interface: 'lo', snapLength: 10 }),
      (e: unknown) => e instanceof CaptureError && e.reason === 'bad-option' && e.message === 'capture.snapLength must be an integer from 64 to 262144, got 10',
    );
    assert.throws(() => new LiveCapture({ interface: '' }), CaptureError);
  });

  test('an interface that does not exist fails to open with a clear error', () => {
    const capture = new LiveCapture({ interface: 'earshot-nope0' });
    assert.throws(() => capture.start(), (e: unknown) => e instanceof CaptureError && e.reason === 'open-failed' && /earshot-nope0/.test(e.message));
  });

  test('a bad BPF filter fails to open', () => {
    const capture = new LiveCapture({ interface: 'lo', filter: 'udp and and' });
    assert.throws(() => capture.start(), (e: unknown) => e instanceof CaptureError && e.reason === 'open-failed');
  });
});
