import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sampleEvents, TOPICS, type CallEvent, type RecordingEvent } from '@earshot/events';
import { buildRecordingManifest, callSettled, formatManifestTable } from './recording-manifest';

const base = sampleEvents();
const call = (over: Partial<CallEvent>): CallEvent => ({ ...base[TOPICS.callControl], ...over });
const rec = (over: Partial<RecordingEvent>): RecordingEvent => ({ ...base[TOPICS.recordings], ...over });

test('an answered, recorded call lists its legs and WAV; a busy one is not recorded; orphans are listed', () => {
  const events: CallEvent[] = [
    call({ callId: 'a', kind: 'ENDED', sequence: 2, eventId: 'a2', endedBy: 'CALLEE', captureTimeUs: 1_763_942_410_000_000 }),
    call({ callId: 'a', kind: 'STARTED', sequence: 0, eventId: 'a0', captureTimeUs: 1_763_942_400_000_000 }),
    call({ callId: 'a', kind: 'ANSWERED', sequence: 1, eventId: 'a1' }),
    call({ callId: 'a', kind: 'ANSWERED', sequence: 1, eventId: 'a1' }), // a duplicate delivery
    call({ callId: 'b', kind: 'STARTED', sequence: 0, eventId: 'b0', captureTimeUs: 1_763_942_401_000_000 }),
    call({ callId: 'b', kind: 'FAILED', sequence: 1, eventId: 'b1', failureStatus: 486, reason: 'Busy Here' }),
  ];
  const recordings: RecordingEvent[] = [
    rec({ callId: 'a', eventId: 'l1' }),
    rec({ callId: 'a', eventId: 'c1', kind: 'CONVERTED', leg: null, stats: null,
      conversion: { path: 'x/a.wav', format: 'wav/pcm16', channels: 2, sampleRate: 8000, durationMs: 9500, bytes: 304044, sha256: 'ab' } }),
    rec({ callId: 'orphan:10.0.0.9:7000|10.0.0.8:7002', eventId: 'o1', kind: 'FAILED', leg: null, stats: null, error: 'RTP stream with no call (udp ...)' }),
  ];
  const m = buildRecordingManifest('calls.pcap', events, recordings, (id) => `${id}.wav`);
  assert.equal(m.calls.length, 2);
  const [a, b] = m.calls;
  assert.equal(a?.callId, 'a');
  assert.equal(a?.outcome, 'answered, ended by callee');
  assert.equal(a?.recording, 'recorded');
  assert.equal(a?.legs.length, 1);
  assert.deepEqual(a?.legs[0] && { side: a.legs[0].side, packets: a.legs[0].packets, lost: a.legs[0].lost, ssrcs: a.legs[0].ssrcs, dtmf: a.legs[0].dtmf },
    { side: 'CALLER', packets: 2950, lost: 2, ssrcs: ['0x12345678'], dtmf: '5' });
  assert.deepEqual(a?.wav, { path: 'a.wav', durationMs: 9500, channels: 2, sampleRate: 8000, bytes: 304044, sha256: 'ab' });
  assert.equal(a?.start, '2025-11-24T00:00:00.000Z');
  assert.equal(a?.end, '2025-11-24T00:00:10.000Z');
  assert.equal(b?.recording, 'not-recorded');
  assert.equal(b?.outcome, 'failed 486 Busy Here');
  assert.ok(m.calls.every(callSettled));
  const busyAgain = buildRecordingManifest('f', [call({ callId: 'd', kind: 'FAILED', eventId: 'd1', failureStatus: 486, reason: '486 Busy Here' })], [], (id) => id);
  assert.equal(busyAgain.calls[0]?.outcome, 'failed 486 Busy Here');
  assert.deepEqual(m.orphanStreams, [{ stream: '10.0.0.9:7000|10.0.0.8:7002', error: 'RTP stream with no call (udp ...)' }]);
  const table = formatManifestTable(m);
  assert.match(table, /^call id/);
  assert.match(table, /a\s+sip:1001@pbx\.example\.com\s+sip:\+15551234567@pbx\.example\.com\s+outbound\s+00:00:00\.000\s+PCMU\s+caller:2950p\/2l\s+9\.50s/);
  assert.match(table, /orphan RTP stream 10\.0\.0\.9:7000\|10\.0\.0\.8:7002/);
});

test('an answered call with neither WAV nor failure is pending', () => {
  const m = buildRecordingManifest('f', [call({ callId: 'c', kind: 'ANSWERED', eventId: 'c1' })], [], (id) => id);
  const [pending] = m.calls;
  assert.ok(pending);
  assert.equal(pending.recording, 'pending');
  assert.equal(callSettled(pending), false);
});
