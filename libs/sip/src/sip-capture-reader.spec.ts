import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TcpFlow, TcpStreamChunk, UdpDatagram } from '@earshot/packet';
import { buildSipRequest, buildSipResponse, type SipPartySpec } from './sip-builder';
import { buildSdp } from './sdp';
import { looksLikeSip, SipCaptureReader, type SipCaptureReaderOptions } from './sip-capture-reader';
import type { SipCallEvent } from './sip-dialog-tracker';

const T0 = 1_700_000_000_000_000;
const enc = new TextEncoder();
const caller: SipPartySpec = { uri: 'sip:1001@pbx.example', tag: 'a' };
const callee: SipPartySpec = { uri: 'sip:2000@pbx.example' };

function dialog(callId: string, sipPort = 5060) {
  const via = (cseq: number) => [{ transport: 'UDP', host: '10.0.0.1', port: sipPort, branch: `z9hG4bK-${callId}-${cseq}` }];
  const body = (ip: string, port: number) => buildSdp({ address: ip, sessionVersion: 1, media: [{ port, payloadTypes: [0] }] });
  return {
    invite: buildSipRequest({ method: 'INVITE', uri: callee.uri, callId, from: caller, to: callee, cseq: 1, via: via(1), body: body('10.0.0.1', 4000) }),
    ok: buildSipResponse({ status: 200, callId, from: caller, to: { ...callee, tag: 'b' }, cseq: 1, cseqMethod: 'INVITE', via: via(1), body: body('10.0.0.2', 6000) }),
    ack: buildSipRequest({ method: 'ACK', uri: callee.uri, callId, from: caller, to: { ...callee, tag: 'b' }, cseq: 1, via: via(2) }),
    bye: buildSipRequest({ method: 'BYE', uri: callee.uri, callId, from: caller, to: { ...callee, tag: 'b' }, cseq: 2, via: via(3) }),
  };
}

function udp(us: number, payload: Uint8Array, srcPort = 5060, dstPort = 5060): UdpDatagram {
  return {
    tsSec: Math.floor(us / 1e6), tsNanos: (us % 1e6) * 1000, ipVersion: 4, vlanIds: [],
    src: '10.0.0.1', srcPort, dst: '10.0.0.2', dstPort, payload, reassembled: false,
  };
}

const tcpFlow: TcpFlow = { ipVersion: 4, src: '10.0.0.1', srcPort: 40000, dst: '10.0.0.2', dstPort: 5060 };

function tcp(us: number, data: Uint8Array, flow = tcpFlow): TcpStreamChunk {
  return { flow, data, streamOffset: 0, tsSec: Math.floor(us / 1e6), tsNanos: (us % 1e6) * 1000 };
}

function reader(options: Partial<SipCaptureReaderOptions> = {}): { r: SipCaptureReader; events: SipCallEvent[] } {
  const events: SipCallEvent[] = [];
  return { r: new SipCaptureReader({ onEvent: (e) => events.push(e), ...options }), events };
}

const rtp = Uint8Array.from([0x80, 0x00, 0x00, 0x01, 0, 0, 0, 160, 0, 0, 0, 9, ...new Array<number>(160).fill(0xff)]);

