import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildUdpFrame, CaptureFileDecoder, CaptureFileError, CaptureRecord, decodeCaptureFile, decodeFrame, splitTimestamp } from './index';

/** A pcapng file assembled by hand, block by block, in either byte order. */
class PcapngBuilder {
  private readonly blocks: Buffer[] = [];
  constructor(private readonly le: boolean) {}
  private u16(v: number): Buffer {
    const b = Buffer.alloc(2);
    if (this.le) b.writeUInt16LE(v);
    else b.writeUInt16BE(v);
    return b;
  }
  private u32(v: number): Buffer {
    const b = Buffer.alloc(4);
    if (this.le) b.writeUInt32LE(v >>> 0);
    else b.writeUInt32BE(v >>> 0);
    return b;
  }
  private pad(b: Uint8Array): Buffer {
    return Buffer.concat([Buffer.from(b), Buffer.alloc((4 - (b.length % 4)) % 4)]);
  }
  block(type: number, body: Buffer): this {
    const len = 12 + body.length;
    this.blocks.push(Buffer.concat([this.u32(type), this.u32(len), body, this.u32(len)]));
    return this;
  }
  shb(): this {
    return this.block(0x0a0d0d0a, Buffer.concat([this.u32(0x1a2b3c4d), this.u16(1), this.u16(0), Buffer.alloc(8, 0xff)]));
  }
  idb(linkType: number, tsresol?: number, snapLength = 0): this {
    const opts = tsresol === undefined ? Buffer.alloc(0) : Buffer.concat([this.u16(9), this.u16(1), Buffer.from([tsresol, 0, 0, 0]), this.u16(0), this.u16(0)]);
    return this.block(1, Buffer.concat([this.u16(linkType), this.u16(0), this.u32(snapLength), opts]));
  }
  epb(iface: number, ts: bigint, data: Uint8Array, originalLength = data.length): this {
    return this.block(6, Buffer.concat([this.u32(iface), this.u32(Number(ts >> 32n)), this.u32(Number(ts & 0xffffffffn)), this.u32(data.length), this.u32(originalLength), this.pad(data)]));
  }
  spb(data: Uint8Array): this {
    return this.block(3, Buffer.concat([this.u32(data.length), this.pad(data)]));
  }
  bytes(): Uint8Array {
    return new Uint8Array(Buffer.concat(this.blocks));
  }
}

const frame = (port: number, linkType = 1): Uint8Array => buildUdpFrame({ src: '2001:db8::1', dst: '2001:db8::2', srcPort: 5060, dstPort: port, payload: Uint8Array.of(1, 2, 3), linkType });

