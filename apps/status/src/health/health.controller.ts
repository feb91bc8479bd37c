import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { Pool } from 'pg';
import { withAdmin } from '@earshot/kafka';
import { STATUS_CONFIG, type StatusConfig } from '../config/status-config.module';
import { PG_POOL } from '../database/database.module';
import { KafkaConnections } from '../kafka/kafka.module';
import { DependencyHealthDto, HealthDto } from './health.dto';

async function probe(check: () => Promise<string>): Promise<DependencyHealthDto> {
  const started = Date.now();
  try {
    const detail = await Promise.race([
      check(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer within 3 s')), 3000).unref()),
    ]);
    return new DependencyHealthDto(true, detail, Date.now() - started);
  } catch (error) {
    return new DependencyHealthDto(false, (error as Error).message, Date.now() - started);
  }
}

@Controller('api/health')
export class HealthController {
  constructor(
    private readonly connections: KafkaConnections,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(STATUS_CONFIG) private readonly config: StatusConfig,
  ) {}

  /** 200 when Kafka, the registry and PostgreSQL all answer, 503 otherwise; open without login (for probes). */
  @Get()
  async health(@Res({ passthrough: true }) res: Response): Promise<HealthDto> {
    const [kafka, registry, postgres] = await Promise.all([
      probe(() => withAdmin(this.connections.kafka, async (admin) => {
        const cluster = await admin.describeCluster();
        return `${cluster.brokers.length} broker(s), controller ${cluster.controller}`;
      })),
      probe(async () => {
        const r = await fetch(`${this.config.registry.url.replace(/\/$/, '')}/subjects`);
        if (!r.ok) throw new Error(`GET /subjects answered ${r.status}`);
        return `${((await r.json()) as unknown[]).length} subject(s)`;
      }),
      probe(async () => {
        const r = await this.pool.query<{ version: string }>('select version() as version');
        return r.rows[0]?.version.split(' ').slice(0, 2).join(' ') ?? 'connected';
      }),
    ]);
    const healthy = kafka.healthy && registry.healthy && postgres.healthy;
    res.status(healthy ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return new HealthDto(healthy ? 'ok' : 'degraded', this.connections.instanceId, kafka, registry, postgres);
  }
}
