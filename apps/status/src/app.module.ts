import { Module, type DynamicModule } from '@nestjs/common';
import { StatusConfigModule, type StatusConfig } from './config/status-config.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { KafkaModule } from './kafka/kafka.module';
import { ProjectionModule } from './projection/projection.module';
import { AccountsModule } from './accounts/accounts.module';
import { ApiModule } from './api/api.module';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { CallsModule } from './calls/calls.module';
import { DirectoryModule } from './directory/directory.module';
import { OpenApiModule } from './openapi/openapi.module';
import { ServiceConfigModule } from './service-config/service-config.module';
import { ServicesModule } from './services/services.module';
import { ConsoleModule } from './console/console.module';
import { LiveModule } from './live/live.module';

/** The status service: one module per feature. */
@Module({})
export class AppModule {
  static forRoot(config: StatusConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        StatusConfigModule.forRoot(config), KafkaModule, DatabaseModule, HealthModule, ProjectionModule,
        // REST API (docs/status-api.md): AuthGuard on every route, errors as {error, fields}.
        ApiModule, AuditModule, AuthModule, CallsModule, DirectoryModule, ServiceConfigModule, ServicesModule, AccountsModule, OpenApiModule,
        // The web console at / and live monitoring of calls in progress.
        ConsoleModule, LiveModule,
      ],
    };
  }
}
