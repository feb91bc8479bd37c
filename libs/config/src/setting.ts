import { EarshotError } from '@earshot/errors';

/** A configuration value that is missing or wrong; the message names the setting and the value found. */
export class ConfigError extends EarshotError {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(message, { reason: 'invalid-config' });
  }
}

/**
 * One setting: where it comes from (an environment variable, or a dotted key of the optional JSON
 * file), its default and how a raw value becomes a typed one. Environment beats file beats default.
 */
export interface Setting<T> {
  /** Environment variable, e.g. EARSHOT_KAFKA_BROKERS. */
  readonly env: string;
  /** One line for the configuration reference. */
  readonly doc: string;
  /** Used when neither the environment nor the file sets it; undefined means required. */
  readonly default: T | undefined;
  /** Turns a raw value (a string from the environment, any JSON value from the file) into T, or says what is wrong. */
  readonly parse: (raw: unknown) => T;
  /** How the default is shown in the reference. */
  readonly shownDefault: string;
}

type Check<T> = (raw: unknown) => T;

/** Thrown by parsers; turned into a ConfigError naming the setting. */
class Invalid extends Error {}

function make<T>(env: string, doc: string, def: T | undefined, parse: Check<T>, shown?: string): Setting<T> {
  return { env, doc, default: def, parse, shownDefault: shown ?? (def === undefined ? '(required)' : typeof def === 'string' ? def : JSON.stringify(def)) };
}

function text(raw: unknown): string {
  if (typeof raw === 'string') return raw.trim();
  if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
  throw new Invalid('must be a string');
}

/** Builders for settings, one per kind of value. */
export const setting = {
  string(env: string, doc: string, def?: string, opts: { pattern?: RegExp; hint?: string } = {}): Setting<string> {
    return make(env, doc, def, (raw) => {
      const v = text(raw);
      if (v === '') throw new Invalid('must not be empty');
      if (opts.pattern && !opts.pattern.test(v)) throw new Invalid(`must be ${opts.hint ?? `like ${opts.pattern}`}`);
      return v;
    });
  },

  optionalString(env: string, doc: string): Setting<string | null> {
    return make<string | null>(env, doc, null, (raw) => (raw === null ? null : text(raw) || null), '(none)');
  },

  int(env: string, doc: string, def: number | undefined, range: { min: number; max: number }): Setting<number> {
    return make(env, doc, def, (raw) => {
      const v = typeof raw === 'number' ? raw : /^-?\d+$/.test(text(raw)) ? Number(text(raw)) : NaN;
      if (!Number.isInteger(v) || v < range.min || v > range.max) {
        throw new Invalid(`must be an integer from ${range.min} to ${range.max}`);
      }
      return v;
    });
  },

  bool(env: string, doc: string, def: boolean): Setting<boolean> {
    return make(env, doc, def, (raw) => {
      if (typeof raw === 'boolean') return raw;
      const v = text(raw).toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return true;
      if (['0', 'false', 'no', 'off'].includes(v)) return false;
      throw new Invalid('must be true or false');
    });
  },

  oneOf<T extends string>(env: string, doc: string, def: T, values: readonly T[]): Setting<T> {
    return make(env, doc, def, (raw) => {
      const v = text(raw);
      if (!(values as readonly string[]).includes(v)) throw new Invalid(`must be one of ${values.join(', ')}`);
      return v as T;
    });
  },

  /** A comma-separated list in the environment, an array of strings in the file. */
  list(env: string, doc: string, def: string[], item?: { pattern: RegExp; hint: string }): Setting<string[]> {
    return make(env, doc, def, (raw) => {
      const items = Array.isArray(raw) ? raw.map(text) : text(raw).split(',').map((s) => s.trim());
      const v = items.filter((s) => s !== '');
      for (const s of v) if (item && !item.pattern.test(s)) throw new Invalid(`must be a list of ${item.hint}`);
      return v;
    }, def.join(','));
  },
};

/** host:port, IPv6 in brackets. */
export const HOST_PORT = { pattern: /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, hint: 'host:port' };

/** Raises the ConfigError for `name` from a parser's complaint. */
export function parseSetting<T>(name: string, s: Setting<T>, raw: unknown, from: string): T {
  try {
    return s.parse(raw);
  } catch (e) {
    if (!(e instanceof Invalid)) throw e;
    const shown = typeof raw === 'string' ? JSON.stringify(raw) : JSON.stringify(raw) ?? String(raw);
    throw new ConfigError(name, `${name} (${from}) ${e.message}, got ${shown}`);
  }
}
