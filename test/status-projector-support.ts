import { Client, Pool } from 'pg';
import type { Kafka } from 'kafkajs';
import { readDeadLetterInfo, type DeadLetterInfo } from '@earshot/kafka';
import { eventually } from '../libs/kafka/src/testing/test-stack';

const ADMIN_URL = process.env.EARSHOT_PG_URL ?? 'postgres://earshot:earshot@127.0.0.1:5432/earshot';

/** A throwaway database for one test run (the earshot role has CREATEDB, see infra/local/stack). */
export interface TestDatabase {
  name: string;
  url: string;
  pool: Pool;
  drop: () => Promise<void>;
}

export async function createTestDatabase(run: string): Promise<TestDatabase> {
  const name = `earshot_test_${run.replace(/[^a-z0-9]/gi, '').toLowerCase()}`;
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const pool = new Pool({ connectionString: url.toString(), max: 4 });
  return {
    name, url: url.toString(), pool,
    drop: async () => {
      await pool.end();
      const c = new Client({ connectionString: ADMIN_URL });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** The number a count(*) query answers. */
export async function count(pool: Pool, sql: string, params: unknown[] = []): Promise<number> {
  const r = await pool.query<{ n: string }>(sql, params);
  return Number(r.rows[0]?.n ?? 0);
}

/**
 * Dead letters on `dlqTopic` that consumer group `group` sent, whose key is one of `keys`, read from
 * the beginning (dead-letter topics are small). Other groups reading the same topics (other status
 * instances) dead-letter the same poison messages: they are told apart by the group header.
 */
export async function readDeadLetters(kafka: Kafka, dlqTopic: string, group: string, keys: ReadonlySet<string>, expected: number): Promise<Array<DeadLetterInfo & { key: string; value: Buffer | null }>> {
  // By position in the dead-letter topic: a rejoin of this reader may deliver a message again, which is not a second dead letter.
  const seen = new Map<string, DeadLetterInfo & { key: string; value: Buffer | null }>();
  const consumer = kafka.consumer({ groupId: `dlq-reader-${Math.random().toString(36).slice(2)}`, maxWaitTimeInMs: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic: dlqTopic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const key = message.key?.toString() ?? '';
      if (!keys.has(key)) return;
      const info = readDeadLetterInfo(message.headers);
      if (info && info.consumerGroup === group) seen.set(`${partition}/${message.offset}`, { ...info, key, value: message.value });
    },
  });
  try {
    await eventually(`${expected} dead letter(s) on ${dlqTopic}`, () => seen.size >= expected);
    await new Promise((r) => setTimeout(r, 500)); // and no more than that
  } finally {
    await consumer.disconnect();
  }
  return [...seen.values()];
}
