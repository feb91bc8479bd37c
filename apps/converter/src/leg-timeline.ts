/*
 * One leg's audio on the capture timeline, from its .raw records. Pure: records in, samples out.
 *
 * Playout order and placement (docs/raw-format.md: the converter, not the recorder, orders):
 * - Per SSRC, sequence numbers are extended (RtpSequenceTracker) and timestamps extended across
 *   wrap-around (RtpTimestampExtender), both in arrival order. Duplicates are kept once; packets
 *   beyond the reorder window (`too-late`) are dropped from the audio, as LegQuality.late says; a
 *   lone sequence jump is a stray unless the next packet confirms a restart.
 * - A packet's place is its RTP timestamp relative to an anchor packet, whose capture time places
 *   the anchor on the call's timeline. The anchor is the first packet of each SSRC, and a new one is
 *   taken when an in-order packet's timestamp disagrees with its capture time by more than
 *   maxTimestampDriftMs (an endpoint restarting its timestamps without a new SSRC).
 * - Audio between placed packets is digital silence, so lost packets, silence suppression and
 *   comfort-noise periods become silence of exactly their timestamp duration. Telephone events
 *   (RFC 4733) and CN packets take part in sequence tracking but are not rendered.
 * - Packets are decoded in playout order (G.722 is stateful) with one decoder per SSRC and payload
 *   type; later packets overwrite earlier ones where they overlap.
 */
import { codecFor, type Codec } from '@earshot/codecs';
import type { LegDirection, RawRecord } from '@earshot/raw';
import { decodeRtpPacket, RtpDecodeError, RtpSequenceTracker, RtpTimestampExtender, staticPayloadType } from '@earshot/rtp';

/** Options of planLeg. */
export interface LegTimelineOptions {
  /** Encoding names rendered as audio (case-insensitive); empty: every supported one. Default []. */
  recordedCodecs?: readonly string[];
  /** An in-order packet whose timestamp and capture time disagree by more than this (ms) re-anchors the stream. Default 5000. */
  maxTimestampDriftMs?: number;
}

/** One audio packet to render: where it goes and how to decode it. */
export interface PlannedPacket {
  /** Capture time (µs) of the anchor packet of its segment. */
  anchorUs: number;
  /** RTP timestamp units from the anchor packet to this one (may be negative). */
  timestampOffset: number;
  /** Decoder identity within the leg: SSRC stream index × 128 + payload type. */
  decoderKey: number;
  encodingName: string;
  clockRate: number;
  payload: Uint8Array;
}

/** A leg ready to render: its audio packets in playout order, and what was not rendered, by reason. */
export interface LegPlan {
  legId: string;
  direction: LegDirection;
  packets: PlannedPacket[];
  /** Highest decoded sample rate among the audio packets (0 without audio). */
  sampleRate: number;
  /** Earliest start (µs, capture timeline) of an audio packet; null without audio. */
  startUs: number | null;
  /** Packets by what became of them: audio, duplicate, late, stray, telephone-event, comfort-noise, bad-rtp, not-recorded:<NAME>, unsupported:<NAME>. */
  counts: Record<string, number>;
}

const DEFAULT_MAX_DRIFT_MS = 5000;
const US_PER_S = 1_000_000;
/** Static payload type of comfort noise (RFC 3389) when no rtpmap names it. */
const PT_CN = 13;

interface SegmentAnchor { fromExtSeq: number; anchorUs: number; anchorTs: number }
interface SsrcState {
  index: number;
  seq: RtpSequenceTracker;
  ts: RtpTimestampExtender;
  /** Anchors by the extended sequence they start at, ascending. */
  anchors: SegmentAnchor[];
  /** A sequence jump held until the next packet says whether it is a restart. */
  pendingJump: Candidate | null;
}
interface Candidate { ssrc: SsrcState; extSeq: number; extTs: number; captureUs: number; payloadType: number; payload: Uint8Array; mapping: Mapping | undefined }
interface Mapping { encodingName: string; clockRate: number; channels: number }
/** What planning needs of a codec (codecFor builds a whole decoder: once per mapping, not per packet). */
interface CodecInfo { name: string; clockRate: number; sampleRate: number }
const PAYLOAD_TYPES = 128;

