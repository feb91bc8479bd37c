import pino, { stdSerializers, type DestinationStream, type Logger as PinoLogger } from 'pino';

/** Log levels, least to most severe. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** The fields of one log line beside its message. */
export type LogFields = Record<string, unknown>;

/**
 * One JSON object per line (`time`, `level`, `service`, bindings such as `component`, `msg`, then
 * the fields), so logs are read by people and by tools. An `Error` in any field is written with its
 * type, message, stack and its `cause` chain; secrets (see `REDACTED_KEYS`) are written as
 * `[redacted]`.
 */
export interface ServiceLogger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger whose lines also carry `bindings`, e.g. `log.child({ component: 'projector' })`. */
  child(bindings: LogFields): ServiceLogger;
  /**
   * Resolves once every line logged so far has been written (or after `timeoutMs`, default 2000,
   * if the reader of stdout is stuck): call it before `process.exit`, which drops queued writes.
   */
  flush(timeoutMs?: number): Promise<void>;
}

/** Options of `createServiceLogger`. */
export interface ServiceLoggerOptions {
  /** Lowest level written. Default: `'info'`. */
  level?: LogLevel;
  /**
   * Where the lines go. Default: asynchronous writes to stdout, `error` lines to stderr, flushed by
   * `flush()` and, for whatever is still queued, synchronously when the process exits.
   */
  destination?: DestinationStream;
}

/**
 * Field names whose values never reach a log, at the top level and up to two levels down
 * (`{ password }`, `{ account: { password } }`, `{ request: { headers: { authorization } } }`).
 */
export const REDACTED_KEYS = [
  'password', 'passwd', 'adminPassword', 'secret', 'clientSecret', 'token', 'accessToken', 'refreshToken',
  'sessionToken', 'apiKey', 'api_key', 'apiToken', 'privateKey', 'authorization', 'Authorization', 'cookie', 'Cookie',
  'set-cookie', 'x-api-key',
] as const;

/** What a redacted value is written as. */
export const REDACTED = '[redacted]';

/** pino's redaction paths for REDACTED_KEYS: `key`, `*.key`, `*.*.key` (`["set-cookie"]` for names that need quoting). */
const REDACT_PATHS = REDACTED_KEYS.flatMap((key) => {
  const leaf = /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `["${key}"]`;
  return [leaf.replace(/^\./, ''), `*${leaf}`, `*.*${leaf}`];
});

/**
 * An Error as a plain object: type, message, stack, its own fields (EarshotError's `reason`,
 * `retriable`) and its `cause`, itself serialised the same way when it is an Error (so every stack of
 * the chain is kept), or as it is when it is not.
 */
export function serializeError(error: Error): Record<string, unknown> {
  const out = stdSerializers.errWithCause(error) as unknown as Record<string, unknown>;
  const cause: unknown = error.cause;
  if (out['cause'] === undefined && cause !== undefined && !(cause instanceof Error)) out['cause'] = cause;
  return out;
}

/** The line's fields with every Error-valued field serialised (pino only does so for `err`). */
function withSerializedErrors(fields: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(fields)) {
    if (value instanceof Error) {
      out ??= { ...fields };
      out[key] = serializeError(value);
    }
  }
  return out ?? fields;
}

/**
 * Asynchronous writes to a file descriptor. `minLength: 1` keeps every line written at once (a line
 * is never shorter) while making `flush(cb)` wait for the writes in flight, which with the default
 * 0 it does not.
 */
function asyncDestination(fd: 1 | 2): pino.DestinationStream & { flush(cb: (err?: Error) => void): void } {
  return pino.destination({ dest: fd, sync: false, minLength: 1 });
}

/** A logger for an app (libraries never log: they count and throw, and the app logs). */
export function createServiceLogger(service: string, levelOrOptions: LogLevel | ServiceLoggerOptions = {}): ServiceLogger {
  const options: ServiceLoggerOptions = typeof levelOrOptions === 'string' ? { level: levelOrOptions } : levelOrOptions;
  const flushable: Array<{ flush(cb: (err?: Error) => void): void }> = [];
  let destination = options.destination;
  if (destination === undefined) {
    const out = asyncDestination(1);
    const err = asyncDestination(2);
    flushable.push(out, err);
    destination = pino.multistream([{ level: 'debug', stream: out }, { level: 'error', stream: err }], { dedupe: true });
  }
  const root = pino({
    level: options.level ?? 'info',
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    // pino's own `err` serializer folds the causes into one message; keep each error of the chain whole.
    serializers: { err: (value: unknown) => (value instanceof Error ? serializeError(value) : value) },
    formatters: {
      level: (label) => ({ level: label }),
      log: withSerializedErrors,
    },
    redact: { paths: REDACT_PATHS, censor: REDACTED },
  }, destination);

  const flush = async (timeoutMs = 2000): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs); });
    const written = Promise.all(flushable.map((s) => new Promise<void>((resolve) => s.flush(() => resolve()))));
    await Promise.race([written, timeout]);
    clearTimeout(timer);
  };
  return wrap(root, flush);
}

/**
 * Earshot's call shape `log.info(msg, fields)` over pino's `(fields, msg)`. The message goes into
 * the merged object, first, so lines keep the order they always had (`"msg"` before the fields,
 * which tests and people grep for).
 */
function wrap(logger: PinoLogger, flush: ServiceLogger['flush']): ServiceLogger {
  const at = (level: LogLevel) => (msg: string, fields?: LogFields): void => {
    if (!logger.isLevelEnabled(level)) return;
    logger[level](fields === undefined ? { msg } : { msg, ...fields });
  };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (bindings) => wrap(logger.child(bindings), flush),
    flush,
  };
}
