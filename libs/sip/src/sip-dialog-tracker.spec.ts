import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SipDialogTracker, type SipCallEvent, type SipDialogTrackerOptions, type SipTransportInfo } from './sip-dialog-tracker';
import { buildSipRequest, buildSipResponse, type SipPartySpec } from './sip-builder';
import { buildSdp, type SdpDirection } from './sdp';
import { decodeSipMessage } from './sip-message';
import { SipOptionsError } from './sip-error';

const T0 = 1_700_000_000_000_000; // µs since the epoch
const MS = 1000;
const CALLER_IP = '10.0.0.1';
const CALLEE_IP = '10.0.0.2';
const up: SipTransportInfo = { protocol: 'udp', src: { ip: CALLER_IP, port: 5060 }, dst: { ip: CALLEE_IP, port: 5060 } };
const down: SipTransportInfo = { protocol: 'udp', src: { ip: CALLEE_IP, port: 5060 }, dst: { ip: CALLER_IP, port: 5060 } };

function sdp(ip: string, port: number, opts: { direction?: SdpDirection; version?: number; pts?: number[]; connection?: string } = {}): string {
  return buildSdp({
    address: opts.connection ?? ip, sessionVersion: opts.version ?? 1,
    media: [{ port, payloadTypes: opts.pts ?? [0, 8, 101], rtpmap: [{ payloadType: 101, encoding: 'telephone-event', clockRate: 8000 }], ptime: 20, ...(opts.direction ? { direction: opts.direction } : {}) }],
  });
}

/** Builds the messages of one call between a caller (10.0.0.1, tag `a`) and a callee (10.0.0.2). */
function call(callId: string) {
  const caller: SipPartySpec = { uri: 'sip:1001@pbx.example', displayName: 'Doe, Alice', tag: 'a' };
  const callee: SipPartySpec = { uri: 'sip:2000@pbx.example', displayName: 'Support' };
  const via = (cseq: number, side = 'a') => [{ host: side === 'a' ? CALLER_IP : CALLEE_IP, port: 5060, branch: `z9hG4bK-${callId}-${side}-${cseq}` }];
  return {
    invite: (cseq = 1, body?: string, extra: Partial<Parameters<typeof buildSipRequest>[0]> = {}) => buildSipRequest({
      method: 'INVITE', uri: 'sip:2000@pbx.example', callId, from: caller, to: callee, cseq, via: via(cseq), contact: `sip:1001@${CALLER_IP}`,
      pAssertedIdentity: [{ uri: 'sip:+4930111@pbx.example', displayName: 'Alice D' }], ...(body === undefined ? {} : { body }), ...extra,
    }),
    /** A response from the callee to a request of the caller. */
    res: (status: number, toTag: string | undefined, o: { cseq?: number; method?: string; body?: string; headers?: Array<[string, string]> } = {}) => buildSipResponse({
      status, callId, from: caller, to: { ...callee, ...(toTag === undefined ? {} : { tag: toTag }) }, cseq: o.cseq ?? 1, cseqMethod: o.method ?? 'INVITE', via: via(o.cseq ?? 1),
      ...(o.body === undefined ? {} : { body: o.body }), ...(o.headers ? { headers: o.headers } : {}),
    }),
    /** An in-dialog request from the caller (to the callee's tag). */
    fromCaller: (method: string, cseq: number, toTag: string | undefined, body?: string, headers?: Array<[string, string]>) => buildSipRequest({
      method, uri: `sip:2000@${CALLEE_IP}`, callId, from: caller, to: { ...callee, ...(toTag === undefined ? {} : { tag: toTag }) }, cseq, via: via(cseq),
      ...(body === undefined ? {} : { body }), ...(headers ? { headers } : {}),
    }),
    /** An in-dialog request from the callee (its own CSeq space; From = callee). */
    fromCallee: (method: string, cseq: number, toTag: string, body?: string) => buildSipRequest({
      method, uri: `sip:1001@${CALLER_IP}`, callId, from: { ...callee, tag: toTag }, to: caller, cseq, via: via(cseq, 'b'), ...(body === undefined ? {} : { body }),
    }),
    /** The caller's response to a request of the callee. */
    resToCallee: (status: number, toTag: string, cseq: number, method: string, body?: string) => buildSipResponse({
      status, callId, from: { ...callee, tag: toTag }, to: caller, cseq, cseqMethod: method, via: via(cseq, 'b'), ...(body === undefined ? {} : { body }),
    }),
  };
}

