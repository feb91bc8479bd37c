import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AtomicFileWriter, writeFileAtomically } from './atomic-file';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('atomic files', () => {
  test('nothing under the final name until complete(); then the whole bytes and their SHA-256', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'earshot-atomic-'));
    const final = join(dir, 'a/b/leg.raw');
    const w = await AtomicFileWriter.create(final);
    await w.append(Uint8Array.of(1, 2, 3));
    await w.append(new Uint8Array(0));
    await w.append(Uint8Array.of(4));
    assert.equal(existsSync(final), false);
    assert.equal(existsSync(w.tmpPath), true);
    assert.equal(w.size, 4);
    assert.equal(await w.complete(), sha(Uint8Array.of(1, 2, 3, 4)));
    assert.deepEqual([...readFileSync(final)], [1, 2, 3, 4]);
    assert.deepEqual(readdirSync(join(dir, 'a/b')), ['leg.raw']);
  });

  test('discard() leaves nothing behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'earshot-atomic-'));
    const w = await AtomicFileWriter.create(join(dir, 'x.wav'));
    await w.append(Uint8Array.of(9));
    await w.discard();
    assert.deepEqual(readdirSync(dir), []);
  });

  test('writeFileAtomically replaces a file whole', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'earshot-atomic-'));
    const path = join(dir, 'c.wav');
    await writeFileAtomically(path, Uint8Array.of(1, 1, 1, 1, 1));
    assert.equal(await writeFileAtomically(path, Uint8Array.of(2)), sha(Uint8Array.of(2)));
    assert.deepEqual([...readFileSync(path)], [2]);
    assert.deepEqual(readdirSync(dir), ['c.wav']);
  });
});
