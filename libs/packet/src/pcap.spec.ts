import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildUdpFrame, CaptureFileDecoder, CaptureFileError, CaptureRecord, decodeCaptureFile, LinkType, PcapWriter } from './index';

const frame = (port: number): Uint8Array => buildUdpFrame({ src: '192.0.2.1', dst: '192.0.2.2', srcPort: 5060, dstPort: port, payload: new TextEncoder().encode(`packet ${port}`) });

function sample(options: ConstructorParameters<typeof PcapWriter>[0]): PcapWriter {
  const w = new PcapWriter(options);
  w.write(frame(1000), 1700000000, 123456789);
  w.write(frame(1001), 1700000001, 999999999);
  w.write(frame(1002), 1700000002, 0, 1500);
  return w;
}

/** Pushes `bytes` in chunks of `size`, collecting records. */
function decodeInChunks(bytes: Uint8Array, size: number): CaptureRecord[] {
  const d = new CaptureFileDecoder();
  const out: CaptureRecord[] = [];
  for (let i = 0; i < bytes.length; i += size) d.push(bytes.subarray(i, i + size), (r) => out.push(r));
  d.end();
  return out;
}

describe('pcap files', () => {
  const variants: Array<[string, 'le' | 'be', 'us' | 'ns', number[]]> = [
    ['little-endian, microseconds', 'le', 'us', [123456000, 999999000, 0]],
    ['big-endian, microseconds', 'be', 'us', [123456000, 999999000, 0]],
    ['little-endian, nanoseconds', 'le', 'ns', [123456789, 999999999, 0]],
    ['big-endian, nanoseconds', 'be', 'ns', [123456789, 999999999, 0]],
  ];
  for (const [name, byteOrder, resolution, nanos] of variants) {
    test(`${name}: written by PcapWriter, read back`, () => {
      const records = decodeCaptureFile(sample({ byteOrder, resolution }).toBytes());
      assert.deepEqual(records.map((r) => [r.linkType, r.tsSec, r.tsNanos, r.originalLength]), [
        [1, 1700000000, nanos[0], records[0]?.capturedLength],
        [1, 1700000001, nanos[1], records[1]?.capturedLength],
        [1, 1700000002, nanos[2], 1500],
      ]);
      assert.deepEqual(Buffer.from(records[2]?.data ?? []), Buffer.from(frame(1002)));
    });
  }
  test('any chunking gives the same records (1, 7, 100 bytes)', () => {
    const bytes = sample({ resolution: 'ns' }).toBytes();
    const whole = decodeCaptureFile(bytes);
    for (const size of [1, 7, 100]) assert.deepEqual(decodeInChunks(bytes, size), whole, `chunks of ${size}`);
  });
  test('the link type of the header reaches every record (raw IP)', () => {
    const w = new PcapWriter({ linkType: LinkType.RAW });
    w.write(buildUdpFrame({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, payload: new Uint8Array(4), linkType: LinkType.RAW }), 1);
    assert.equal(decodeCaptureFile(w.toBytes())[0]?.linkType, 101);
  });
  test('quirk: 1,000,000 µs carries into the seconds', () => {
    const bytes = sample({}).toBytes();
    new DataView(bytes.buffer).setUint32(24 + 4, 1_000_000, true);
    const r = decodeCaptureFile(bytes)[0];
    assert.deepEqual([r?.tsSec, r?.tsNanos], [1700000001, 0]);
  });
  test('a truncated final record is reported with a reason, after the records before it', () => {
    const bytes = sample({}).toBytes();
    const d = new CaptureFileDecoder();
    const seen: CaptureRecord[] = [];
    d.push(bytes.subarray(0, bytes.length - 5), (r) => seen.push(r));
    assert.equal(seen.length, 2);
    assert.throws(() => d.end(), (e: unknown) => e instanceof CaptureFileError && e.reason === 'truncated-record');
  });
  test('not a capture file', () => {
    for (const bytes of [new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n'), new Uint8Array(0)]) {
      assert.throws(() => decodeCaptureFile(bytes), (e: unknown) => e instanceof CaptureFileError && e.reason === 'not-a-capture-file');
    }
  });
  test('a file ending inside its header', () => {
    assert.throws(() => decodeCaptureFile(sample({}).toBytes().subarray(0, 10)), (e: unknown) => e instanceof CaptureFileError && e.reason === 'truncated-header');
  });
  test('an absurd record length is an error, not a 4 GB buffer', () => {
    const bytes = sample({}).toBytes();
    new DataView(bytes.buffer).setUint32(24 + 8, 0xfffffff0, true);
    const d = new CaptureFileDecoder();
    assert.throws(() => d.push(bytes, () => undefined), (e: unknown) => e instanceof CaptureFileError && e.reason === 'record-too-large');
    assert.throws(() => d.push(new Uint8Array(1), () => undefined), CaptureFileError, 'a failed decoder stays failed');
  });
  test('tshark reads PcapWriter output (interoperability)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'earshot-pcap-'));
    try {
      for (const resolution of ['us', 'ns'] as const) {
        const file = join(dir, `${resolution}.pcap`);
        writeFileSync(file, sample({ resolution }).toBytes());
        const out = execFileSync('tshark', ['-r', file, '-T', 'fields', '-e', 'udp.dstport', '-e', 'frame.time_epoch'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
        const rows = out.trim().split('\n').map((l) => l.split('\t'));
        assert.deepEqual(rows.map((r) => r[0]), ['1000', '1001', '1002']);
        assert.match(rows[0]?.[1] ?? '', resolution === 'ns' ? /^1700000000\.123456789/ : /^1700000000\.123456/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
