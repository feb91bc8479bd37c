import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { buildSyntheticCapture, standardScenario } from './synthetic-calls';

test('the standard scenario is a capture tshark reads: every call, SIP over UDP and TCP, fragments reassembled', () => {
  const capture = buildSyntheticCapture(standardScenario());
  const file = join(mkdtempSync(join(tmpdir(), 'earshot-synth-')), 'calls.pcap');
  writeFileSync(file, capture.pcap);
  const out = execFileSync('tshark', ['-r', file, '-Y', 'sip.Method == "INVITE"', '-T', 'fields', '-e', 'sip.Call-ID'], { encoding: 'utf8' });
  const invited = new Set(out.split('\n').filter(Boolean));
  for (const call of capture.calls) assert.ok(invited.has(call.script.callId), `tshark sees no INVITE of ${call.script.callId}`);
  const rtp = execFileSync('tshark', ['-r', file, '-o', 'rtp.heuristic_rtp:TRUE', '-Y', 'rtp', '-T', 'fields', '-e', 'rtp.ssrc'], { encoding: 'utf8' });
  const sent = capture.calls.reduce((n, c) => n + c.rtp.caller.length + c.rtp.callee.length, 0);
  assert.equal(rtp.split('\n').filter(Boolean).length, sent);
  assert.equal(capture.calls.find((c) => c.script.callId === 'call-lossy@example.com')?.rtp.caller.length, 100 - 3);
});
