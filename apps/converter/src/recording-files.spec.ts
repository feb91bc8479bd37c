import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConversionError } from './call-conversion';
import { safeCallId, writeFileAtomically } from '@earshot/recordings';
import { readLegFile, resolveInRoot, wavPathFor } from './recording-files';

describe('recording files', () => {
  test('the WAV goes beside the legs, named by the safe call id', () => {
    assert.equal(safeCallId('a/b:c@host.example;x=1'), 'a_b_c@host.example_x_1');
    assert.equal(wavPathFor('a/b@h', ['2025/11/24/a_b@h/callee.raw', '2025/11/24/a_b@h/caller.raw']), '2025/11/24/a_b@h/a_b@h.wav');
  });

  test('paths outside the recordings root are refused', () => {
    assert.equal(resolveInRoot('/rec', '2025/x/caller.raw'), '/rec/2025/x/caller.raw');
    for (const bad of ['../etc/passwd', '/etc/passwd', '2025/../../x.raw']) {
      assert.throws(() => resolveInRoot('/rec', bad), (e: unknown) => e instanceof ConversionError && e.reason === 'bad-path', bad);
    }
  });

  test('a missing .raw is a ConversionError naming it; a write leaves no temporary file', async () => {
    const root = await mkdtemp(join(tmpdir(), 'converter-files-'));
    try {
      await assert.rejects(readLegFile(root, 'x/caller.raw'), (e: unknown) => e instanceof ConversionError && e.reason === 'raw-missing' && e.message === 'x/caller.raw is missing');
      await writeFileAtomically(join(root, 'a/b/c.wav'), Uint8Array.of(1, 2, 3));
      assert.deepEqual([...(await readFile(join(root, 'a/b/c.wav')))], [1, 2, 3]);
      assert.deepEqual(await readdir(join(root, 'a/b')), ['c.wav']);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