describe('SipCaptureReader', () => {
  test('a UDP call on the SIP port: started, answered, ended, with both sides\' media', () => {
    const { r, events } = reader();
    const d = dialog('c1');
    assert.equal(r.pushUdp(udp(T0, d.invite)), true);
    assert.equal(r.pushUdp(udp(T0 + 100_000, d.ok, 5060, 5060)), true);
    r.pushUdp(udp(T0 + 101_000, d.ack));
    assert.equal(r.pushUdp(udp(T0 + 150_000, rtp, 4000, 6000)), false, 'RTP is left to the caller');
    r.pushUdp(udp(T0 + 5_000_000, d.bye));
    assert.deepEqual(events.map((e) => [e.type, e.callId, e.captureTimeUs]), [
      ['started', 'c1', T0], ['answered', 'c1', T0 + 100_000], ['ended', 'c1', T0 + 5_000_000],
    ]);
    const answered = events[1];
    assert.equal(answered?.type, 'answered');
    if (answered?.type === 'answered') {
      assert.deepEqual(answered.callerMedia?.streams.map((s) => [s.address, s.port]), [['10.0.0.1', 4000]]);
      assert.deepEqual(answered.calleeMedia?.streams.map((s) => [s.address, s.port]), [['10.0.0.2', 6000]]);
    }
    const c = r.counters();
    assert.equal(c['sip.udp.messages'], 4);
    assert.equal(c['sip.messages'], 4);
    assert.equal(r.skippedDatagrams, 1);
  });

  test('SIP on another port is read when it looks like SIP, and not at all with sipOnAnyPort off', () => {
    const d = dialog('c2', 5080);
    const on = reader();
    assert.equal(on.r.pushUdp(udp(T0, d.invite, 5080, 5080)), true);
    assert.deepEqual(on.events.map((e) => e.type), ['started']);
    const off = reader({ sipOnAnyPort: false });
    assert.equal(off.r.pushUdp(udp(T0, d.invite, 5080, 5080)), false);
    assert.equal(off.events.length, 0);
    const ported = reader({ sipOnAnyPort: false, sipPorts: [5080] });
    assert.equal(ported.r.pushUdp(udp(T0, d.invite, 5080, 5080)), true);
    assert.equal(ported.events.length, 1);
  });

  test('bad SIP on the SIP port is taken and counted by reason, keep-alives apart; nothing is thrown', () => {
    const { r, events } = reader();
    assert.equal(r.pushUdp(udp(T0, enc.encode('\r\n\r\n'))), true);
    assert.equal(r.pushUdp(udp(T0, enc.encode('INVITE nonsense\r\n\r\n'))), true);
    assert.equal(events.length, 0);
    const c = r.counters();
    assert.equal(c['sip.udp.keepalive'], 1);
    assert.equal(Object.keys(c).filter((k) => k.startsWith('sip.bad.')).length, 1, JSON.stringify(c));
  });

  test('TCP: messages split across chunks and glued together are framed; one without Content-Length is not refused', () => {
    const { r, events } = reader();
    const d = dialog('t1');
    const both = new Uint8Array([...d.invite, ...d.ok]);
    r.pushTcpData(tcp(T0, both.subarray(0, 37)));
    r.pushTcpData(tcp(T0 + 1000, both.subarray(37)));
    const byeText = new TextDecoder().decode(d.bye).replace(/Content-Length: 0\r\n/i, '');
    assert.ok(!/content-length/i.test(byeText), 'the BYE carries no Content-Length');
    r.pushTcpData(tcp(T0 + 3_000_000, enc.encode(byeText)));
    assert.deepEqual(events.map((e) => e.type), ['started', 'answered', 'ended']);
    assert.equal(r.counters()['sip.tcp.messages'], 3);
  });

  test('TCP gap: the cut message is lost, the next one is framed again', () => {
    const { r, events } = reader();
    const d = dialog('t2');
    r.pushTcpData(tcp(T0, d.invite.subarray(0, 50)));
    r.tcpGap(tcpFlow);
    r.pushTcpData(tcp(T0 + 10_000, d.invite.subarray(200))); // the rest after the gap: garbage to the framer
    r.pushTcpData(tcp(T0 + 20_000, d.invite)); // retransmitted whole
    assert.deepEqual(events.map((e) => e.type), ['started']);
    const c = r.counters();
    assert.equal(c['sip.tcp.sip-stream-gap'], 1);
    assert.ok((c['tcp-sip.garbage-bytes'] ?? 0) > 0, JSON.stringify(c));
  });

  test('a TCP stream that does not start like SIP on another port is ignored for good', () => {
    const { r, events } = reader();
    const flow: TcpFlow = { ...tcpFlow, dstPort: 443 };
    r.pushTcpData(tcp(T0, Uint8Array.from([0x16, 0x03, 0x01, 0, 5]), flow));
    r.pushTcpData(tcp(T0 + 1, dialog('x').invite, flow));
    assert.equal(events.length, 0);
    assert.equal(r.counters()['sip.tcp.not-sip-streams'], 1);
  });

  test('the tracker timeouts given apply in capture time (tick), and finish() ends what is left', () => {
    const { r, events } = reader({ tracker: { establishedIdleTimeoutMs: 60_000 } });
    const d = dialog('idle');
    r.pushUdp(udp(T0, d.invite));
    r.pushUdp(udp(T0 + 100_000, d.ok));
    r.tick(T0 + 30_000_000);
    assert.deepEqual(events.map((e) => e.type), ['started', 'answered']);
    r.tick(T0 + 61_000_000);
    assert.deepEqual(events.map((e) => e.type), ['started', 'answered', 'ended']);
    const other = reader();
    other.r.pushUdp(udp(T0, dialog('open').invite));
    other.r.pushUdp(udp(T0 + 1, dialog('open').ok));
    other.r.tick(T0 + 61_000_000);
    assert.deepEqual(other.events.map((e) => e.type), ['started', 'answered'], 'the default idle timeout is hours');
    other.r.finish();
    assert.deepEqual(other.events.map((e) => e.type), ['started', 'answered', 'ended']);
  });

  test('looksLikeSip: request and status lines yes; RTP, text that is not SIP, and a line with no end no', () => {
    assert.equal(looksLikeSip(enc.encode('OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n')), true);
    assert.equal(looksLikeSip(enc.encode('SIP/2.0 180 Ringing\r\n')), true);
    assert.equal(looksLikeSip(rtp), false);
    assert.equal(looksLikeSip(enc.encode('GET / HTTP/1.1\r\n')), false);
    assert.equal(looksLikeSip(enc.encode('INVITE sip:a@b SIP/2.0')), false);
  });

  test('a bad port in sipPorts is refused at construction', () => {
    assert.throws(() => reader({ sipPorts: [0] }), RangeError);
    assert.throws(() => reader({ sipPorts: [70000] }), RangeError);
  });
});
