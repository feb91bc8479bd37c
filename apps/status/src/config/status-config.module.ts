import { Global, Module } from '@nestjs/common';
import { loadConfig, type ConfigOf } from '@earshot/config';
import { statusSettings } from './status-settings';

/** Injection token of the validated status configuration. */
export const STATUS_CONFIG = Symbol('STATUS_CONFIG');
export type StatusConfig = ConfigOf<typeof statusSettings>;

/** Loads and validates the configuration once; a wrong value stops the app before anything connects. */
export function loadStatusConfig(env: Record<string, string | undefined> = process.env): StatusConfig {
  return loadConfig(statusSettings, { env });
}

@Global()
@Module({})
export class StatusConfigModule {
  static forRoot(config: StatusConfig) {
    return { module: StatusConfigModule, providers: [{ provide: STATUS_CONFIG, useValue: config }], exports: [STATUS_CONFIG] };
  }
}
