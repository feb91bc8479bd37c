import { Global, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ApiExceptionFilter } from './api-exception.filter';
import { TABLES, tablesProvider } from './schema-names';

/** What every REST feature shares: the table names and the `{error, fields}` error answers. */
@Global()
@Module({
  providers: [tablesProvider, { provide: APP_FILTER, useClass: ApiExceptionFilter }],
  exports: [TABLES],
})
export class ApiModule {}
