import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveExistingRecording, resolveInRoot } from './recordings-root';
import { RecordingPathError } from './errors';

const refused = (reason: string) => (e: unknown): boolean => e instanceof RecordingPathError && e.reason === reason;

describe('paths stay inside the recordings folder', () => {
  const root = mkdtempSync(join(tmpdir(), 'earshot-root-'));
  const outside = mkdtempSync(join(tmpdir(), 'earshot-outside-'));
  mkdirSync(join(root, '2026/01/02/c'), { recursive: true });
  writeFileSync(join(root, '2026/01/02/c/c.wav'), 'RIFF');
  writeFileSync(join(outside, 'secret'), 'secret');
  symlinkSync(join(outside, 'secret'), join(root, 'link.wav'));

  const bad: Array<{ name: string; path: string }> = [
    { name: 'climbs out', path: '../secret' },
    { name: 'climbs out after a folder', path: '2026/../../secret' },
    { name: 'absolute', path: '/etc/passwd' },
    { name: 'NUL byte', path: 'a\0.wav' },
    { name: 'the root itself', path: '.' },
  ];
  for (const c of bad) {
    test(`resolveInRoot refuses: ${c.name}`, () => assert.throws(() => resolveInRoot(root, c.path), refused('outside-root')));
  }

  test('a relative path inside resolves under the root', () => {
    assert.equal(resolveInRoot(root, '2026/01/02/c/c.wav'), join(root, '2026/01/02/c/c.wav'));
  });

  test('an existing recording: real path and size; a symlink out, a folder and a missing file are refused', async () => {
    const found = await resolveExistingRecording(root, '2026/01/02/c/c.wav');
    assert.equal(found.size, 4);
    await assert.rejects(resolveExistingRecording(root, 'link.wav'), refused('outside-root'));
    await assert.rejects(resolveExistingRecording(root, '2026/01/02/c'), refused('not-a-file'));
    await assert.rejects(resolveExistingRecording(root, 'nope.wav'), refused('missing'));
  });
});
