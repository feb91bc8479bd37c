/* eslint-disable no-console -- a script run by hand that prints its figures */
// Compares G.711 decoding through the 256-entry tables against alawmulaw's decode(), and times G.722.
//   SWC_NODE_PROJECT=tsconfig.json node -r @swc-node/register libs/codecs/scripts/decode-bench.ts
import { alaw, mulaw } from 'alawmulaw';
import { G722Decoder, decodePcmaInto, decodePcmuInto } from '../src/index';

const SECONDS = 600; // 10 minutes of 8 kHz audio in 160-byte packets
const packets = Array.from({ length: (SECONDS * 8000) / 160 }, (_, i) => Uint8Array.from({ length: 160 }, (_, j) => (i * 31 + j * 7) & 0xff));
const out = new Int16Array(160);

function time(name: string, f: () => void): void {
  f();
  const t0 = process.hrtime.bigint();
  f();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`${name.padEnd(28)} ${(SECONDS / s).toFixed(0).padStart(8)} × real time  (${((packets.length * 160) / s / 1e6).toFixed(1)} M samples/s)`);
}
time('PCMU table (decodeInto)', () => { for (const p of packets) decodePcmuInto(p, out, 0); });
time('PCMU alawmulaw.mulaw.decode', () => { for (const p of packets) mulaw.decode(p); });
time('PCMA table (decodeInto)', () => { for (const p of packets) decodePcmaInto(p, out, 0); });
time('PCMA alawmulaw.alaw.decode', () => { for (const p of packets) alaw.decode(p); });
const g722 = new G722Decoder();
const out722 = new Int16Array(320);
time('G.722 decodeInto (16 kHz)', () => { for (const p of packets) g722.decodeInto(p, out722, 0); });
