import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { CaptureError, LiveCapture, writeCaptureFileReport } from '@earshot/capture';
import { TOPICS } from '@earshot/events';
import { ConsumerRunner, deleteGroupsQuietly, initialOffsetsFor, partitionCount, topicOffsets } from '@earshot/kafka';
import { CaptureFileDecoder, CaptureFileError } from '@earshot/packet';
import type { RunningService, ServiceContext } from '@earshot/service';
import { RtpBatchPublisher } from './rtp-batch-publisher';
import { RtpCapturePipeline } from './rtp-capture-pipeline';
import type { rtpCollectorSettings } from './rtp-collector-settings';

type Context = ServiceContext<typeof rtpCollectorSettings>;

const FILE_CHUNK_BYTES = 1024 * 1024;
/** How long a partition read to one short of its end must stay quiet to count as read (see callEventsCaughtUp). */
const CALL_EVENTS_MARKER_WAIT_MS = 3000;
/** Call events are read back for this long at most before a file is read, or, live, before held packets expire again. */
const CALL_EVENTS_WAIT_MS = 60_000;

/** The counters whose names start with `prefix`. */
function pick(counts: Record<string, number>, prefix: string): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).filter(([k]) => k.startsWith(prefix)));
}

/**
 * Where the collector starts reading qm.call-control.v1 in live mode, at every start: `lookBackS`
 * before now, so the calls in progress (set up while it was down, or before it first ran) are
 * known again, without replaying all history; never before `startFrom` when that is a time.
 */
function callEventsFromMs(lookBackS: number, startFrom: string, nowMs: number): number {
  const floor = /^\d+$/.test(startFrom) ? Number(startFrom) : Date.parse(startFrom);
  return Math.max(nowMs - lookBackS * 1000, Number.isNaN(floor) ? -Infinity : floor);
}

/**
 * The rtp-collector service: a capture file (processed as fast as it can be, then done) or a live
 * interface, through RtpCapturePipeline, to qm.rtp.v1 through RtpBatchPublisher. Call events
 * from qm.call-control.v1 (every source) announce media beside the SIP it captures itself; see
 * the README for why it reads both.
 */
