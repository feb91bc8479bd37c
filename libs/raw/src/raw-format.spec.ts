import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { rtpPacketBytes } from '@earshot/rtp';
import {
  RawDecodeError, RawEncodeError, RawHeader, RawReader, RawRecord, RawWriter, decodeRawHeader, decodeRawRecord, encodeRawHeader,
  encodeRawRecord, encodedSizeRawHeader, encodedSizeRawRecord, readRaw,
} from './index';

const header: RawHeader = {
  callId: 'a84b4c76e66710@pc33.example.com', legId: 'caller', direction: 'caller',
  srcIp: '10.0.0.1', srcPort: 40000, dstIp: '2001:db8::2', dstPort: 50000, ssrcs: [0x11223344],
  codecs: [
    { payloadType: 0, encodingName: 'PCMU', clockRate: 8000, channels: 1 },
    { payloadType: 101, encodingName: 'telephone-event', clockRate: 8000, channels: 1 },
  ],
  createdCaptureTimeUs: 1_700_000_000_123_456,
};

function rtp(seq: number, payloadByte = 0xff): Uint8Array {
  return rtpPacketBytes({
    marker: seq === 0, payloadType: 0, sequenceNumber: seq & 0xffff, timestamp: (seq * 160) >>> 0, ssrc: 0x11223344, csrcs: [], extension: null,
    payload: new Uint8Array(160).fill(payloadByte), paddingSize: 0,
  });
}

const t0 = header.createdCaptureTimeUs;
const sampleRecords: [string, RawRecord][] = [
  ['rtp', { kind: 'rtp', captureTimeUs: t0, packet: rtp(0) }],
  ['rtp, empty packet bytes', { kind: 'rtp', captureTimeUs: 0, packet: new Uint8Array(0) }],
  ['ssrc-change', { kind: 'ssrc-change', captureTimeUs: t0 + 1, previousSsrc: 0x11223344, ssrc: 0xffffffff }],
  ['dtmf ended', { kind: 'dtmf', captureTimeUs: t0 + 2, ssrc: 1, rtpTimestamp: 0xfffffff0, event: 11, ended: true, volume: 10, duration: 1280 }],
  ['dtmf without end', { kind: 'dtmf', captureTimeUs: t0 + 3, ssrc: 1, rtpTimestamp: 5, event: 1, ended: false, volume: 63, duration: 70000 }],
  ['codec-change', { kind: 'codec-change', captureTimeUs: t0 + 4, payloadType: 9, encodingName: 'G722', clockRate: 8000, channels: 1 }],
  ['unknown kind kept raw', { kind: 'unknown', code: 200, body: Uint8Array.of(1, 2, 3) }],
  ['trailer', {
    kind: 'trailer', captureTimeUs: Number.MAX_SAFE_INTEGER, records: 7, packets: 5, expected: 6, lost: 1, duplicated: 1, late: 0, outOfOrder: 2,
    restarts: 0, jitterMs: 1.625, maxJitterMs: 3.25, endReason: 'bye',
  }],
];

