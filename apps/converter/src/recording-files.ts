import { open, mkdir, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, posix, sep } from 'node:path';
import { ConversionError } from './call-conversion';

/** `callId` with every character outside [A-Za-z0-9._@+-] replaced by `_` (docs/PIPELINE-CONTRACT.md). */
export function safeCallId(callId: string): string {
  return callId.replace(/[^A-Za-z0-9._@+-]/g, '_');
}

/**
 * The WAV's path relative to the recordings root: `<folder of the legs' .raw files>/<safe call id>.wav`
 * (the recorder's `<yyyy>/<mm>/<dd>/<safe call id>/`), taken from the first leg by legId.
 */
export function wavPathFor(callId: string, rawPaths: readonly string[]): string {
  const first = [...rawPaths].sort()[0];
  if (first === undefined) throw new ConversionError('no leg to take the folder from', { reason: 'no-legs' });
  return posix.join(posix.dirname(first), `${safeCallId(callId)}.wav`);
}

/** The absolute path of `relative` under `root`; a path that is absolute or climbs out of the root is refused. */
export function resolveInRoot(root: string, relative: string): string {
  const norm = normalize(relative);
  if (isAbsolute(relative) || norm === '..' || norm.startsWith(`..${sep}`) || norm.split(sep).includes('..')) {
    throw new ConversionError(`path ${JSON.stringify(relative)} is not inside the recordings root`, { reason: 'bad-path' });
  }
  return join(root, norm);
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

/** Writes `bytes` to `<path>.tmp-<pid>`, fsyncs, renames over `path`, and fsyncs the folder. */
export async function writeFileAtomically(path: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w');
  try {
    let off = 0;
    while (off < bytes.length) off += (await fh.write(bytes, off, bytes.length - off)).bytesWritten;
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fh.close();
  await rename(tmp, path);
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
