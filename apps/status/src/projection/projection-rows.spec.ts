import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sampleEvents, type CallEvent, type RecordingEvent } from '@earshot/events';
import {
  applyCallEvent, auditRow, legRow, ProjectionRejectedError, recordingRow, serviceConfigRow, serviceInstanceRow, timelineRow, userRow, voiceCodecs,
  type CallRow,
} from './projection-rows';

const T0 = 1_763_942_400_000_000; // µs

/** One call's events as call control would send them: STARTED, ANSWERED, MEDIA_UPDATED (hold), ENDED. */
function callEvents(): CallEvent[] {
  const base = sampleEvents()['qm.call-control.v1'];
  const step = (kind: CallEvent['kind'], sequence: number, atS: number, extra: Partial<CallEvent> = {}): CallEvent => ({
    ...base, eventId: `e${sequence}`, kind, sequence, captureTimeUs: T0 + atS * 1_000_000, ...extra,
  });
  const held = base.calleeMedia.map((m) => ({ ...m, mode: 'SENDONLY' as const, codecs: [{ payloadType: 8, name: 'PCMA', clockRate: 8000, channels: 1, fmtp: null }] }));
  return [
    step('STARTED', 0, 0, { calleeMedia: [], callee: { ...base.callee, tag: null } }),
    step('ANSWERED', 1, 2.5),
    step('MEDIA_UPDATED', 2, 30, { calleeMedia: held }),
    step('ENDED', 3, 62, { endedBy: 'CALLEE', reason: 'Normal call clearing', calleeMedia: held }),
  ];
}

function fold(events: readonly CallEvent[]): CallRow {
  let row: CallRow | null = null;
  for (const e of events) row = applyCallEvent(row, e);
  assert.ok(row);
  return row;
}

function permutations<T>(xs: readonly T[]): T[][] {
  if (xs.length <= 1) return [[...xs]];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((rest) => [x, ...rest]));
}

