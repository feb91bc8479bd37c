import { readFile } from 'node:fs/promises';
import { callWavPath, RecordingPathError, resolveInRoot as resolveRecordingPath } from '@earshot/recordings';
import { ConversionError } from './call-conversion';

/**
 * The converter's view of the recordings folder (layout and atomic writes: @earshot/recordings):
 * a path it cannot use is a ConversionError, so the call gets FAILED with the reason.
 */
function asConversionError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof RecordingPathError) throw new ConversionError(e.message, { reason: e.reason === 'no-legs' ? 'no-legs' : 'bad-path', cause: e });
    throw e;
  }
}

/** The WAV's path relative to the recordings root: beside the legs' .raw files, named by the safe call id. */
export function wavPathFor(callId: string, rawPaths: readonly string[]): string {
  return asConversionError(() => callWavPath(callId, rawPaths));
}

/** The absolute path of `relative` under `root`; a path that is absolute or climbs out of the root is refused. */
export function resolveInRoot(root: string, relative: string): string {
  return asConversionError(() => resolveRecordingPath(root, relative));
}

/** Reads a leg's .raw; a missing or unreadable file is a ConversionError naming the path. */
export async function readLegFile(root: string, rawPath: string): Promise<Uint8Array> {
  const path = resolveInRoot(root, rawPath);
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const what = code === 'ENOENT' ? 'is missing' : `cannot be read (${code ?? (e as Error).message})`;
    throw new ConversionError(`${rawPath} ${what}`, { reason: code === 'ENOENT' ? 'raw-missing' : 'raw-unreadable', cause: e });
  }
}
