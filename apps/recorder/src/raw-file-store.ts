import { createHash, type Hash } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** `safe call id`: every char outside [A-Za-z0-9._@+-] replaced by `_` (docs/PIPELINE-CONTRACT.md). */
export function safeCallId(callId: string): string {
  return callId.replace(/[^A-Za-z0-9._@+-]/g, '_');
}

/** `<yyyy>/<mm>/<dd>/<safe call id>/<legId>.raw`, the date from the call's start capture time (UTC). */
export function rawRelativePath(callId: string, callStartUs: number, legId: string): string {
  const d = new Date(Math.floor(callStartUs / 1000));
  const yyyy = String(d.getUTCFullYear()).padStart(4, '0');
  const mm = String(d.getUTCMonth() + 1).padStart(2, '0');
  const dd = String(d.getUTCDate()).padStart(2, '0');
  return `${yyyy}/${mm}/${dd}/${safeCallId(callId)}/${legId}.raw`;
}

/**
 * A .raw being written: bytes go to `<final>.tmp-<pid>`; complete() fsyncs it, renames it to its
 * final name and fsyncs the folder, so a file under its final name is always whole. The SHA-256
 * is computed from the bytes as they are appended (no re-read).
 */
export class RawFileHandle {
  private readonly hash: Hash = createHash('sha256');
  private bytes = 0;

  constructor(private readonly fh: FileHandle, readonly tmpPath: string, readonly finalPath: string) {}

  get size(): number { return this.bytes; }

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
    const dir = await open(dirname(this.finalPath), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
    return this.hash.digest('hex');
  }

  /** Closes and removes the temporary file (a leg given up, or a file already complete). */
  async discard(): Promise<void> {
    await this.fh.close().catch(() => undefined);
    await rm(this.tmpPath, { force: true });
  }
}

/** The recordings root: where .raw files are created, found and read back. */
export class RawFileStore {
  constructor(readonly root: string) {}

  absolute(relPath: string): string {
    return join(this.root, relPath);
  }

  async create(relPath: string): Promise<RawFileHandle> {
    const finalPath = this.absolute(relPath);
    await mkdir(dirname(finalPath), { recursive: true });
    const tmpPath = `${finalPath}.tmp-${process.pid}`;
    return new RawFileHandle(await open(tmpPath, 'w'), tmpPath, finalPath);
  }

  /** True when the final file exists: a previous run completed this leg. */
  async exists(relPath: string): Promise<boolean> {
    try {
      return (await stat(this.absolute(relPath))).isFile();
    } catch {
      return false;
    }
  }

  read(relPath: string): Promise<Buffer> {
    return readFile(this.absolute(relPath));
  }
}
