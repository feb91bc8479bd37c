import { hostname } from 'node:os';
import type { ReasonCounters } from '@earshot/errors';
import { TOPICS, type ServiceHeartbeat, type ServiceState } from '@earshot/events';
import type { EventProducer } from '@earshot/kafka';

export interface HeartbeatPublisherOptions {
  /** Produces the heartbeats. */
  producer: EventProducer;
  /** This instance's id (the key on qm.services.v1). */
  instanceId: string;
  /** call-control, rtp-collector, recorder, converter or status. */
  serviceKind: string;
  /** Earshot version. */
  version: string;
  /** Interval between heartbeats in ms. */
  intervalMs: number;
  /** Counters reported with each heartbeat. */
  counters: ReasonCounters;
  /** Reports lag and assignments at each beat. Default: 0 and none. */
  progress?: () => { lag: number; assignments: string[] };
  /** Told when a heartbeat could not be sent (Kafka down); the next beat tries again. */
  onError?: (error: unknown) => void;
}

/** Publishes the instance's ServiceHeartbeat to qm.services.v1 on start, every interval, and STOPPED on stop. */
export class HeartbeatPublisher {
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAtMs = Date.now();

  constructor(private readonly options: HeartbeatPublisherOptions) {}

  async start(): Promise<void> {
    await this.beat('RUNNING');
    this.timer = setInterval(() => void this.beat('RUNNING').catch((e: unknown) => this.options.onError?.(e)), this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.beat('STOPPED').catch((e: unknown) => this.options.onError?.(e));
  }

  /** The heartbeat as it would be sent now. */
  snapshot(state: ServiceState): ServiceHeartbeat {
    const progress = this.options.progress?.() ?? { lag: 0, assignments: [] };
    return {
      instanceId: this.options.instanceId,
      serviceKind: this.options.serviceKind,
      host: hostname(),
      pid: process.pid,
      version: this.options.version,
      state,
      startedAtMs: this.startedAtMs,
      sentAtMs: Date.now(),
      lag: progress.lag,
      counters: this.options.counters.snapshot(),
      assignments: progress.assignments,
    };
  }

  private async beat(state: ServiceState): Promise<void> {
    await this.options.producer.send(TOPICS.services, [{ key: this.options.instanceId, value: this.snapshot(state) }]);
  }
}
