import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';

/** Why a recording cannot be served from the disk. */
export class RecordingFileError extends Error {}

function inside(root: string, full: string): boolean {
  const rel = relative(root, full);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/**
 * The absolute path of a recording stored at `relPath` under the recordings root, refusing any
 * path (`../`, an absolute path, a symlink) that leads outside the root.
 */
export async function resolveRecordingFile(root: string, relPath: string): Promise<{ path: string; size: number }> {
  const absRoot = resolve(root);
  if (relPath.includes('\0') || isAbsolute(relPath)) throw new RecordingFileError('recording path is not relative to the recordings folder');
  const full = resolve(absRoot, relPath);
  if (!inside(absRoot, full)) throw new RecordingFileError('recording path leads outside the recordings folder');
  let real: string;
  try {
    real = await realpath(full);
  } catch {
    throw new RecordingFileError('recording file is missing');
  }
  if (!inside(await realpath(absRoot), real)) throw new RecordingFileError('recording path leads outside the recordings folder');
  const st = await stat(real);
  if (!st.isFile()) throw new RecordingFileError('recording path is not a file');
  return { path: real, size: st.size };
}
