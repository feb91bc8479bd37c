import { readFile } from 'node:fs/promises';
import { writeFileAtomically } from '@earshot/recordings';

/**
 * What an app that processed a capture file says about it, as data (EARSHOT_CAPTURE_REPORT_FILE):
 * how many records it read, whether it read to the end, and the damage that cut it short. The
 * `earshot record` command reads it instead of scraping the app's log.
 */
export interface CaptureFileReport {
  /** The capture file processed. */
  file: string;
  /** The app that processed it (call-control, rtp-collector). */
  app: string;
  /** Capture records read. */
  records: number;
  /** True when the file was read to its end (false when the app was stopped midway). */
  complete: boolean;
  /** Why the file could not be read past some point, or null: the records before it were processed. */
  damaged: { reason: string; message: string } | null;
  /** The app's counters when it finished. */
  counters: Record<string, number>;
}

/** Writes the report atomically (a reader never sees half of it). */
export async function writeCaptureFileReport(path: string, report: CaptureFileReport): Promise<void> {
  await writeFileAtomically(path, new TextEncoder().encode(`${JSON.stringify(report, null, 2)}\n`));
}

/** Reads a report; null when there is none (the app did not get as far as the end of its file). */
export async function readCaptureFileReport(path: string): Promise<CaptureFileReport | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return null;
  }
  return JSON.parse(text) as CaptureFileReport;
}
