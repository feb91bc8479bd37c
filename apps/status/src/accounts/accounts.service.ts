import { Inject, Injectable } from '@nestjs/common';
import type { DatabaseError, Pool } from 'pg';
import { PG_POOL } from '../database/database.module';
import { TABLES, type TableNames } from '../api/schema-names';
import { conflict } from '../api/api-errors';
import type { Role } from '../auth/auth.dto';
import { newToken, tokenSha256 } from '../auth/auth.service';
import { hashPassword } from '../auth/password-hash';
import { TOPICS, type ServiceConfig } from '@earshot/events';
import { KafkaConnections } from '../kafka/kafka.module';
import type { AccountDto, CreatedTokenDto, NewAccountDto, NewTokenDto } from './accounts.dto';

/**
 * The qm.config.v1 key under which the agent-ingest tokens are listed for call control (SHA-256
 * hex digests only); call control's agent endpoint accepts those tokens. Mirrors
 * AGENT_TOKENS_CONFIG_KEY in apps/call-control.
 */
export const AGENT_TOKENS_CONFIG_KEY = 'call-control-agent-tokens';

const UNIQUE_VIOLATION = '23505';
const isUniqueViolation = (e: unknown): boolean => (e as DatabaseError).code === UNIQUE_VIOLATION;

/** Console accounts and API tokens (console.*): the status service's own state, not events. */
@Injectable()
export class AccountsService {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(TABLES) private readonly t: TableNames,
    private readonly connections: KafkaConnections,
  ) {}

  async list(): Promise<AccountDto[]> {
    const r = await this.pool.query<{ username: string; role: Role; user_id: string | null; created_at: Date }>(
      `select username, role, user_id, created_at from ${this.t.accounts} order by username`);
    return r.rows.map((a) => ({ username: a.username, role: a.role, userId: a.user_id, createdAt: a.created_at.toISOString() }));
  }

  async create(a: NewAccountDto): Promise<AccountDto> {
    const hash = await hashPassword(a.password);
    try {
      const r = await this.pool.query<{ created_at: Date }>(
        `insert into ${this.t.accounts} (username, password_hash, role, user_id) values ($1, $2, $3, $4) returning created_at`,
        [a.username, hash, a.role, a.userId]);
      return { username: a.username, role: a.role, userId: a.userId, createdAt: (r.rows[0]?.created_at ?? new Date()).toISOString() };
    } catch (e) {
      if (isUniqueViolation(e)) throw conflict(`account ${a.username} exists`);
      throw e;
    }
  }

  async createToken(t: NewTokenDto): Promise<CreatedTokenDto> {
    const token = newToken(t.scope === 'agent-ingest' ? 'eat_' : 'ert_');
    try {
      const r = await this.pool.query<{ created_at: Date }>(
        `insert into ${this.t.apiTokens} (token_sha256, name, scope) values ($1, $2, $3) returning created_at`, [tokenSha256(token), t.name, t.scope]);
      if (t.scope === 'agent-ingest') {
        // Call control learns the token from qm.config.v1; a token it cannot learn is not issued.
        await this.publishAgentTokens().catch(async (e: unknown) => {
          await this.pool.query(`delete from ${this.t.apiTokens} where token_sha256 = $1`, [tokenSha256(token)]);
          throw e;
        });
      }
      return { name: t.name, scope: t.scope, token, createdAt: (r.rows[0]?.created_at ?? new Date()).toISOString() };
    } catch (e) {
      if (isUniqueViolation(e)) throw conflict(`a token named ${t.name} exists`);
      throw e;
    }
  }

  /** Publishes every agent-ingest token's digest for call control (the whole list, compacted by key). */
  private async publishAgentTokens(): Promise<void> {
    const r = await this.pool.query<{ token_sha256: string }>(
      `select token_sha256 from ${this.t.apiTokens} where scope = 'agent-ingest' order by token_sha256`);
    const value: ServiceConfig = {
      serviceKind: AGENT_TOKENS_CONFIG_KEY, revision: r.rows.length, updatedAtMs: Date.now(), updatedBy: 'status',
      recordEveryone: null, localDomains: [], localNumberPatterns: [], captureInterface: null, captureFilter: null,
      batchMaxPackets: null, batchWindowMs: null, recordedCodecs: [], outputChannels: null,
      settings: { tokenSha256: r.rows.map((row) => row.token_sha256).join(',') },
    };
    await this.connections.producer.send(TOPICS.config, [{ key: AGENT_TOKENS_CONFIG_KEY, value }]);
  }
}
