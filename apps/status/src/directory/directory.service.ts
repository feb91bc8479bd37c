import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { TOPICS, validateEvent, type DirectoryEntry, type RecordingMode } from '@earshot/events';
import { PG_POOL } from '../database/database.module';
import { KafkaConnections } from '../kafka/kafka.module';
import { TABLES, type TableNames } from '../api/schema-names';
import type { DeviceDto, DirectoryUserDto, DirectoryUserInputDto } from './directory.dto';

interface UserRow {
  user_id: string; display_name: string; extensions: string[]; sip_uris: string[]; team: string | null; supervisor_id: string | null;
  recording_mode: RecordingMode; recording_percentage: number; updated_at: Date; updated_by: string; devices: DeviceDto[];
}

/** Reads the directory from the projection; edits go to qm.directory.v1 (call control applies them while running). */
@Injectable()
export class DirectoryService {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(TABLES) private readonly t: TableNames,
    private readonly connections: KafkaConnections,
  ) {}

  private async query(where: string, params: unknown[]): Promise<DirectoryUserDto[]> {
    const r = await this.pool.query<UserRow>(
      `select u.*, coalesce((select json_agg(json_build_object('ip', d.ip, 'description', d.description) order by d.ip)
         from ${this.t.devices} d where d.user_id = u.user_id), '[]') as devices
       from ${this.t.users} u ${where} order by u.user_id`, params);
    return r.rows.map((u) => ({
      userId: u.user_id, displayName: u.display_name, extensions: u.extensions, sipUris: u.sip_uris, devices: u.devices,
      team: u.team, supervisorId: u.supervisor_id, recording: { mode: u.recording_mode, percentage: u.recording_percentage },
      updatedAt: u.updated_at.toISOString(), updatedBy: u.updated_by,
    }));
  }

  list(): Promise<DirectoryUserDto[]> {
    return this.query('', []);
  }

  async get(userId: string): Promise<DirectoryUserDto | null> {
    return (await this.query('where u.user_id = $1', [userId]))[0] ?? null;
  }

  /** Publishes the whole entry (the topic is compacted: the latest value per user is the directory). */
  async put(userId: string, input: DirectoryUserInputDto, editor: string): Promise<DirectoryUserDto> {
    const entry = validateEvent<DirectoryEntry>('DirectoryEntry', { userId, ...input, updatedAtMs: Date.now(), updatedBy: editor });
    await this.connections.producer.send(TOPICS.directory, [{ key: userId, value: entry }]);
    return { userId, ...input, updatedAt: new Date(entry.updatedAtMs).toISOString(), updatedBy: editor };
  }

  /** A tombstone: compaction forgets the user, and every reader drops them. */
  async remove(userId: string): Promise<void> {
    await this.connections.producer.sendTombstone(TOPICS.directory, userId);
  }
}
