import { createHash, type Hash } from 'node:crypto';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { temporaryPath } from './recording-layout';

/** fsyncs a folder, so a rename inside it survives a power cut. */
async function syncFolder(path: string): Promise<void> {
  const dir = await open(path, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/**
 * A file written so that under its final name it is always whole (docs/PIPELINE-CONTRACT.md,
 * "Files"): bytes go to `<final>.tmp-<pid>`; complete() fsyncs it, renames it to its final name and
 * fsyncs the folder; only then may an event announce it. The SHA-256 is computed from the bytes as
 * they are appended (no re-read).
 */
export class AtomicFileWriter {
  private readonly hash: Hash = createHash('sha256');
  private bytes = 0;

  private constructor(private readonly fh: FileHandle, readonly tmpPath: string, readonly finalPath: string) {}

  /** Creates the folder and the temporary file of `finalPath`. */
  static async create(finalPath: string): Promise<AtomicFileWriter> {
    await mkdir(dirname(finalPath), { recursive: true });
    const tmpPath = temporaryPath(finalPath);
    return new AtomicFileWriter(await open(tmpPath, 'w'), tmpPath, finalPath);
  }

  /** Bytes appended so far. */
  get size(): number {
    return this.bytes;
  }

  async append(buf: Uint8Array): Promise<void> {
    if (buf.length === 0) return;
    this.hash.update(buf);
    let done = 0;
    while (done < buf.length) done += (await this.fh.write(buf, done, buf.length - done)).bytesWritten;
    this.bytes += buf.length;
  }

  /** fsync, close, rename to the final name, fsync the folder; returns the file's SHA-256 (hex). */
  async complete(): Promise<string> {
    await this.fh.sync();
    await this.fh.close();
    await rename(this.tmpPath, this.finalPath);
    await syncFolder(dirname(this.finalPath));
    return this.hash.digest('hex');
  }

  /** Closes and removes the temporary file (work given up). */
  async discard(): Promise<void> {
    await this.fh.close().catch(() => undefined);
    await rm(this.tmpPath, { force: true });
  }
}

/** Writes `bytes` to `path` atomically (AtomicFileWriter); returns their SHA-256 (hex). */
export async function writeFileAtomically(path: string, bytes: Uint8Array): Promise<string> {
  const writer = await AtomicFileWriter.create(path);
  try {
    await writer.append(bytes);
  } catch (e) {
    await writer.discard();
    throw e;
  }
  return writer.complete();
}
