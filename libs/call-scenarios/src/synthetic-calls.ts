/**
 * Builds capture files of scripted SIP calls with their RTP, for tests and benchmarks across the
 * pipeline: what is on the wire (pcap bytes) and what a correct pipeline must make of it (the
 * expected call outcomes, and every RTP packet sent per direction).
 */
import { encodePcma, encodePcmu, G722Encoder } from '@earshot/codecs';
import { buildTcpFrames, buildUdpFrames, LinkType, PcapWriter, TcpFlags } from '@earshot/packet';
import { encodeRtpPacket, encodedSizeRtpPacket, type RtpPacket } from '@earshot/rtp';
import { buildSdp, buildSipRequest, buildSipResponse } from '@earshot/sip';

/** One party of a scripted call. */
export interface PartyScript {
  /** SIP URI, e.g. sip:1001@pbx.example.com. */
  uri: string;
  displayName?: string;
  /** Signalling and media address (IPv4 or IPv6; both parties of a call use the same version). */
  ip: string;
  /** SIP port. Default 5060. */
  sipPort?: number;
  /** RTP port announced in SDP. */
  rtpPort: number;
}

export type Codec = 'PCMU' | 'PCMA' | 'G722';

/** A call as it should happen on the wire. */
export interface CallScript {
  callId: string;
  caller: PartyScript;
  callee: PartyScript;
  /** Capture time of the INVITE, µs since the epoch. */
  startUs: number;
  /** SIP over udp (default) or tcp. */
  transport?: 'udp' | 'tcp';
  /** answered (default), busy (486), or cancelled (CANCEL → 487). */
  outcome?: 'answered' | 'busy' | 'cancelled';
  /** Time from INVITE to the final answer. Default 300 ms. */
  ringMs?: number;
  /** Talk time from 200 OK to BYE. Default 2000 ms. */
  talkMs?: number;
  /** Default PCMU. */
  codec?: Codec;
  /** Who sends the BYE. Default caller. */
  byeFrom?: 'caller' | 'callee';
  /** A re-INVITE from the callee moving its media to a new port, this long after the answer. */
  reinvite?: { atMs: number; newRtpPort: number };
  /** Fragment the INVITE into IP packets of at most this size (plus a large SDP to make it big). */
  inviteMtu?: number;
  /** SSRCs of the caller's and callee's streams. Default derived from the call index. */
  ssrc?: { caller: number; callee: number };
  /** Sequence numbers (0-based packet index) of the caller's stream never sent. */
  dropCallerPackets?: number[];
  /** Tone frequency (Hz) of each direction. Default 440/660 Hz. */
  toneHz?: { caller: number; callee: number };
  /** Leave the SIP out: only the RTP is on the wire (a stream no call announces). Default false. */
  withoutSignalling?: boolean;
}

/** One RTP packet as sent. */
export interface SentRtpPacket {
  captureTimeUs: number;
  src: string;
  dst: string;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  payloadType: number;
  payload: Uint8Array;
}

/** What a correct pipeline must make of a call. */
export interface ExpectedCall {
  script: CallScript;
  /** The CallEvent kinds in order. */
  kinds: Array<'STARTED' | 'ANSWERED' | 'MEDIA_UPDATED' | 'ENDED' | 'FAILED'>;
  failureStatus: number | null;
  /** The RTP each party sent, in sending order. */
  rtp: { caller: SentRtpPacket[]; callee: SentRtpPacket[] };
}

export interface SyntheticCapture {
  /** The pcap file (Ethernet, microsecond timestamps). */
  pcap: Uint8Array;
  calls: ExpectedCall[];
  /** Every frame in the file, for counts. */
  frames: number;
}

interface TimedFrame {
  us: number;
  order: number;
  frame: Uint8Array;
}

const PAYLOAD_TYPE: Record<Codec, number> = { PCMU: 0, PCMA: 8, G722: 9 };
const PTIME_MS = 20;

/** host:port, IPv6 bracketed. */
function hp(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** `count` 20 ms payloads of a tone in the given codec (G.722: 16 kHz audio, 160 bytes per packet). */
export function tonePayloads(codec: Codec, hz: number, count: number): Uint8Array[] {
  const rate = codec === 'G722' ? 16000 : 8000;
  const perPacket = (rate * PTIME_MS) / 1000;
  const pcm = new Int16Array(perPacket * count);
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / rate));
  if (codec === 'G722') {
    const encoder = new G722Encoder();
    const out: Uint8Array[] = [];
    for (let p = 0; p < count; p++) out.push(encoder.encode(pcm.subarray(p * perPacket, (p + 1) * perPacket)));
    return out;
  }
  const encoded = codec === 'PCMU' ? encodePcmu(pcm) : encodePcma(pcm);
  return Array.from({ length: count }, (_, p) => encoded.subarray(p * perPacket, (p + 1) * perPacket));
}

