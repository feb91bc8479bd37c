import { Global, Inject, Injectable, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { Pool } from 'pg';
import { STATUS_CONFIG, type StatusConfig } from '../config/status-config.module';
import { runMigrations } from './migration-runner';
import { schemaNames } from './schema-names';

/**
 * Injection token of the PostgreSQL pool: the status service is the only component that talks to
 * the database. Its provider applies the pending migrations first, so whatever injects it reads a
 * schema that is up to date (two instances starting at once take turns on an advisory lock).
 */
export const PG_POOL = Symbol('PG_POOL');

@Injectable()
export class DatabasePool implements OnApplicationShutdown {
  readonly pool: Pool;
  private migrated: Promise<void> | undefined;

  constructor(@Inject(STATUS_CONFIG) private readonly config: StatusConfig) {
    this.pool = new Pool({ connectionString: config.postgres.url, max: 10 });
  }

  /** Applies the pending migrations once per process; later calls wait for the same run. */
  migrate(): Promise<void> {
    const log = new Logger('database');
    this.migrated ??= runMigrations(this.pool, {
      schemas: schemaNames(this.config.api.schemaPrefix),
      onApplied: (m) => log.log(`migration ${m.name} applied in ${m.ms} ms`),
    }).then(() => undefined);
    return this.migrated;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}

@Global()
@Module({
  providers: [
    DatabasePool,
    { provide: PG_POOL, useFactory: async (db: DatabasePool) => { await db.migrate(); return db.pool; }, inject: [DatabasePool] },
  ],
  exports: [DatabasePool, PG_POOL],
})
export class DatabaseModule {}
