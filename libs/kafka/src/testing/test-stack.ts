import type { Kafka } from 'kafkajs';
import { createKafkaClient } from '../kafka-client';
import { EventCodec } from '../event-codec';
import { ensureTopics, loadTopicDefinitions, withDeadLetterTopics } from '../topic-admin';
import { localStackEndpoints } from '../local-stack';

/** A client and codec on the local stack, with every topic (and its .dlq) created. */
export async function connectTestStack(clientId: string): Promise<{ kafka: Kafka; codec: EventCodec }> {
  const { brokers, registryUrl } = localStackEndpoints();
  const kafka = createKafkaClient({ brokers, clientId });
  await ensureTopics(kafka, withDeadLetterTopics(loadTopicDefinitions()));
  const codec = new EventCodec({ registryUrl, retry: { attempts: 3, initialDelayMs: 50 } });
  return { kafka, codec };
}

/**
 * The current end offset of every partition of `topics`: given to a ConsumerRunner as
 * `initialOffsets`, a new group reads only what is produced afterwards, however much earlier runs
 * left in the topics.
 */
export async function endOffsets(kafka: Kafka, topics: readonly string[]): Promise<Map<string, Map<number, string>>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const out = new Map<string, Map<number, string>>();
    for (const topic of topics) {
      out.set(topic, new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, o.high])));
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}

/** Waits until `check` returns true, polling; throws with `what` after `timeoutMs`. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
