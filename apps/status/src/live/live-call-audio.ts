import { codecFor, type Codec } from '@earshot/codecs';
import { decodeRtpPacket, RtpDecodeError, endpointString, staticPayloadType } from '@earshot/rtp';
import { ReasonCounters } from '@earshot/errors';
import type { MediaDescription, RtpBatch } from '@earshot/events';
import { LiveMixer, resamplePcm } from './live-mixer';

/** An RTP payload type as the call's SDP (or RFC 3551) names it. */
export interface PayloadFormat {
  name: string;
  clockRate: number;
  channels: number;
}

/** What a call's SDP says about its media: the endpoints (ip:port) and the payload types. */
export interface CallMedia {
  endpoints: Set<string>;
  formats: Map<number, PayloadFormat>;
}

/** The endpoints and payload formats of both parties' SDP (projection.calls caller_media/callee_media). */
export function callMediaOf(callerMedia: readonly MediaDescription[], calleeMedia: readonly MediaDescription[]): CallMedia {
  const endpoints = new Set<string>();
  const formats = new Map<number, PayloadFormat>();
  for (const m of [...callerMedia, ...calleeMedia]) {
    if (m.media !== 'audio') continue;
    try {
      if (m.port > 0) endpoints.add(endpointString(m.address, m.port));
    } catch {
      // An address the SDP got wrong cannot match a stream; its codecs still count.
    }
    for (const c of m.codecs) if (!formats.has(c.payloadType)) formats.set(c.payloadType, { name: c.name, clockRate: c.clockRate, channels: c.channels });
  }
  return { endpoints, formats };
}

interface StreamState {
  payloadType: number;
  codec: Codec | undefined;
  recent: Set<number>;
  order: number[];
}

const RECENT_SEQUENCES = 128;

/**
 * Turns a call's RtpBatches into audio for a LiveMixer: RTP packets decoded, duplicates dropped,
 * each payload decoded by the codec its payload type names (the call's SDP first, then the static
 * types of RFC 3551) and brought to the mixer's rate. RTCP, telephone events, comfort noise and
 * codecs without a decoder are skipped and counted; a packet that does not decode is counted by
 * reason and the rest go on.
 */
export class LiveCallAudio {
  readonly counters = new ReasonCounters();
  private readonly streams = new Map<string, StreamState>();

  constructor(
    readonly mixer: LiveMixer,
    private media: CallMedia,
  ) {}

  /** The call's media changed (re-INVITE): new endpoints and payload types. */
  updateMedia(media: CallMedia): void {
    this.media = media;
  }

  get endpoints(): ReadonlySet<string> {
    return this.media.endpoints;
  }

  /** Whether a batch is this call's: by its callId, or (callId unknown) by one of the call's SDP endpoints. */
  matches(batch: RtpBatch, callId: string): boolean {
    if (batch.callId !== null) return batch.callId === callId;
    const s = batch.stream;
    try {
      return this.media.endpoints.has(endpointString(s.sourceAddress, s.sourcePort)) || this.media.endpoints.has(endpointString(s.destinationAddress, s.destinationPort));
    } catch {
      return false;
    }
  }

  private formatOf(pt: number): PayloadFormat | undefined {
    const sdp = this.media.formats.get(pt);
    if (sdp) return sdp;
    const st = staticPayloadType(pt);
    return st ? { name: st.encodingName, clockRate: st.clockRate, channels: st.channels } : undefined;
  }

  add(batch: RtpBatch): void {
    if (batch.stream.protocol !== 'RTP' || batch.packets.length === 0) return;
    const s = batch.stream;
    const key = `${s.sourceAddress}:${s.sourcePort}>${s.destinationAddress}:${s.destinationPort}#${s.ssrc}`;
    let state = this.streams.get(key);
    if (!state) {
      state = { payloadType: -1, codec: undefined, recent: new Set(), order: [] };
      this.streams.set(key, state);
    }
    for (const p of batch.packets) {
      let packet;
      try {
        packet = decodeRtpPacket(p.data).value;
      } catch (e) {
        this.counters.inc(e instanceof RtpDecodeError ? `rtp.${e.reason}` : 'rtp.undecodable');
        continue;
      }
      if (state.recent.has(packet.sequenceNumber)) { this.counters.inc('duplicate'); continue; }
      state.recent.add(packet.sequenceNumber);
      state.order.push(packet.sequenceNumber);
      if (state.order.length > RECENT_SEQUENCES) state.recent.delete(state.order.shift() as number);
      if (packet.payloadType !== state.payloadType) {
        state.payloadType = packet.payloadType;
        const f = this.formatOf(packet.payloadType);
        state.codec = f ? codecFor(f.name, f.clockRate, f.channels) : undefined;
      }
      const codec = state.codec;
      if (!codec) { this.counters.inc(`skipped.payload-type-${packet.payloadType}`); continue; }
      let pcm: Int16Array;
      try {
        pcm = codec.decode(packet.payload);
      } catch {
        this.counters.inc('codec.undecodable');
        continue;
      }
      this.mixer.add(key, p.captureTimeUs, packet.timestamp >>> 0, codec.clockRate, resamplePcm(pcm, codec.sampleRate, this.mixer.sampleRate));
      this.counters.inc('packets.mixed');
    }
  }
}
