import { TOPICS, type RecordingEvent } from '@earshot/events';
import { committedOffsets, ConsumerRunner, initialOffsetsFor, topicOffsets } from '@earshot/kafka';
import type { RunningService, ServiceContext } from '@earshot/service';
import { RecorderEngine } from './recorder-engine';
import { RawFileStore } from './raw-file-store';
import type { recorderSettings } from './recorder-settings';

/** How long the recorder waits at start for call control to be read up to its end before reading RTP. */
const CALLS_CATCH_UP_MS = 60_000;

/** Serialises the produce step: both consumers' batches end with one, and events must go out in order. */
function serial(): <T>(fn: () => Promise<T> | T) => Promise<T> {
  let chain: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T> | T): Promise<T> => {
    const run = chain.then(fn);
    chain = run.then(() => undefined, () => undefined);
    return run;
  };
}

/**
 * The recorder on Kafka: every instance reads ALL of qm.call-control.v1 in a group of its own
 * (call knowledge is broadcast) and its share of qm.rtp.v1 in the shared group. After each
 * batch it advances the engine (writes, closes), produces the RecordingEvents, and only then
 * commits; RTP commits stop at the first offset of work still open, so a crash replays open legs
 * from their start and rewrites the same files.
 */
export async function startRecorder(ctx: ServiceContext<typeof recorderSettings>): Promise<RunningService> {
  const { config, kafka, codec, producer, log, instanceId, counters } = ctx;
  const engine = new RecorderEngine({
    store: new RawFileStore(config.recordingsDir), instanceId, lingerMs: config.lingerMs, idleTimeoutS: config.idleTimeoutS,
    orphanTimeoutS: config.orphanTimeoutS, unclaimedMaxBytes: config.unclaimedMaxMb * 1024 * 1024, rtpInstances: new Set(config.rtpInstances), counters,
    log: (msg, fields) => log.info(msg, fields),
  });
  // The engine runs each entry alone in call order; this lock keeps the produce order too.
  const locked = serial();
  let unsent: RecordingEvent[] = [];

  /** Advances the engine and produces what it decided; a failed send keeps the events for the retry. */
  const advanceAndProduce = (): Promise<void> => locked(async () => {
    await engine.advance();
    unsent = unsent.concat(engine.takeEvents());
    if (unsent.length === 0) return;
    await producer.send(TOPICS.recordings, unsent.map((e) => ({ key: e.callId, value: e })));
    counters.inc('events.produced', unsent.length);
    unsent = [];
  });

  const callsGroup = `${config.kafka.groupPrefix}-recorder-calls-${instanceId}`;
  const rtpGroup = `${config.kafka.groupPrefix}-recorder`;
  const callStart = await initialOffsetsFor(kafka, [TOPICS.callControl], config.kafka.startFrom);
  const rtpStart = await initialOffsetsFor(kafka, [TOPICS.rtp], config.kafka.startFrom);

  // Where the calls group starts and where the topic ends now: RTP is read once calls are read that far.
  const callsCommitted = await committedOffsets(kafka, callsGroup, TOPICS.callControl);
  const catchUp = new Map<number, number>();
  for (const o of await topicOffsets(kafka, TOPICS.callControl)) {
    const start = Number(callsCommitted.get(o.partition) ?? callStart?.get(TOPICS.callControl)?.get(o.partition) ?? o.low);
    if (Number(o.high) > Math.max(start, Number(o.low))) catchUp.set(o.partition, Number(o.high));
  }
  let caughtUp: () => void = () => undefined;
  const callsRead = new Promise<void>((r) => { caughtUp = r; if (catchUp.size === 0) r(); });

  const calls = new ConsumerRunner({
    kafka, codec, groupId: callsGroup, topics: [TOPICS.callControl], initialOffsets: callStart, counters,
    commitOffset: (_t, partition, next) => engine.callCommitOffset(partition, next),
    handle: async (m) => {
      if (m.value) await engine.onCallEvent(m.value, m.partition, Number(m.offset));
      const end = catchUp.get(m.partition);
      if (end !== undefined && Number(m.offset) + 1 >= end) {
        catchUp.delete(m.partition);
        if (catchUp.size === 0) caughtUp();
      }
    },
    afterBatch: () => advanceAndProduce(),
    onDeadLetter: (error, where) => log.warn('call event dead-lettered', { error: error.message, ...where }),
  });

  const rtpCommitted = await committedOffsets(kafka, rtpGroup, TOPICS.rtp);
  let assignments: number[] = [];
  let joined = 0;
  const rtp = new ConsumerRunner({
    kafka, codec, groupId: rtpGroup, topics: [TOPICS.rtp], initialOffsets: rtpStart, counters,
    commitOffset: (_t, partition, next) => engine.rtpCommitOffset(partition, next),
    // Asked on every assignment while the assigned partitions are paused: the engine takes the new
    // assignment (after a rejoin, dropping what it read: every partition restarts from its committed,
    // held-back offset) before any message of it is handled, in turn with every other entry.
    assignedOffsets: async (assigned) => {
      const partitions = [...(assigned.find((a) => a.topic === TOPICS.rtp)?.partitions ?? [])].sort((a, b) => a - b);
      if (joined++ > 0) {
        log.info('RTP partitions reassigned: open legs are rebuilt from the committed offsets', { partitions });
        await engine.reassign(partitions, partitions);
      } else {
        await engine.assign(partitions, partitions.filter((p) => rtpCommitted.has(p)));
      }
      assignments = partitions;
      return new Map();
    },
    handle: async (m) => {
      if (m.value) await engine.onRtpBatch(m.value, m.partition, Number(m.offset));
    },
    afterBatch: () => advanceAndProduce(),
    onDeadLetter: (error, where) => log.warn('RTP batch dead-lettered', { error: error.message, ...where }),
  });

  await calls.start();
  const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), CALLS_CATCH_UP_MS).unref());
  if ((await Promise.race([callsRead.then(() => 'read' as const), timer])) === 'timeout') {
    log.warn('call control not read to its end in time; reading RTP anyway', { partitionsBehind: [...catchUp.keys()] });
  }
  await rtp.start();
  log.info('recorder ready', { recordingsDir: config.recordingsDir, callsGroup, rtpGroup });

  return {
    stop: async () => {
      await rtp.stop();
      await calls.stop();
      // Open legs are not closed: their offsets were held back, so the next run rewrites them whole.
      await engine.dropAll();
    },
    progress: () => ({ lag: 0, assignments: assignments.map((p) => `${TOPICS.rtp}/${p}`) }),
  };
}
