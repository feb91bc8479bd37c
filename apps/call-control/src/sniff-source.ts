import { CaptureFileError } from '@earshot/packet';
import { LiveCapture, readCaptureFile } from '@earshot/capture';
import type { ReasonCounters } from '@earshot/errors';
import type { ServiceLogger } from '@earshot/service';
import type { CallEventPublisher } from './call-event-publisher';
import type { SipCapturePipeline } from './sip-capture-pipeline';

/** Most events waiting for Kafka before reading the file pauses. */
const MAX_PENDING_EVENTS = 5000;
const CHECK_EVERY_RECORDS = 4096;

/**
 * File mode: every record of the capture file through the pipeline as fast as it goes, capture
 * time as the clock; at the end every open call is closed (tick(Infinity)) and every event
 * acknowledged. Resolves with the pipeline's counters; rejects when the file is not a capture
 * (CaptureFileError) or events could not be published.
 */
export async function processCaptureFile(
  path: string, pipeline: SipCapturePipeline, publisher: CallEventPublisher, signal: AbortSignal,
): Promise<{ records: number; stopped: boolean; damaged: CaptureFileError | null }> {
  let records = 0;
  let stopped = false;
  let damaged: CaptureFileError | null = null;
  try {
    for await (const record of readCaptureFile(path)) {
      pipeline.push(record);
      if (++records % CHECK_EVERY_RECORDS === 0) {
        if (signal.aborted) {
          stopped = true;
          break;
        }
        if (publisher.pending > MAX_PENDING_EVENTS) await publisher.flush();
        if (publisher.firstFailure !== undefined) throw publisher.firstFailure;
      }
    }
  } catch (error) {
    // A capture cut short or damaged after valid records (a truncated file): the calls read so far
    // are processed and told; only a file that is no capture at all is refused.
    if (!(error instanceof CaptureFileError) || error.reason === 'not-a-capture-file' || records === 0) throw error;
    damaged = error;
  }
  // Stopped early (SIGTERM): what was read still ends its calls, so nothing is left half told.
  pipeline.finish();
  await publisher.flush();
  if (publisher.firstFailure !== undefined) throw publisher.firstFailure;
  return { records, stopped, damaged };
}

/** The default live filter: the SIP ports over UDP and TCP, plus IP fragments after the first (they carry no ports). */
export function defaultSipFilter(ports: readonly number[]): string {
  const portExpr = ports.map((p) => `port ${p}`).join(' or ');
  return `((udp or tcp) and (${portExpr})) or (ip and ip[6:2] & 0x1fff != 0) or (ip6 and ip6[6] == 44)`;
}

/** Live mode: a running capture and its idle guard. */
export interface LiveSniffer {
  stop(): void;
}

/**
 * Live mode: LiveCapture on the interface with the BPF filter. Packets carry the kernel's capture
 * time (the wall clock), so an idle guard ticks the tracker with the wall clock every second and
 * calls time out while no SIP arrives; it also mirrors the capture's loss counters
 * (capture.kernelDrops, capture.ifDrops, capture.queueDrops) into `counters` when given.
 */
export function startLiveCapture(options: { interface: string; filter: string; snapLength: number; pipeline: SipCapturePipeline; log: ServiceLogger; counters?: ReasonCounters }): LiveSniffer {
  const capture = new LiveCapture({ interface: options.interface, filter: options.filter, snapLength: options.snapLength });
  capture.on('batch', (records) => {
    for (const record of records) options.pipeline.push(record);
  });
  capture.on('error', (error) => options.log.error('capture error', { error }));
  capture.start();
  // Shown from the first heartbeat, 0 included: "no drops" is a reading, not a missing counter.
  const mirrorDrops = (): void => {
    const s = capture.stats();
    options.counters?.setTotals({ 'capture.kernelDrops': s.kernelDrops, 'capture.ifDrops': s.interfaceDrops, 'capture.queueDrops': s.queueDrops });
  };
  mirrorDrops();
  const guard = setInterval(() => {
    options.pipeline.tick(Math.floor((performance.timeOrigin + performance.now()) * 1000));
    mirrorDrops();
  }, 1000);
  return {
    stop: () => {
      clearInterval(guard);
      capture.stop();
      mirrorDrops();
      options.log.info('capture stopped', { ...capture.stats() });
    },
  };
}
