import type { LoggerService } from '@nestjs/common';
import type { LogFields, LogLevel, ServiceLogger } from '@earshot/service';

/**
 * Nest's own start-up chatter (one line per module and per route): written at debug, so that the
 * info log of the status service is about Earshot, as in the other services.
 */
const NEST_FRAMEWORK_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

/** A stack as Nest passes it to `error(message, stack, context)`. */
const STACK = /\n\s+at /;

/**
 * Nest's LoggerService over the service's logger: `new Logger('projector').log(...)` in a Nest
 * class writes the same JSON lines as the other services, with `component: 'projector'`; an Error
 * (or the stack Nest passes beside a message) is logged with its stack and cause.
 */
export class NestServiceLogger implements LoggerService {
  private readonly components = new Map<string, ServiceLogger>();

  constructor(private readonly logger: ServiceLogger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params, { fatal: true });
  }

  /** Nest appends the Logger's context as the last parameter; before it, an error's stack or extra values. */
  private write(level: LogLevel, message: unknown, params: unknown[], extra: LogFields = {}): void {
    const rest = [...params];
    const context = rest.length > 0 && typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    const fields: LogFields = { ...extra };
    let msg: string;
    if (message instanceof Error) {
      msg = message.message;
      fields['error'] = message;
    } else {
      msg = typeof message === 'string' ? message : JSON.stringify(message) ?? String(message);
    }
    const stack = rest[0];
    if (typeof stack === 'string' && STACK.test(stack)) {
      fields['stack'] = stack;
      rest.shift();
    }
    rest.filter((p) => p !== undefined).forEach((p, i) => { fields[i === 0 ? 'detail' : `detail${i}`] = p; });
    const quiet = level === 'info' && context !== undefined && NEST_FRAMEWORK_CONTEXTS.has(context);
    const target = context === undefined ? this.logger : this.component(context);
    target[quiet ? 'debug' : level](msg, Object.keys(fields).length > 0 ? fields : undefined);
  }

  private component(context: string): ServiceLogger {
    let child = this.components.get(context);
    if (child === undefined) {
      child = this.logger.child({ component: context });
      this.components.set(context, child);
    }
    return child;
  }
}
