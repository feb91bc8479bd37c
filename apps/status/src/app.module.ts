import { Module, type DynamicModule } from '@nestjs/common';
import { StatusConfigModule, type StatusConfig } from './config/status-config.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { KafkaModule } from './kafka/kafka.module';

/** The status service: one module per feature. */
@Module({})
export class AppModule {
  static forRoot(config: StatusConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [StatusConfigModule.forRoot(config), KafkaModule, DatabaseModule, HealthModule],
    };
  }
}
