import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Admin, Kafka } from 'kafkajs';
import { deadLetterTopic } from './dead-letter';

/** One topic as infra/topics.json declares it. */
export interface TopicDefinition {
  name: string;
  partitions: number;
  /** Topic configs (cleanup.policy, retention.ms, ...). */
  config: Record<string, string>;
  replicationFactor?: number;
}

/** What `ensureTopics` did. */
export interface TopicChanges {
  created: string[];
  partitionsAdded: string[];
  reconfigured: string[];
  unchanged: string[];
}

/** Settings of every dead-letter topic: kept a month, one partition. */
const DLQ_CONFIG = { 'cleanup.policy': 'delete', 'retention.ms': String(30 * 24 * 3600 * 1000) };

/** Reads the topic definitions of infra/topics.json (default: the one in this repository). */
export function loadTopicDefinitions(file = resolve(__dirname, '../../../infra/topics.json')): TopicDefinition[] {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { defaults?: { replicationFactor?: number }; topics: TopicDefinition[] };
  return doc.topics.map((t) => ({ ...t, replicationFactor: t.replicationFactor ?? doc.defaults?.replicationFactor ?? 1 }));
}

/** The definitions plus a `<topic>.dlq` for each topic that has not one declared. */
export function withDeadLetterTopics(topics: readonly TopicDefinition[]): TopicDefinition[] {
  const names = new Set(topics.map((t) => t.name));
  const dlqs = topics
    .filter((t) => !t.name.endsWith('.dlq') && !names.has(deadLetterTopic(t.name)))
    .map((t) => ({ name: deadLetterTopic(t.name), partitions: 1, config: DLQ_CONFIG, replicationFactor: t.replicationFactor ?? 1 }));
  return [...topics, ...dlqs];
}

/**
 * Creates missing topics, adds partitions where the definition asks for more (Kafka cannot remove
 * any), and sets configs that differ. Safe to run again and again.
 */
export async function ensureTopics(kafka: Kafka, topics: readonly TopicDefinition[]): Promise<TopicChanges> {
  const admin: Admin = kafka.admin();
  await admin.connect();
  const changes: TopicChanges = { created: [], partitionsAdded: [], reconfigured: [], unchanged: [] };
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.name));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.name,
          numPartitions: t.partitions,
          replicationFactor: t.replicationFactor ?? 1,
          configEntries: Object.entries(t.config).map(([name, value]) => ({ name, value })),
        })),
      });
      changes.created.push(...missing.map((t) => t.name));
    }
    const present = topics.filter((t) => existing.has(t.name));
    if (present.length === 0) return changes;
    const metadata = await admin.fetchTopicMetadata({ topics: present.map((t) => t.name) });
    const grow = present.filter((t) => {
      const have = metadata.topics.find((m) => m.name === t.name)?.partitions.length ?? 0;
      return have < t.partitions;
    });
    if (grow.length > 0) {
      await admin.createPartitions({ topicPartitions: grow.map((t) => ({ topic: t.name, count: t.partitions })) });
      changes.partitionsAdded.push(...grow.map((t) => t.name));
    }
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: present.map((t) => ({ type: 2 /* TOPIC */, name: t.name, configNames: Object.keys(t.config) })),
    });
    const drift = present.filter((t) => {
      const entries = described.resources.find((r) => r.resourceName === t.name)?.configEntries ?? [];
      return Object.entries(t.config).some(([k, v]) => entries.find((e) => e.configName === k)?.configValue !== v);
    });
    if (drift.length > 0) {
      await admin.alterConfigs({
        validateOnly: false,
        resources: drift.map((t) => ({ type: 2, name: t.name, configEntries: Object.entries(t.config).map(([name, value]) => ({ name, value })) })),
      });
      changes.reconfigured.push(...drift.map((t) => t.name));
    }
    const touched = new Set([...changes.partitionsAdded, ...changes.reconfigured]);
    changes.unchanged.push(...present.filter((t) => !touched.has(t.name)).map((t) => t.name));
    return changes;
  } finally {
    await admin.disconnect();
  }
}
