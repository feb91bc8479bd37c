/**
 * Against the real local Kafka and schema registry (`infra/local/stack up`): nothing is mocked.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { EVENT_SCHEMAS, sampleEvents, TOPICS, type AuditEntry, type CallEvent, type TopicName } from '@earshot/events';
import {
  CompactedTopicReader, ConsumerRunner, deadLetterTopic, partitionCount, partitionForKey, EventCodec, EventProducer, readDeadLetterInfo, SchemaRejectedError, valueSubject,
  type DecodedMessage,
} from './index';
import { connectTestStack, endOffsets, eventually } from './testing/test-stack';

const json = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

describe('libs/kafka against the real stack', () => {
  let kafka: Kafka;
  let codec: EventCodec;
  let producer: EventProducer;
  const run = randomUUID().slice(0, 8);

  before(async () => {
    ({ kafka, codec } = await connectTestStack(`kafka-int-${run}`));
    producer = new EventProducer({ kafka, codec });
    await producer.connect();
  });
  after(async () => {
    await producer.disconnect();
  });

  test('every event type is produced and consumed through the registry', async () => {
    const samples = sampleEvents();
    const topics = Object.values(TOPICS) as TopicName[];
    const groupId = `every-event-${run}`;
    const initialOffsets = await endOffsets(kafka, topics);
    const key = `key-${run}`;
    for (const topic of topics) await producer.send(topic, [{ key, value: samples[topic] as never }]);

    const received = new Map<string, unknown>();
    let keyed = 0;
    const runner = new ConsumerRunner({
      kafka, codec, groupId, topics, initialOffsets,
      handle: async (m: DecodedMessage<TopicName>) => {
        if (m.key !== key) return;
        keyed++;
        received.set(m.topic, m.value);
      },
    });
    await runner.start();
    try {
      await eventually('one event on every topic', () => received.size === topics.length);
    } finally {
      await runner.stop();
    }
    // The compacted topics are shared: delete what was written under this key (a directory entry left
    // behind would stop `earshot run` from recording every call on this machine).
    for (const topic of [TOPICS.directory, TOPICS.config, TOPICS.services]) await producer.sendTombstone(topic, key);
    for (const topic of topics) assert.deepEqual(json(received.get(topic)), json(samples[topic]), topic);
    // Other producers share these topics: ours are the messages with this run's key, one per topic.
    assert.equal(keyed, topics.length);
  });

  test('the registry rejects an incompatible schema change and accepts a compatible one', async () => {
    const subject = `earshot-test-${run}-value`;
    const v1 = { type: 'record', name: 'Probe', namespace: 'earshot.test', fields: [{ name: 'a', type: 'string' }] };
    const compatible = { ...v1, fields: [...v1.fields, { name: 'b', type: 'int', default: 0 }] };
    const incompatible = { ...v1, fields: [...compatible.fields, { name: 'c', type: 'string' }] }; // required, no default

    const id1 = await codec.registerSchema(subject, JSON.stringify(v1));
    const id2 = await codec.registerSchema(subject, JSON.stringify(compatible));
    assert.notEqual(id1, id2);
    await assert.rejects(codec.registerSchema(subject, JSON.stringify(incompatible)), (e: unknown) => {
      assert.ok(e instanceof SchemaRejectedError, `expected SchemaRejectedError, got ${String(e)}`);
      assert.equal(e.subject, subject);
      return true;
    });

    // The same holds for a real topic: a CallEvent with a new required field cannot be registered.
    const callEvent = JSON.parse(EVENT_SCHEMAS.CallEvent) as { fields: unknown[] };
    callEvent.fields.push({ name: 'mandatoryNewField', type: 'string', doc: 'no default: breaks old readers' });
    await codec.registerTopics([TOPICS.callControl]);
    await assert.rejects(codec.registerSchema(valueSubject(TOPICS.callControl), JSON.stringify(callEvent)), SchemaRejectedError);
  });

  test('a malformed message lands in the DLQ with its error while the messages around it are processed', async () => {
    const groupId = `dlq-${run}`;
    const initialOffsets = await endOffsets(kafka, [TOPICS.callControl]);
    const dlqGroup = `dlq-reader-${run}`;

    const callId = `dlq-call-${run}`;
    const valid = (sequence: number): CallEvent => ({ ...sampleEvents()[TOPICS.callControl], callId, sequence, eventId: `${run}-${sequence}` });
    await producer.send(TOPICS.callControl, [{ key: callId, value: valid(0) }]);
    const raw = kafka.producer();
    await raw.connect();
    await raw.send({ topic: TOPICS.callControl, messages: [
      { key: callId, value: Buffer.from('this is not avro') },
      { key: callId, value: Buffer.from([0, 0x7f, 0xff, 0xff, 0xfe, 1, 2, 3]) }, // wire format, unknown schema id
    ] });
    await raw.disconnect();
    await producer.send(TOPICS.callControl, [{ key: callId, value: valid(1) }, { key: callId, value: valid(2) }]);

    const handled: number[] = [];
    const runner = new ConsumerRunner({
      kafka, codec, groupId, topics: [TOPICS.callControl], retry: { initialDelayMs: 10 }, initialOffsets,
      handle: async (m) => {
        if (m.value?.callId === callId) handled.push(m.value.sequence);
      },
    });
    await runner.start();
    try {
      await eventually('the three valid events', () => handled.length === 3);
    } finally {
      await runner.stop();
    }
    assert.deepEqual(handled, [0, 1, 2]);
    assert.equal(runner.counters.get('messages.dead-lettered.not-wire-format'), 1);
    assert.equal(runner.counters.get('messages.dead-lettered.unknown-schema'), 1);

    const dead: Array<{ value: string; reason: string; error: string; offset: string; topic: string }> = [];
    const dlqConsumer = kafka.consumer({ groupId: dlqGroup, maxWaitTimeInMs: 500 });
    await dlqConsumer.connect();
    // Dead letters of earlier runs have other keys; this run's are told apart by the call id.
    await dlqConsumer.subscribe({ topic: deadLetterTopic(TOPICS.callControl), fromBeginning: true });
    await dlqConsumer.run({
      eachMessage: async ({ message }) => {
        if (message.key?.toString() !== callId) return;
        const info = readDeadLetterInfo(message.headers);
        assert.ok(info);
        if (info.consumerGroup !== groupId) return; // another group reading the topic (e.g. a status projector) dead-letters it too
        dead.push({ value: message.value?.toString('hex') ?? '', reason: info.reason, error: info.error, offset: info.sourceOffset, topic: info.sourceTopic });
      },
    });
    try {
      await eventually('two dead letters', () => dead.length === 2);
    } finally {
      await dlqConsumer.disconnect();
    }
    assert.equal(dead[0]?.value, Buffer.from('this is not avro').toString('hex'));
    assert.equal(dead[0]?.reason, 'not-wire-format');
    assert.match(dead[0]?.error ?? '', /not in the Confluent wire format/);
    assert.equal(dead[0]?.topic, TOPICS.callControl);
    assert.equal(dead[1]?.reason, 'unknown-schema');
    assert.match(dead[1]?.error ?? '', /schema id 2147483646 is not in the registry/);
    assert.equal(BigInt(dead[1]?.offset ?? '0'), BigInt(dead[0]?.offset ?? '0') + 1n);
  });

  test('a consumer killed with SIGKILL mid-stream and restarted resumes from its committed offset, losing nothing', async () => {
    const total = 3000;
    const groupId = `crash-${run}`;
    const prefix = `crash-${run}-`;
    const initialOffsets = JSON.stringify([...(await endOffsets(kafka, [TOPICS.audit])).get(TOPICS.audit) ?? []]);
    const base = sampleEvents()[TOPICS.audit];
    const entries: AuditEntry[] = Array.from({ length: total }, (_, i) => ({ ...base, eventId: `${prefix}${i}` }));
    for (let i = 0; i < total; i += 500) {
      await producer.send(TOPICS.audit, entries.slice(i, i + 500).map((value) => ({ key: value.userId, value })));
    }

    const out = join(mkdtempSync(join(tmpdir(), 'earshot-crash-')), 'handled.txt');
    const script = resolve(__dirname, 'testing/counting-consumer.ts');
    const startChild = (): ChildProcess =>
      spawn(process.execPath, ['--require', '@swc-node/register', script, groupId, prefix, out, initialOffsets], { stdio: ['ignore', 'ignore', 'inherit'] });
    const lines = (): string[] => (existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter(Boolean) : []);

    const first = startChild();
    await eventually('the first consumer to handle some entries', () => lines().length >= 300, 60_000);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const handledBeforeKill = lines().length;
    assert.ok(handledBeforeKill < total, `the consumer finished (${handledBeforeKill}) before it could be killed`);

    const second = startChild();
    try {
      await eventually('every entry handled after the restart', () => new Set(lines()).size === total, 90_000);
    } finally {
      second.kill('SIGTERM');
      await new Promise((r) => second.once('exit', r));
    }
    const all = lines();
    const unique = new Set(all);
    assert.equal(unique.size, total, 'no entry lost');
    for (let i = 0; i < total; i++) assert.ok(unique.has(`${prefix}${i}`));
    const redelivered = all.length - unique.size;
    // At-least-once: only what was handled after the last commit before the kill comes again,
    // and the consumer commits every 100 messages.
    assert.ok(redelivered < handledBeforeKill, `everything was redelivered (${redelivered}): the restart did not resume from a commit`);
    assert.ok(redelivered <= 100, `redelivered ${redelivered}: more than the 100 messages between two commits`);
    process.stdout.write(`# crash test: ${handledBeforeKill} handled before SIGKILL, ${redelivered} redelivered, ${total} unique\n`);
  });
  test('a compacted topic read to its end, then followed: the latest value per key, tombstones as deletions', async () => {
    const key = `compacted-${run}`;
    const config = sampleEvents()[TOPICS.config];
    await producer.send(TOPICS.config, [{ key, value: { ...config, revision: 1 } }, { key, value: { ...config, revision: 2 } }]);
    const seen: Array<number | null> = [];
    const reader = new CompactedTopicReader({
      kafka, codec, topics: [TOPICS.config], groupIdBase: `compacted-reader-${run}`,
      apply: (_topic, k, value) => {
        if (k === key) seen.push(value === null ? null : value.revision);
      },
    });
    try {
      // Everything on the topic when start() was called has been applied once it resolves.
      assert.equal(await reader.start(), 'read');
      assert.deepEqual(seen.slice(-2), [1, 2]);
      assert.equal(reader.unread.size, 0);
      await producer.sendTombstone(TOPICS.config, key);
      await eventually('the tombstone applied while following', () => seen.at(-1) === null);
    } finally {
      await reader.stop();
      await producer.sendTombstone(TOPICS.config, key);
    }
  });
  test('partitionForKey names the partition the producer puts a key on', async () => {
    const partitions = await partitionCount(kafka, TOPICS.audit);
    const audit = sampleEvents()[TOPICS.audit];
    const seen = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const key = `pk-${run}-${i}`;
      const [meta] = await producer.send(TOPICS.audit, [{ key, value: audit }]);
      assert.equal(meta?.partition, partitionForKey(key, partitions), key);
      seen.add(partitionForKey(key, partitions));
    }
    assert.ok(partitions === 1 || seen.size > 1, 'keys spread over the partitions');
  });
});
