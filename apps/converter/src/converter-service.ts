/*
 * The converter's Kafka side. Reads qm.recordings.v1 (group `<prefix>-converter`): remembers each
 * call's LEG_COMPLETED events, and on CALL_COMPLETED converts the legs to one WAV and publishes
 * CONVERTED (or FAILED) in a Kafka transaction together with the consumed offset, so an event and
 * the offset that says "done" are committed together or not at all.
 *
 * Offsets: a call's LEG_COMPLETED events are only in memory until its CALL_COMPLETED, so the
 * committed offset of a partition never passes the first LEG_COMPLETED of a call still open there
 * (a restart replays them). A replay can re-convert a call converted after that point: the WAV
 * bytes, the event and its eventId are the same, so consumers see a duplicate they can recognise.
 *
 * Settings applied while running, from qm.config.v1 (read whole by a group of this instance):
 * `converter.outputChannels` (null: EARSHOT_OUTPUT_CHANNELS), and the codecs rendered as audio:
 * `converter.recordedCodecs`, or when empty the recorder's `recordedCodecs` (empty: all known).
 */
import type { Kafka } from 'kafkajs';
import { ReasonCounters } from '@earshot/errors';
import { deterministicEventId, TOPICS, type RecordingEvent, type ServiceConfig } from '@earshot/events';
import { ConsumerRunner, EventProducer, initialOffsetsFor, type DecodedMessage, type EventCodec } from '@earshot/kafka';
import type { ServiceLogger } from '@earshot/service';
import type { ChannelLayout } from './call-mix';
import { ConversionError } from './call-conversion';
import { convertCallToWav, type CompletedLeg } from './call-writer';

export interface ConverterServiceOptions {
  kafka: Kafka;
  codec: EventCodec;
  log: ServiceLogger;
  counters: ReasonCounters;
  instanceId: string;
  /** Recordings root (EARSHOT_RECORDINGS_DIR). */
  recordingsDir: string;
  groupPrefix: string;
  /** Where the group starts without a commit (EARSHOT_KAFKA_START_FROM). */
  startFrom: string;
  /** Layout when qm.config.v1 says nothing (EARSHOT_OUTPUT_CHANNELS). */
  defaultLayout: ChannelLayout;
  /** How long start() waits to read qm.config.v1 to its end before converting. Default 15000 ms. */
  configCatchUpMs?: number;
}

interface OpenCall {
  partition: number;
  /** Offset of the call's first LEG_COMPLETED: commits stop there while the call is open. */
  firstOffset: bigint;
  legs: Map<string, CompletedLeg>;
}

/** The converter's effective settings. */
export interface ConverterSettings {
  layout: ChannelLayout;
  recordedCodecs: string[];
}

/**
 * The settings from the latest qm.config.v1 values: the converter's outputChannels (null: the
 * default), and recordedCodecs from the converter's value, or when empty the recorder's (empty: all).
 */
export function effectiveSettings(converter: ServiceConfig | undefined, recorder: ServiceConfig | undefined, defaultLayout: ChannelLayout): ConverterSettings {
  const layout: ChannelLayout = converter?.outputChannels === 'MONO' ? 'mono' : converter?.outputChannels === 'STEREO' ? 'stereo' : defaultLayout;
  const recordedCodecs = converter && converter.recordedCodecs.length > 0 ? converter.recordedCodecs : recorder?.recordedCodecs ?? [];
  return { layout, recordedCodecs: [...recordedCodecs] };
}

export class ConverterService {
  private readonly open = new Map<string, OpenCall>();
  private readonly configs = new Map<string, ServiceConfig>();
  private readonly configSeen = new Map<number, bigint>();
  private readonly groupId: string;
  private readonly producer: EventProducer;
  private recordings?: ConsumerRunner<typeof TOPICS.recordings>;
  private config?: ConsumerRunner<typeof TOPICS.config>;

  constructor(private readonly o: ConverterServiceOptions) {
    this.groupId = `${o.groupPrefix}-converter`;
    // One transactional id per instance: a restarted instance with the same id fences its predecessor.
    this.producer = new EventProducer({ kafka: o.kafka, codec: o.codec, transactionalId: `${this.groupId}-${o.instanceId}` });
  }

  /** The settings in force now. */
  get settings(): ConverterSettings {
    return effectiveSettings(this.configs.get('converter'), this.configs.get('recorder'), this.o.defaultLayout);
  }

  async start(): Promise<void> {
    const { kafka, codec, log } = this.o;
    await this.producer.connect();
    await this.startConfig();
    this.recordings = new ConsumerRunner({
      kafka, codec, groupId: this.groupId, topics: [TOPICS.recordings],
      initialOffsets: await initialOffsetsFor(kafka, [TOPICS.recordings], this.o.startFrom),
      counters: this.o.counters,
      commitOffset: (_topic, partition, next) => this.commitOffsetFor(partition, BigInt(next)).toString(),
      handle: (m) => this.handleRecording(m),
      onDeadLetter: (error, m) => log.warn('recording event dead-lettered', { error, ...m }),
    });
    await this.recordings.start();
    log.info('converter consuming', { groupId: this.groupId, ...this.settings });
  }

