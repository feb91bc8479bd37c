import { Module } from '@nestjs/common';
import { ServiceConfigController } from './service-config.controller';
import { ServiceConfigService } from './service-config.service';

@Module({ controllers: [ServiceConfigController], providers: [ServiceConfigService] })
export class ServiceConfigModule {}
