import { readFile, stat } from 'node:fs/promises';
import { AtomicFileWriter, resolveInRoot } from '@earshot/recordings';

/** A .raw being written: an AtomicFileWriter (temporary name, fsync, rename; SHA-256 as appended). */
export type RawFileHandle = AtomicFileWriter;

/** The recordings root: where .raw files are created, found and read back (layout: @earshot/recordings). */
export class RawFileStore {
  constructor(readonly root: string) {}

  absolute(relPath: string): string {
    return resolveInRoot(this.root, relPath);
  }

  create(relPath: string): Promise<RawFileHandle> {
    return AtomicFileWriter.create(this.absolute(relPath));
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
