import { Inject, Injectable, Logger, Module, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Pool } from 'pg';
import { ReasonCounters } from '@earshot/errors';
import { initialOffsetsFor } from '@earshot/kafka';
import { STATUS_CONFIG, type StatusConfig } from '../config/status-config.module';
import { PG_POOL } from '../database/database.module';
import { schemaNames, tableNames } from '../database/schema-names';
import { KafkaConnections } from '../kafka/kafka.module';
import { PROJECTED_TOPICS } from './projection-store';
import { Projector } from './projector';

/** Counters that also add into another set under a prefix: the projector's own, and the instance's in its heartbeats. */
class ForwardingCounters extends ReasonCounters {
  constructor(private readonly target: ReasonCounters, private readonly prefix: string) {
    super();
  }

  override inc(name: string, by = 1): void {
    super.inc(name, by);
    this.target.inc(this.prefix + name, by);
  }
}

/** Empties every table of the projection schema (not console.*): the next start replays the topics into them. */
export async function emptyProjection(pool: Pool, projectionSchema = schemaNames().projection): Promise<string[]> {
  const tables = (await pool.query<{ name: string }>("select format('%I.%I', schemaname, tablename) as name from pg_tables where schemaname = $1 order by 1", [projectionSchema])).rows.map((r) => r.name);
  if (tables.length > 0) await pool.query(`truncate ${tables.join(', ')}`);
  return tables;
}

/** Runs the projector in the status app: started once everything is initialised, stopped first on close. */
@Injectable()
export class ProjectionService implements OnApplicationBootstrap, OnModuleDestroy {
  private projector: Projector | undefined;
  private readonly log = new Logger('projector');

  constructor(
    @Inject(STATUS_CONFIG) private readonly config: StatusConfig,
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly connections: KafkaConnections,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const settings = this.config.projector;
    if (!settings.enabled) return;
    const schemas = schemaNames(this.config.api.schemaPrefix);
    if (settings.rebuild) {
      const tables = await emptyProjection(this.pool, schemas.projection);
      this.log.warn(`rebuild: emptied ${tables.length} projection tables; replaying the topics`);
    }
    const groupId = `${this.config.kafka.groupPrefix}-status-projector`;
    this.projector = new Projector({
      kafka: this.connections.kafka, codec: this.connections.codec, pool: this.pool, groupId, tables: tableNames(schemas),
      batchEvents: settings.batchEvents,
      initialOffsets: await initialOffsetsFor(this.connections.kafka, PROJECTED_TOPICS, this.config.kafka.startFrom),
      counters: new ForwardingCounters(this.connections.counters, 'projector.'),
      onDeadLetter: (error, m) => this.log.warn(`event sent to ${m.topic}.dlq (partition ${m.partition}, offset ${m.offset}): ${error.message}`),
    });
    await this.projector.start();
    this.log.log(`projecting ${PROJECTED_TOPICS.join(', ')} into ${schemas.projection} as group ${groupId}`);
  }

  /** The projector's counters (events applied, duplicates, rejected by reason, transactions), or null when it does not run. */
  get counters(): Record<string, number> | null {
    return this.projector?.counters.snapshot() ?? null;
  }

  async onModuleDestroy(): Promise<void> {
    await this.projector?.stop();
  }
}

@Module({ providers: [ProjectionService], exports: [ProjectionService] })
export class ProjectionModule {}
