import type { ConvertedAudio, LegSide } from '@earshot/events';
import type { LegDirection } from '@earshot/raw';
import { writeFileAtomically } from '@earshot/recordings';
import { convertCall, type CallConversionOptions } from './call-conversion';
import { readLegFile, resolveInRoot, wavPathFor } from './recording-files';
import { encodeWav } from './wav-encoding';

/** A leg as LEG_COMPLETED announced it. */
export interface CompletedLeg {
  legId: string;
  side: LegSide;
  rawPath: string;
}

/** What converting a call wrote. */
export interface WrittenConversion {
  conversion: ConvertedAudio;
  /** Partly usable input, for the event and the log (empty when all was). */
  warnings: string[];
  legCounts: Record<string, Record<string, number>>;
}

const SIDES: Record<LegSide, LegDirection> = { CALLER: 'caller', CALLEE: 'callee', UNKNOWN: 'unknown' };

/**
 * Reads a call's .raw legs under `root`, converts them, and writes the WAV (temporary name, fsync,
 * rename) beside them. Throws ConversionError for a call that cannot be converted.
 */
export async function convertCallToWav(root: string, callId: string, legs: readonly CompletedLeg[], options: CallConversionOptions): Promise<WrittenConversion> {
  const inputs = await Promise.all(legs.map(async (l) => ({
    legId: l.legId, side: SIDES[l.side], rawPath: l.rawPath, bytes: await readLegFile(root, l.rawPath),
  })));
  const audio = convertCall(inputs, options);
  const wav = encodeWav(audio.interleaved, audio.channels, audio.sampleRate);
  const path = wavPathFor(callId, legs.map((l) => l.rawPath));
  const sha256 = await writeFileAtomically(resolveInRoot(root, path), wav);
  return {
    conversion: {
      path, format: 'wav/pcm16', channels: audio.channels, sampleRate: audio.sampleRate, durationMs: audio.durationMs,
      bytes: wav.length, sha256,
    },
    warnings: audio.warnings,
    legCounts: audio.legCounts,
  };
}
