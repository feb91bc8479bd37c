import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildUdpFrame, CaptureFileError, CaptureRecord, decodeFrame, PcapWriter } from '@earshot/packet';
import { CaptureError, readCaptureFile } from './index';

let dir = '';
before(() => (dir = mkdtempSync(join(tmpdir(), 'earshot-capture-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

function pcapOf(count: number): Uint8Array {
  const w = new PcapWriter({ resolution: 'ns' });
  for (let i = 0; i < count; i++) {
    w.write(buildUdpFrame({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 5004, dstPort: 6000 + i, payload: new Uint8Array(160).fill(i) }), 1700000000 + i, i);
  }
  return w.toBytes();
}

async function collect(path: string, chunkSize?: number): Promise<{ records: CaptureRecord[]; error: unknown }> {
  const records: CaptureRecord[] = [];
  try {
    for await (const r of readCaptureFile(path, chunkSize === undefined ? {} : { chunkSize })) records.push(r);
    return { records, error: undefined };
  } catch (error) {
    return { records, error };
  }
}

describe('readCaptureFile', () => {
  test('streams every record of a file in small chunks', async () => {
    const path = join(dir, 'many.pcap');
    writeFileSync(path, pcapOf(500));
    const { records, error } = await collect(path, 1000);
    assert.equal(error, undefined);
    assert.equal(records.length, 500);
    assert.deepEqual(records.map((r) => decodeFrame(r.linkType, r.data).dstPort), Array.from({ length: 500 }, (_, i) => 6000 + i));
    assert.deepEqual([records[499]?.tsSec, records[499]?.tsNanos], [1700000499, 499]);
  });
  test('a truncated file yields every whole record, then fails with truncated-record', async () => {
    const path = join(dir, 'cut.pcap');
    const bytes = pcapOf(10);
    writeFileSync(path, bytes.subarray(0, bytes.length - 20));
    const { records, error } = await collect(path, 256);
    assert.equal(records.length, 9);
    assert.ok(error instanceof CaptureFileError && error.reason === 'truncated-record', String(error));
    assert.match(error.message, /cut\.pcap/);
  });
  test('a text file is not a capture file', async () => {
    const path = join(dir, 'notes.txt');
    writeFileSync(path, 'these are not packets\n');
    const { records, error } = await collect(path);
    assert.equal(records.length, 0);
    assert.ok(error instanceof CaptureFileError && error.reason === 'not-a-capture-file', String(error));
    assert.match(error.message, /notes\.txt: neither a pcap nor a pcapng file/);
  });
  test('a missing file is file-unreadable', async () => {
    const { error } = await collect(join(dir, 'missing.pcap'));
    assert.ok(error instanceof CaptureError && error.reason === 'file-unreadable', String(error));
  });
});
