import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mediaKey } from '@earshot/rtp';
import type { MediaDescription } from '@earshot/events';
import { callMediaOf } from './live-call-audio';
import { LiveMonitor, type AudioSink } from './live-monitor';

const sink: AudioSink = { write: () => true, end: () => undefined, writableLength: 0 };
const audio = (address: string, port: number): MediaDescription => ({
  media: 'audio', address, port, rtcpPort: null, mode: 'SENDRECV', ptimeMs: 20,
  codecs: [{ payloadType: 0, name: 'PCMU', clockRate: 8000, channels: 1, fmtp: null }],
});

describe('LiveMonitor.mediaKeys: the keys the call\'s RTP is published under, so the tap reads their partitions', () => {
  test('the media key of the caller\'s and callee\'s SDP endpoints, as the collector keys its batches', () => {
    const m = new LiveMonitor(sink, { callId: 'c', delayMs: 300, media: callMediaOf([audio('10.0.0.9', 40000)], [audio('192.0.2.1', 50000)]) });
    assert.deepEqual(m.mediaKeys(), [mediaKey({ ip: '10.0.0.9', port: 40000 }, { ip: '192.0.2.1', port: 50000 })]);
    assert.equal(m.wantsKey(mediaKey({ ip: '192.0.2.1', port: 50000 }, { ip: '10.0.0.9', port: 40000 })), true);
  });

  test('IPv6 endpoints are written as the rtp lib writes them', () => {
    const m = new LiveMonitor(sink, { callId: 'c', delayMs: 300, media: callMediaOf([audio('2001:db8::1', 40000)], [audio('2001:DB8:0::2', 50000)]) });
    assert.deepEqual(m.mediaKeys(), [mediaKey({ ip: '2001:db8::1', port: 40000 }, { ip: '2001:db8::2', port: 50000 })]);
  });

  test('no SDP endpoints yet: null (every partition is read)', () => {
    const m = new LiveMonitor(sink, { callId: 'c', delayMs: 300, media: callMediaOf([], []) });
    assert.equal(m.mediaKeys(), null);
  });
});
