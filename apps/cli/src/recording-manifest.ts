import type { CallEvent, RecordingEvent } from '@earshot/events';

/** One leg of a recorded call, as the manifest lists it. */
export interface ManifestLeg {
  legId: string;
  side: string;
  source: string;
  destination: string;
  ssrcs: string[];
  codecs: string[];
  packets: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  jitterMs: number;
  dtmf: string;
  /** The leg's .raw file (relative to the recordings folder) and its SHA-256. */
  rawPath: string;
  rawSha256: string | null;
}

/** One call of the capture: what the signalling said and what was recorded. */
export interface ManifestCall {
  callId: string;
  from: string;
  to: string;
  direction: string;
  /** ISO 8601, from capture time. */
  start: string;
  end: string | null;
  /** answered, failed (with status), or still open when the capture ended. */
  outcome: string;
  codecs: string[];
  /** recorded, not recorded (the reason), or pending when the run timed out. */
  recording: 'recorded' | 'failed' | 'not-recorded' | 'pending';
  recordingError: string | null;
  legs: ManifestLeg[];
  wav: { path: string; durationMs: number; channels: number; sampleRate: number; bytes: number; sha256: string } | null;
}

/** The manifest.json `earshot record` writes. */
export interface RecordingManifest {
  capture: string;
  /** The run: its consumer-group prefix and start (ms since the epoch), e.g. to replay it from the topics. */
  run: { groupPrefix: string; startedAtMs: number } | null;
  calls: ManifestCall[];
  /** RTP streams that no call claimed. */
  orphanStreams: Array<{ stream: string; error: string }>;
  /** What was wrong with the input, e.g. a capture cut short (what came before it was recorded). */
  warnings: string[];
}

const iso = (us: number): string => new Date(Math.floor(us / 1000)).toISOString();
const party = (p: CallEvent['caller']): string => (p.displayName ? `"${p.displayName}" <${p.uri}>` : p.uri);

/** True when nothing more will be recorded for the call: its outcome is known. */
export function callSettled(call: ManifestCall): boolean {
  return call.recording !== 'pending';
}

/**
 * Builds the manifest from the call events and recording events of one run. `wavPath` maps a
 * call id to the WAV's path as the user sees it (in the output folder).
 */
