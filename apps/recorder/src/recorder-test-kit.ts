/** Builders for the recorder's unit tests: CallEvents, RTP packets and RtpBatches made here, not captured. */
import type { CallEvent, CallEventKind, CodecDescription, RtpBatch } from '@earshot/events';
import { encodeRtpPacket, encodedSizeRtpPacket, encodeTelephoneEvent } from '@earshot/rtp';

export interface Ep { ip: string; port: number }

export const PCMU: CodecDescription = { payloadType: 0, name: 'PCMU', clockRate: 8000, channels: 1, fmtp: null };
export const PCMA: CodecDescription = { payloadType: 8, name: 'PCMA', clockRate: 8000, channels: 1, fmtp: null };
export const DTMF: CodecDescription = { payloadType: 101, name: 'telephone-event', clockRate: 8000, channels: 1, fmtp: '0-16' };

export function callEvent(callId: string, kind: CallEventKind, sequence: number, captureTimeUs: number, caller: Ep | null, callee: Ep | null,
  codecs: CodecDescription[] = [PCMU, DTMF]): CallEvent {
  const media = (e: Ep | null) => (e ? [{ media: 'audio', address: e.ip, port: e.port, rtcpPort: null, mode: 'SENDRECV' as const, ptimeMs: 20, codecs }] : []);
  return {
    eventId: `${callId}/${sequence}`, callId, kind, sequence, captureTimeUs, source: 'SNIFF', instanceId: 'test',
    caller: { uri: 'sip:1@x', user: '1', displayName: null, assertedIdentity: null, tag: 'a' },
    callee: { uri: 'sip:2@x', user: '2', displayName: null, assertedIdentity: null, tag: 'b' },
    direction: 'INTERNAL', recordedUserId: null, callerMedia: media(caller), calleeMedia: media(callee), signalling: null,
    endedBy: kind === 'ENDED' ? 'CALLER' : null, failureStatus: kind === 'FAILED' ? 486 : null, reason: null,
  };
}

export interface RtpSpec { seq: number; ts: number; ssrc: number; pt?: number; payload?: Uint8Array; marker?: boolean }

export function rtp(s: RtpSpec): Buffer {
  const packet = {
    marker: s.marker ?? false, payloadType: s.pt ?? 0, sequenceNumber: s.seq & 0xffff, timestamp: s.ts >>> 0, ssrc: s.ssrc >>> 0,
    csrcs: [], extension: null, payload: s.payload ?? new Uint8Array(160).fill(0xff), paddingSize: 0,
  };
  const out = Buffer.alloc(encodedSizeRtpPacket(packet));
  encodeRtpPacket(packet, out, 0);
  return out;
}

export function dtmfPayload(event: number, end: boolean, duration: number): Uint8Array {
  const b = new Uint8Array(4);
  encodeTelephoneEvent({ event, end, volume: 10, duration }, b, 0);
  return b;
}

export function batch(src: Ep, dst: Ep, ssrc: number, packets: Array<{ t: number; data: Buffer }>, batchSequence: number, callId: string | null): RtpBatch {
  return {
    batchId: `${src.ip}:${src.port}>${dst.ip}:${dst.port}/${ssrc}/${batchSequence}`, mediaKey: 'k',
    stream: { protocol: 'RTP', sourceAddress: src.ip, sourcePort: src.port, destinationAddress: dst.ip, destinationPort: dst.port, ssrc },
    callId, batchSequence, instanceId: 'test', packets: packets.map((p) => ({ captureTimeUs: p.t, data: p.data })), watermarkUs: null,
  };
}

export function watermark(us: number): RtpBatch {
  return {
    batchId: `wm/${us}`, mediaKey: 'watermark',
    stream: { protocol: 'RTP', sourceAddress: '', sourcePort: 0, destinationAddress: '', destinationPort: 0, ssrc: 0 },
    callId: null, batchSequence: 0, instanceId: 'test', packets: [], watermarkUs: us,
  };
}