describe('calls row from CallEvents', () => {
  test('a call seen from INVITE to BYE: ended, talk time from answer to end, parties and media from the last event', () => {
    const row = fold(callEvents());
    assert.equal(row.state, 'ended');
    assert.equal(row.startedAt.toISOString(), '2025-11-24T00:00:00.000Z');
    assert.equal(row.answeredAt?.toISOString(), '2025-11-24T00:00:02.500Z');
    assert.equal(row.endedAt?.toISOString(), '2025-11-24T00:01:02.000Z');
    assert.equal(row.durationMs, 59_500);
    assert.equal(row.endedBy, 'CALLEE');
    assert.equal(row.reason, 'Normal call clearing');
    assert.equal(row.lastSequence, 3);
    assert.equal(row.calleeMedia[0]?.mode, 'SENDONLY');
    assert.equal(row.calleeAsserted, 'sip:+15551234567@carrier.example.net');
    assert.deepEqual(row.codecs, ['PCMA', 'PCMU'], 'every voice codec negotiated, without telephone-event');
  });

  test('the row after the call is the same whatever order its events arrive in (an older event never regresses it)', () => {
    const expected = fold(callEvents());
    for (const order of permutations(callEvents())) {
      assert.deepEqual(fold(order), expected, `order ${order.map((e) => e.kind).join(',')}`);
    }
  });

  test('states as the call goes: ringing, answered, then still answered on a re-INVITE', () => {
    const [started, answered, updated] = callEvents();
    assert.ok(started && answered && updated);
    const r0 = applyCallEvent(null, started);
    assert.deepEqual([r0.state, r0.answeredAt, r0.endedAt, r0.durationMs], ['ringing', null, null, null]);
    const r1 = applyCallEvent(r0, answered);
    assert.equal(r1.state, 'answered');
    assert.equal(applyCallEvent(r1, updated).state, 'answered');
  });

  test('a rejected call: failed with its SIP status, no talk time', () => {
    const [started] = callEvents();
    assert.ok(started);
    const failed: CallEvent = { ...started, eventId: 'f', kind: 'FAILED', sequence: 1, captureTimeUs: T0 + 4_000_000, failureStatus: 486, reason: 'Busy Here' };
    const row = applyCallEvent(applyCallEvent(null, started), failed);
    assert.deepEqual([row.state, row.failureStatus, row.reason, row.durationMs], ['failed', 486, 'Busy Here', null]);
    assert.equal(row.endedAt?.toISOString(), '2025-11-24T00:00:04.000Z');
  });

  test('a late STARTED after ENDED only fills in the start time', () => {
    const events = callEvents();
    const started = events[0];
    assert.ok(started);
    const withoutStart = fold(events.slice(1));
    assert.equal(withoutStart.startedAt.toISOString(), '2025-11-24T00:00:02.500Z', 'until STARTED arrives, the earliest event seen');
    const row = applyCallEvent(withoutStart, started);
    assert.equal(row.startedAt.toISOString(), '2025-11-24T00:00:00.000Z');
    assert.equal(row.state, 'ended');
    assert.equal(row.lastSequence, 3);
  });

  test('quirks refused: a capture time beyond year 9999, a negative sequence', () => {
    const [started] = callEvents();
    assert.ok(started);
    assert.throws(() => applyCallEvent(null, { ...started, captureTimeUs: 9e18 }), (e: unknown) => e instanceof ProjectionRejectedError && e.reason === 'projection-time-out-of-range');
    assert.throws(() => applyCallEvent(null, { ...started, sequence: -1 }), (e: unknown) => e instanceof ProjectionRejectedError && e.reason === 'projection-bad-sequence');
  });

  test('voice codecs: audio m-lines that are enabled, no DTMF or comfort noise, each once', () => {
    const m = sampleEvents()['qm.call-control.v1'].callerMedia;
    assert.deepEqual(voiceCodecs(m), ['PCMU']);
    const base = m[0];
    assert.ok(base);
    assert.deepEqual(voiceCodecs([{ ...base, port: 0 }]), []);
    assert.deepEqual(voiceCodecs([{ ...base, media: 'video' }]), []);
    assert.deepEqual(voiceCodecs([base, { ...base, codecs: [{ payloadType: 13, name: 'CN', clockRate: 8000, channels: 1, fmtp: null }, { payloadType: 9, name: 'G722', clockRate: 8000, channels: 1, fmtp: null }] }]), ['PCMU', 'G722']);
  });
});

describe('timeline, legs and recordings from RecordingEvents', () => {
  const rec = (): RecordingEvent => sampleEvents()['qm.recordings.v1'];

  test('timeline row: the event in columns, the rest in detail', () => {
    const t = timelineRow('qm.recordings.v1', rec());
    assert.deepEqual([t.eventId, t.callId, t.kind, t.instanceId, t.captureTime.toISOString()],
      ['0ddba11c0ddba11c0ddba11c0ddba11c', 'a84b4c76e66710@pc33.example.com', 'LEG_COMPLETED', 'recorder@host-1', '2025-11-24T00:01:05.000Z']);
    assert.deepEqual(Object.keys(t.detail).sort(), ['captureTimeUs', 'conversion', 'error', 'leg', 'stats']);
  });

  test('LEG_COMPLETED: a completed leg with its quality figures', () => {
    const l = legRow(rec());
    assert.deepEqual([l.state, l.legId, l.side, l.packets, l.lost, l.outOfOrder, l.jitterMs, l.maxJitterMs, l.ssrcs, l.recorderInstance],
      ['completed', 'caller', 'CALLER', 2950, 2, 1, 1.25, 4.5, [305419896], 'recorder@host-1']);
    assert.equal(l.firstPacketAt.toISOString(), '2025-11-24T00:00:03.000Z');
    assert.equal(l.dtmf.length, 1);
  });

  test('LEG_STARTED: a leg still recording, no figures yet', () => {
    const l = legRow({ ...rec(), kind: 'LEG_STARTED', stats: null });
    assert.deepEqual([l.state, l.packets, l.jitterMs, l.dtmf], ['recording', null, null, []]);
  });

  test('recordings: CALL_COMPLETED, CONVERTED with the WAV, FAILED with the error', () => {
    assert.equal(recordingRow({ ...rec(), kind: 'CALL_COMPLETED', leg: null, stats: null }).state, 'completed');
    const conversion = { path: '2025/11/24/x/x.wav', format: 'wav/pcm16', channels: 2, sampleRate: 8000, durationMs: 59_000, bytes: 1_888_044, sha256: 'ab'.repeat(32) };
    const c = recordingRow({ ...rec(), kind: 'CONVERTED', leg: null, stats: null, conversion, instanceId: 'converter@h' });
    assert.deepEqual([c.state, c.path, c.channels, c.bytes, c.converterInstance], ['converted', conversion.path, 2, 1_888_044, 'converter@h']);
    const f = recordingRow({ ...rec(), kind: 'FAILED', leg: null, stats: null, error: 'no RTP received' });
    assert.deepEqual([f.state, f.error], ['failed', 'no RTP received']);
  });

  test('refused: a leg event without its leg, CONVERTED without its conversion', () => {
    assert.throws(() => legRow({ ...rec(), leg: null }), (e: unknown) => e instanceof ProjectionRejectedError && e.reason === 'projection-missing-leg');
    assert.throws(() => recordingRow({ ...rec(), kind: 'CONVERTED', conversion: null }), (e: unknown) => e instanceof ProjectionRejectedError && e.reason === 'projection-missing-conversion');
  });
});

