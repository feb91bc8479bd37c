import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { RecordingPathError } from './errors';

function inside(root: string, full: string): boolean {
  const rel = relative(root, full);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/**
 * The absolute path of `relPath` under `root`, by its text alone: a path that is absolute, holds a
 * NUL byte or climbs out of the root is refused (RecordingPathError `outside-root`). For files this
 * process writes; files read on a user's behalf go through resolveExistingRecording, which also
 * follows symlinks.
 */
export function resolveInRoot(root: string, relPath: string): string {
  const absRoot = resolve(root);
  if (relPath.includes('\0') || isAbsolute(relPath)) {
    throw new RecordingPathError(`path ${JSON.stringify(relPath)} is not relative to the recordings folder`, { reason: 'outside-root' });
  }
  const full = resolve(absRoot, relPath);
  if (!inside(absRoot, full)) throw new RecordingPathError(`path ${JSON.stringify(relPath)} leads outside the recordings folder`, { reason: 'outside-root' });
  return full;
}

/**
 * The real path and size of an existing recording at `relPath` under `root`, refusing any path
 * (`../`, absolute, NUL, or a symlink) that leads outside the root, and anything but a file.
 */
export async function resolveExistingRecording(root: string, relPath: string): Promise<{ path: string; size: number }> {
  const full = resolveInRoot(root, relPath);
  let real: string;
  try {
    real = await realpath(full);
  } catch (e) {
    throw new RecordingPathError('recording file is missing', { reason: 'missing', cause: e });
  }
  if (!inside(await realpath(resolve(root)), real)) throw new RecordingPathError('recording path leads outside the recordings folder', { reason: 'outside-root' });
  const st = await stat(real);
  if (!st.isFile()) throw new RecordingPathError('recording path is not a file', { reason: 'not-a-file' });
  return { path: real, size: st.size };
}