class Run {
  readonly tracker: SipDialogTracker;
  readonly events: SipCallEvent[] = [];
  t = T0;
  constructor(options: SipDialogTrackerOptions = {}) {
    this.tracker = new SipDialogTracker(options);
  }
  /** Feeds one message `afterMs` after the previous one. */
  send(wire: Uint8Array, transport: SipTransportInfo, afterMs = 10): SipCallEvent[] {
    this.t += afterMs * MS;
    const got = this.tracker.onMessage(decodeSipMessage(wire).value, this.t, transport);
    this.events.push(...got);
    return got;
  }
  tick(atUs: number): SipCallEvent[] {
    const got = this.tracker.tick(atUs);
    this.events.push(...got);
    return got;
  }
  types(): string[] {
    return this.events.map((e) => (e.type === 'media-updated' ? `${e.type}:${e.trigger}` : e.type));
  }
}

/** INVITE with SDP, 100, 180, 200 with SDP, ACK: an answered call. */
function answered(r: Run, c: ReturnType<typeof call>, tag = 'b'): void {
  r.send(c.invite(1, sdp(CALLER_IP, 20000)), up);
  r.send(c.res(100, undefined), down);
  r.send(c.res(180, tag), down);
  r.send(c.res(200, tag, { body: sdp(CALLEE_IP, 30000) }), down, 2000);
  r.send(c.fromCaller('ACK', 1, tag), up);
}

