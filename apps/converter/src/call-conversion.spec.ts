/**
 * Fidelity of the converter's audio (issue 4): G.711 bit-exact with an independent decode (the
 * ITU-T G.711 segment formulas written here, and sox), G.722 bit-exact with ffmpeg's decoder and
 * within the codec's own noise of the original tone, legs aligned on the capture timeline.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { tonePayloads } from '@earshot/call-scenarios';
import { convertCall, ConversionError, type LegInput } from './call-conversion';
import { buildRawLeg, G722, PCMA, PCMU, steadyPackets, TELEPHONE_EVENT } from './testing/raw-leg';

const T0 = 1_763_942_400_000_000;

/** ITU-T G.711 μ-law expansion: bits inverted, then (2·mantissa + 33)·2^exponent − 33, scaled by 4 to 16 bits. */
function ituUlaw(code: number): number {
  const u = ~code & 0xff;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  const magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
  return u & 0x80 ? -magnitude : magnitude;
}

/** ITU-T G.711 A-law expansion: even bits inverted, segment 0 linear, others (2·mantissa + 33)·2^(segment−1), scaled by 8 to 16 bits. */
function ituAlaw(code: number): number {
  const a = code ^ 0x55;
  const segment = (a >> 4) & 0x07;
  const mantissa = a & 0x0f;
  const magnitude = segment === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (segment - 1);
  return a & 0x80 ? magnitude : -magnitude;
}

