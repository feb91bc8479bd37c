import { randomUUID } from 'node:crypto';
import { TOPICS, type CallEvent, type RecordingEvent, type ServiceHeartbeat, type TopicName } from '@earshot/events';
import { ConsumerRunner, createKafkaClient, EventCodec, initialOffsetsFor } from '@earshot/kafka';

/** The running system in numbers, as the one-line summary shows it. */
export interface LiveSummary {
  /** Calls started (to be recorded) and not yet ended. */
  callsInProgress: number;
  /** Calls that ended or failed since the run started. */
  callsEnded: number;
  /** Calls whose WAV was written since the run started. */
  callsRecorded: number;
  /** Calls whose recording or conversion failed. */
  recordingsFailed: number;
  /** RTP and RTCP packets per second taken by the RTP collectors (between their last two heartbeats). */
  packetsPerSecond: number;
  /** Packets the kernel dropped before a capture read them (every `capture.*drop*` counter). */
  captureDrops: number;
  /** RTP batches the collectors dropped for want of Kafka (dropped.backpressure). */
  backpressureDrops: number;
}

/** Per instance: its latest heartbeat's state, drops and when it was sent. */
export interface InstanceHealth {
  state: string;
  sentAtMs: number;
  captureDrops: number;
  counters: Record<string, number>;
}

export interface LiveWatchOptions {
  brokers: string[];
  registryUrl: string;
  /** The instance ids of this run's children: only their events count. */
  instanceIds: readonly string[];
  /** Reads events from this time on (ms since the epoch). */
  sinceMs: number;
}

/** Every counter that says the kernel (or libpcap) dropped packets before the capture read them. */
export function captureDropsOf(counters: Record<string, number>): number {
  let n = 0;
  for (const [name, value] of Object.entries(counters)) if (name.startsWith('capture.') && /drop/i.test(name)) n += value;
  return n;
}

/** `calls 12 in progress · 30 recorded · 1,204 packets/s · drops 0` */
export function formatSummary(s: LiveSummary): string {
  const n = (v: number) => v.toLocaleString('en-US');
  const drops = s.captureDrops === 0 && s.backpressureDrops === 0 ? 'drops 0'
    : `DROPS: ${n(s.captureDrops)} packets in capture, ${n(s.backpressureDrops)} batches for Kafka backpressure`;
  return `calls ${n(s.callsInProgress)} in progress · ${n(s.callsRecorded)} recorded${s.recordingsFailed ? ` (${n(s.recordingsFailed)} failed)` : ''} · `
    + `${n(Math.round(s.packetsPerSecond))} packets/s · ${drops}`;
}

/**
 * Follows what this run's services publish: their heartbeats (qm.services.v1), call events
 * (qm.call-control.v1) and recording events (qm.recordings.v1), from the run's start, with a
 * consumer group of its own; the topics are shared, so only the run's own instance ids count.
 */
export class LiveWatch {
  /** Calls in progress (a call's events share a partition, in order: nothing follows its end). */
  private readonly open = new Set<string>();
  private ended = 0;
  /** Every call this run's call control published: the recorder and converter also answer other runs' calls on the shared topics. */
  private readonly runCalls = new Set<string>();
  private readonly recorded = new Set<string>();
  private readonly failed = new Set<string>();
  private readonly heartbeats = new Map<string, { now: ServiceHeartbeat; previous?: ServiceHeartbeat }>();
  private runner: ConsumerRunner<TopicName> | undefined;
  private readonly ids: ReadonlySet<string>;

  constructor(private readonly o: LiveWatchOptions) {
    this.ids = new Set(o.instanceIds);
  }

  async start(): Promise<void> {
    const kafka = createKafkaClient({ brokers: this.o.brokers, clientId: 'earshot-run' });
    const codec = new EventCodec({ registryUrl: this.o.registryUrl });
    const topics: TopicName[] = [TOPICS.services, TOPICS.callControl, TOPICS.recordings];
    this.runner = new ConsumerRunner({
      kafka, codec, groupId: `earshot-run-watch-${randomUUID().slice(0, 8)}`, topics,
      initialOffsets: await initialOffsetsFor(kafka, topics, String(this.o.sinceMs)),
      handle: async (m) => {
        if (!m.value) return;
        if (m.topic === TOPICS.services) this.onHeartbeat(m.value as ServiceHeartbeat);
        else if (m.topic === TOPICS.callControl) this.onCall(m.value as CallEvent);
        else this.onRecording(m.value as RecordingEvent);
      },
    });
    await this.runner.start();
  }

  async stop(): Promise<void> {
    await this.runner?.stop();
  }

  summary(): LiveSummary {
    let pps = 0;
    let captureDrops = 0;
    let backpressureDrops = 0;
    for (const { now, previous } of this.heartbeats.values()) {
      captureDrops += captureDropsOf(now.counters);
      if (now.serviceKind !== 'rtp-collector') continue;
      backpressureDrops += now.counters['dropped.backpressure'] ?? 0;
      if (previous && now.sentAtMs > previous.sentAtMs && now.state === 'RUNNING' && Date.now() - now.sentAtMs < 10_000) {
        pps += Math.max(0, (now.counters['packets'] ?? 0) - (previous.counters['packets'] ?? 0)) / ((now.sentAtMs - previous.sentAtMs) / 1000);
      }
    }
    return {
      callsInProgress: this.open.size, callsEnded: this.ended, callsRecorded: this.recorded.size, recordingsFailed: this.failed.size,
      packetsPerSecond: pps, captureDrops, backpressureDrops,
    };
  }

  /** The latest heartbeat of an instance of this run, or undefined. */
  instance(instanceId: string): InstanceHealth | undefined {
    const h = this.heartbeats.get(instanceId)?.now;
    return h && { state: h.state, sentAtMs: h.sentAtMs, captureDrops: captureDropsOf(h.counters), counters: h.counters };
  }

  private onHeartbeat(h: ServiceHeartbeat): void {
    if (!this.ids.has(h.instanceId)) return;
    const prior = this.heartbeats.get(h.instanceId)?.now;
    // A restarted instance counts from 0 again: its rate starts over.
    this.heartbeats.set(h.instanceId, { now: h, previous: prior && prior.startedAtMs === h.startedAtMs ? prior : undefined });
  }

  private onCall(e: CallEvent): void {
    if (!this.ids.has(e.instanceId)) return;
    this.runCalls.add(e.callId);
    if (e.kind === 'ENDED' || e.kind === 'FAILED') {
      this.ended++;
      this.open.delete(e.callId);
    } else if (e.kind === 'STARTED') {
      this.open.add(e.callId);
    }
  }

  private onRecording(e: RecordingEvent): void {
    if (!this.ids.has(e.instanceId) || !this.runCalls.has(e.callId)) return;
    if (e.kind === 'CONVERTED') this.recorded.add(e.callId);
    else if (e.kind === 'FAILED') this.failed.add(e.callId);
  }
}
