import type { ReasonCounters } from '@earshot/errors';
import { TOPICS, type DirectoryEntry, type ServiceConfig } from '@earshot/events';
import { CompactedTopicReader, type EventCodec, type KafkaClient } from '@earshot/kafka';
import type { ServiceLogger } from '@earshot/service';
import type { DirectoryView } from './directory-view';

/** Options of a DirectoryReader. */
export interface DirectoryReaderOptions {
  readonly kafka: KafkaClient;
  readonly codec: EventCodec;
  readonly view: DirectoryView;
  /** `${groupPrefix}-call-control-directory`; a unique suffix is added per process. */
  readonly groupIdBase: string;
  readonly log: ServiceLogger;
  /** `directory.*` and `config.*` counters. */
  readonly counters: ReasonCounters;
  /**
   * When the end offsets taken at start cannot be reached (records between removed by compaction or
   * retention, transaction markers), reading counts as complete after this long without a fetched
   * batch, once the group has been joined. Default 5000 ms.
   */
  readonly quietCompleteMs?: number;
}

type Topic = typeof TOPICS.directory | typeof TOPICS.config;
const READ_TOPICS: readonly Topic[] = [TOPICS.directory, TOPICS.config];

/**
 * Reads qm.directory.v1 and qm.config.v1 whole into a DirectoryView and keeps applying what comes
 * after, while running (a CompactedTopicReader of @earshot/kafka).
 *
 * `start()` resolves once everything that was on the topics when it was called has been applied,
 * so decisions about a capture processed afterwards do not depend on how fast the directory loaded.
 */
export class DirectoryReader {
  private readonly reader: CompactedTopicReader<Topic>;
  private isReady = false;

  constructor(private readonly options: DirectoryReaderOptions) {
    this.reader = new CompactedTopicReader<Topic>({
      kafka: options.kafka, codec: options.codec, topics: READ_TOPICS, groupIdBase: options.groupIdBase,
      quietCompleteMs: options.quietCompleteMs ?? 5000,
      apply: (topic, key, value) => this.apply(topic, key, value),
      onNoKey: (topic) => options.counters.inc(`${topic === TOPICS.directory ? 'directory' : 'config'}.no-key`),
      onUndecodable: (topic, key, error) => {
        options.counters.inc(`${topic === TOPICS.directory ? 'directory' : 'config'}.undecodable`);
        options.log.warn(`${topic} record not applied: cannot decode it`, { key, error });
      },
    });
  }

  /** Connects and reads; resolves once the topics are read up to where they ended at the call. */
  async start(): Promise<void> {
    if ((await this.reader.start()) === 'quiet') {
      this.options.log.warn('directory read counted complete: nothing more to fetch before the end offsets taken at start', {
        remaining: Object.fromEntries([...this.reader.unread].map(([k, v]) => [k, v.toString()])),
      });
    }
    this.isReady = true;
  }

  async stop(): Promise<void> {
    await this.reader.stop();
  }

  private apply(topic: Topic, key: string, decoded: DirectoryEntry | ServiceConfig | null): void {
    if (topic === TOPICS.directory) {
      this.options.view.applyDirectory(key, decoded as DirectoryEntry | null);
      this.options.counters.inc(decoded === null ? 'directory.deleted' : 'directory.applied');
    } else {
      this.options.view.applyConfig(key, decoded as ServiceConfig | null);
      if (key === 'call-control') {
        this.options.counters.inc('config.applied');
        const policy = this.options.view.localPolicy;
        if (this.isReady) this.options.log.info('configuration applied', { recordEveryone: this.options.view.recordEveryone, localDomains: policy.localDomains, localNumberPatterns: policy.localNumberPatterns.map((r) => r.source) });
        for (const p of this.options.view.configProblems) this.options.log.warn(p);
      }
    }
  }
}