export function buildRecordingManifest(
  capture: string,
  callEvents: readonly CallEvent[],
  recordingEvents: readonly RecordingEvent[],
  wavPath: (callId: string) => string,
): RecordingManifest {
  const byCall = new Map<string, CallEvent[]>();
  for (const e of callEvents) {
    const list = byCall.get(e.callId) ?? [];
    if (!list.some((x) => x.eventId === e.eventId)) list.push(e);
    byCall.set(e.callId, list);
  }
  const recByCall = new Map<string, RecordingEvent[]>();
  const orphanStreams: RecordingManifest['orphanStreams'] = [];
  for (const r of recordingEvents) {
    if (r.callId.startsWith('orphan:')) {
      if (!orphanStreams.some((o) => o.stream === r.callId.slice('orphan:'.length))) {
        orphanStreams.push({ stream: r.callId.slice('orphan:'.length), error: r.error ?? 'RTP stream with no call' });
      }
      continue;
    }
    const list = recByCall.get(r.callId) ?? [];
    if (!list.some((x) => x.eventId === r.eventId)) list.push(r);
    recByCall.set(r.callId, list);
  }

  const calls: ManifestCall[] = [];
  for (const [callId, unsorted] of byCall) {
    const events = [...unsorted].sort((a, b) => a.sequence - b.sequence);
    const first = events[0] as CallEvent;
    const last = events[events.length - 1] as CallEvent;
    const ended = events.find((e) => e.kind === 'ENDED');
    const failed = events.find((e) => e.kind === 'FAILED');
    const answered = events.some((e) => e.kind === 'ANSWERED');
    const codecs = new Set<string>();
    for (const e of events) for (const m of [...e.callerMedia, ...e.calleeMedia]) {
      for (const c of m.codecs) if (c.name !== 'telephone-event') codecs.add(c.name);
    }
    const recs = recByCall.get(callId) ?? [];
    const converted = recs.find((r) => r.kind === 'CONVERTED');
    const recFailed = recs.find((r) => r.kind === 'FAILED');
    const legs: ManifestLeg[] = recs
      .filter((r) => r.kind === 'LEG_COMPLETED' && r.leg)
      .map((r) => {
        const leg = r.leg as NonNullable<RecordingEvent['leg']>;
        const s = r.stats;
        return {
          legId: leg.legId, side: leg.side, source: leg.source, destination: leg.destination,
          ssrcs: leg.ssrcs.map((x) => `0x${(x >>> 0).toString(16).padStart(8, '0')}`), codecs: leg.codecs,
          packets: s?.packets ?? 0, lost: s?.lost ?? 0, duplicated: s?.duplicated ?? 0, outOfOrder: s?.outOfOrder ?? 0,
          jitterMs: Math.round((s?.jitterMs ?? 0) * 100) / 100, dtmf: (s?.dtmf ?? []).map((d) => d.digit).join(''),
          rawPath: leg.rawPath, rawSha256: leg.rawSha256,
        };
      })
      .sort((a, b) => a.legId.localeCompare(b.legId));

    let recording: ManifestCall['recording'];
    let recordingError: string | null = null;
    if (converted) recording = 'recorded';
    else if (recFailed) { recording = 'failed'; recordingError = recFailed.error; }
    else if (failed && !answered) { recording = 'not-recorded'; recordingError = 'call not answered'; }
    else recording = 'pending';

    // The reason often starts with the status already ("486 Busy Here"): say it once.
    const failure = failed ? [failed.failureStatus, failed.reason].filter((x) => x !== null && x !== '').map(String) : [];
    if (failure.length === 2 && (failure[1] as string).startsWith(failure[0] as string)) failure.shift();
    const outcome = failed
      ? `failed ${failure.join(' ')}`.trim()
      : ended ? `answered, ended by ${(ended.endedBy ?? 'UNKNOWN').toLowerCase()}` : answered ? 'answered, no end seen' : 'no answer seen';
    const c = converted?.conversion;
    calls.push({
      callId, from: party(first.caller), to: party(first.callee), direction: first.direction,
      start: iso(first.captureTimeUs), end: ended || failed ? iso((ended ?? failed ?? last).captureTimeUs) : null,
      outcome, codecs: [...codecs].sort(), recording, recordingError, legs,
      wav: c ? { path: wavPath(callId), durationMs: c.durationMs, channels: c.channels, sampleRate: c.sampleRate, bytes: c.bytes, sha256: c.sha256 } : null,
    });
  }
  calls.sort((a, b) => a.start.localeCompare(b.start) || a.callId.localeCompare(b.callId));
  return { capture, run: null, calls, orphanStreams, warnings: [] };
}

/** The table `earshot record` prints: one line per call. */
export function formatManifestTable(manifest: RecordingManifest): string {
  const rows = manifest.calls.map((c) => [
    c.callId, c.from.replace(/^"[^"]*" </, '').replace(/>$/, ''), c.to.replace(/^"[^"]*" </, '').replace(/>$/, ''),
    c.direction.toLowerCase(), c.start.slice(11, 23), c.codecs.join(','),
    c.legs.map((l) => `${l.legId}:${l.packets}p/${l.lost}l`).join(' ') || '-',
    c.wav ? `${(c.wav.durationMs / 1000).toFixed(2)}s` : c.recording === 'recorded' ? '?' : `${c.recording}${c.recordingError ? ` (${c.recordingError})` : ''}`,
  ]);
  const head = ['call id', 'from', 'to', 'dir', 'start', 'codecs', 'legs (packets/lost)', 'wav'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((v, i) => v.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const out = [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
  for (const o of manifest.orphanStreams) out.push(`orphan RTP stream ${o.stream}: ${o.error}`);
  for (const w of manifest.warnings) out.push(`warning: ${w}`);
  return out.join('\n');
}
