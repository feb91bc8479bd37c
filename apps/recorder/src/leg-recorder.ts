import { ReasonCounters } from '@earshot/errors';
import type { DtmfDigit, LegQuality, LegSide } from '@earshot/events';
import { RawWriter, type LegDirection, type RawCodecMapping, type RawHeader } from '@earshot/raw';
import {
  DtmfCollector, RtpDecodeError, RtpStreamStats, TelephoneEventDecodeError, decodeRtpPacket, decodeTelephoneEvent, isRtpV2Header,
  rtpPayloadType, rtpSequenceNumber, rtpSsrc, rtpTimestamp, type DtmfEvent,
} from '@earshot/rtp';

/** Who the leg belongs to and where its first packet travelled. */
export interface LegIdentity {
  callId: string;
  legId: string;
  side: LegSide;
  srcIp: string;
  srcPort: number;
  dstIp: string;
  dstPort: number;
}

/** The payload type mapping in force for a packet (the call's SDP, then the RTP/AVP static types of @earshot/rtp). */
export type CodecLookup = (payloadType: number) => RawCodecMapping | undefined;

/** What a closed leg reports in LEG_COMPLETED. */
export interface LegSummary {
  ssrcs: number[];
  codecs: string[];
  stats: LegQuality;
  firstCaptureTimeUs: number;
  lastCaptureTimeUs: number;
}

const PT_CN = 13;
const DTMF_CODES = '0123456789*#ABCD';
const SIDE_DIRECTION: Record<LegSide, LegDirection> = { CALLER: 'caller', CALLEE: 'callee', UNKNOWN: 'unknown' };

function isTelephoneEvent(m: RawCodecMapping | undefined): boolean {
  return m !== undefined && m.encodingName.toLowerCase() === 'telephone-event';
}

/** Audio carries voice: not DTMF (RFC 4733) and not comfort noise (RFC 3389), which are kept but never switch the codec. */
function isVoice(pt: number, m: RawCodecMapping | undefined): boolean {
  return pt !== PT_CN && !isTelephoneEvent(m) && m?.encodingName.toUpperCase() !== 'CN';
}

function sameMapping(a: RawCodecMapping | undefined, b: RawCodecMapping): boolean {
  return a !== undefined && a.encodingName === b.encodingName && a.clockRate === b.clockRate && a.channels === b.channels;
}

/**
 * One leg (one direction of a call) being recorded: every RTP packet as received goes to the .raw
 * (RawWriter) in the order pushed, with the digests the converter needs: an ssrc-change record when
 * the SSRC changes, a dtmf record per RFC 4733 event (the packets themselves stay as rtp records),
 * a codec-change record when the voice payload type switches or its rtpmap changes. Statistics are
 * RtpStreamStats per SSRC, summed for the leg. Pure: the caller takes the bytes and writes them.
 * With `writer: false` it only computes the summary (used to describe a file already written).
 */
export class LegRecorder {
  readonly identity: LegIdentity;
  private readonly writer: RawWriter | null;
  private readonly announced = new Map<number, RawCodecMapping>();
  private readonly statsBySsrc = new Map<number, RtpStreamStats>();
  private readonly ssrcs: number[] = [];
  private readonly codecNames: string[] = [];
  private readonly dtmf = new DtmfCollector();
  private readonly digits: DtmfDigit[] = [];
  private lastSsrc: number | null = null;
  private voicePt = -1;
  private packets = 0;
  private taken = 0;
  private firstUs = -1;
  private lastUs = -1;

  constructor(identity: LegIdentity, firstCaptureTimeUs: number, firstSsrc: number, codecs: RawCodecMapping[], options: { writer?: boolean } = {}) {
    this.identity = identity;
    for (const c of codecs) if (!this.announced.has(c.payloadType)) this.announced.set(c.payloadType, c);
    const header: RawHeader = {
      callId: identity.callId, legId: identity.legId, direction: SIDE_DIRECTION[identity.side],
      srcIp: identity.srcIp, srcPort: identity.srcPort, dstIp: identity.dstIp, dstPort: identity.dstPort,
      ssrcs: [firstSsrc >>> 0], codecs: [...this.announced.values()], createdCaptureTimeUs: firstCaptureTimeUs,
    };
    this.writer = options.writer === false ? null : new RawWriter(header, { initialCapacity: 16384 });
  }

  /** Packets pushed (the rtp records written). */
  get packetCount(): number { return this.packets; }
  get isClosed(): boolean { return this.writer?.isClosed ?? false; }

