import { posix } from 'node:path';
import { RecordingPathError } from './errors';

/**
 * The layout of the recordings folder, fixed by docs/PIPELINE-CONTRACT.md ("Files"): paths in events
 * are relative to the recordings root, `<yyyy>/<mm>/<dd>/<safe call id>/<legId>.raw` for a leg and
 * `<same folder>/<safe call id>.wav` for the call, the date from the call's start capture time (UTC).
 * Written once here; the recorder, the converter, the status service and the CLI import it.
 */

/** `callId` with every character outside [A-Za-z0-9._@+-] replaced by `_`: safe as one path segment. */
export function safeCallId(callId: string): string {
  const safe = callId.replace(/[^A-Za-z0-9._@+-]/g, '_');
  // "." and ".." are made only of allowed characters but name folders of their own.
  return safe === '.' || safe === '..' ? safe.replace(/\./g, '_') : safe;
}

/** `<yyyy>/<mm>/<dd>/<safe call id>`: the folder of a call's files, from its start capture time (µs). */
export function callFolder(callId: string, callStartUs: number): string {
  const d = new Date(Math.floor(callStartUs / 1000));
  const yyyy = String(d.getUTCFullYear()).padStart(4, '0');
  const mm = String(d.getUTCMonth() + 1).padStart(2, '0');
  const dd = String(d.getUTCDate()).padStart(2, '0');
  return `${yyyy}/${mm}/${dd}/${safeCallId(callId)}`;
}

/** `<yyyy>/<mm>/<dd>/<safe call id>/<legId>.raw`. */
export function legRawPath(callId: string, callStartUs: number, legId: string): string {
  return `${callFolder(callId, callStartUs)}/${legId}.raw`;
}

/**
 * The WAV's path: `<folder of the legs' .raw files>/<safe call id>.wav`, the folder taken from the
 * first leg by path (the converter knows the legs' paths, not the call's start).
 */
export function callWavPath(callId: string, rawPaths: readonly string[]): string {
  const first = [...rawPaths].sort()[0];
  if (first === undefined) throw new RecordingPathError('no leg to take the folder from', { reason: 'no-legs' });
  return posix.join(posix.dirname(first), `${safeCallId(callId)}.wav`);
}

/** The name a file is written under before it is complete: `<final>.tmp-<pid>`. */
export function temporaryPath(finalPath: string, pid: number = process.pid): string {
  return `${finalPath}.tmp-${pid}`;
}

/** True for a name temporaryPath() makes (a leftover of a crashed writer when its pid is gone). */
export function isTemporaryPath(path: string): boolean {
  return /\.tmp-\d+$/.test(path);
}
