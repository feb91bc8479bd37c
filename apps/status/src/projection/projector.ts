import type { Pool, PoolClient } from 'pg';
import { EarshotError, ReasonCounters } from '@earshot/errors';
import { ConsumerRunner, topicOffsets, type DecodedMessage, type EventCodec, type KafkaClient } from '@earshot/kafka';
import { applyEvent, PROJECTED_TOPICS, type ProjectedEvent, type ProjectedTopic } from './projection-store';
import { ProjectionRejectedError } from './projection-rows';
import { tableNames, type TableNames } from '../database/schema-names';

/** Options of the projector. */
export interface ProjectorOptions {
  kafka: KafkaClient;
  codec: EventCodec;
  /** Where the projection lives (migrated). */
  pool: Pool;
  /** Consumer group, also the key of its rows in projection.applied_offsets. */
  groupId: string;
  /** The tables to write (EARSHOT_PG_SCHEMA_PREFIX, database/schema-names.ts). Default: the unprefixed `projection.*`. */
  tables?: TableNames;
  /** Events per PostgreSQL transaction at most (rows and offsets committed together). Default 500. */
  batchEvents?: number;
  /**
   * Where a partition starts when PostgreSQL holds no offset for it (a new or rebuilt
   * projection), by topic then partition. Default: the earliest offset (replay everything).
   */
  initialOffsets?: ReadonlyMap<string, ReadonlyMap<number, string>>;
  /** Counts events by outcome, dead letters by reason, transactions. Default: a new one. */
  counters?: ReasonCounters;
  /** Told of each event sent to the dead-letter topic, for the app's log. */
  onDeadLetter?: (error: Error, message: { topic: string; partition: number; offset: string }) => void;
  /** Group session timeout (ms). Default: ConsumerRunner's. */
  sessionTimeoutMs?: number;
}

/** PostgreSQL failed in a way that may pass (down, connection lost, lock timeout): retried, never dead-lettered. */
export class ProjectionUnavailableError extends EarshotError {
  constructor(message: string, cause?: unknown) {
    super(message, { reason: 'postgres-unavailable', retriable: true, cause });
  }
}

/** The transaction open on one partition: the events handled since its last commit. */
interface OpenTransaction {
  client: PoolClient;
  /** next_offset stored for the partition when the transaction began (under its lock); null when none. */
  storedNext: bigint | null;
  /** First and last offset handled in this transaction. */
  first: bigint;
  last: bigint;
}

/** SQLSTATE classes of errors caused by the data of one event: 22 data exception, 23 integrity constraint. */
function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}

/**
 * Projects every topic but qm.rtp.v1 into PostgreSQL, exactly once. Per partition, the events of
 * a batch (at most `batchEvents`) are written in one transaction that also stores the offset after
 * them in projection.applied_offsets; Kafka's own commits are never trusted: on every assignment
 * each partition is sought to the offset stored in PostgreSQL. Inside the transaction an advisory
 * lock per partition serialises a previous owner still finishing its batch, and events below the
 * stored offset are skipped, so nothing is applied twice even then; events with an eventId are
 * idempotent by it as well. An event the projection refuses (ProjectionRejectedError, or a data or
 * constraint error in PostgreSQL) is undone alone (savepoint), sent to `<topic>.dlq` and counted;
 * undecodable messages go there through ConsumerRunner.
 */
export class Projector {
  readonly counters: ReasonCounters;
  private readonly runner: ConsumerRunner<ProjectedTopic>;
  private readonly open = new Map<string, OpenTransaction>();
  /** Partitions whose transaction was lost mid-batch: their messages are ignored until the batch ends and the seek back applies. */
  private readonly rewinding = new Set<string>();
  private readonly tables: TableNames;

  constructor(private readonly options: ProjectorOptions) {
    this.counters = options.counters ?? new ReasonCounters();
    this.tables = options.tables ?? tableNames();
    this.runner = new ConsumerRunner<ProjectedTopic>({
      kafka: options.kafka, codec: options.codec, groupId: options.groupId, topics: PROJECTED_TOPICS,
      counters: this.counters,
      commitEveryMessages: options.batchEvents ?? 500,
      sessionTimeoutMs: options.sessionTimeoutMs,
      assignedOffsets: (assigned) => this.offsetsFor(assigned),
      handle: (m) => this.handle(m),
      afterBatch: (topic, partition, next) => this.commit(topic, partition, next),
      onDeadLetter: options.onDeadLetter,
    });
  }

