/**
 * What call-control must publish for a synthetic capture (test/support/synthetic-calls.ts): exactly
 * the expected CallEvents per call, checked field by field. Shared by the unit and integration tests.
 */
import assert from 'node:assert/strict';
import type { CallEvent } from '@earshot/events';
import type { ExpectedCall, PartyScript } from './support/synthetic-calls';

const PAYLOAD_TYPE = { PCMU: 0, PCMA: 8, G722: 9 } as const;

function hp(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function assertMedia(actual: CallEvent['callerMedia'], party: PartyScript, port: number, codec: keyof typeof PAYLOAD_TYPE, what: string): void {
  assert.equal(actual.length, 1, `${what}: one m= line`);
  const m = actual[0];
  assert.ok(m !== undefined);
  assert.deepEqual(
    { media: m.media, address: m.address, port: m.port, mode: m.mode, ptimeMs: m.ptimeMs, rtcpPort: m.rtcpPort },
    { media: 'audio', address: party.ip, port, mode: 'SENDRECV', ptimeMs: 20, rtcpPort: null },
    what,
  );
  assert.deepEqual(m.codecs, [
    { payloadType: PAYLOAD_TYPE[codec], name: codec, clockRate: 8000, channels: 1, fmtp: null },
    { payloadType: 101, name: 'telephone-event', clockRate: 8000, channels: 1, fmtp: '0-16' },
  ], `${what}: codecs`);
}

/** Asserts that `events` are exactly the CallEvents of `calls`: none missing, none extra, every field that the script fixes. */
export function assertExpectedCallEvents(decoded: readonly CallEvent[], allCalls: readonly ExpectedCall[], instanceId: string, only?: ReadonlySet<string>): void {
  // Tags and SSRCs follow a call's index in the whole capture; `only` names the calls that must appear.
  const calls = allCalls.map((call, index) => ({ call, index })).filter(({ call }) => only === undefined || only.has(call.script.callId));
  // Plain objects: values decoded by avsc are instances of generated record classes.
  const events = JSON.parse(JSON.stringify(decoded)) as CallEvent[];
  const byCall = new Map<string, CallEvent[]>();
  for (const e of events) byCall.set(e.callId, [...(byCall.get(e.callId) ?? []), e]);
  assert.deepEqual([...byCall.keys()].sort(), calls.map(({ call }) => call.script.callId).sort(), 'exactly the scripted calls');
  assert.equal(new Set(events.map((e) => e.eventId)).size, events.length, 'event ids are unique');
  for (const { call, index } of calls) {
    const s = call.script;
    const got = byCall.get(s.callId) ?? [];
    const what = s.callId;
    // In the order produced, sequences 0..n-1 (one partition per call keeps them in order).
    assert.deepEqual(got.map((e) => e.kind), call.kinds, `${what}: kinds in order`);
    assert.deepEqual(got.map((e) => e.sequence), call.kinds.map((_, i) => i), `${what}: sequences`);
    const codec = s.codec ?? 'PCMU';
    const transport = s.transport ?? 'udp';
    for (const e of got) {
      const at = `${what} ${e.kind}`;
      assert.equal(e.source, 'SNIFF', at);
      assert.equal(e.instanceId, instanceId, at);
      assert.deepEqual(e.caller, { uri: s.caller.uri, user: s.caller.uri.slice(4).split('@')[0], displayName: s.caller.displayName ?? null, assertedIdentity: null, tag: `ft${index}` }, `${at}: caller`);
      assert.deepEqual(e.callee, { uri: s.callee.uri, user: s.callee.uri.slice(4).split('@')[0], displayName: s.callee.displayName ?? null, assertedIdentity: null, tag: e.kind === 'STARTED' ? null : `tt${index}` }, `${at}: callee`);
      assert.equal(e.signalling?.transport, transport, `${at}: transport`);
      assertMedia(e.callerMedia, s.caller, s.caller.rtpPort, codec, `${at}: caller media`);
      assert.ok(e.captureTimeUs >= s.startUs, `${at}: capture time`);
    }
    const started = got[0];
    assert.ok(started !== undefined);
    assert.equal(started.captureTimeUs, s.startUs, `${what}: STARTED at the INVITE's capture time`);
    assert.equal(started.callee.tag, null, `${what}: no callee tag before a response`);
    assert.deepEqual(started.signalling, { transport, source: hp(s.caller.ip, s.caller.sipPort ?? 5060), destination: hp(s.callee.ip, s.callee.sipPort ?? 5060) }, `${what}: signalling of the INVITE`);
    assert.deepEqual(started.calleeMedia, [], `${what}: no callee media before the answer`);
    for (const e of got) {
      assert.equal(e.failureStatus, e.kind === 'FAILED' ? call.failureStatus : null, `${what} ${e.kind}: failureStatus`);
      assert.equal(e.endedBy, e.kind === 'ENDED' ? (s.byeFrom ?? 'caller').toUpperCase() : null, `${what} ${e.kind}: endedBy`);
    }
    const answered = got.find((e) => e.kind === 'ANSWERED');
    if (answered !== undefined) {
      assert.equal(answered.callee.tag, `tt${index}`, `${what}: callee tag from the 200`);
      assert.equal(answered.captureTimeUs, s.startUs + (s.ringMs ?? 300) * 1000, `${what}: ANSWERED at the 200's capture time`);
      assertMedia(answered.calleeMedia, s.callee, s.callee.rtpPort, codec, `${what} ANSWERED: callee media`);
    }
    const updated = got.find((e) => e.kind === 'MEDIA_UPDATED');
    if (s.reinvite) {
      assert.ok(updated !== undefined, `${what}: MEDIA_UPDATED`);
      assertMedia(updated.calleeMedia, s.callee, s.reinvite.newRtpPort, codec, `${what} MEDIA_UPDATED: callee's new port`);
      const ended = got.find((e) => e.kind === 'ENDED');
      assert.ok(ended !== undefined);
      assertMedia(ended.calleeMedia, s.callee, s.reinvite.newRtpPort, codec, `${what} ENDED: callee's new port kept`);
    }
    const failed = got.find((e) => e.kind === 'FAILED');
    if (failed !== undefined) {
      assert.match(failed.reason ?? '', new RegExp(`^${call.failureStatus} `), `${what}: reason names the status`);
    }
  }
}
