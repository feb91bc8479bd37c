import { test } from 'node:test';
import assert from 'node:assert/strict';
import { captureDropsOf, formatSummary } from './live-summary';
import { formatRunState, type RunState } from './run-state';

test('capture drops: every capture.* counter naming a drop, whatever the capture reports', () => {
  assert.equal(captureDropsOf({ 'capture.kernelDrops': 3, 'capture.ifDrops': 1, 'capture.queueDrops': 2, 'capture.truncated': 9, 'dropped.unannounced': 50, packets: 10 }), 6);
  assert.equal(captureDropsOf({}), 0);
});

test('the summary line says calls, packets/s and drops, and which drops', () => {
  const base = { callsInProgress: 12, callsEnded: 40, callsRecorded: 30, recordingsFailed: 0, packetsPerSecond: 1204.4, captureDrops: 0, backpressureDrops: 0 };
  assert.equal(formatSummary(base), 'calls 12 in progress · 30 recorded · 1,204 packets/s · drops 0');
  assert.equal(formatSummary({ ...base, recordingsFailed: 2, captureDrops: 5, backpressureDrops: 1 }),
    'calls 12 in progress · 30 recorded (2 failed) · 1,204 packets/s · DROPS: 5 packets in capture, 1 batches for Kafka backpressure');
});

test('earshot status: each service with pid, state, restarts and capture drops', () => {
  const now = 1_800_000_000_000;
  const child = { kind: 'rtp-collector', lastExit: null, logFile: null, heartbeatState: 'RUNNING' };
  const state: RunState = {
    pid: 42, startedAtMs: now - 90_000, updatedAtMs: now, ready: true, statusUrl: 'http://127.0.0.1:8080/', adminPassword: 'pw',
    recordingsDir: '/rec', interfaces: ['lo'], configFile: null, directoryUsers: 0, recordEveryone: false, summary: null,
    children: [
      { ...child, name: 'rtp-collector/lo', instanceId: 'rtp-collector@h/lo', pid: 7, state: 'running', restarts: 1, startedAtMs: now - 30_000, captureDrops: 3 },
      { ...child, kind: 'converter', name: 'converter', instanceId: 'converter@h', pid: null, state: 'failed', restarts: 4, startedAtMs: now, heartbeatState: 'FAILED', captureDrops: null },
    ],
  };
  const lines = formatRunState(state, now).split('\n');
  assert.equal(lines[0], 'earshot run: pid 42, up 90s, capturing lo');
  assert.match(lines[3] ?? '', /^rtp-collector\/lo\s+rtp-collector@h\/lo\s+7\s+running\s+1\s+30s\s+RUNNING\s+3$/);
  assert.match(lines[4] ?? '', /^converter\s+converter@h\s+-\s+failed\s+4\s+-\s+FAILED\s+-$/);
});