  /**
   * Records one UDP payload captured at `t` (µs). Returns false (nothing written, counted by
   * reason) for a payload that is not RTP version 2.
   */
  push(t: number, data: Uint8Array, lookup: CodecLookup, counters?: ReasonCounters): boolean {
    if (!isRtpV2Header(data)) {
      counters?.inc('packets.not-rtp');
      return false;
    }
    const pt = rtpPayloadType(data);
    const seq = rtpSequenceNumber(data);
    const ts = rtpTimestamp(data);
    const ssrc = rtpSsrc(data);
    const w = this.writer;
    if (this.firstUs < 0) this.firstUs = t;
    this.lastUs = t;

    if (this.lastSsrc !== null && ssrc !== this.lastSsrc) w?.writeSsrcChange({ captureTimeUs: t, previousSsrc: this.lastSsrc, ssrc });
    if (!this.ssrcs.includes(ssrc)) this.ssrcs.push(ssrc);
    this.lastSsrc = ssrc;

    const mapping = lookup(pt);
    if (mapping) {
      const said = this.announced.get(pt);
      const switched = isVoice(pt, mapping) && this.voicePt >= 0 && this.voicePt !== pt;
      if (!sameMapping(said, mapping) || switched) {
        w?.writeCodecChange({ captureTimeUs: t, payloadType: pt, encodingName: mapping.encodingName, clockRate: mapping.clockRate, channels: mapping.channels });
        this.announced.set(pt, mapping);
      }
      if (!this.codecNames.includes(mapping.encodingName)) this.codecNames.push(mapping.encodingName);
    } else {
      counters?.inc('packets.unknown-payload-type');
    }
    if (isVoice(pt, mapping)) this.voicePt = pt;

    let stats = this.statsBySsrc.get(ssrc);
    if (!stats) {
      stats = new RtpStreamStats({ clockRate: mapping?.clockRate ?? 8000 });
      this.statsBySsrc.set(ssrc, stats);
    }
    stats.push(seq, ts, t);
    w?.writeRtp(t, data);
    this.packets++;

    if (isTelephoneEvent(mapping)) {
      try {
        const packet = decodeRtpPacket(data).value;
        const event = decodeTelephoneEvent(packet.payload).value;
        for (const e of this.dtmf.push({ ssrc, timestamp: ts, event, captureTimeUs: t })) this.digest(e, mapping?.clockRate ?? 8000);
      } catch (error) {
        if (!(error instanceof RtpDecodeError || error instanceof TelephoneEventDecodeError)) throw error;
        counters?.inc(`packets.bad-telephone-event.${error.reason}`);
      }
    }
    return true;
  }

  private digest(e: DtmfEvent, clockRate: number): void {
    this.writer?.writeDtmf({
      captureTimeUs: e.captureTimeUs, ssrc: e.ssrc, rtpTimestamp: e.rtpTimestamp, event: e.event, ended: e.ended, volume: e.volume, duration: e.duration,
    });
    this.digits.push({
      digit: e.event < DTMF_CODES.length ? (DTMF_CODES[e.event] as string) : String(e.event),
      captureTimeUs: e.captureTimeUs,
      durationMs: Math.round((e.duration * 1000) / clockRate),
    });
  }

  /** Bytes built and not yet taken. */
  get bufferedBytes(): number {
    return this.writer ? this.writer.bytesWritten - this.taken : 0;
  }

  /** The bytes written since the last take. */
  take(): Buffer {
    if (!this.writer) return Buffer.alloc(0);
    const out = this.writer.take();
    this.taken += out.length;
    return out;
  }

  /** Ends the leg at capture time `endUs`: an unfinished DTMF event, then the trailer. */
  close(endUs: number, endReason: string): LegSummary {
    for (const e of this.dtmf.flush()) this.digest(e, 8000);
    const s = this.summary();
    this.writer?.writeTrailer({
      captureTimeUs: endUs, packets: s.stats.packets, expected: s.stats.expected, lost: s.stats.lost, duplicated: s.stats.duplicated,
      late: s.stats.late, outOfOrder: s.stats.outOfOrder, restarts: this.restarts(), jitterMs: s.stats.jitterMs, maxJitterMs: s.stats.maxJitterMs, endReason,
    });
    return s;
  }

  private restarts(): number {
    let n = 0;
    for (const st of this.statsBySsrc.values()) n += st.summary().restarts;
    return n;
  }

  /** Counts so far: per-SSRC RtpStreamStats summed; jitter of the last SSRC, max jitter over all. */
  summary(): LegSummary {
    let expected = 0, lost = 0, duplicated = 0, outOfOrder = 0, late = 0, maxJitterMs = 0;
    for (const st of this.statsBySsrc.values()) {
      const s = st.summary();
      expected += s.expected; lost += s.lost; duplicated += s.duplicated; outOfOrder += s.outOfOrder; late += s.tooLate;
      if (s.maxJitterMs > maxJitterMs) maxJitterMs = s.maxJitterMs;
    }
    const last = this.lastSsrc === null ? undefined : this.statsBySsrc.get(this.lastSsrc)?.summary();
    return {
      ssrcs: [...this.ssrcs],
      codecs: [...this.codecNames],
      stats: { packets: this.packets, expected, lost, duplicated, outOfOrder, late, jitterMs: last?.jitterMs ?? 0, maxJitterMs, dtmf: [...this.digits] },
      firstCaptureTimeUs: this.firstUs,
      lastCaptureTimeUs: this.lastUs,
    };
  }
}
