import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { TOPICS, validateEvent, type ServiceConfig } from '@earshot/events';
import { PG_POOL } from '../database/database.module';
import { KafkaConnections } from '../kafka/kafka.module';
import { TABLES, type TableNames } from '../api/schema-names';
import type { ServiceConfigDto, ServiceConfigInputDto } from './service-config.dto';

interface ConfigRow {
  service_kind: string; revision: string; updated_at: Date; updated_by: string; config: Partial<ServiceConfig>;
}

function dto(r: ConfigRow): ServiceConfigDto {
  const c = r.config;
  return {
    serviceKind: r.service_kind, revision: Number(r.revision), updatedAt: r.updated_at.toISOString(), updatedBy: r.updated_by,
    recordEveryone: c.recordEveryone ?? null, localDomains: c.localDomains ?? [], localNumberPatterns: c.localNumberPatterns ?? [],
    captureInterface: c.captureInterface ?? null, captureFilter: c.captureFilter ?? null, batchMaxPackets: c.batchMaxPackets ?? null,
    batchWindowMs: c.batchWindowMs ?? null, recordedCodecs: c.recordedCodecs ?? [], outputChannels: c.outputChannels ?? null, settings: c.settings ?? {},
  };
}

/** Reads each kind's settings from the projection; edits go to qm.config.v1 (services apply them while running). */
@Injectable()
export class ServiceConfigService {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(TABLES) private readonly t: TableNames,
    private readonly connections: KafkaConnections,
  ) {}

  async list(): Promise<ServiceConfigDto[]> {
    const r = await this.pool.query<ConfigRow>(`select * from ${this.t.serviceConfig} order by service_kind`);
    return r.rows.map(dto);
  }

  async get(kind: string): Promise<ServiceConfigDto | null> {
    const r = await this.pool.query<ConfigRow>(`select * from ${this.t.serviceConfig} where service_kind = $1`, [kind]);
    return r.rows[0] ? dto(r.rows[0]) : null;
  }

  /** Publishes the whole value with the next revision after the projected one. */
  async put(kind: string, input: ServiceConfigInputDto, editor: string): Promise<ServiceConfigDto> {
    const current = await this.get(kind);
    const value = validateEvent<ServiceConfig>('ServiceConfig', {
      serviceKind: kind, revision: (current?.revision ?? 0) + 1, updatedAtMs: Date.now(), updatedBy: editor, ...input,
    });
    await this.connections.producer.send(TOPICS.config, [{ key: kind, value }]);
    return { ...input, serviceKind: kind, revision: value.revision, updatedAt: new Date(value.updatedAtMs).toISOString(), updatedBy: editor };
  }
}