describe('pcapng files', () => {
  for (const le of [true, false]) {
    test(`${le ? 'little' : 'big'}-endian section: IDBs with if_tsresol, EPBs, an SPB, unknown blocks skipped`, () => {
      const file = new PcapngBuilder(le)
        .shb()
        .block(0x0bad, Buffer.alloc(8)) // an unknown block before any interface
        .idb(1) // default resolution: microseconds
        .idb(276, 9) // nanoseconds, Linux SLL2
        .epb(0, 1700000000_123456n, frame(1000))
        .block(5, Buffer.alloc(4)) // interface statistics: skipped
        .epb(1, 1700000001_987654321n, frame(1001, 276))
        .spb(frame(1002))
        .bytes();
      const d = new CaptureFileDecoder();
      const records: CaptureRecord[] = [];
      d.push(file, (r) => records.push(r));
      d.end();
      assert.equal(d.format, 'pcapng');
      assert.deepEqual(records.map((r) => [r.interfaceId, r.linkType, r.tsSec, r.tsNanos]), [
        [0, 1, 1700000000, 123456000],
        [1, 276, 1700000001, 987654321],
        [0, 1, 0, 0],
      ]);
      assert.deepEqual(records.map((r) => decodeFrame(r.linkType, r.data).dstPort), [1000, 1001, 1002]);
      assert.equal(d.counters.get('skipped-blocks'), 2);
    });
  }
  test('binary resolution (2^-20) and a new section resets the interfaces', () => {
    const a = new PcapngBuilder(true).shb().idb(1, 0x80 | 20).epb(0, (5n << 20n) | (1n << 19n), frame(1)).bytes();
    const b = new PcapngBuilder(false).shb().idb(101).epb(0, 7_000001n, frame(2, 101)).bytes();
    const records = decodeCaptureFile(new Uint8Array([...a, ...b]));
    assert.deepEqual(records.map((r) => [r.linkType, r.tsSec, r.tsNanos]), [
      [1, 5, 500000000],
      [101, 7, 1000],
    ]);
  });
  test('SPB captured length is capped by the interface snap length', () => {
    const records = decodeCaptureFile(new PcapngBuilder(true).shb().idb(1, undefined, 20).spb(frame(1)).bytes());
    assert.deepEqual(records.map((r) => [r.capturedLength, r.originalLength]), [[20, frame(1).length]]);
  });
  test('a packet on an undeclared interface is skipped and counted', () => {
    const d = new CaptureFileDecoder();
    const seen: CaptureRecord[] = [];
    d.push(new PcapngBuilder(true).shb().idb(1).epb(3, 0n, frame(1)).epb(0, 0n, frame(2)).bytes(), (r) => seen.push(r));
    assert.equal(seen.length, 1);
    assert.equal(d.counters.get('skipped.unknown-interface'), 1);
  });
  test('chunked in 3-byte pieces gives the same records', () => {
    const file = new PcapngBuilder(true).shb().idb(1, 9).epb(0, 1n, frame(1)).epb(0, 2n, frame(2)).bytes();
    const d = new CaptureFileDecoder();
    const seen: CaptureRecord[] = [];
    for (let i = 0; i < file.length; i += 3) d.push(file.subarray(i, i + 3), (r) => seen.push(r));
    d.end();
    assert.deepEqual(seen, decodeCaptureFile(file));
  });
  test('truncated final block: earlier records kept, error with reason', () => {
    const file = new PcapngBuilder(true).shb().idb(1).epb(0, 1n, frame(1)).epb(0, 2n, frame(2)).bytes();
    const d = new CaptureFileDecoder();
    const seen: CaptureRecord[] = [];
    d.push(file.subarray(0, file.length - 1), (r) => seen.push(r));
    assert.equal(seen.length, 1);
    assert.throws(() => d.end(), (e: unknown) => e instanceof CaptureFileError && e.reason === 'truncated-record');
  });
  test('block lengths that disagree or are not multiples of 4', () => {
    const file = new PcapngBuilder(true).shb().idb(1).bytes();
    const mismatched = file.slice();
    mismatched[mismatched.length - 4] = 0;
    assert.throws(() => decodeCaptureFile(mismatched), (e: unknown) => e instanceof CaptureFileError && e.reason === 'bad-block-length');
    const odd = file.slice();
    odd[4] = 27;
    assert.throws(() => decodeCaptureFile(odd), (e: unknown) => e instanceof CaptureFileError && e.reason === 'bad-block-length');
  });
  test('a section header without byte-order magic is not a capture file', () => {
    const file = new PcapngBuilder(true).shb().bytes();
    file[8] = 0;
    assert.throws(() => decodeCaptureFile(file), (e: unknown) => e instanceof CaptureFileError && e.reason === 'not-a-capture-file');
  });
});

describe('splitTimestamp', () => {
  const cases: Array<[string, bigint, number, number, number]> = [
    ['microseconds', 1700000000_000001n, 6, 1700000000, 1000],
    ['nanoseconds beyond 2^53', 1700000000_999999999n, 9, 1700000000, 999999999],
    ['milliseconds', 1700000000_123n, 3, 1700000000, 123000000],
    ['seconds', 42n, 0, 42, 0],
    ['picoseconds (bigint path)', 1_000000000001n, 12, 1, 0],
    ['2^-32 fractions', (3n << 32n) | 0x80000000n, 0x80 | 32, 3, 500000000],
  ];
  for (const [name, ts, resol, sec, nanos] of cases) {
    test(name, () => {
      const out = { tsSec: 0, tsNanos: 0 };
      splitTimestamp(Number(ts >> 32n), Number(ts & 0xffffffffn), resol, out);
      assert.deepEqual(out, { tsSec: sec, tsNanos: nanos });
    });
  }
});
