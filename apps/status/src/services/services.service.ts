import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { STATUS_CONFIG, type StatusConfig } from '../config/status-config.module';
import { PG_POOL } from '../database/database.module';
import { TABLES, type TableNames } from '../api/schema-names';
import type { ServiceInstanceListDto } from './services.dto';

interface InstanceRow {
  instance_id: string; service_kind: string; host: string; pid: number; version: string; state: string; started_at: Date;
  last_heartbeat_at: Date; lag: string; counters: Record<string, number>; assignments: string[];
}

/** Heartbeats missed before an instance counts as unhealthy. */
export const MISSED_HEARTBEATS = 3;

@Injectable()
export class ServicesService {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(TABLES) private readonly t: TableNames,
    @Inject(STATUS_CONFIG) private readonly config: StatusConfig,
  ) {}

  async list(now = Date.now()): Promise<ServiceInstanceListDto> {
    const r = await this.pool.query<InstanceRow>(`select * from ${this.t.serviceInstances} order by service_kind, instance_id`);
    const interval = this.config.heartbeatIntervalMs;
    return {
      heartbeatIntervalMs: interval,
      items: r.rows.map((i) => ({
        instanceId: i.instance_id, serviceKind: i.service_kind, host: i.host, pid: i.pid, version: i.version, state: i.state,
        startedAt: i.started_at.toISOString(), lastHeartbeatAt: i.last_heartbeat_at.toISOString(), lag: Number(i.lag),
        counters: i.counters, assignments: i.assignments,
        healthy: i.state === 'RUNNING' && now - i.last_heartbeat_at.getTime() <= MISSED_HEARTBEATS * interval,
      })),
    };
  }
}
