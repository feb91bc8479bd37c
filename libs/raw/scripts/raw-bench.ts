/* eslint-disable no-console -- a script run by hand that prints its figures */
// RawWriter and readRaw throughput on 20 ms PCMU packets, one core.
//   SWC_NODE_PROJECT=tsconfig.json node -r @swc-node/register libs/raw/scripts/raw-bench.ts
import { rtpPacketBytes } from '@earshot/rtp';
import { RawWriter, readRaw } from '../src/index';

const N = 500_000;
const packets = Array.from({ length: 1000 }, (_, i) => rtpPacketBytes({
  marker: false, payloadType: 0, sequenceNumber: i, timestamp: i * 160, ssrc: 1, csrcs: [], extension: null, payload: new Uint8Array(160).fill(i & 0xff), paddingSize: 0,
}));
const header = { callId: 'bench', legId: 'caller', direction: 'caller' as const, srcIp: '10.0.0.1', srcPort: 4000, dstIp: '10.0.0.2', dstPort: 5000, ssrcs: [1], codecs: [], createdCaptureTimeUs: 0 };

let t = process.hrtime.bigint();
const w = new RawWriter(header);
const chunks: Buffer[] = [];
for (let i = 0; i < N; i++) {
  w.writeRtp(1_700_000_000_000_000 + i * 20_000, packets[i % 1000] as Uint8Array);
  if (i % 1000 === 999) chunks.push(w.take());
}
w.writeTrailer({ captureTimeUs: 1_700_000_000_000_000 + N * 20_000, packets: N, expected: N, lost: 0, duplicated: 0, late: 0, outOfOrder: 0, restarts: 0, jitterMs: 0, maxJitterMs: 0, endReason: 'bye' });
chunks.push(w.take());
let s = Number(process.hrtime.bigint() - t) / 1e9;
console.log(`RawWriter.writeRtp: ${(N / s / 1e6).toFixed(2)} M packets/s`);
const file = Buffer.concat(chunks);
t = process.hrtime.bigint();
const r = readRaw(file);
s = Number(process.hrtime.bigint() - t) / 1e9;
console.log(`readRaw: ${(r.records.length / s / 1e6).toFixed(2)} M records/s (${(file.length / 1e6).toFixed(0)} MB, error ${r.error?.reason ?? 'none'})`);