/** Builds one capture holding every scripted call, frames in capture-time order. */
export function buildSyntheticCapture(scripts: CallScript[]): SyntheticCapture {
  const frames: TimedFrame[] = [];
  let order = 0;
  const push = (us: number, built: Uint8Array[]): void => {
    for (const frame of built) frames.push({ us, order: order++, frame });
  };
  const calls = scripts.map((script, index) => buildCall(script, index, push));
  frames.sort((a, b) => a.us - b.us || a.order - b.order);
  const writer = new PcapWriter({ linkType: LinkType.ETHERNET, resolution: 'us' });
  for (const f of frames) writer.write(f.frame, Math.floor(f.us / 1e6), (f.us % 1e6) * 1000);
  return { pcap: writer.toBytes(), calls, frames: frames.length };
}

function buildCall(s: CallScript, index: number, push: (us: number, frames: Uint8Array[]) => void): ExpectedCall {
  const codec = s.codec ?? 'PCMU';
  const pt = PAYLOAD_TYPE[codec];
  const outcome = s.outcome ?? 'answered';
  const ringUs = (s.ringMs ?? 300) * 1000;
  const talkUs = (s.talkMs ?? 2000) * 1000;
  const callerSip = s.caller.sipPort ?? 5060;
  const calleeSip = s.callee.sipPort ?? 5060;
  const transport = s.transport ?? 'udp';
  const fromTag = `ft${index}`;
  const toTag = `tt${index}`;
  const from = { uri: s.caller.uri, displayName: s.caller.displayName, tag: fromTag };
  const toNoTag = { uri: s.callee.uri, displayName: s.callee.displayName };
  const to = { ...toNoTag, tag: toTag };
  const via = (branch: string, host: string, port: number) => [{ transport: transport.toUpperCase(), host, port, branch }];
  const callerVia = via(`z9hG4bK-${index}-inv`, s.caller.ip, callerSip);

  // SIP over TCP: one connection per direction of signalling, each with its own sequence space.
  const tcpSeq = new Map<string, number>();
  const sendSip = (us: number, fromCaller: boolean, bytes: Uint8Array, mtu?: number): void => {
    if (s.withoutSignalling) return;
    const [a, b] = fromCaller ? [s.caller, s.callee] : [s.callee, s.caller];
    const [aPort, bPort] = fromCaller ? [callerSip, calleeSip] : [calleeSip, callerSip];
    if (transport === 'udp') {
      push(us, buildUdpFrames({ src: a.ip, dst: b.ip, srcPort: aPort, dstPort: bPort, payload: bytes, ipId: (index * 97 + us) & 0xffff, ...(mtu ? { mtu } : {}) }));
      return;
    }
    const key = fromCaller ? 'c' : 'e';
    let seq = tcpSeq.get(key);
    if (seq === undefined) {
      seq = 1000 + index * 10_000 + (fromCaller ? 0 : 5000);
      push(us, buildTcpFrames({ src: a.ip, dst: b.ip, srcPort: aPort, dstPort: bPort, seq, flags: TcpFlags.SYN, payload: new Uint8Array(0) }));
      seq += 1;
    }
    push(us, buildTcpFrames({ src: a.ip, dst: b.ip, srcPort: aPort, dstPort: bPort, seq, payload: bytes }));
    tcpSeq.set(key, seq + bytes.length);
  };

  const sdp = (party: PartyScript, port: number, version: number, big = false): string =>
    buildSdp({
      address: party.ip, sessionVersion: version,
      media: [{ port, payloadTypes: [pt, 101], rtpmap: [
        { payloadType: pt, encoding: codec, clockRate: 8000 },
        { payloadType: 101, encoding: 'telephone-event', clockRate: 8000 },
      ], fmtp: [{ payloadType: 101, config: '0-16' }], ptime: PTIME_MS }],
    }) + (big ? Array.from({ length: 60 }, (_, i) => `a=x-padding-${i}:${'p'.repeat(40)}\r\n`).join('') : '');

  const kinds: ExpectedCall['kinds'] = ['STARTED'];
  const t0 = s.startUs;
  sendSip(t0, true, buildSipRequest({
    method: 'INVITE', uri: s.callee.uri, callId: s.callId, from, to: toNoTag, cseq: 1, via: callerVia,
    contact: `sip:${s.caller.uri.replace(/^sip:/, '').split('@')[0]}@${hp(s.caller.ip, callerSip)}`,
    body: sdp(s.caller, s.caller.rtpPort, 1, s.inviteMtu !== undefined),
  }), s.inviteMtu);
  const resp = (status: number, extra: { body?: string; cseq?: number; method?: string; via?: typeof callerVia } = {}) =>
    buildSipResponse({ status, callId: s.callId, from, to: status === 100 ? toNoTag : to, cseq: extra.cseq ?? 1,
      cseqMethod: extra.method ?? 'INVITE', via: extra.via ?? callerVia, ...(extra.body ? { body: extra.body } : {}) });
  sendSip(t0 + 2_000, false, resp(100));
  sendSip(t0 + 50_000, false, resp(180));

  const rtp: ExpectedCall['rtp'] = { caller: [], callee: [] };
  if (outcome === 'busy') {
    sendSip(t0 + ringUs, false, resp(486));
    sendSip(t0 + ringUs + 1_000, true, buildSipRequest({ method: 'ACK', uri: s.callee.uri, callId: s.callId, from, to, cseq: 1, via: callerVia }));
    kinds.push('FAILED');
    return { script: s, kinds, failureStatus: 486, rtp };
  }
  if (outcome === 'cancelled') {
    sendSip(t0 + ringUs, true, buildSipRequest({ method: 'CANCEL', uri: s.callee.uri, callId: s.callId, from, to: toNoTag, cseq: 1, via: callerVia }));
    sendSip(t0 + ringUs + 2_000, false, resp(200, { method: 'CANCEL' }));
    sendSip(t0 + ringUs + 3_000, false, resp(487));
    sendSip(t0 + ringUs + 4_000, true, buildSipRequest({ method: 'ACK', uri: s.callee.uri, callId: s.callId, from, to, cseq: 1, via: callerVia }));
    kinds.push('FAILED');
    return { script: s, kinds, failureStatus: 487, rtp };
  }

  const answerUs = t0 + ringUs;
  sendSip(answerUs, false, resp(200, { body: sdp(s.callee, s.callee.rtpPort, 1) }));
  sendSip(answerUs + 1_000, true, buildSipRequest({ method: 'ACK', uri: s.callee.uri, callId: s.callId, from, to, cseq: 1, via: via(`z9hG4bK-${index}-ack`, s.caller.ip, callerSip) }));
  kinds.push('ANSWERED');

  const endUs = answerUs + talkUs;
  let calleePortAt = (_us: number): number => s.callee.rtpPort;
  if (s.reinvite) {
    const rUs = answerUs + s.reinvite.atMs * 1000;
    const newPort = s.reinvite.newRtpPort;
    const reVia = via(`z9hG4bK-${index}-reinv`, s.callee.ip, calleeSip);
    // A re-INVITE from the callee: From/To swap roles within the dialog.
    sendSip(rUs, false, buildSipRequest({ method: 'INVITE', uri: s.caller.uri, callId: s.callId, from: to, to: from, cseq: 1, via: reVia, body: sdp(s.callee, newPort, 2) }));
    sendSip(rUs + 2_000, true, buildSipResponse({ status: 200, callId: s.callId, from: to, to: from, cseq: 1, cseqMethod: 'INVITE', via: reVia, body: sdp(s.caller, s.caller.rtpPort, 2) }));
    sendSip(rUs + 3_000, false, buildSipRequest({ method: 'ACK', uri: s.caller.uri, callId: s.callId, from: to, to: from, cseq: 1, via: via(`z9hG4bK-${index}-reack`, s.callee.ip, calleeSip) }));
    // Media moves once the answer to the re-INVITE is sent.
    calleePortAt = (us) => (us >= rUs + 2_000 ? newPort : s.callee.rtpPort);
    kinds.push('MEDIA_UPDATED');
  }

  const packets = Math.floor(talkUs / (PTIME_MS * 1000));
  const tone = s.toneHz ?? { caller: 440, callee: 660 };
  const ssrc = s.ssrc ?? { caller: (0x11110000 + index) >>> 0, callee: (0x22220000 + index) >>> 0 };
  const samplesPerPacket = 160; // RTP clock 8000 Hz for PCMU, PCMA and (by RFC 3551) G722
  for (const side of ['caller', 'callee'] as const) {
    const payloads = tonePayloads(codec, tone[side], packets);
    const seq0 = (index * 1000 + (side === 'caller' ? 100 : 200)) & 0xffff;
    const ts0 = (index * 123_456 + (side === 'caller' ? 0 : 7)) >>> 0;
    const drop = new Set(side === 'caller' ? s.dropCallerPackets ?? [] : []);
    for (let i = 0; i < packets; i++) {
      const us = answerUs + 5_000 + i * PTIME_MS * 1000 + (side === 'callee' ? 3_000 : 0);
      const packet: RtpPacket = {
        marker: i === 0, payloadType: pt, sequenceNumber: (seq0 + i) & 0xffff, timestamp: (ts0 + i * samplesPerPacket) >>> 0,
        ssrc: ssrc[side], csrcs: [], extension: null, payload: payloads[i] as Uint8Array, paddingSize: 0,
      };
      if (drop.has(i)) continue;
      const bytes = new Uint8Array(encodedSizeRtpPacket(packet));
      encodeRtpPacket(packet, bytes, 0);
      const [a, b] = side === 'caller'
        ? [{ ip: s.caller.ip, port: s.caller.rtpPort }, { ip: s.callee.ip, port: calleePortAt(us) }]
        : [{ ip: s.callee.ip, port: calleePortAt(us) }, { ip: s.caller.ip, port: s.caller.rtpPort }];
      push(us, buildUdpFrames({ src: a.ip, dst: b.ip, srcPort: a.port, dstPort: b.port, payload: bytes }));
      rtp[side].push({
        captureTimeUs: us, src: hp(a.ip, a.port), dst: hp(b.ip, b.port), sequenceNumber: packet.sequenceNumber,
        timestamp: packet.timestamp, ssrc: packet.ssrc, payloadType: pt, payload: packet.payload,
      });
    }
  }

  const byeFromCaller = (s.byeFrom ?? 'caller') === 'caller';
  const byeVia = byeFromCaller ? via(`z9hG4bK-${index}-bye`, s.caller.ip, callerSip) : via(`z9hG4bK-${index}-bye`, s.callee.ip, calleeSip);
  const [byeFromParty, byeToParty] = byeFromCaller ? [from, to] : [to, from];
  sendSip(endUs + 10_000, byeFromCaller, buildSipRequest({ method: 'BYE', uri: byeFromCaller ? s.callee.uri : s.caller.uri, callId: s.callId, from: byeFromParty, to: byeToParty, cseq: 2, via: byeVia }));
  sendSip(endUs + 12_000, !byeFromCaller, buildSipResponse({ status: 200, callId: s.callId, from: byeFromParty, to: byeToParty, cseq: 2, cseqMethod: 'BYE', via: byeVia }));
  kinds.push('ENDED');
  return { script: s, kinds: s.withoutSignalling ? [] : kinds, failureStatus: null, rtp };
}

