/*
 * A call's .raw legs (bytes) → mixed 16-bit PCM. Pure: the app reads the files and writes the WAV.
 *
 * - Timeline origin: the earliest audio packet of any leg (its capture time, less any reordered
 *   packet placed before it), so each leg sits where its first packet was captured relative to the
 *   call's earliest leg.
 * - Rate: the highest decoded rate among the legs (G.722 legs make a call 16 kHz); a leg at a lower
 *   rate is resampled by linear interpolation (renderLeg). Legs at the call's rate are bit-exact.
 * - A .raw whose header cannot be read (missing magic, truncated header, other version) fails the
 *   call. A .raw cut short after the header (truncated-record, missing-trailer, ...) is converted as
 *   far as it reads, and the conversion carries a warning saying so.
 */
import { EarshotError } from '@earshot/errors';
import { readRaw, type LegDirection } from '@earshot/raw';
import { mixCall, type ChannelLayout, type MixedAudio, type RenderedLeg } from './call-mix';
import { planLeg, renderLeg, type LegPlan } from './leg-timeline';

/** A call that cannot be converted; `reason`: raw-unreadable, no-audio, no-legs. */
export class ConversionError extends EarshotError {}

/** One leg's input: its .raw bytes and, from LEG_COMPLETED, its side (null: take the .raw header's). */
export interface LegInput {
  legId: string;
  side: LegDirection | null;
  /** For messages (the path relative to the recordings root). */
  rawPath: string;
  bytes: Uint8Array;
}

export interface CallConversionOptions {
  layout: ChannelLayout;
  /** Encoding names rendered as audio; empty: all supported. */
  recordedCodecs: readonly string[];
}

export interface CallAudio extends MixedAudio {
  sampleRate: number;
  durationMs: number;
  /** Sentences for a person about input that was only partly usable (empty when all was). */
  warnings: string[];
  /** Per leg, the packets by what became of them (LegPlan.counts). */
  legCounts: Record<string, Record<string, number>>;
}

/** Converts one call (see the file comment). Throws ConversionError. */
export function convertCall(legs: readonly LegInput[], options: CallConversionOptions): CallAudio {
  if (legs.length === 0) throw new ConversionError('no LEG_COMPLETED event before CALL_COMPLETED: nothing to convert', { reason: 'no-legs' });
  const sorted = [...legs].sort((a, b) => (a.legId < b.legId ? -1 : a.legId > b.legId ? 1 : 0));
  const warnings: string[] = [];
  const plans: Array<{ plan: LegPlan; side: LegDirection }> = [];
  for (const leg of sorted) {
    const raw = readRaw(leg.bytes);
    if (!raw.header) {
      throw new ConversionError(`${leg.rawPath} is not a readable .raw file: ${raw.error?.message ?? 'no header'} (${raw.error?.reason ?? 'bad-header'})`, {
        reason: 'raw-unreadable', cause: raw.error,
      });
    }
    if (raw.error) warnings.push(`${leg.rawPath}: ${raw.error.reason}: ${raw.error.message}; converted the ${raw.records.length} records before it`);
    const plan = planLeg(raw.header, raw.records, { recordedCodecs: options.recordedCodecs });
    plans.push({ plan, side: leg.side === null || leg.side === 'unknown' ? raw.header.direction : leg.side });
  }
  const withAudio = plans.filter((p) => p.plan.startUs !== null);
  const legCounts = Object.fromEntries(plans.map((p) => [p.plan.legId, p.plan.counts]));
  if (withAudio.length === 0) {
    const what = plans.map((p) => `${p.plan.legId}: ${describeCounts(p.plan.counts)}`).join('; ');
    throw new ConversionError(`no audio to convert (${what})`, { reason: 'no-audio' });
  }
  const originUs = Math.min(...withAudio.map((p) => p.plan.startUs as number));
  const sampleRate = Math.max(...withAudio.map((p) => p.plan.sampleRate));
  const rendered: RenderedLeg[] = plans.map((p) => ({ legId: p.plan.legId, side: p.side, samples: renderLeg(p.plan, sampleRate, originUs) }));
  const mixed = mixCall(rendered, options.layout);
  return { ...mixed, sampleRate, durationMs: Math.round((mixed.frames * 1000) / sampleRate), warnings, legCounts };
}

function describeCounts(counts: Record<string, number>): string {
  const parts = Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${v} ${k}`);
  return parts.length > 0 ? parts.join(', ') : 'no RTP packets';
}
