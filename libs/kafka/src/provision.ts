import { TOPIC_SCHEMAS, type TopicName } from '@earshot/events';
import { createKafkaClient } from './kafka-client';
import { EventCodec } from './event-codec';
import { localStackEndpoints } from './local-stack';
import { ensureTopics, loadTopicDefinitions, withDeadLetterTopics } from './topic-admin';

/**
 * Creates or updates every topic of infra/topics.json (and its .dlq) and registers every value
 * schema under `<topic>-value` with BACKWARD compatibility. Safe to run again. Returns a summary
 * for people, one line per step.
 */
export async function provisionTopicsAndSchemas(endpoints = localStackEndpoints()): Promise<string[]> {
  const kafka = createKafkaClient({ brokers: endpoints.brokers, clientId: 'earshot-provision' });
  const changes = await ensureTopics(kafka, withDeadLetterTopics(loadTopicDefinitions()));
  const codec = new EventCodec({ registryUrl: endpoints.registryUrl, retry: { attempts: 10, initialDelayMs: 200 } });
  const ids = await codec.registerTopics(Object.keys(TOPIC_SCHEMAS) as TopicName[]);
  return [
    `topics: ${changes.created.length} created, ${changes.partitionsAdded.length} grown, ${changes.reconfigured.length} reconfigured, ${changes.unchanged.length} unchanged`,
    `schemas (BACKWARD): ${[...ids].map(([t, id]) => `${t}-value=${id}`).join(', ')}`,
  ];
}
