import { STATUS_CONFIG, type StatusConfig } from '../config/status-config.module';
import { schemaNames, tableNames, type TableNames } from '../database/schema-names';

export { tableNames, type TableNames } from '../database/schema-names';

/** Injection token of the qualified table names (database/schema-names.ts) the API reads and writes. */
export const TABLES = Symbol('TABLES');

export const tablesProvider = {
  provide: TABLES,
  useFactory: (config: StatusConfig): TableNames => tableNames(schemaNames(config.api.schemaPrefix)),
  inject: [STATUS_CONFIG],
};