/**
 * The capture the pipeline issue asks for: several concurrent, overlapping calls; one busy, one
 * cancelled, one re-INVITE with a new media port, one over TCP, one over IPv6, one with a
 * fragmented INVITE, and one PCMA call with a lost packet.
 */
export function standardScenario(baseUs = 1_763_942_400_000_000): CallScript[] {
  const party = (n: number, ip: string, rtpPort: number, name?: string): PartyScript => ({
    uri: `sip:${n}@pbx.example.com`, ip, rtpPort, ...(name ? { displayName: name } : {}),
  });
  return [
    { callId: 'call-plain@example.com', caller: party(1001, '10.0.0.11', 40000, 'Alice Agent'), callee: party(2001, '192.0.2.20', 50000), startUs: baseUs, talkMs: 3000 },
    { callId: 'call-busy@example.com', caller: party(1002, '10.0.0.12', 40002), callee: party(2002, '192.0.2.21', 50002), startUs: baseUs + 200_000, outcome: 'busy' },
    { callId: 'call-cancel@example.com', caller: party(1003, '10.0.0.13', 40004), callee: party(2003, '192.0.2.22', 50004), startUs: baseUs + 400_000, outcome: 'cancelled', ringMs: 800 },
    { callId: 'call-reinvite@example.com', caller: party(1004, '10.0.0.14', 40006), callee: party(2004, '192.0.2.23', 50006), startUs: baseUs + 600_000, talkMs: 3000, reinvite: { atMs: 1000, newRtpPort: 50106 }, byeFrom: 'callee' },
    { callId: 'call-tcp@example.com', caller: party(1005, '10.0.0.15', 40008), callee: party(2005, '192.0.2.24', 50008), startUs: baseUs + 800_000, transport: 'tcp', codec: 'PCMA' },
    { callId: 'call-ipv6@example.com', caller: party(1006, '2001:db8::15', 40010), callee: party(2006, '2001:db8::24', 50010), startUs: baseUs + 1_000_000 },
    { callId: 'call-fragmented@example.com', caller: party(1007, '10.0.0.17', 40012), callee: party(2007, '192.0.2.26', 50012), startUs: baseUs + 1_200_000, inviteMtu: 576 },
    { callId: 'call-lossy@example.com', caller: party(1008, '10.0.0.18', 40014), callee: party(2008, '192.0.2.27', 50014), startUs: baseUs + 1_400_000, codec: 'PCMA', dropCallerPackets: [5, 6, 40] },
  ];
}
