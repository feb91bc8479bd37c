import { hostname } from 'node:os';
import { ReasonCounters } from '@earshot/errors';
import { ConfigError, commonSettings, loadConfig, type ConfigOf, type SettingTree } from '@earshot/config';
import { createKafkaClient, EventCodec, EventProducer } from '@earshot/kafka';
import type { Kafka } from 'kafkajs';
import { HeartbeatPublisher } from './heartbeat-publisher';
import { createServiceLogger, type ServiceLogger } from './service-logger';

/** Earshot's version, reported in heartbeats. */
export const EARSHOT_VERSION = '0.1.0';

/** The common settings' values and the service's own. */
export type ServiceConfigOf<S extends SettingTree> = ConfigOf<typeof commonSettings> & ConfigOf<S>;

/** What a running service is handed: its validated config and its connections. */
export interface ServiceContext<S extends SettingTree> {
  config: ServiceConfigOf<S>;
  instanceId: string;
  log: ServiceLogger;
  kafka: Kafka;
  codec: EventCodec;
  /** A connected idempotent producer, shared by the service and its heartbeats. */
  producer: EventProducer;
  counters: ReasonCounters;
  /** Aborted when the service is asked to stop (SIGTERM, SIGINT). */
  signal: AbortSignal;
}

/** What a service's start function returns: how to stop it, and what to report in heartbeats. */
export interface RunningService {
  /** Stops taking work, finishes what is in hand, closes what it opened. */
  stop(): Promise<void>;
  /** Lag and assignments for the heartbeat. */
  progress?: () => { lag: number; assignments: string[] };
  /**
   * For a service with an end (a capture file processed): resolves when the work is done, and the
   * service then stops as on SIGTERM and exits 0; rejects to exit 1 after logging why.
   */
  done?: Promise<void>;
}

export interface RunServiceOptions<S extends SettingTree> {
  /** call-control, rtp-collector, recorder, converter or status. */
  kind: string;
  /** The service's own settings, beside the common ones. */
  settings: S;
  /** Starts the service's work. */
  start: (ctx: ServiceContext<S>) => Promise<RunningService>;
  /** Environment to read. Default: process.env. */
  env?: Record<string, string | undefined>;
}

/**
 * The life of an Earshot service process: load and validate the configuration (a wrong value
 * stops it with exit code 2 and a message naming the setting), connect to Kafka and the registry,
 * start, publish heartbeats, and on SIGTERM or SIGINT stop cleanly: finish the work in hand,
 * publish a STOPPED heartbeat, disconnect, exit 0.
 */
export async function runService<S extends SettingTree>(options: RunServiceOptions<S>): Promise<void> {
  const env = options.env ?? process.env;
  let config: ServiceConfigOf<S>;
  try {
    config = loadConfig({ ...commonSettings, ...options.settings }, { env }) as unknown as ServiceConfigOf<S>;
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${options.kind}: configuration error: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const log = createServiceLogger(options.kind, config.logLevel);
  // Log lines are written asynchronously: every exit goes through here so the last ones are not lost.
  const exit = (code: number): Promise<never> => log.flush().then(() => process.exit(code));
  const kafkaLog = log.child({ component: 'kafka' });
  const heartbeatLog = log.child({ component: 'heartbeat' });
  const instanceId = config.instanceId ?? `${options.kind}@${hostname()}:${process.pid}`;
  const counters = new ReasonCounters();
  const stopping = new AbortController();
  const kafka = createKafkaClient({
    brokers: config.kafka.brokers,
    clientId: `${config.kafka.clientId}-${options.kind}`,
    log: (e) => (e.level === 'error' ? kafkaLog.warn(`kafka: ${e.message}`, { namespace: e.namespace }) : kafkaLog.debug(`kafka: ${e.message}`)),
  });
  const codec = new EventCodec({ registryUrl: config.registry.url, retry: { attempts: 10, initialDelayMs: 200 } });
  const producer = new EventProducer({ kafka, codec });

  let shutdown: (() => Promise<void>) | undefined;
  const onSignal = (signal: string): void => {
    if (stopping.signal.aborted) return;
    log.info(signal === 'done' ? 'finished' : 'stopping', { signal });
    stopping.abort();
    void (shutdown ? shutdown() : Promise.resolve()).then(
      () => { log.info('stopped'); void exit(0); },
      (e: unknown) => { log.error('stop failed', { error: e }); void exit(1); },
    );
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));

  try {
    log.info('starting', { instanceId, brokers: config.kafka.brokers, registry: config.registry.url });
    await producer.connect();
    await codec.registerTopics();
    const service = await options.start({ config, instanceId, log, kafka, codec, producer, counters, signal: stopping.signal });
    const heartbeats = new HeartbeatPublisher({
      producer, instanceId, serviceKind: options.kind, version: EARSHOT_VERSION,
      intervalMs: config.heartbeatIntervalMs, counters, progress: service.progress,
      onError: (e) => heartbeatLog.warn('heartbeat not sent', { error: e }),
    });
    await heartbeats.start();
    shutdown = async () => {
      await service.stop();
      await heartbeats.stop();
      await producer.disconnect();
    };
    log.info('running', { instanceId });
    if (stopping.signal.aborted) await shutdown().then(() => exit(0));
    service.done?.then(
      () => onSignal('done'),
      (error: unknown) => {
        log.error('failed', { error, reason: (error as { reason?: unknown }).reason });
        void (shutdown ? shutdown() : Promise.resolve()).finally(() => exit(1));
      },
    );
  } catch (error) {
    log.error('could not start', { error, reason: (error as { reason?: unknown }).reason });
    await producer.disconnect().catch(() => undefined);
    await exit(1);
  }
}