  /** Joins the group; each assigned partition resumes at the offset PostgreSQL holds. */
  async start(): Promise<void> {
    await this.runner.start();
  }

  /** Finishes the batch in hand (committed), leaves the group, rolls back anything left open. */
  async stop(): Promise<void> {
    await this.runner.stop();
    await this.abandonAll();
  }

  /** The offsets stored in PostgreSQL for the assigned partitions; the start position for the others. */
  private async offsetsFor(assigned: ReadonlyArray<{ topic: ProjectedTopic; partitions: readonly number[] }>): Promise<Map<string, Map<number, string>>> {
    // A new assignment: whatever was open belongs to the previous one and is replayed from PostgreSQL's offsets.
    await this.abandonAll();
    this.rewinding.clear();
    const stored = await this.options.pool.query<{ topic: string; partition: number; next_offset: string }>(
      `select topic, partition, next_offset from ${this.tables.appliedOffsets} where consumer_group = $1`, [this.options.groupId]);
    const out = new Map<string, Map<number, string>>();
    const set = (topic: string, partition: number, offset: string): void => {
      if (!out.has(topic)) out.set(topic, new Map());
      out.get(topic)?.set(partition, offset);
    };
    for (const r of stored.rows) set(r.topic, r.partition, r.next_offset);
    const missing = assigned.filter(({ topic, partitions }) => partitions.some((p) => out.get(topic)?.get(p) === undefined));
    if (missing.length > 0) {
      for (const { topic, partitions } of missing) {
        const low = new Map((await topicOffsets(this.options.kafka, topic)).map((o) => [o.partition, o.low]));
        for (const p of partitions) {
          if (out.get(topic)?.get(p) !== undefined) continue;
          set(topic, p, this.options.initialOffsets?.get(topic)?.get(p) ?? low.get(p) ?? '0');
        }
      }
    }
    this.counters.inc('assignments');
    return out;
  }

  private async handle(m: DecodedMessage<ProjectedTopic>): Promise<void> {
    const key = `${m.topic}/${m.partition}`;
    if (this.rewinding.has(key)) return;
    const offset = BigInt(m.offset);
    let tx = this.open.get(key);
    // Redelivery below what this transaction already holds: the batch before was cut short (rebalance); start over.
    if (tx && offset <= tx.last) {
      await this.abandon(key);
      tx = undefined;
    }
    tx ??= await this.begin(m.topic, m.partition, offset);
    if (tx.storedNext !== null && offset < tx.storedNext) {
      tx.last = offset;
      this.counters.inc('events.already-applied');
      return;
    }
    try {
      await tx.client.query('savepoint projected_event');
    } catch (error) {
      return this.lost(key, tx, error);
    }
    try {
      const outcome = await applyEvent(tx.client, { topic: m.topic, key: m.key, value: m.value } as ProjectedEvent, this.tables);
      await tx.client.query('release savepoint projected_event');
      tx.last = offset;
      this.counters.inc(`events.${outcome}`);
    } catch (error) {
      if (!(error instanceof ProjectionRejectedError) && !isDataError(error)) return this.lost(key, tx, error);
      try {
        await tx.client.query('rollback to savepoint projected_event');
      } catch (e) {
        return this.lost(key, tx, e);
      }
      tx.last = offset; // the offset moves past it: ConsumerRunner sends it to the DLQ
      const rejected = error instanceof ProjectionRejectedError ? error
        : new ProjectionRejectedError(`PostgreSQL refused the event: ${(error as Error).message}`, 'refused-by-postgres');
      this.counters.inc(`events.rejected.${rejected.reason}`);
      throw rejected;
    }
  }

