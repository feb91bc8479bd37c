/*
 * Lays a call's rendered legs out as WAV channels. Pure.
 * - stereo: the caller's voice left, the callee's right. Legs whose side is unknown fill an empty
 *   channel (left first, in legId order); any further ones are mixed into both channels.
 * - mono: every leg mixed into one channel.
 * Mixing sums with saturation at the 16-bit limits (two talkers rarely overlap; averaging would
 * halve the level of each). Shorter legs end in silence.
 */
import type { LegDirection } from '@earshot/raw';

export type ChannelLayout = 'stereo' | 'mono';

/** One leg's PCM at the call's rate, sample 0 at the call's timeline origin. */
export interface RenderedLeg {
  legId: string;
  side: LegDirection;
  samples: Int16Array;
}

/** Interleaved 16-bit PCM ready for a WAV data chunk. */
export interface MixedAudio {
  channels: 1 | 2;
  /** Samples per channel. */
  frames: number;
  interleaved: Int16Array;
}

/** Which channels (0 = left, 1 = right) each leg goes to in a stereo layout. */
export function stereoChannelsOf(legs: ReadonlyArray<Pick<RenderedLeg, 'legId' | 'side'>>): number[][] {
  const out: number[][] = legs.map(() => []);
  const taken = [false, false];
  legs.forEach((l, i) => {
    if (l.side === 'caller') { out[i] = [0]; taken[0] = true; }
    if (l.side === 'callee') { out[i] = [1]; taken[1] = true; }
  });
  const unknown = legs.map((l, i) => ({ l, i })).filter(({ l }) => l.side === 'unknown').sort((a, b) => (a.l.legId < b.l.legId ? -1 : a.l.legId > b.l.legId ? 1 : 0));
  for (const { i } of unknown) {
    const free = taken.indexOf(false);
    if (free >= 0) { out[i] = [free]; taken[free] = true; }
    else out[i] = [0, 1];
  }
  return out;
}

/** Mixes the legs into `layout`. */
export function mixCall(legs: readonly RenderedLeg[], layout: ChannelLayout): MixedAudio {
  const frames = legs.reduce((m, l) => Math.max(m, l.samples.length), 0);
  const channels = layout === 'stereo' ? 2 : 1;
  const routes = layout === 'stereo' ? stereoChannelsOf(legs) : legs.map(() => [0]);
  const interleaved = new Int16Array(frames * channels);
  const used = new Uint8Array(channels);
  legs.forEach((leg, i) => {
    const s = leg.samples;
    for (const ch of routes[i] ?? []) {
      if (used[ch] === 0) {
        // First leg on this channel: a copy, no arithmetic.
        if (channels === 1) interleaved.set(s, 0);
        else for (let f = 0, o = ch; f < s.length; f++, o += 2) interleaved[o] = s[f] as number;
        used[ch] = 1;
        continue;
      }
      for (let f = 0, o = ch; f < s.length; f++, o += channels) {
        const v = (interleaved[o] as number) + (s[f] as number);
        interleaved[o] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      }
    }
  });
  return { channels, frames, interleaved };
}