describe('SipDialogTracker scenarios', () => {
  test('normal call: started, answered, ended by the caller; parties, media, codecs, transport, sequence', () => {
    const r = new Run();
    const c = call('normal');
    answered(r, c);
    r.send(c.fromCaller('BYE', 2, 'b', undefined, [['Reason', 'Q.850;cause=16;text="Normal call clearing"']]), up, 60_000);
    r.send(c.res(200, 'b', { cseq: 2, method: 'BYE' }), down);
    assert.deepEqual(r.types(), ['started', 'answered', 'ended']);
    const [started, ans, ended] = r.events;
    assert.ok(started?.type === 'started' && ans?.type === 'answered' && ended?.type === 'ended');
    assert.deepEqual(r.events.map((e) => [e.seq, e.callId, e.startedAtUs]), [[0, 'normal', T0 + 10 * MS], [1, 'normal', T0 + 10 * MS], [2, 'normal', T0 + 10 * MS]]);
    assert.equal(started.requestUri, 'sip:2000@pbx.example');
    assert.deepEqual(started.caller, { uri: 'sip:1001@pbx.example', user: '1001', host: 'pbx.example', displayName: 'Doe, Alice', tag: 'a', assertedIdentities: [{ uri: 'sip:+4930111@pbx.example', user: '+4930111', displayName: 'Alice D' }] });
    assert.equal(started.callee.user, '2000');
    assert.equal(started.callee.displayName, 'Support');
    assert.deepEqual(started.callerMedia?.streams.map((s) => [s.address, s.port, s.rtcpPort, s.codecs.map((k) => `${k.payloadType}:${k.encoding}/${k.clockRate}`)]), [[CALLER_IP, 20000, 20001, ['0:PCMU/8000', '8:PCMA/8000', '101:telephone-event/8000']]]);
    assert.equal(started.calleeMedia, undefined);
    assert.deepEqual(started.transport, up);
    assert.equal(ans.status, 200);
    assert.equal(ans.callee.tag, 'b');
    assert.equal(ans.calleeMedia?.streams[0]?.port, 30000);
    assert.equal(ans.captureTimeUs, T0 + (10 + 10 + 10 + 2000) * MS);
    assert.deepEqual(ans.transport, down);
    assert.equal(ended.by, 'caller');
    assert.equal(ended.reasonText, 'Q.850 cause=16 "Normal call clearing"');
    assert.equal(ended.answeredAtUs, ans.captureTimeUs);
    assert.deepEqual(ended.signalling, up);
    assert.equal(r.tracker.activeCalls, 0);
  });

  test('busy: 486 with a Reason header fails the call', () => {
    const r = new Run();
    const c = call('busy');
    r.send(c.invite(1, sdp(CALLER_IP, 20000)), up);
    r.send(c.res(486, 'b', { headers: [['Reason', 'Q.850;cause=17;text="User busy"']] }), down);
    r.send(c.fromCaller('ACK', 1, 'b'), up);
    assert.deepEqual(r.types(), ['started', 'failed']);
    const failed = r.events[1];
    assert.ok(failed?.type === 'failed');
    assert.deepEqual([failed.cause, failed.status, failed.reasonPhrase, failed.reasonText], ['rejected', 486, 'Busy Here', '486 Busy Here; Q.850 cause=17 "User busy"']);
  });

  test('cancelled: CANCEL then 487 fails once with cause cancelled and the CANCEL reason', () => {
    const r = new Run();
    const c = call('cancel');
    r.send(c.invite(1, sdp(CALLER_IP, 20000)), up);
    r.send(c.res(180, 'b'), down);
    r.send(c.fromCaller('CANCEL', 1, undefined, undefined, [['Reason', 'SIP;cause=487;text="Caller hung up"']]), up, 5000);
    r.send(c.res(200, 'b', { method: 'CANCEL' }), down);
    r.send(c.res(487, 'b'), down);
    r.send(c.res(487, 'b'), down, 500); // retransmitted
    r.send(c.fromCaller('ACK', 1, 'b'), up);
    assert.deepEqual(r.types(), ['started', 'failed']);
    const failed = r.events[1];
    assert.ok(failed?.type === 'failed');
    assert.deepEqual([failed.cause, failed.status], ['cancelled', 487]);
    assert.match(failed.reasonText, /Caller hung up/);
  });

  test('re-INVITE with a new media port updates the caller media', () => {
    const r = new Run();
    const c = call('reinvite');
    answered(r, c);
    r.send(c.fromCaller('INVITE', 2, 'b', sdp(CALLER_IP, 40000, { version: 2 })), up, 1000);
    r.send(c.res(200, 'b', { cseq: 2, body: sdp(CALLEE_IP, 30000, { version: 2 }) }), down);
    r.send(c.fromCaller('ACK', 2, 'b'), up);
    assert.deepEqual(r.types(), ['started', 'answered', 'media-updated:re-invite']);
    const mu = r.events[2];
    assert.ok(mu?.type === 'media-updated');
    assert.deepEqual([mu.by, mu.onHold, mu.callerMedia?.streams[0]?.port, mu.calleeMedia?.streams[0]?.port, mu.seq], ['caller', false, 40000, 30000, 2]);
  });

  test('session refresh re-INVITE with the same SDP gives no event', () => {
    const r = new Run();
    const c = call('refresh');
    answered(r, c);
    r.send(c.fromCaller('INVITE', 2, 'b', sdp(CALLER_IP, 20000)), up, 1000);
    r.send(c.res(200, 'b', { cseq: 2, body: sdp(CALLEE_IP, 30000) }), down);
    assert.deepEqual(r.types(), ['started', 'answered']);
    assert.equal(r.tracker.counters.get('session-refresh'), 1);
  });

  test('rejected re-INVITE (488) leaves the media as they were', () => {
    const r = new Run();
    const c = call('reject-reinvite');
    answered(r, c);
    r.send(c.fromCaller('INVITE', 2, 'b', sdp(CALLER_IP, 41000, { version: 2 })), up, 1000);
    r.send(c.res(488, 'b', { cseq: 2 }), down);
    r.send(c.fromCaller('BYE', 3, 'b'), up);
    const ended = r.events.at(-1);
    assert.deepEqual(r.types(), ['started', 'answered', 'ended']);
    assert.equal(ended?.callerMedia?.streams[0]?.port, 20000);
  });

  test('hold and resume with a=sendonly from the caller', () => {
    const r = new Run();
    const c = call('hold');
    answered(r, c);
    r.send(c.fromCaller('INVITE', 2, 'b', sdp(CALLER_IP, 20000, { direction: 'sendonly', version: 2 })), up, 1000);
    r.send(c.res(200, 'b', { cseq: 2, body: sdp(CALLEE_IP, 30000, { direction: 'recvonly', version: 2 }) }), down);
    r.send(c.fromCaller('INVITE', 3, 'b', sdp(CALLER_IP, 20000, { version: 3 })), up, 30_000);
    r.send(c.res(200, 'b', { cseq: 3, body: sdp(CALLEE_IP, 30000, { version: 3 }) }), down);
    assert.deepEqual(r.types(), ['started', 'answered', 'media-updated:re-invite', 'media-updated:re-invite']);
    const [hold, resume] = r.events.slice(2);
    assert.ok(hold?.type === 'media-updated' && resume?.type === 'media-updated');
    assert.deepEqual([hold.onHold, hold.callerMedia?.hold, hold.callerMedia?.streams[0]?.direction, hold.calleeMedia?.streams[0]?.direction], [true, true, 'sendonly', 'recvonly']);
    assert.deepEqual([resume.onHold, resume.callerMedia?.streams[0]?.direction], [false, 'sendrecv']);
  });

  test('hold and resume with old-style c=0.0.0.0 from the callee', () => {
    const r = new Run();
    const c = call('hold0');
    answered(r, c);
    r.send(c.fromCallee('INVITE', 100, 'b', sdp(CALLEE_IP, 30000, { connection: '0.0.0.0', version: 2 })), down, 1000);
    r.send(c.resToCallee(200, 'b', 100, 'INVITE', sdp(CALLER_IP, 20000, { version: 2 })), up);
    r.send(c.fromCallee('ACK', 100, 'b'), down);
    r.send(c.fromCallee('INVITE', 101, 'b', sdp(CALLEE_IP, 30000, { version: 3 })), down, 20_000);
    r.send(c.resToCallee(200, 'b', 101, 'INVITE', sdp(CALLER_IP, 20000, { version: 3 })), up);
    assert.deepEqual(r.types(), ['started', 'answered', 'media-updated:re-invite', 'media-updated:re-invite']);
    const [hold, resume] = r.events.slice(2);
    assert.ok(hold?.type === 'media-updated' && resume?.type === 'media-updated');
    assert.deepEqual([hold.by, hold.onHold, hold.calleeMedia?.streams[0]?.address, hold.calleeMedia?.streams[0]?.effectiveDirection], ['callee', true, '0.0.0.0', 'sendonly']);
    assert.deepEqual([resume.onHold, resume.calleeMedia?.streams[0]?.address], [false, CALLEE_IP]);
  });

  test('UPDATE from the callee changes the media', () => {
    const r = new Run();
    const c = call('update');
    answered(r, c);
    r.send(c.fromCallee('UPDATE', 200, 'b', sdp(CALLEE_IP, 30100, { version: 2 })), down, 1000);
    r.send(c.resToCallee(200, 'b', 200, 'UPDATE', sdp(CALLER_IP, 20000, { version: 2 })), up);
    assert.deepEqual(r.types(), ['started', 'answered', 'media-updated:update']);
    const mu = r.events[2];
    assert.ok(mu?.type === 'media-updated');
    assert.deepEqual([mu.by, mu.calleeMedia?.streams[0]?.port], ['callee', 30100]);
  });

  test('forked early dialogs: two 183s with SDP, the second fork wins with a 200 without SDP', () => {
    const r = new Run();
    const c = call('fork');
    r.send(c.invite(1, sdp(CALLER_IP, 20000)), up);
    r.send(c.res(183, 'x', { body: sdp('10.0.0.7', 31000) }), down);
    r.send(c.res(183, 'y', { body: sdp('10.0.0.8', 32000) }), down);
    r.send(c.res(183, 'x', { body: sdp('10.0.0.7', 31000) }), down); // retransmission
    r.send(c.res(200, 'y'), down, 3000);
    r.send(c.res(200, 'x', { body: sdp('10.0.0.7', 31000) }), down); // a late second answer
    assert.deepEqual(r.types(), ['started', 'media-updated:early-media', 'media-updated:early-media', 'answered']);
    const [e1, e2, ans] = r.events.slice(1);
    assert.deepEqual([e1?.callee.tag, e1?.calleeMedia?.streams[0]?.port, e2?.callee.tag, e2?.calleeMedia?.streams[0]?.port], ['x', 31000, 'y', 32000]);
    assert.deepEqual([ans?.callee.tag, ans?.calleeMedia?.streams[0]?.address, ans?.calleeMedia?.streams[0]?.port], ['y', '10.0.0.8', 32000]);
    assert.equal(r.tracker.counters.get('fork-extra-2xx'), 1);
    assert.equal(r.tracker.counters.get('retransmission'), 1);
  });

  test('retransmitted INVITE and 200 (and the same INVITE seen again at a proxy hop) give no duplicate events', () => {
    const r = new Run();
    const c = call('retrans');
    const invite = c.invite(1, sdp(CALLER_IP, 20000));
    r.send(invite, up);
    r.send(invite, up, 500);
    r.send(c.invite(1, sdp(CALLER_IP, 20000), { via: [{ host: '10.0.0.254', branch: 'z9hG4bK-proxy' }, { host: CALLER_IP, branch: 'z9hG4bK-retrans-a-1' }] }), up);
    const ok = c.res(200, 'b', { body: sdp(CALLEE_IP, 30000) });
    r.send(ok, down);
    r.send(ok, down, 500);
    r.send(c.fromCaller('ACK', 1, 'b'), up);
    r.send(c.fromCaller('ACK', 1, 'b'), up);
    assert.deepEqual(r.types(), ['started', 'answered']);
    assert.equal(r.tracker.counters.get('retransmission'), 4);
  });

  test('BYE from the callee; late BYE retransmission is absorbed; the call is forgotten after the linger', () => {
    const r = new Run({ lingerAfterEndMs: 5000 });
    const c = call('callee-bye');
    answered(r, c);
    const bye = c.fromCallee('BYE', 50, 'b');
    r.send(bye, down, 10_000);
    r.send(bye, down, 500);
    r.send(c.resToCallee(200, 'b', 50, 'BYE'), up);
    assert.deepEqual(r.types(), ['started', 'answered', 'ended']);
    const ended = r.events[2];
    assert.ok(ended?.type === 'ended');
    assert.equal(ended.by, 'callee');
    assert.deepEqual(ended.transport, down);
    assert.equal(r.tracker.size, 1);
    r.tick(r.t + 5000 * MS);
    assert.equal(r.tracker.size, 0);
  });

  test('a call that never ends is closed by the capture-time idle timeout, with the expiry time', () => {
    const r = new Run({ establishedIdleTimeoutMs: 3_600_000 });
    const c = call('forever');
    answered(r, c);
    const last = r.t;
    assert.deepEqual(r.tick(last + 3_599_999 * MS), []);
    const got = r.tick(last + 10 * 3_600_000 * MS); // ticking late gives the same event
    assert.equal(got.length, 1);
    const ended = got[0];
    assert.ok(ended?.type === 'ended');
    assert.deepEqual([ended.by, ended.captureTimeUs, ended.transport, ended.seq], ['timeout', last + 3_600_000 * MS, undefined, 2]);
  });

  test('timeouts also run on each message: an unanswered call fails when a later message of another call arrives', () => {
    const r = new Run({ unansweredTimeoutMs: 60_000 });
    const a = call('ringing-forever');
    r.send(a.invite(1, sdp(CALLER_IP, 20000)), up);
    r.send(a.res(180, 'b'), down);
    const lastOfA = r.t;
    const b = call('other');
    const got = r.send(b.invite(1, sdp(CALLER_IP, 22000)), up, 120_000);
    assert.deepEqual(got.map((e) => [e.callId, e.type]), [['ringing-forever', 'failed'], ['other', 'started']]);
    const failed = got[0];
    assert.ok(failed?.type === 'failed');
    assert.deepEqual([failed.cause, failed.status, failed.captureTimeUs], ['timeout', null, lastOfA + 60_000 * MS]);
  });

  test('late offer: INVITE without SDP, offer in the 200, answer in the ACK', () => {
    const r = new Run();
    const c = call('late');
    r.send(c.invite(1), up);
    r.send(c.res(200, 'b', { body: sdp(CALLEE_IP, 30000) }), down);
    r.send(c.fromCaller('ACK', 1, 'b', sdp(CALLER_IP, 20000)), up);
    assert.deepEqual(r.types(), ['started', 'answered', 'media-updated:ack']);
    assert.equal(r.events[0]?.callerMedia, undefined);
    assert.equal(r.events[1]?.calleeMedia?.streams[0]?.port, 30000);
    assert.equal(r.events[2]?.callerMedia?.streams[0]?.port, 20000);
  });

  test('late offer with reliable 183: offer in the 183, answer in the PRACK, 200 without SDP', () => {
    const r = new Run();
    const c = call('prack');
    r.send(c.invite(1, undefined, { headers: [['Supported', '100rel']] }), up);
    r.send(c.res(183, 'b', { body: sdp(CALLEE_IP, 30000), headers: [['Require', '100rel'], ['RSeq', '1']] }), down);
    r.send(c.fromCaller('PRACK', 2, 'b', sdp(CALLER_IP, 20000), [['RAck', '1 1 INVITE']]), up);
    r.send(c.res(200, 'b', { cseq: 2, method: 'PRACK' }), down);
    r.send(c.res(200, 'b'), down);
    assert.deepEqual(r.types(), ['started', 'media-updated:prack', 'answered']);
    assert.deepEqual([r.events[1]?.callerMedia?.streams[0]?.port, r.events[1]?.calleeMedia?.streams[0]?.port], [20000, 30000]);
    assert.equal(r.events[2]?.calleeMedia?.streams[0]?.port, 30000);
  });

  test('407 challenge then the INVITE again with credentials is one call, not a failure', () => {
    const r = new Run();
    const c = call('auth');
    r.send(c.invite(1, sdp(CALLER_IP, 20000)), up);
    r.send(c.res(407, 'p'), down);
    r.send(c.fromCaller('ACK', 1, 'p'), up);
    r.send(c.invite(2, sdp(CALLER_IP, 20000), { headers: [['Proxy-Authorization', 'Digest username="1001"']] }), up);
    r.send(c.res(200, 'b', { cseq: 2, body: sdp(CALLEE_IP, 30000) }), down);
    assert.deepEqual(r.types(), ['started', 'answered']);
    assert.equal(r.tracker.counters.get('auth-challenge'), 1);
  });

  test('302 redirect fails the attempt; a new INVITE with a higher CSeq starts the call again with a new startedAtUs', () => {
    const r = new Run();
    const c = call('redirect');
    r.send(c.invite(1, sdp(CALLER_IP, 20000)), up);
    r.send(c.res(302, 'r', { headers: [['Contact', '<sip:3000@pbx.example>']] }), down);
    r.send(c.invite(2, sdp(CALLER_IP, 20000)), up);
    assert.deepEqual(r.types(), ['started', 'failed', 'started']);
    const [first, failed, again] = r.events;
    assert.ok(failed?.type === 'failed');
    assert.equal(failed.cause, 'redirected');
    assert.notEqual(again?.startedAtUs, first?.startedAtUs);
    assert.equal(again?.seq, 0);
  });

  test('signalling over TCP and IPv6 is kept as given', () => {
    const r = new Run();
    const c = call('tcp6');
    const tcp6: SipTransportInfo = { protocol: 'tcp', src: { ip: '2001:db8::1', port: 40512 }, dst: { ip: '2001:db8::2', port: 5060 } };
    r.send(c.invite(1, buildSdp({ address: '2001:db8::1', media: [{ port: 20000, payloadTypes: [9] }] })), tcp6);
    const started = r.events[0];
    assert.deepEqual(started?.signalling, tcp6);
    assert.deepEqual(started?.callerMedia?.streams.map((s) => [s.address, s.addressType, s.codecs[0]?.encoding, s.codecs[0]?.sampleRate]), [['2001:db8::1', 'IP6', 'G722', 16000]]);
  });

  test('bad SDP is counted and the call goes on without media', () => {
    const r = new Run();
    const c = call('badsdp');
    r.send(c.invite(1, 'v=0\r\nm=audio x\r\n'), up);
    assert.deepEqual(r.types(), ['started']);
    assert.equal(r.events[0]?.callerMedia, undefined);
    assert.equal(r.tracker.counters.get('sdp.bad-media-line'), 1);
  });

  test('messages of unknown dialogs are counted and ignored', () => {
    const r = new Run();
    const c = call('unknown');
    r.send(c.fromCaller('BYE', 5, 'b'), up);
    r.send(c.res(200, 'b', { cseq: 5, method: 'BYE' }), down);
    r.send(c.fromCaller('OPTIONS', 1, undefined), up);
    assert.deepEqual(r.events, []);
    assert.equal(r.tracker.counters.get('unknown-dialog'), 1);
    assert.equal(r.tracker.counters.get('not-a-call'), 2);
  });

  test('maxDialogs with drop-oldest evicts the oldest call; with refuse the new call is ignored', () => {
    const drop = new Run({ maxDialogs: 2 });
    for (const id of ['c1', 'c2', 'c3']) drop.send(call(id).invite(1, sdp(CALLER_IP, 20000)), up);
    assert.deepEqual(drop.events.map((e) => [e.callId, e.type]), [['c1', 'started'], ['c2', 'started'], ['c1', 'failed'], ['c3', 'started']]);
    assert.equal(drop.events[2]?.type === 'failed' && drop.events[2].cause, 'evicted');
    assert.equal(drop.tracker.counters.get('evicted'), 1);
    const refuse = new Run({ maxDialogs: 2, whenFull: 'refuse' });
    for (const id of ['c1', 'c2', 'c3']) refuse.send(call(id).invite(1, sdp(CALLER_IP, 20000)), up);
    assert.deepEqual(refuse.events.map((e) => e.callId), ['c1', 'c2']);
    assert.equal(refuse.tracker.counters.get('refused-full'), 1);
  });

  test('lingering ended calls make room before anything is evicted', () => {
    const r = new Run({ maxDialogs: 1 });
    const a = call('first');
    answered(r, a);
    r.send(a.fromCaller('BYE', 2, 'b'), up);
    r.send(call('second').invite(1, sdp(CALLER_IP, 20000)), up);
    assert.deepEqual(r.events.map((e) => [e.callId, e.type]), [['first', 'started'], ['first', 'answered'], ['first', 'ended'], ['second', 'started']]);
  });

  test('options are validated with the field path', () => {
    assert.throws(() => new SipDialogTracker({ unansweredTimeoutMs: -5 }), (e: unknown) => e instanceof SipOptionsError && /sipDialogTracker\.unansweredTimeoutMs/.test(e.message));
    assert.throws(() => new SipDialogTracker({ whenFull: 'panic' as 'refuse' }), SipOptionsError);
  });

  test('deterministic: the same messages give the same events, and interleaving other calls does not change a call\'s sequence', () => {
    const script = (interleave: boolean): SipCallEvent[] => {
      const r = new Run();
      const c = call('det');
      const o = call('noise');
      r.send(c.invite(1, sdp(CALLER_IP, 20000)), up);
      if (interleave) r.send(o.invite(1, sdp(CALLER_IP, 21000)), up, 0);
      r.send(c.res(200, 'b', { body: sdp(CALLEE_IP, 30000) }), down);
      if (interleave) r.send(o.res(486, 'z'), down, 0);
      r.send(c.fromCallee('BYE', 9, 'b'), down);
      return r.events.filter((e) => e.callId === 'det');
    };
    assert.deepEqual(script(false), script(false));
    assert.deepEqual(script(true), script(false));
  });
});