  /**
   * The transaction died under an event (PostgreSQL down, connection lost). If it held earlier
   * events of this batch they are lost with it: seek back to the first of them and ignore the rest
   * of the batch; otherwise retry this event (ConsumerRunner backs off) in a new transaction.
   */
  private async lost(key: string, tx: OpenTransaction, error: unknown): Promise<void> {
    await this.abandon(key);
    const [topic, partition] = splitKey(key);
    this.counters.inc('transactions.lost');
    if (tx.last >= tx.first) {
      this.rewinding.add(key);
      this.runner.rewind(topic, partition, tx.first.toString());
      return;
    }
    throw new ProjectionUnavailableError(`PostgreSQL failed while projecting ${key}: ${(error as Error).message}`, error);
  }

  /** Commits the partition's transaction with the offset after the batch (`next`) in projection.applied_offsets. */
  private async commit(topic: ProjectedTopic, partition: number, next: string): Promise<void> {
    const key = `${topic}/${partition}`;
    if (this.rewinding.delete(key)) return; // nothing to store: the batch is replayed from the seek
    // A batch of undecodable messages only: a transaction for the offset alone.
    const tx = this.open.get(key) ?? await this.begin(topic, partition, BigInt(next));
    try {
      if (tx.storedNext === null || BigInt(next) > tx.storedNext) {
        await tx.client.query(`insert into ${this.tables.appliedOffsets} (consumer_group, topic, partition, next_offset) values ($1, $2, $3, $4)
          on conflict (consumer_group, topic, partition) do update set next_offset = excluded.next_offset`, [this.options.groupId, topic, partition, next]);
      }
      await tx.client.query('commit');
    } catch {
      // Not stored (or not known to be): replay the batch from PostgreSQL's offset; the lock and
      // the stored offset skip it if the commit did reach the database.
      await this.abandon(key);
      this.counters.inc('transactions.commit-failed');
      if (tx.last >= tx.first) this.runner.rewind(topic, partition, tx.first.toString());
      return;
    }
    this.open.delete(key);
    tx.client.release();
    this.counters.inc('transactions.committed');
  }

  /** Begins a transaction for a partition, waiting for any other holder of it, and reads its stored offset. */
  private async begin(topic: string, partition: number, first: bigint): Promise<OpenTransaction> {
    let client: PoolClient;
    try {
      client = await this.options.pool.connect();
    } catch (error) {
      throw new ProjectionUnavailableError(`cannot connect to PostgreSQL: ${(error as Error).message}`, error);
    }
    try {
      await client.query('begin');
      // A leaked transaction (a stuck process) must not hold the partition's lock for ever.
      await client.query("set local idle_in_transaction_session_timeout = '5min'");
      await client.query("set local lock_timeout = '60s'");
      await client.query('select pg_advisory_xact_lock(hashtext($1), $2)', [`${this.options.groupId}/${topic}`, partition]);
      const r = await client.query<{ next_offset: string }>(
        `select next_offset from ${this.tables.appliedOffsets} where consumer_group = $1 and topic = $2 and partition = $3`, [this.options.groupId, topic, partition]);
      const stored = r.rows[0];
      const tx: OpenTransaction = { client, storedNext: stored ? BigInt(stored.next_offset) : null, first, last: first - 1n };
      this.open.set(`${topic}/${partition}`, tx);
      return tx;
    } catch (error) {
      client.release(error as Error);
      throw new ProjectionUnavailableError(`cannot begin a projection transaction: ${(error as Error).message}`, error);
    }
  }

  private async abandon(key: string): Promise<void> {
    const tx = this.open.get(key);
    if (!tx) return;
    this.open.delete(key);
    try {
      await tx.client.query('rollback');
      tx.client.release();
    } catch (error) {
      tx.client.release(error as Error); // a broken connection is closed, not reused
    }
  }

  private async abandonAll(): Promise<void> {
    for (const key of [...this.open.keys()]) await this.abandon(key);
  }
}

/** `<topic>/<partition>` back to its parts (the keys are made from projected topics only). */
function splitKey(key: string): [ProjectedTopic, number] {
  const at = key.lastIndexOf('/');
  return [key.slice(0, at) as ProjectedTopic, Number(key.slice(at + 1))];
}
