import { Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { Pool } from 'pg';
import { STATUS_CONFIG, type StatusConfig } from '../config/status-config.module';

/** Injection token of the PostgreSQL pool: the status service is the only component that talks to the database. */
export const PG_POOL = Symbol('PG_POOL');

@Injectable()
export class DatabasePool implements OnApplicationShutdown {
  readonly pool: Pool;

  constructor(@Inject(STATUS_CONFIG) config: StatusConfig) {
    this.pool = new Pool({ connectionString: config.postgres.url, max: 10 });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}

@Global()
@Module({
  providers: [DatabasePool, { provide: PG_POOL, useFactory: (db: DatabasePool) => db.pool, inject: [DatabasePool] }],
  exports: [DatabasePool, PG_POOL],
})
export class DatabaseModule {}