/** A leg with loss, reordering, a duplicate, an SSRC change, DTMF and a codec change. */
function writeSampleLeg(): { bytes: Buffer; records: RawRecord[] } {
  const w = new RawWriter(header, { initialCapacity: 1024 });
  const records: RawRecord[] = [];
  const order = [0, 1, 3, 2, 4, 4, 6, 7];
  let t = t0;
  for (const seq of order) {
    t += 20_000;
    w.writeRtp(t, rtp(seq, seq));
    records.push({ kind: 'rtp', captureTimeUs: t, packet: rtp(seq, seq) });
  }
  const extra: RawRecord[] = [
    { kind: 'dtmf', captureTimeUs: t + 1, ssrc: 0x11223344, rtpTimestamp: 1280, event: 5, ended: true, volume: 10, duration: 800 },
    { kind: 'codec-change', captureTimeUs: t + 2, payloadType: 8, encodingName: 'PCMA', clockRate: 8000, channels: 1 },
    { kind: 'ssrc-change', captureTimeUs: t + 3, previousSsrc: 0x11223344, ssrc: 0x55667788 },
  ];
  w.writeDtmf(extra[0] as Omit<Extract<RawRecord, { kind: 'dtmf' }>, 'kind'>);
  w.writeCodecChange(extra[1] as Omit<Extract<RawRecord, { kind: 'codec-change' }>, 'kind'>);
  w.writeSsrcChange(extra[2] as Omit<Extract<RawRecord, { kind: 'ssrc-change' }>, 'kind'>);
  records.push(...extra);
  const first = w.take();
  w.writeTrailer({ captureTimeUs: t + 10, packets: 8, expected: 8, lost: 1, duplicated: 1, late: 0, outOfOrder: 1, restarts: 0, jitterMs: 0.5, maxJitterMs: 1, endReason: 'bye' });
  return { bytes: Buffer.concat([first, w.take()]), records };
}

