import type { Admin, Kafka } from 'kafkajs';

/** One partition's offsets: `low` the first kept, `high` the one after the last. */
export interface PartitionOffsets {
  partition: number;
  low: string;
  high: string;
}

/**
 * Runs `fn` with a connected admin client and disconnects it afterwards, whatever happens: the one
 * place the connect/finally/disconnect dance is written.
 */
export async function withAdmin<T>(kafka: Kafka, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/** The offsets of every partition of `topic`. */
export function topicOffsets(kafka: Kafka, topic: string): Promise<PartitionOffsets[]> {
  return withAdmin(kafka, async (admin) => (await admin.fetchTopicOffsets(topic)).map((o) => ({ partition: o.partition, low: o.low, high: o.high })));
}

/** How many partitions `topic` has; throws when it has none (the topics were not created). */
export async function partitionCount(kafka: Kafka, topic: string): Promise<number> {
  const n = await withAdmin(kafka, async (admin) => (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]?.partitions.length ?? 0);
  if (n < 1) throw new Error(`topic ${topic} has no partitions (run npm run topics)`);
  return n;
}

/** The offsets `groupId` committed on `topic`, by partition (partitions without a commit are left out). */
export function committedOffsets(kafka: Kafka, groupId: string, topic: string): Promise<Map<number, string>> {
  return withAdmin(kafka, async (admin) => {
    const out = new Map<number, string>();
    for (const t of await admin.fetchOffsets({ groupId, topics: [topic] })) {
      for (const p of t.partitions) if (p.offset !== '-1') out.set(p.partition, p.offset);
    }
    return out;
  });
}

/** Deletes consumer groups that never committed, best effort: an empty group expires on its own anyway. */
export async function deleteGroupsQuietly(kafka: Kafka, groupIds: readonly string[]): Promise<void> {
  await withAdmin(kafka, (admin) => admin.deleteGroups([...groupIds])).catch(() => undefined);
}
