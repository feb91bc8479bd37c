import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ConfigError } from '@earshot/config';
import { createServiceLogger } from '@earshot/service';
import { AppModule } from './app.module';
import { loadStatusConfig, type StatusConfig } from './config/status-config.module';
import { NestServiceLogger } from './nest-service-logger';

// The status service: projection, REST admin API and web console (NestJS).
async function main(): Promise<void> {
  let config: StatusConfig;
  try {
    config = loadStatusConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`status: configuration error: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const log = createServiceLogger('status', config.logLevel);
  // Nest and every `new Logger(component)` in the app write through the same pino logger.
  const app = await NestFactory.create(AppModule.forRoot(config), { logger: new NestServiceLogger(log) });
  // Log lines are written asynchronously: every exit waits for them.
  const exit = (code: number): Promise<never> => log.flush().then(() => process.exit(code));
  // app.close() runs the lifecycle hooks (heartbeat STOPPED, Kafka and PostgreSQL closed); then a clean exit 0.
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    app.close().then(
      () => { log.info('stopped'); void exit(0); },
      (e: unknown) => { log.error('stop failed', { error: e }); void exit(1); },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  await app.listen(config.http.port, config.http.host);
  log.info('running', { url: `http://${config.http.host}:${config.http.port}/` });
}

main().catch((error: unknown) => {
  process.stderr.write(`status: could not start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
