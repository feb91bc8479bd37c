import { randomUUID } from 'node:crypto';
import { copyFileSync, linkSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { readCaptureFile, readCaptureFileReport } from '@earshot/capture';
import { EarshotError } from '@earshot/errors';
import { safeCallId } from '@earshot/recordings';
import { TOPICS, type CallEvent, type RecordingEvent } from '@earshot/events';
import {
  ConsumerRunner, createKafkaClient, EventCodec, initialOffsetsFor, localStackEndpoints, provisionTopicsAndSchemas,
} from '@earshot/kafka';
import { AppProcess } from './app-process';
import { buildRecordingManifest, callSettled, formatManifestTable, type RecordingManifest } from './recording-manifest';
import { runStack } from './stack-control';

/** What went wrong in `earshot record`, for a person; `exitCode` is what the command exits with. */
export class RecordCommandError extends EarshotError {
  constructor(message: string, reason: string, readonly exitCode = 1) {
    super(message, { reason });
  }
}

export interface RecordOptions {
  /** The capture file (pcap or pcapng). */
  file: string;
  /** Where the WAVs and manifest.json go. */
  outDir: string;
  /** How long to wait with no new event before giving up on calls not yet recorded. Default 60 s. */
  idleTimeoutMs?: number;
  /** Progress lines for the user. */
  say?: (line: string) => void;
}

async function assertCaptureFile(file: string): Promise<void> {
  try {
    for await (const _record of readCaptureFile(file)) return;
  } catch (error) {
    const reason = (error as { reason?: string }).reason ?? 'unreadable';
    throw new RecordCommandError(`${file} is not a capture file earshot can read (${reason}): ${(error as Error).message}`, 'not-a-capture', 2);
  }
  throw new RecordCommandError(`${file} holds no packets`, 'empty-capture', 2);
}

/**
 * `earshot record FILE --out DIR`: runs the whole pipeline on a capture. Brings the local stack up
 * if needed, starts the recorder and converter, feeds the file through call control and the RTP
 * collector (file mode, capture time as the clock), waits until every call in it is recorded and
 * converted (or has a clear outcome), and writes DIR/<call id>.wav and DIR/manifest.json.
 */
export async function recordCapture(options: RecordOptions): Promise<RecordingManifest> {
  const say = options.say ?? (() => undefined);
  const file = resolve(options.file);
  const outDir = resolve(options.outDir);
  await assertCaptureFile(file);

  if (runStack('status', true) !== 0) {
    say('starting the local stack (Kafka, schema registry, PostgreSQL)...');
    if (runStack('up') !== 0) throw new RecordCommandError('the local stack did not come up (see above)', 'stack-down');
  }
  await provisionTopicsAndSchemas();

  const run = randomUUID().slice(0, 8);
  const startedAtMs = Date.now();
  const recordingsDir = join(outDir, 'recordings');
  // recordings/ holds the .raw legs and the WAVs as the recorder and converter wrote them;
  // DIR/<call id>.wav are links to those WAVs.
  mkdirSync(recordingsDir, { recursive: true });
  const common = {
    EARSHOT_KAFKA_GROUP_PREFIX: `earshot-record-${run}`,
    EARSHOT_KAFKA_START_FROM: String(startedAtMs),
    EARSHOT_RECORDINGS_DIR: recordingsDir,
    EARSHOT_HEARTBEAT_MS: '5000',
  };
  const instance = (app: string) => ({ EARSHOT_INSTANCE_ID: `${app}@record-${run}` });
  // Each feeder's report on the file (records read, damage): data, not its log's wording.
  const reportsDir = mkdtempSync(join(tmpdir(), `earshot-record-${run}-`));
  const reportFile = (app: string): string => join(reportsDir, `${app}.json`);

  // Listen first, from the run's start, to everything the run produces.
  const endpoints = localStackEndpoints();
  const kafka = createKafkaClient({ brokers: endpoints.brokers, clientId: `earshot-record-${run}` });
  const codec = new EventCodec({ registryUrl: endpoints.registryUrl });
  const callEvents: CallEvent[] = [];
  const recordingEvents: RecordingEvent[] = [];
  let lastEventAt = Date.now();
  const topics = [TOPICS.callControl, TOPICS.recordings] as const;
  const listener = new ConsumerRunner({
    kafka, codec, groupId: `earshot-record-${run}-cli`, topics,
    initialOffsets: await initialOffsetsFor(kafka, topics, String(startedAtMs)),
    // The topics are shared: only what this run's own instances produced belongs to it.
    handle: async (m) => {
      if (!m.value || !m.value.instanceId.endsWith(`@record-${run}`)) return;
      lastEventAt = Date.now();
      if (m.topic === TOPICS.callControl) callEvents.push(m.value as CallEvent);
      else recordingEvents.push(m.value as RecordingEvent);
    },
  });
  await listener.start();

  const services = [
    // The topics may be shared with a live capture: the recorder's clock follows this run's collector only.
    new AppProcess('recorder', { ...common, ...instance('recorder'), EARSHOT_RECORDER_RTP_INSTANCES: instance('rtp-collector').EARSHOT_INSTANCE_ID }),
    new AppProcess('converter', { ...common, ...instance('converter') }),
  ];
  const all = [...services];
  try {
    // Call control first, to the end of the file: the recorder then knows every call before the
    // first RTP packet arrives, so no stream is judged unclaimed while its call is still in flight.
    say(`feeding ${basename(file)} through call control...`);
    const callControl = new AppProcess('call-control', { ...common, ...instance('call-control'), EARSHOT_CAPTURE_FILE: file, EARSHOT_CAPTURE_REPORT_FILE: reportFile('call-control'), EARSHOT_RECORD_EVERYONE: 'true' });
    all.push(callControl);
    await feederDone(callControl, file);
    await waitFor(() => callEvents.length > 0 || Date.now() - lastEventAt > 5000);
    if (callEvents.length === 0) {
      throw new RecordCommandError(`${file} holds no SIP call (call control found no INVITE to record)`, 'no-calls', 3);
    }
    say(`${new Set(callEvents.map((e) => e.callId)).size} call(s) found; feeding the RTP collector, recording and converting...`);
    const collector = new AppProcess('rtp-collector', { ...common, ...instance('rtp-collector'), EARSHOT_CAPTURE_FILE: file, EARSHOT_CAPTURE_REPORT_FILE: reportFile('rtp-collector'), EARSHOT_RTP_HEURISTIC: 'true' });
    all.push(collector);
    await feederDone(collector, file);
    for (const s of services) {
      if (s.child.exitCode !== null) throw new RecordCommandError(`${s.app} stopped (exit ${s.child.exitCode}):\n${s.tail()}`, 'service-died');
    }
    // In the manifest, each WAV's path is relative to the manifest's folder.
    const wavPath = (callId: string) => `${safeCallId(callId)}.wav`;
    const manifestNow = () => buildRecordingManifest(file, callEvents, recordingEvents, wavPath);
    const idle = options.idleTimeoutMs ?? 60_000;
    await waitFor(() => manifestNow().calls.every(callSettled) || Date.now() - lastEventAt > idle);

    const manifest = manifestNow();
    manifest.run = { groupPrefix: common.EARSHOT_KAFKA_GROUP_PREFIX, startedAtMs };
    for (const feeder of [callControl, collector]) {
      const report = await readCaptureFileReport(reportFile(feeder.app));
      if (report?.damaged) {
        manifest.warnings.push(`${feeder.app}: capture damaged: the records before the damage were processed (${report.records} records read; ${report.damaged.message})`);
      }
    }
    for (const call of manifest.calls) {
      const converted = recordingEvents.find((r) => r.callId === call.callId && r.kind === 'CONVERTED');
      if (!converted?.conversion || !call.wav) continue;
      const source = join(recordingsDir, converted.conversion.path);
      const target = join(outDir, call.wav.path);
      rmSync(target, { force: true });
      try {
        linkSync(source, target);
      } catch {
        copyFileSync(source, target);
      }
    }
    writeFileSync(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    const pending = manifest.calls.filter((c) => !callSettled(c));
    if (pending.length > 0) {
      throw new RecordCommandError(
        `${pending.length} call(s) not recorded after ${idle / 1000}s without progress: ${pending.map((c) => c.callId).join(', ')}\n${services.map((s) => s.tail()).join('\n')}`,
        'timeout',
      );
    }
    return manifest;
  } finally {
    await Promise.all(all.map((p) => p.stop()));
    await listener.stop();
    rmSync(reportsDir, { recursive: true, force: true });
  }
}

async function feederDone(feeder: AppProcess, file: string): Promise<void> {
  const code = await feeder.exited;
  if (code !== 0) throw new RecordCommandError(`${feeder.app} failed on ${file} (exit ${code}):\n${feeder.tail()}`, 'feeder-failed');
}

async function waitFor(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((r) => setTimeout(r, 200));
}

export { formatManifestTable };
