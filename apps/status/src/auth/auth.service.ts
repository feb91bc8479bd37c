import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { STATUS_CONFIG, type StatusConfig } from '../config/status-config.module';
import { PG_POOL } from '../database/database.module';
import { TABLES, type TableNames } from '../api/schema-names';
import type { Identity, MeDto, Role, TokenScope } from './auth.dto';
import { DUMMY_HASH, hashPassword, verifyPassword } from './password-hash';

/** The username of the first account, created on start when there is none. */
export const FIRST_ADMIN = 'admin';

/** SHA-256 hex of a token: only this is stored, so a leaked table gives no usable token. */
export function tokenSha256(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A fresh secret: 32 random bytes, base64url. */
export function newToken(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/** Sessions and API tokens against console.accounts, console.sessions and console.api_tokens. */
@Injectable()
export class AuthService implements OnApplicationBootstrap {
  private readonly log = new Logger('auth');

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(TABLES) private readonly t: TableNames,
    @Inject(STATUS_CONFIG) private readonly config: StatusConfig,
  ) {}

  /** After the migrations ran (module init): the first admin account, when there is no account. */
  async onApplicationBootstrap(): Promise<void> {
    try {
      await this.ensureFirstAdmin();
    } catch (error) {
      // The console schema may not exist yet (migrations not run); login retries.
      this.log.warn(`first admin account not created yet: ${(error as Error).message}`);
    }
  }

  async ensureFirstAdmin(): Promise<void> {
    const any = await this.pool.query(`select 1 from ${this.t.accounts} limit 1`);
    if (any.rowCount) return;
    const hash = await hashPassword(this.config.api.adminPassword);
    const r = await this.pool.query(
      `insert into ${this.t.accounts} (username, password_hash, role) select $1, $2, 'admin'
       where not exists (select 1 from ${this.t.accounts}) on conflict do nothing`,
      [FIRST_ADMIN, hash],
    );
    if (r.rowCount) this.log.log(`created the first account "${FIRST_ADMIN}" (password from EARSHOT_ADMIN_PASSWORD)`);
  }

  /** A new session for valid credentials; null otherwise (an unknown name costs as long as a wrong password). */
  async login(username: string, password: string): Promise<{ token: string; role: Role; expiresAt: Date } | null> {
    await this.ensureFirstAdmin();
    const r = await this.pool.query<{ password_hash: string; role: Role }>(
      `select password_hash, role from ${this.t.accounts} where username = $1`, [username]);
    const account = r.rows[0];
    const ok = await verifyPassword(password, account?.password_hash ?? DUMMY_HASH);
    if (!account || !ok) return null;
    const token = newToken('ess_');
    const expiresAt = new Date(Date.now() + this.config.api.sessionTtlMinutes * 60_000);
    await this.pool.query(`delete from ${this.t.sessions} where expires_at < now()`);
    await this.pool.query(`insert into ${this.t.sessions} (token_sha256, username, expires_at) values ($1, $2, $3)`,
      [tokenSha256(token), username, expiresAt]);
    return { token, role: account.role, expiresAt };
  }

  /** The identity a token stands for: an unexpired session, else an API token; null when neither. */
  async authenticate(token: string): Promise<Identity | null> {
    const sha = tokenSha256(token);
    const s = await this.pool.query<{ username: string; role: Role; user_id: string | null }>(
      `select a.username, a.role, a.user_id from ${this.t.sessions} s join ${this.t.accounts} a using (username)
       where s.token_sha256 = $1 and s.expires_at > now()`, [sha]);
    const session = s.rows[0];
    if (session) return { kind: 'session', name: session.username, role: session.role, scope: null, userId: session.user_id, tokenSha256: sha };
    const k = await this.pool.query<{ name: string; scope: TokenScope }>(
      `select name, scope from ${this.t.apiTokens} where token_sha256 = $1`, [sha]);
    const apiToken = k.rows[0];
    if (apiToken) return { kind: 'api-token', name: `token:${apiToken.name}`, role: null, scope: apiToken.scope, userId: null, tokenSha256: sha };
    return null;
  }

  async logout(identity: Identity): Promise<void> {
    if (identity.kind === 'session') await this.pool.query(`delete from ${this.t.sessions} where token_sha256 = $1`, [identity.tokenSha256]);
  }

  async me(identity: Identity): Promise<MeDto> {
    let team: string | null = null;
    if (identity.userId) {
      const r = await this.pool.query<{ team: string | null }>(`select team from ${this.t.users} where user_id = $1`, [identity.userId]);
      team = r.rows[0]?.team ?? null;
    }
    return { username: identity.name, role: identity.role, scope: identity.scope, userId: identity.userId, team };
  }
}