/** 20 ms payloads: a tone, then every one of the 256 code bytes, then the tone again. */
function payloadsWithEveryCode(codec: 'PCMU' | 'PCMA', hz: number, packets: number): Uint8Array[] {
  const tone = tonePayloads(codec, hz, packets);
  const codes = Uint8Array.from({ length: 320 }, (_, i) => i % 256);
  return [...tone.slice(0, packets / 2), codes.subarray(0, 160), codes.subarray(160), ...tone.slice(packets / 2)];
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

function channel(interleaved: Int16Array, channels: number, ch: number): Int16Array {
  const out = new Int16Array(interleaved.length / channels);
  for (let i = 0; i < out.length; i++) out[i] = interleaved[i * channels + ch] as number;
  return out;
}

/** Runs a reference tool; a missing tool is a failure with the reason (tools/bootstrap.sh installs sox and ffmpeg). */
function reference(cmd: string, args: string[], input: Uint8Array): Int16Array {
  const r = spawnSync(cmd, args, { input, maxBuffer: 1 << 28 });
  if (r.error) assert.fail(`${cmd} is needed as the independent reference decoder (tools/bootstrap.sh installs it): ${r.error.message}`);
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed: ${r.stderr.toString()}`);
  const b = r.stdout as Buffer;
  return new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}

function leg(legId: string, side: 'caller' | 'callee', bytes: Uint8Array): LegInput {
  return { legId, side, rawPath: `2025/11/24/call/${legId}.raw`, bytes };
}

describe('call conversion: fidelity', () => {
  for (const [codec, mapping, itu, soxType] of [['PCMU', PCMU, ituUlaw, 'ul'], ['PCMA', PCMA, ituAlaw, 'al']] as const) {
    test(`a clean ${codec} call: both channels bit-exact with the ITU-T G.711 formulas and with sox -t ${soxType}`, () => {
      const callerPayloads = payloadsWithEveryCode(codec, 440, 100);
      const calleePayloads = payloadsWithEveryCode(codec, 660, 100);
      const audio = convertCall([
        leg('caller', 'caller', buildRawLeg({ legId: 'caller', direction: 'caller', codecs: [mapping], packets: steadyPackets(callerPayloads, { startUs: T0 }) })),
        leg('callee', 'callee', buildRawLeg({ legId: 'callee', direction: 'callee', codecs: [mapping], ssrc: 7, packets: steadyPackets(calleePayloads, { startUs: T0, seq0: 60_000, ts0: 123 }) })),
      ], { layout: 'stereo', recordedCodecs: [] });
      assert.deepEqual([audio.channels, audio.sampleRate, audio.frames, audio.durationMs, audio.warnings], [2, 8000, 102 * 160, 2040, []]);
      for (const [ch, payloads] of [[0, callerPayloads], [1, calleePayloads]] as const) {
        const bytes = concat(payloads);
        const got = channel(audio.interleaved, 2, ch);
        assert.deepEqual(got, Int16Array.from(bytes, itu), `channel ${ch} vs the ITU-T formulas`);
        const sox = reference('sox', ['-t', soxType, '-r', '8000', '-c', '1', '-', '-t', 's16', '-L', '-'], bytes);
        assert.deepEqual(got, sox, `channel ${ch} vs sox`);
      }
    });
  }

  test('G.722: bit-exact with ffmpeg (libavcodec g722), and within the codec\'s noise of the tone sent (SNR > 25 dB)', () => {
    const payloads = tonePayloads('G722', 1000, 100);
    const audio = convertCall([leg('caller', 'caller', buildRawLeg({ legId: 'caller', direction: 'caller', codecs: [G722], packets: steadyPackets(payloads, { startUs: T0 }) }))],
      { layout: 'mono', recordedCodecs: [] });
    assert.deepEqual([audio.channels, audio.sampleRate, audio.frames, audio.durationMs], [1, 16000, 100 * 320, 2000]);
    const ffmpeg = reference('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'g722', '-i', 'pipe:0', '-f', 's16le', '-acodec', 'pcm_s16le', 'pipe:1'], concat(payloads));
    assert.deepEqual(audio.interleaved, ffmpeg);
    // The tone as sent (tonePayloads: 8000·sin), compared at the codec's delay that fits best.
    const sent = Int16Array.from({ length: audio.frames }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 1000 * i) / 16000)));
    let best = Number.NEGATIVE_INFINITY;
    for (let lag = 0; lag < 48; lag++) {
      let sig = 0;
      let err = 0;
      for (let i = 1000; i < audio.frames - 100; i++) {
        const s = sent[i - lag] as number;
        sig += s * s;
        err += (s - (audio.interleaved[i] as number)) ** 2;
      }
      best = Math.max(best, 10 * Math.log10(sig / err));
    }
    assert.ok(best > 25, `SNR ${best.toFixed(1)} dB`);
  });

  test('legs are aligned by their first packets\' capture times: a callee starting 250 ms later starts 2000 samples later', () => {
    const p = tonePayloads('PCMU', 440, 50);
    const audio = convertCall([
      leg('caller', 'caller', buildRawLeg({ legId: 'caller', direction: 'caller', packets: steadyPackets(p, { startUs: T0 }) })),
      leg('callee', 'callee', buildRawLeg({ legId: 'callee', direction: 'callee', packets: steadyPackets(p, { startUs: T0 + 250_000, ts0: 99 }) })),
    ], { layout: 'stereo', recordedCodecs: [] });
    assert.equal(audio.frames, 2000 + 50 * 160);
    const left = channel(audio.interleaved, 2, 0);
    const right = channel(audio.interleaved, 2, 1);
    const pcm = Int16Array.from(concat(p), ituUlaw);
    assert.deepEqual(left.subarray(0, pcm.length), pcm);
    assert.ok(left.subarray(pcm.length).every((s) => s === 0));
    assert.ok(right.subarray(0, 2000).every((s) => s === 0));
    assert.deepEqual(right.subarray(2000), pcm);
  });

  test('mono mixes both legs (saturating sum); legs at different rates are brought to the highest', () => {
    const u = tonePayloads('PCMU', 440, 10);
    const g = tonePayloads('G722', 1000, 10);
    const legs = [
      leg('caller', 'caller', buildRawLeg({ legId: 'caller', direction: 'caller', packets: steadyPackets(u, { startUs: T0 }) })),
      leg('callee', 'callee', buildRawLeg({ legId: 'callee', direction: 'callee', codecs: [G722], packets: steadyPackets(g, { startUs: T0 }) })),
    ];
    const stereo = convertCall(legs, { layout: 'stereo', recordedCodecs: [] });
    const mono = convertCall(legs, { layout: 'mono', recordedCodecs: [] });
    assert.deepEqual([stereo.sampleRate, stereo.frames, mono.sampleRate, mono.channels, mono.frames], [16000, 3200, 16000, 1, 3200]);
    for (let i = 0; i < mono.frames; i++) {
      const sum = (stereo.interleaved[2 * i] as number) + (stereo.interleaved[2 * i + 1] as number);
      assert.equal(mono.interleaved[i], Math.max(-32768, Math.min(32767, sum)));
    }
    // recordedCodecs PCMU only: the G.722 leg is silent and the call stays at 8 kHz.
    const onlyPcmu = convertCall(legs, { layout: 'stereo', recordedCodecs: ['PCMU'] });
    assert.deepEqual([onlyPcmu.sampleRate, onlyPcmu.frames, onlyPcmu.legCounts.callee], [8000, 1600, { 'not-recorded:G722': 10 }]);
  });

  test('a .raw cut short is converted as far as it reads, with a warning naming the file and the reason', () => {
    const bytes = buildRawLeg({ legId: 'caller', direction: 'caller', packets: steadyPackets(tonePayloads('PCMU', 440, 50), { startUs: T0 }) });
    const audio = convertCall([leg('caller', 'caller', bytes.subarray(0, Math.floor(bytes.length / 2)))], { layout: 'stereo', recordedCodecs: [] });
    assert.ok(audio.frames > 20 * 160 && audio.frames < 30 * 160, String(audio.frames));
    assert.equal(audio.warnings.length, 1);
    assert.match(audio.warnings[0] ?? '', /^2025\/11\/24\/call\/caller\.raw: truncated-record: .*converted the \d+ records before it$/);
  });

  test('what cannot be converted fails with a reason: unreadable .raw, no legs, no audio', () => {
    const good = buildRawLeg({ legId: 'callee', direction: 'callee', packets: steadyPackets(tonePayloads('PCMU', 440, 5), { startUs: T0 }) });
    const notRaw = new TextEncoder().encode('RIFF....WAVE');
    assert.throws(() => convertCall([leg('caller', 'caller', notRaw), leg('callee', 'callee', good)], { layout: 'stereo', recordedCodecs: [] }),
      (e: unknown) => e instanceof ConversionError && e.reason === 'raw-unreadable' && /caller\.raw is not a readable \.raw file: .*bad-magic/.test(e.message));
    assert.throws(() => convertCall([], { layout: 'stereo', recordedCodecs: [] }), (e: unknown) => e instanceof ConversionError && e.reason === 'no-legs');
    const dtmfOnly = buildRawLeg({ legId: 'caller', direction: 'caller', codecs: [TELEPHONE_EVENT], packets: steadyPackets([new Uint8Array(4)], { startUs: T0 }) });
    assert.throws(() => convertCall([leg('caller', 'caller', dtmfOnly)], { layout: 'stereo', recordedCodecs: [] }),
      (e: unknown) => e instanceof ConversionError && e.reason === 'no-audio' && e.message === 'no audio to convert (caller: 1 telephone-event)');
  });

  test('the same .raw bytes give the same samples', () => {
    const legs = [leg('caller', 'caller', buildRawLeg({ legId: 'caller', direction: 'caller', codecs: [G722], packets: steadyPackets(tonePayloads('G722', 700, 20), { startUs: T0 }) }))];
    assert.deepEqual(convertCall(legs, { layout: 'stereo', recordedCodecs: [] }).interleaved, convertCall(legs, { layout: 'stereo', recordedCodecs: [] }).interleaved);
  });
});