function inc(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** Orders a leg's packets for playout and keeps those to render (see the file comment). */
export function planLeg(
  header: { legId: string; direction: LegDirection; codecs: ReadonlyArray<{ payloadType: number } & Mapping> },
  records: readonly RawRecord[],
  options: LegTimelineOptions = {},
): LegPlan {
  const recorded = new Set((options.recordedCodecs ?? []).map((c) => c.toUpperCase()));
  const maxDriftUs = (options.maxTimestampDriftMs ?? DEFAULT_MAX_DRIFT_MS) * 1000;
  const counts: Record<string, number> = {};
  const mappings = new Map<number, Mapping>(header.codecs.map((c) => [c.payloadType, { encodingName: c.encodingName, clockRate: c.clockRate, channels: c.channels }]));
  const streams = new Map<number, SsrcState>();
  const accepted: Candidate[] = [];
  const codecInfo = new Map<Mapping, CodecInfo | null>();
  const infoOf = (m: Mapping): CodecInfo | null => {
    let info = codecInfo.get(m);
    if (info === undefined) {
      const codec = codecFor(m.encodingName, m.clockRate, m.channels);
      info = codec ? { name: codec.name, clockRate: codec.clockRate, sampleRate: codec.sampleRate } : null;
      codecInfo.set(m, info);
    }
    return info;
  };

  const accept = (s: SsrcState, c: Candidate, inOrder: boolean): void => {
    const clock = c.mapping?.clockRate ?? 8000;
    const last = s.anchors[s.anchors.length - 1];
    if (!last) {
      s.anchors.push({ fromExtSeq: Number.NEGATIVE_INFINITY, anchorUs: c.captureUs, anchorTs: c.extTs });
    } else if (inOrder) {
      const predictedUs = last.anchorUs + ((c.extTs - last.anchorTs) * US_PER_S) / clock;
      if (Math.abs(c.captureUs - predictedUs) > maxDriftUs) s.anchors.push({ fromExtSeq: c.extSeq, anchorUs: c.captureUs, anchorTs: c.extTs });
    }
    accepted.push(c);
  };

  for (const r of records) {
    if (r.kind === 'codec-change') {
      mappings.set(r.payloadType, { encodingName: r.encodingName, clockRate: r.clockRate, channels: r.channels });
      continue;
    }
    if (r.kind !== 'rtp') continue;
    let p;
    try {
      p = decodeRtpPacket(r.packet).value;
    } catch (e) {
      if (!(e instanceof RtpDecodeError)) throw e;
      inc(counts, 'bad-rtp');
      continue;
    }
    let s = streams.get(p.ssrc);
    if (!s) {
      s = { index: streams.size, seq: new RtpSequenceTracker(), ts: new RtpTimestampExtender(), anchors: [], pendingJump: null };
      streams.set(p.ssrc, s);
    }
    const cls = s.seq.push(p.sequenceNumber);
    const extTs = s.ts.extend(p.timestamp);
    const mapping = mappings.get(p.payloadType) ?? staticPayloadType(p.payloadType);
    const c: Candidate = { ssrc: s, extSeq: s.seq.extendedSequence, extTs, captureUs: r.captureTimeUs, payloadType: p.payloadType, payload: p.payload, mapping };
    if (cls !== 'jump' && s.pendingJump) {
      if (cls === 'restart') accept(s, s.pendingJump, true);
      else inc(counts, 'stray');
      s.pendingJump = null;
    }
    switch (cls) {
      case 'duplicate': inc(counts, 'duplicate'); break;
      case 'too-late': inc(counts, 'late'); break;
      case 'jump':
        if (s.pendingJump) inc(counts, 'stray');
        s.pendingJump = c;
        break;
      case 'out-of-order': accept(s, c, false); break;
      default: accept(s, c, true); // in-order, restart, probation (minSequential is 1)
    }
  }
  for (const s of streams.values()) if (s.pendingJump) inc(counts, 'stray');

  // Playout order: SSRCs in order of appearance, then extended sequence.
  accepted.sort((a, b) => a.ssrc.index - b.ssrc.index || a.extSeq - b.extSeq);
  const packets: PlannedPacket[] = [];
  let sampleRate = 0;
  let startUs: number | null = null;
  for (const a of accepted) {
    const name = (a.mapping?.encodingName ?? '').toUpperCase();
    if (name === 'TELEPHONE-EVENT') { inc(counts, 'telephone-event'); continue; }
    if (name === 'CN' || (!a.mapping && a.payloadType === PT_CN)) { inc(counts, 'comfort-noise'); continue; }
    if (!a.mapping) { inc(counts, `unsupported:PT${a.payloadType}`); continue; }
    const codec = infoOf(a.mapping);
    if (!codec) { inc(counts, `unsupported:${name}`); continue; }
    if (recorded.size > 0 && !recorded.has(codec.name)) { inc(counts, `not-recorded:${codec.name}`); continue; }
    if (codec.name === 'L16' && a.payload.length % 2 !== 0) { inc(counts, 'bad-payload'); continue; }
    const anchor = anchorFor(a.ssrc.anchors, a.extSeq);
    const timestampOffset = a.extTs - anchor.anchorTs;
    const start = anchor.anchorUs + Math.floor((timestampOffset * US_PER_S) / codec.clockRate);
    startUs = startUs === null ? start : Math.min(startUs, start);
    sampleRate = Math.max(sampleRate, codec.sampleRate);
    packets.push({
      anchorUs: anchor.anchorUs, timestampOffset, decoderKey: a.ssrc.index * PAYLOAD_TYPES + a.payloadType,
      encodingName: a.mapping.encodingName, clockRate: a.mapping.clockRate, payload: a.payload,
    });
    inc(counts, 'audio');
  }
  return { legId: header.legId, direction: header.direction, packets, sampleRate, startUs, counts };
}

/** The anchor whose segment holds `extSeq`: the last one starting at or before it. */
function anchorFor(anchors: readonly SegmentAnchor[], extSeq: number): SegmentAnchor {
  let found = anchors[0] as SegmentAnchor; // a stream has an anchor once it has an accepted packet
  for (const a of anchors) {
    if (a.fromExtSeq <= extSeq) found = a;
    else break;
  }
  return found;
}

/**
 * Renders a planned leg as 16-bit PCM at `sampleRate`, sample 0 being capture time `originUs`.
 * A packet at another rate (a codec change mid-call) is resampled by linear interpolation; at the
 * leg's own rate the decoded samples are copied untouched (bit-exact with the codec).
 */
export function renderLeg(plan: LegPlan, sampleRate: number, originUs: number): Int16Array {
  const decoders = new Map<number, Codec>();
  const placed: Array<{ pos: number; n: number; codec: Codec; payload: Uint8Array }> = [];
  let end = 0;
  for (const p of plan.packets) {
    let codec = decoders.get(p.decoderKey);
    if (!codec) {
      codec = codecFor(p.encodingName, p.clockRate) as Codec; // planLeg kept only packets it supports
      decoders.set(p.decoderKey, codec);
    }
    const pos = Math.round(((p.anchorUs - originUs) * sampleRate) / US_PER_S) + Math.round((p.timestampOffset * sampleRate) / p.clockRate);
    const decoded = codec.samplesPerPacket(p.payload.length);
    const n = codec.sampleRate === sampleRate ? decoded : Math.round((decoded * sampleRate) / codec.sampleRate);
    placed.push({ pos, n, codec, payload: p.payload });
    end = Math.max(end, pos + n);
  }
  const out = new Int16Array(Math.max(0, end));
  let scratch = new Int16Array(0);
  for (const { pos, n, codec, payload } of placed) {
    if (codec.sampleRate === sampleRate && pos >= 0) {
      codec.decodeInto(payload, out, pos);
      continue;
    }
    const decoded = codec.samplesPerPacket(payload.length);
    if (scratch.length < decoded) scratch = new Int16Array(decoded);
    codec.decodeInto(payload, scratch, 0);
    const src = scratch.subarray(0, decoded);
    const samples = codec.sampleRate === sampleRate ? src : resampleLinear(src, n);
    for (let i = Math.max(0, -pos); i < samples.length; i++) out[pos + i] = samples[i] as number;
  }
  return out;
}

/** Linear interpolation of `src` to `n` samples (deterministic: integer rounding only). */
export function resampleLinear(src: Int16Array, n: number): Int16Array {
  const out = new Int16Array(n);
  if (src.length === 0) return out;
  const step = src.length / n;
  for (let i = 0; i < n; i++) {
    const x = i * step;
    const j = Math.floor(x);
    const a = src[j] as number;
    const b = (j + 1 < src.length ? src[j + 1] : a) as number;
    out[i] = Math.round(a + (b - a) * (x - j));
  }
  return out;
}