  async stop(): Promise<void> {
    await this.recordings?.stop();
    await this.config?.stop();
    await this.producer.disconnect();
  }

  /** Reads qm.config.v1 from its beginning and waits (bounded) until it has caught up to its end. */
  private async startConfig(): Promise<void> {
    const { kafka, codec, log } = this.o;
    const admin = kafka.admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(TOPICS.config).finally(() => admin.disconnect());
    this.config = new ConsumerRunner({
      kafka, codec, topics: [TOPICS.config], fromBeginning: true,
      groupId: `${this.groupId}-config-${this.o.instanceId.replace(/[^A-Za-z0-9._-]/g, '_')}`,
      handle: async (m) => {
        this.configSeen.set(m.partition, BigInt(m.offset) + 1n);
        if (m.key !== 'converter' && m.key !== 'recorder') return;
        const before = JSON.stringify(this.settings);
        if (m.value) this.configs.set(m.key, m.value);
        else this.configs.delete(m.key);
        if (JSON.stringify(this.settings) !== before) log.info('settings applied', { from: m.key, revision: m.value?.revision ?? null, ...this.settings });
      },
    });
    await this.config.start();
    const deadline = Date.now() + (this.o.configCatchUpMs ?? 15_000);
    const caughtUp = (): boolean => ends.every((e) => BigInt(e.high) <= (this.configSeen.get(e.partition) ?? BigInt(e.low)));
    while (!caughtUp() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (!caughtUp()) log.warn('qm.config.v1 not read to its end in time; starting with the settings read so far', this.settings as unknown as Record<string, unknown>);
  }

  /** The offset to commit on `partition`: `next`, held back to the first LEG_COMPLETED of a call still open there. */
  private commitOffsetFor(partition: number, next: bigint, except?: string): bigint {
    let out = next;
    for (const [callId, c] of this.open) if (c.partition === partition && callId !== except && c.firstOffset < out) out = c.firstOffset;
    return out;
  }

  private async handleRecording(m: DecodedMessage<typeof TOPICS.recordings>): Promise<void> {
    const e = m.value;
    if (!e) return;
    if (e.kind === 'LEG_COMPLETED' && e.leg) {
      let call = this.open.get(e.callId);
      if (!call) {
        call = { partition: m.partition, firstOffset: BigInt(m.offset), legs: new Map() };
        this.open.set(e.callId, call);
      }
      call.legs.set(e.leg.legId, { legId: e.leg.legId, side: e.leg.side, rawPath: e.leg.rawPath });
      return;
    }
    if (e.kind === 'CALL_COMPLETED') await this.convert(e, m);
  }

  private async convert(done: RecordingEvent, m: DecodedMessage<typeof TOPICS.recordings>): Promise<void> {
    const { log, counters, instanceId } = this.o;
    const legs = [...(this.open.get(done.callId)?.legs.values() ?? [])];
    const settings = this.settings;
    const base = { callId: done.callId, captureTimeUs: done.captureTimeUs, instanceId, leg: null, stats: null };
    let event: RecordingEvent;
    try {
      const written = await convertCallToWav(this.o.recordingsDir, done.callId, legs, settings);
      const warning = written.warnings.length > 0 ? `converted partially: ${written.warnings.join('; ')}` : null;
      event = { ...base, eventId: deterministicEventId(done.callId, '', 'CONVERTED'), kind: 'CONVERTED', conversion: written.conversion, error: warning };
      counters.inc(warning ? 'calls.converted-partially' : 'calls.converted');
      log[warning ? 'warn' : 'info']('call converted', { callId: done.callId, ...written.conversion, warning, legs: written.legCounts });
    } catch (error) {
      if (!(error instanceof ConversionError)) throw error; // I/O trouble writing the WAV: retried by the runner
      event = { ...base, eventId: deterministicEventId(done.callId, '', 'FAILED'), kind: 'FAILED', conversion: null, error: error.message };
      counters.inc(`calls.failed.${error.reason}`);
      log.warn('call not converted', { callId: done.callId, reason: error.reason, error: error.message });
    }
    const offset = this.commitOffsetFor(m.partition, BigInt(m.offset) + 1n, done.callId);
    const value = await this.o.codec.encode(TOPICS.recordings, event);
    const tx = await this.producer.producer.transaction();
    try {
      await tx.send({ topic: TOPICS.recordings, acks: -1, messages: [{ key: done.callId, value }] });
      await tx.sendOffsets({ consumerGroupId: this.groupId, topics: [{ topic: m.topic, partitions: [{ partition: m.partition, offset: offset.toString() }] }] });
      await tx.commit();
    } catch (error) {
      await tx.abort().catch(() => undefined);
      throw error;
    }
    this.open.delete(done.callId);
  }
}