describe('.raw format', () => {
  test('header round trip, magic and version up front', () => {
    const b = new Uint8Array(encodedSizeRawHeader(header));
    assert.equal(encodeRawHeader(header, b), b.length);
    assert.equal(Buffer.from(b.subarray(0, 6)).toString('latin1'), 'ESRAW\x01');
    assert.deepEqual(decodeRawHeader(b), { value: header, size: b.length });
  });

  for (const [name, r] of sampleRecords) {
    test(`record round trip: ${name}`, () => {
      const b = new Uint8Array(encodedSizeRawRecord(r) + 3);
      const n = encodeRawRecord(r, b, 3);
      assert.equal(n, encodedSizeRawRecord(r));
      assert.deepEqual(decodeRawRecord(b, 3), { value: r, size: n });
    });
  }

  test('writer + reader: a whole leg reads back record for record, with the trailer', () => {
    const { bytes, records } = writeSampleLeg();
    const got = readRaw(bytes);
    assert.equal(got.error, null);
    assert.deepEqual(got.header, header);
    assert.deepEqual(got.records, records);
    assert.equal(got.trailer?.records, records.length);
    assert.equal(got.trailer?.lost, 1);
  });

  test('deterministic: the same calls give the same bytes (sha256), whatever the take() cadence', () => {
    const a = writeSampleLeg().bytes;
    const b = writeSampleLeg().bytes;
    const w = new RawWriter(header);
    const parts: Buffer[] = [];
    const order = [0, 1, 3, 2, 4, 4, 6, 7];
    let t = t0;
    for (const seq of order) { t += 20_000; w.writeRtp(t, rtp(seq, seq)); parts.push(w.take()); }
    const sha = (x: Uint8Array): string => createHash('sha256').update(x).digest('hex');
    assert.equal(sha(a), sha(b));
    assert.equal(sha(Buffer.concat(parts)), sha(a.subarray(0, Buffer.concat(parts).length)));
  });

  test('quirk: truncated at every byte, the reader keeps every record before the cut and says why', () => {
    const { bytes, records } = writeSampleLeg();
    const headerSize = encodedSizeRawHeader(header);
    const ends: number[] = [];
    let pos = headerSize;
    for (const r of records) { pos += encodedSizeRawRecord(r); ends.push(pos); }
    for (let cut = 0; cut < bytes.length; cut++) {
      const got = readRaw(bytes.subarray(0, cut));
      const complete = ends.filter((e) => e <= cut).length;
      assert.equal(got.records.length, complete, `cut ${cut}`);
      assert.deepEqual(got.records, records.slice(0, complete));
      const reason = cut < headerSize ? 'truncated-header' : ends.includes(cut) || cut === headerSize ? 'missing-trailer' : 'truncated-record';
      assert.equal(got.error?.reason, reason, `cut ${cut}: ${got.error?.message}`);
    }
  });

  const bad: [string, (b: Buffer) => Buffer, string][] = [
    ['not a .raw (a WAV)', () => Buffer.from('RIFF\0\0\0\0WAVEfmt '), 'bad-magic'],
    ['version 2', (b) => { const c = Buffer.from(b); c[5] = 2; return c; }, 'unsupported-version'],
    ['bytes after the trailer', (b) => Buffer.concat([b, Buffer.of(1)]), 'data-after-trailer'],
    ['trailer count does not match (a record lost in the middle)', (b) => {
      const h = encodedSizeRawHeader(header);
      const first = encodedSizeRawRecord({ kind: 'rtp', captureTimeUs: 0, packet: rtp(0) });
      return Buffer.concat([b.subarray(0, h), b.subarray(h + first)]);
    }, 'record-count-mismatch'],
    ['absurd record length', (b) => {
      const c = Buffer.from(b);
      c.writeUInt32BE(0xfffffff0, encodedSizeRawHeader(header) + 1);
      return c;
    }, 'bad-record'],
  ];
  for (const [name, mutate, reason] of bad) {
    test(`quirk: ${name} → ${reason}`, () => {
      const got = readRaw(mutate(writeSampleLeg().bytes));
      assert.equal(got.error?.reason, reason, got.error?.message);
    });
  }

  test('writer refuses bad values with the field path, and records after the trailer', () => {
    assert.throws(() => new RawWriter({ ...header, srcPort: 70000 }), (e: unknown) => e instanceof RawEncodeError && /header\.srcPort/.test(e.message));
    assert.throws(() => new RawWriter({ ...header, codecs: [{ payloadType: 200, encodingName: 'X', clockRate: 8000, channels: 1 }] }), /header\.codecs\[0\]\.payloadType/);
    const w = new RawWriter(header);
    assert.throws(() => w.writeRtp(-1, rtp(0)), RawEncodeError);
    assert.throws(() => w.writeRtp(1.5, rtp(0)), RawEncodeError);
    w.writeTrailer({ captureTimeUs: 1, packets: 0, expected: 0, lost: 0, duplicated: 0, late: 0, outOfOrder: 0, restarts: 0, jitterMs: 0, maxJitterMs: 0, endReason: 'idle-timeout' });
    assert.throws(() => w.writeRtp(2, rtp(1)), (e: unknown) => e instanceof RawEncodeError && e.reason === 'writer-closed');
  });

  test('fuzz: streaming in random chunks gives the same result as one buffer', () => {
    const { bytes } = writeSampleLeg();
    const whole = readRaw(bytes);
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 300 }), { maxLength: 40 }), (sizes) => {
      const r = new RawReader();
      const recs: RawRecord[] = [];
      let pos = 0;
      for (const s of sizes) { recs.push(...r.push(bytes.subarray(pos, pos + s))); pos += s; }
      recs.push(...r.push(bytes.subarray(pos)));
      assert.equal(r.end(), null);
      assert.deepEqual(recs, whole.records);
      assert.deepEqual(r.trailer, whole.trailer);
    }), { numRuns: 300 });
  });

  test('fuzz: random and mutated files never throw out of the reader; decoders throw only RawDecodeError', () => {
    const { bytes } = writeSampleLeg();
    const mutated = fc.tuple(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.nat())
      .map(([edits, cut]) => {
        const c = Buffer.from(bytes);
        for (const [i, v] of edits) c[i % c.length] = v;
        return c.subarray(0, cut % (c.length + 1));
      });
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), mutated), (b) => {
      const got = readRaw(b);
      assert.ok(got.error === null || got.error instanceof RawDecodeError);
      for (const f of [decodeRawHeader, decodeRawRecord]) {
        try { f(b, 0); } catch (e) { assert.ok(e instanceof RawDecodeError, String(e)); }
      }
    }), { numRuns: 2000 });
  });
});