describe('SipDialogTracker fuzz', () => {
  test('random orders of a call\'s messages never throw, and each call\'s sequence counts up from 0', () => {
    const c = call('fz');
    const pool: Array<[Uint8Array, SipTransportInfo]> = [
      [c.invite(1, sdp(CALLER_IP, 20000)), up], [c.invite(2), up], [c.res(100, undefined), down], [c.res(180, 'b'), down],
      [c.res(183, 'x', { body: sdp(CALLEE_IP, 30000) }), down], [c.res(200, 'b', { body: sdp(CALLEE_IP, 30000) }), down], [c.res(407, 'p'), down],
      [c.res(486, 'b'), down], [c.res(487, 'b'), down], [c.fromCaller('ACK', 1, 'b', sdp(CALLER_IP, 20002)), up], [c.fromCaller('CANCEL', 1, undefined), up],
      [c.fromCaller('BYE', 3, 'b'), up], [c.fromCallee('BYE', 7, 'b'), down], [c.fromCaller('INVITE', 4, 'b', sdp(CALLER_IP, 20004, { direction: 'sendonly' })), up],
      [c.res(200, 'b', { cseq: 4, body: sdp(CALLEE_IP, 30004) }), down], [c.fromCallee('UPDATE', 8, 'b', sdp(CALLEE_IP, 30008)), down],
      [c.resToCallee(200, 'b', 8, 'UPDATE', sdp(CALLER_IP, 20008)), up], [c.fromCaller('INVITE', 5, 'b'), up], [c.res(200, 'b', { cseq: 5, body: sdp(CALLEE_IP, 30010) }), down],
    ];
    const decoded = pool.map(([w, tr]) => [decodeSipMessage(w).value, tr] as const);
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(decoded.length - 1), fc.integer({ min: 0, max: 400_000 * MS })), { maxLength: 30 }), (steps) => {
      const tracker = new SipDialogTracker({ unansweredTimeoutMs: 180_000, establishedIdleTimeoutMs: 300_000, lingerAfterEndMs: 32_000 });
      let t = T0;
      const events: SipCallEvent[] = [];
      for (const [i, dt] of steps) {
        t += dt;
        const [m, tr] = decoded[i] as (typeof decoded)[number];
        events.push(...tracker.onMessage(m, t, tr));
      }
      events.push(...tracker.tick(Infinity));
      const byStart = new Map<number, number[]>();
      for (const e of events) byStart.set(e.startedAtUs, [...(byStart.get(e.startedAtUs) ?? []), e.seq]);
      for (const seqs of byStart.values()) assert.deepEqual(seqs, seqs.map((_, i) => i));
      for (const e of events) assert.ok(Number.isFinite(e.captureTimeUs));
      assert.equal(tracker.activeCalls, 0);
      // A call ends at most once, and nothing follows its end.
      for (const start of byStart.keys()) {
        const mine = events.filter((e) => e.startedAtUs === start).map((e) => e.type);
        const endAt = mine.findIndex((ty) => ty === 'ended' || ty === 'failed');
        assert.ok(endAt === mine.length - 1, mine.join(','));
        assert.equal(mine[0], 'started');
      }
    }), { numRuns: 1500 });
  });
});
