import { Controller, Get, Query } from '@nestjs/common';
import { QueryReader } from '../api/input';
import { Access } from '../auth/auth.decorators';
import type { ServiceInstanceListDto } from './services.dto';
import { ServicesService } from './services.service';

/** Every instance of every kind, with its health (the classic status view). */
@Controller('api/services')
@Access({ roles: ['admin', 'supervisor'], scopes: ['read'] })
export class ServicesController {
  constructor(private readonly services: ServicesService) {}

  @Get()
  list(@Query() query: unknown): Promise<ServiceInstanceListDto> {
    new QueryReader(query, []).done();
    return this.services.list();
  }
}