export async function startRtpCollector(ctx: Context): Promise<RunningService> {
  const { config, log, kafka, codec, instanceId, counters } = ctx;
  const partitions = await partitionCount(kafka, TOPICS.rtp);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const schemaId = (await codec.registerTopics([TOPICS.rtp])).get(TOPICS.rtp);
  if (schemaId === undefined) throw new Error(`no schema id for ${TOPICS.rtp}`);
  const publisher = new RtpBatchPublisher({ producer, schemaId });
  const maxPending = config.maxPendingMb * 1024 * 1024;
  const file = config.capture.file;
  let backpressureDrops = 0;

  const pipeline = new RtpCapturePipeline({
    instanceId, partitions, heuristic: config.heuristic, maxPackets: config.batch.maxPackets, windowMs: config.batch.windowMs,
    announcementLingerMs: config.announcementLingerMs,
    sip: { sipPorts: config.sipPorts.map(Number), sipOnAnyPort: config.sipOnAnyPort, tracker: { establishedIdleTimeoutMs: config.idleTimeoutS * 1000 } },
    hold: { holdMs: config.hold.ms, maxBytes: config.hold.maxMb * 1024 * 1024 },
    emit: (batch) => {
      // Live capture cannot be paused: past the limit, batches (never watermarks) are shed and counted.
      if (file === null && batch.partition === undefined && publisher.pendingBytes > maxPending) {
        backpressureDrops++;
        return;
      }
      if (publisher.failed === undefined) publisher.enqueue(batch);
    },
  });

  // Live, until the calls in progress are known again, what is captured is held, however long that
  // takes (up to CALL_EVENTS_WAIT_MS; the hold's byte bound still applies).
  if (file === null) pipeline.readingBackCallEvents(true);

  const counts = (): Record<string, number> => ({
    ...pipeline.snapshot(),
    'dropped.backpressure': backpressureDrops,
    'kafka.requests': publisher.requests,
    'kafka.messages': publisher.sentMessages,
  });
  // Heartbeats read ctx.counters: keep them at the pipeline's totals.
  const report = (): Record<string, number> => {
    const now = counts();
    counters.setTotals(now);
    return now;
  };

  // The announcements live in memory, so each start reads the call events again, in a consumer
  // group of its own (deleted at stop): live, from `callEventLookBackS` ago, to learn the calls in
  // progress (set up while the collector was down); a file, from kafka.startFrom, before the file
  // is read (see callEventsCaughtUp). A group of its own also means a restart does not wait for
  // the killed process's session to time out before it gets its partitions.
  const callEventsStart = file === null
    ? await initialOffsetsFor(kafka, [TOPICS.callControl], String(callEventsFromMs(config.callEventLookBackS, config.kafka.startFrom, Date.now())))
    : await initialOffsetsFor(kafka, [TOPICS.callControl], config.kafka.startFrom);
  const callEventEnds = await topicOffsets(kafka, TOPICS.callControl);
  const readingSince = Date.now();
  const callEventsRead = new Map<number, number>();
  const callEventsReadAt = new Map<number, number>();
  const callEventsGroup = `${config.kafka.groupPrefix}-rtp-collector-calls-${instanceId}-${randomUUID().slice(0, 8)}`;
  const agent = new ConsumerRunner({
    kafka, codec, groupId: callEventsGroup, topics: [TOPICS.callControl],
    // The group is this process's alone: nothing to hand over quickly, so a long session survives a
    // starved event loop while thousands of events are read back, and few commits (none is reused).
    sessionTimeoutMs: 60_000, commitEveryMessages: 10_000,
    ...(callEventsStart === undefined ? {} : { initialOffsets: callEventsStart }),
    handle: async (m) => {
      if (m.value !== null) pipeline.applyCallEvent(m.value);
    },
    afterBatch: async (_topic, partition, next) => {
      callEventsRead.set(partition, Number(next));
      callEventsReadAt.set(partition, Date.now());
    },
    onDeadLetter: (error, where) => log.warn('undecodable call event sent to the dead-letter topic', { error, ...where }),
  });
  // Joining the group takes a few seconds: live capture starts meanwhile (what arrives before the
  // calls are known is held), a file waits for it.
  const agentStarted = agent.start();

  const closeAll = async (): Promise<void> => {
    await agent.stop();
    await deleteGroupsQuietly(kafka, [callEventsGroup]);
    await producer.disconnect();
  };

  /**
   * Whether the call events that were in qm.call-control.v1 when the collector started have been
   * read (every partition up to its end then; one short of it only once nothing more came for
   * CALL_EVENTS_MARKER_WAIT_MS, as after a transaction's commit marker, which is no message: taken
   * at once, that one short could be the last ANSWERED of a call in progress). A file waits
   * for it: the events then all wait for their capture time when the file is read, so the batches
   * do not depend on how fast Kafka delivered them. Live, it is logged (the calls in progress are
   * known from then on).
   */
  const callEventsCaughtUp = (): boolean => {
    return callEventEnds.every((e) => {
      const start = Number(callEventsStart?.get(TOPICS.callControl)?.get(e.partition) ?? e.low);
      const high = Number(e.high);
      const read = callEventsRead.get(e.partition) ?? start;
      const quiet = Date.now() - (callEventsReadAt.get(e.partition) ?? readingSince) >= CALL_EVENTS_MARKER_WAIT_MS;
      return high <= start || read >= high || (read >= high - 1 && quiet);
    });
  };

  if (file !== null) {
    let stopping = false;
    const done = (async (): Promise<void> => {
      await agentStarted;
      const waitedFrom = Date.now();
      while (!stopping && !callEventsCaughtUp() && Date.now() - waitedFrom < CALL_EVENTS_WAIT_MS) await new Promise((r) => setTimeout(r, 50));
      if (!callEventsCaughtUp()) log.warn('call events not read to their end before the capture; reading it anyway', { waitedMs: Date.now() - waitedFrom });
      const started = performance.now();
      const decoder = new CaptureFileDecoder();
      const stream = createReadStream(file, { highWaterMark: FILE_CHUNK_BYTES });
      let records = 0;
      let damaged: CaptureFileError | null = null;
      const push = (record: Parameters<typeof pipeline.push>[0]): void => {
        records++;
        pipeline.push(record);
      };
      try {
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          // A plain Uint8Array view: the decoders' many subarrays are then cheaper than Buffer slices.
          decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length), push);
          report();
          if (publisher.pendingBytes > maxPending) await publisher.waitBelow(maxPending / 2);
          if (stopping) break;
        }
        if (!stopping) decoder.end();
      } catch (e) {
        // A capture cut short or damaged after valid records (a truncated file): what was read is
        // published; only a file that is no capture at all is refused.
        if (e instanceof CaptureFileError && e.reason !== 'not-a-capture-file' && records > 0) damaged = e;
        else if (e instanceof CaptureFileError) throw new CaptureFileError(`${file}: ${e.message}`, e.reason);
        else if (e instanceof Error && 'syscall' in e) throw new CaptureError(`${file}: cannot read: ${e.message}`, { reason: 'file-unreadable', cause: e });
        else throw e;
      } finally {
        stream.destroy();
      }
      if (damaged) {
        counters.inc(`capture.damaged.${damaged.reason}`);
        log.warn('capture damaged: the records before the damage were published', { file, records, reason: damaged.reason, error: damaged.message });
      }
      // Read to its end, the capture is over: the final watermark says so (not when stopped midway).
      pipeline.finish(!stopping);
      await publisher.drain();
      const elapsedMs = Math.round(performance.now() - started);
      const summary = report();
      log.info('capture processed', {
        file, complete: !stopping, elapsedMs, packetsPerSecond: Math.round((summary['packets'] ?? 0) / Math.max(elapsedMs / 1000, 1e-3)), ...summary,
      });
      if (config.capture.reportFile !== null) {
        await writeCaptureFileReport(config.capture.reportFile, {
          file, app: 'rtp-collector', records, complete: !stopping,
          damaged: damaged ? { reason: damaged.reason, message: damaged.message } : null, counters: counters.snapshot(),
        });
      }
    })();
    return {
      done,
      stop: async () => {
        stopping = true;
        await done.catch(() => undefined);
        await closeAll();
      },
    };
  }

  const capture = new LiveCapture({
    interface: config.capture.interface, filter: config.capture.filter, snapLength: config.capture.snapLength,
    bufferSize: config.capture.bufferSizeMb * 1024 * 1024,
  });
  let lastPacketAtMs = Date.now();
  capture.on('batch', (records) => {
    lastPacketAtMs = Date.now();
    for (const record of records) pipeline.push(record);
  });
  capture.on('error', (error) => log.error('capture error', { error }));
  capture.start();
  log.info('capturing', { interface: config.capture.interface, filter: config.capture.filter, linkType: capture.linkType });
  await agentStarted;
  // The capture's own counters: what was cut and every packet lost before the pipeline.
  const reportCapture = (): void => {
    const stats = capture.stats();
    counters.setTotals({
      'capture.truncated': stats.truncated, 'capture.kernelDrops': stats.kernelDrops, 'capture.ifDrops': stats.interfaceDrops, 'capture.queueDrops': stats.queueDrops,
    });
  };
  // The live-mode idle guard, the one use of the wall clock: with no packets, capture time would
  // stand still and leave batches open and watermarks behind.
  let readBack = false;
  const guard = setInterval(() => {
    if (!readBack && (callEventsCaughtUp() || Date.now() - readingSince > CALL_EVENTS_WAIT_MS)) {
      readBack = true;
      pipeline.readingBackCallEvents(false);
      const how = { fromMs: callEventsFromMs(config.callEventLookBackS, config.kafka.startFrom, readingSince), tookMs: Date.now() - readingSince, ...pick(pipeline.snapshot(), 'call-events.') };
      if (callEventsCaughtUp()) log.info('call events read back', how);
      else log.warn('call events not read back in time: the calls in progress may be partly missed', how);
    }
    const now = Date.now();
    if (now - lastPacketAtMs >= config.batch.windowMs) pipeline.idle(now * 1000);
    reportCapture();
    report();
  }, Math.min(config.batch.windowMs, 1000));
  guard.unref();
  return {
    // Never resolves while capturing; rejects (the service exits 1) if Kafka refuses the batches for good.
    done: publisher.failure,
    stop: async () => {
      clearInterval(guard);
      capture.stop();
      reportCapture();
      pipeline.finish();
      await publisher.drain().catch((error: unknown) => log.error('batches not acknowledged at stop', { error }));
      const stats = capture.stats();
      log.info('capture stopped', {
        ...report(), capturedPackets: stats.packets, kernelDrops: stats.kernelDrops, interfaceDrops: stats.interfaceDrops, queueDrops: stats.queueDrops,
      });
      await closeAll();
    },
  };
}
