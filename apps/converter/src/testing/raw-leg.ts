/** Builds .raw legs as the recorder writes them, for the converter's tests and benchmark. */
import { RawWriter, type LegDirection, type RawCodecMapping } from '@earshot/raw';
import { rtpPacketBytes } from '@earshot/rtp';

/** One RTP packet of a leg as captured. */
export interface LegPacket {
  seq: number;
  ts: number;
  captureUs: number;
  payload: Uint8Array;
  /** Default: the leg's first codec's payload type. */
  pt?: number;
  /** Default: the leg's ssrc. */
  ssrc?: number;
}

export interface RawLegSpec {
  callId?: string;
  legId: string;
  direction: LegDirection;
  /** Default PCMU/8000 as PT 0. */
  codecs?: RawCodecMapping[];
  /** Default 0x11223344. */
  ssrc?: number;
  /** Records in arrival order. */
  packets: LegPacket[];
  /** Write the trailer (default true). */
  close?: boolean;
}

export const PCMU: RawCodecMapping = { payloadType: 0, encodingName: 'PCMU', clockRate: 8000, channels: 1 };
export const PCMA: RawCodecMapping = { payloadType: 8, encodingName: 'PCMA', clockRate: 8000, channels: 1 };
export const G722: RawCodecMapping = { payloadType: 9, encodingName: 'G722', clockRate: 8000, channels: 1 };
export const TELEPHONE_EVENT: RawCodecMapping = { payloadType: 101, encodingName: 'telephone-event', clockRate: 8000, channels: 1 };

/** The bytes of a .raw file holding `spec`'s packets (and trailer). */
export function buildRawLeg(spec: RawLegSpec): Uint8Array {
  const codecs = spec.codecs ?? [PCMU];
  const ssrc = spec.ssrc ?? 0x11223344;
  const first = spec.packets[0]?.captureUs ?? 1_700_000_000_000_000;
  const w = new RawWriter({
    callId: spec.callId ?? 'call-1@test', legId: spec.legId, direction: spec.direction,
    srcIp: '10.0.0.1', srcPort: 40000, dstIp: '10.0.0.2', dstPort: 50000, ssrcs: [ssrc], codecs, createdCaptureTimeUs: first,
  }, { initialCapacity: spec.packets.length * 200 + 1024 });
  let last = first;
  for (const p of spec.packets) {
    w.writeRtp(p.captureUs, rtpPacketBytes({
      marker: false, payloadType: p.pt ?? codecs[0]?.payloadType ?? 0, sequenceNumber: p.seq & 0xffff, timestamp: p.ts >>> 0,
      ssrc: p.ssrc ?? ssrc, csrcs: [], extension: null, payload: p.payload, paddingSize: 0,
    }));
    last = Math.max(last, p.captureUs);
  }
  if (spec.close ?? true) {
    w.writeTrailer({
      captureTimeUs: last, packets: spec.packets.length, expected: spec.packets.length, lost: 0, duplicated: 0, late: 0, outOfOrder: 0,
      restarts: 0, jitterMs: 0, maxJitterMs: 0, endReason: 'bye',
    });
  }
  return w.take();
}

/** `count` packets of `payloads` sent every 20 ms: sequence from `seq0`, timestamp from `ts0` in steps of `samplesPerPacket`. */
export function steadyPackets(payloads: readonly Uint8Array[], o: { seq0?: number; ts0?: number; startUs: number; samplesPerPacket?: number; ptimeUs?: number }): LegPacket[] {
  const spp = o.samplesPerPacket ?? 160;
  const ptime = o.ptimeUs ?? 20_000;
  return payloads.map((payload, i) => ({ seq: (o.seq0 ?? 1000) + i, ts: (o.ts0 ?? 5000) + i * spp, captureUs: o.startUs + i * ptime, payload }));
}