describe('directory, configuration, services and audit rows', () => {
  test('user: one device per IP (the last description wins), recording rule', () => {
    const d = sampleEvents()['qm.directory.v1'];
    const u = userRow('alice', { ...d, devices: [...d.devices, { ip: '10.0.0.12', description: null }, { ip: '10.0.0.11', description: 'desk 14' }] });
    assert.deepEqual(u.devices, [{ ip: '10.0.0.11', description: 'desk 14' }, { ip: '10.0.0.12', description: null }]);
    assert.deepEqual([u.recordingMode, u.recordingPercentage, u.team, u.updatedAt.toISOString()], ['ALWAYS', 100, 'support', '2025-11-24T00:00:00.000Z']);
  });

  test('refused: a key naming someone else, a percentage beyond 100', () => {
    const d = sampleEvents()['qm.directory.v1'];
    assert.throws(() => userRow('bob', d), (e: unknown) => e instanceof ProjectionRejectedError && e.reason === 'projection-key-mismatch');
    assert.throws(() => userRow('alice', { ...d, recording: { mode: 'PERCENTAGE', percentage: 101 } }), (e: unknown) => e instanceof ProjectionRejectedError && e.reason === 'projection-bad-percentage');
    assert.throws(() => serviceConfigRow('recorder', sampleEvents()['qm.config.v1']), ProjectionRejectedError);
    assert.throws(() => serviceInstanceRow('other', sampleEvents()['qm.services.v1']), ProjectionRejectedError);
  });

  test('service config kept whole; heartbeat with counters and assignments; audit entry', () => {
    const c = serviceConfigRow('call-control', sampleEvents()['qm.config.v1']);
    assert.deepEqual([c.revision, c.config.captureFilter], [3, 'udp port 5060 or tcp port 5060']);
    const s = serviceInstanceRow(null, sampleEvents()['qm.services.v1']);
    assert.deepEqual([s.state, s.lag, s.counters['packets.written'], s.assignments, s.lastHeartbeatAt.toISOString()],
      ['RUNNING', 12, 123456, ['qm.rtp.v1[0]', 'qm.rtp.v1[3]'], '2025-11-24T00:00:00.000Z']);
    const a = auditRow(sampleEvents()['qm.audit.v1']);
    assert.deepEqual([a.userId, a.action, a.detail, a.at.toISOString()], ['sam', 'PLAY', 'bytes=0-', '2025-11-24T00:01:40.000Z']);
  });
});
