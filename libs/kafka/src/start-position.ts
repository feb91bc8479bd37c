import type { Kafka } from 'kafkajs';

/**
 * The offsets where a new consumer group starts, for ConsumerRunner's `initialOffsets`:
 * `earliest` (undefined: the runner's fromBeginning), `latest` (the current end of each
 * partition), or a time (ms since the epoch, or ISO 8601): the first message at or after it.
 */
export async function initialOffsetsFor(kafka: Kafka, topics: readonly string[], startFrom: string): Promise<Map<string, Map<number, string>> | undefined> {
  if (startFrom === 'earliest') return undefined;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const out = new Map<string, Map<number, string>>();
    for (const topic of topics) {
      if (startFrom === 'latest') {
        out.set(topic, new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, o.high])));
        continue;
      }
      const ms = /^\d+$/.test(startFrom) ? Number(startFrom) : Date.parse(startFrom);
      const byTime = await admin.fetchTopicOffsetsByTimestamp(topic, ms);
      const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, o.high]));
      // A partition with no message after the time answers -1: start at its end.
      out.set(topic, new Map(byTime.map((o) => [o.partition, o.offset === '-1' ? ends.get(o.partition) ?? '0' : o.offset])));
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}
