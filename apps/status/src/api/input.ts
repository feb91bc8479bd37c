import { isIP } from 'node:net';
import { BadInputError, type FieldProblem } from './api-errors';

function show(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/**
 * Reads untrusted input (a JSON body or query parameters) field by field, collecting every problem
 * with its exact path; `done()` throws one 400 naming them all. Readers return a placeholder when
 * the value is wrong, so the caller goes on reading and every fault is reported at once.
 */
export class InputReader {
  constructor(
    private readonly prefix = '',
    readonly problems: FieldProblem[] = [],
  ) {}

  path(name: string): string {
    return this.prefix ? (name.startsWith('[') ? `${this.prefix}${name}` : `${this.prefix}.${name}`) : name;
  }

  fail(name: string, message: string): void {
    this.problems.push({ path: this.path(name), message });
  }

  /** Throws BadInputError when any problem was found. */
  done(): void {
    if (this.problems.length > 0) throw new BadInputError(this.problems);
  }

  /** A reader for a nested object whose problems join this one's, under `name.`. */
  nested(name: string): InputReader {
    return new InputReader(this.path(name), this.problems);
  }

  object(name: string, value: unknown): Record<string, unknown> {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
    this.fail(name, `must be an object, got ${show(value)}`);
    return {};
  }

  /** Reports fields the shape does not know (a typo would otherwise be ignored silently). */
  onlyKnown(obj: Record<string, unknown>, known: readonly string[], what = 'field'): void {
    for (const key of Object.keys(obj)) if (!known.includes(key)) this.fail(key, `is not a known ${what}`);
  }

  string(name: string, value: unknown, opts: { max?: number; pattern?: RegExp; hint?: string } = {}): string {
    if (typeof value !== 'string' || value.trim() === '') {
      this.fail(name, `must be a non-empty string, got ${show(value)}`);
      return '';
    }
    if (value.length > (opts.max ?? 1000)) this.fail(name, `must be at most ${opts.max ?? 1000} characters`);
    else if (opts.pattern && !opts.pattern.test(value)) this.fail(name, `must be ${opts.hint ?? `like ${opts.pattern}`}, got ${show(value)}`);
    return value;
  }

  optionalString(name: string, value: unknown, opts: { max?: number; pattern?: RegExp; hint?: string } = {}): string | null {
    return value === undefined || value === null ? null : this.string(name, value, opts);
  }

  int(name: string, value: unknown, min: number, max: number): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.fail(name, `must be an integer from ${min} to ${max}, got ${show(value)}`);
      return min;
    }
    return value;
  }

  optionalInt(name: string, value: unknown, min: number, max: number): number | null {
    return value === undefined || value === null ? null : this.int(name, value, min, max);
  }

  bool(name: string, value: unknown): boolean {
    if (typeof value !== 'boolean') {
      this.fail(name, `must be true or false, got ${show(value)}`);
      return false;
    }
    return value;
  }

  oneOf<T extends string>(name: string, value: unknown, values: readonly T[]): T {
    if (typeof value === 'string' && (values as readonly string[]).includes(value)) return value as T;
    this.fail(name, `must be one of ${values.join(', ')}, got ${show(value)}`);
    return values[0] as T;
  }

  /** An array whose items are read by `item(reader, path, value)`; paths are `name[i]`. */
  array<T>(name: string, value: unknown, item: (path: string, value: unknown) => T, max = 1000): T[] {
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
      this.fail(name, `must be an array, got ${show(value)}`);
      return [];
    }
    if (value.length > max) this.fail(name, `must have at most ${max} items`);
    return value.map((v, i) => item(`${name}[${i}]`, v));
  }

  stringArray(name: string, value: unknown, opts: { max?: number; pattern?: RegExp; hint?: string } = {}): string[] {
    return this.array(name, value, (path, v) => this.string(path, v, opts));
  }

  ip(name: string, value: unknown): string {
    const v = this.string(name, value, { max: 64 });
    if (v && isIP(v) === 0) this.fail(name, `must be an IPv4 or IPv6 address, got ${show(value)}`);
    return v;
  }
}

/**
 * Query parameters: each given at most once, none unknown; numbers, booleans and times parsed
 * from their text. Paths are the parameter names.
 */
export class QueryReader extends InputReader {
  private readonly query: Record<string, unknown>;

  constructor(query: unknown, known: readonly string[]) {
    super();
    this.query = typeof query === 'object' && query !== null ? (query as Record<string, unknown>) : {};
    this.onlyKnown(this.query, known, 'query parameter');
  }

  text(name: string): string | undefined {
    const v = this.query[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') {
      this.fail(name, 'must be given once');
      return undefined;
    }
    if (v === '') {
      this.fail(name, 'must not be empty');
      return undefined;
    }
    return v;
  }

  intParam(name: string, min: number, max: number): number | undefined {
    const v = this.text(name);
    if (v === undefined) return undefined;
    if (!/^-?\d{1,16}$/.test(v) || Number(v) < min || Number(v) > max) {
      this.fail(name, `must be an integer from ${min} to ${max}, got "${v}"`);
      return undefined;
    }
    return Number(v);
  }

  boolParam(name: string): boolean | undefined {
    const v = this.text(name);
    if (v === undefined) return undefined;
    if (v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
    this.fail(name, `must be true or false, got "${v}"`);
    return undefined;
  }

  /** An ISO 8601 time with a date and a time zone, or milliseconds since the epoch. */
  timeParam(name: string): Date | undefined {
    const v = this.text(name);
    if (v === undefined) return undefined;
    const iso = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2}))?$/;
    const ms = /^\d{1,16}$/.test(v) ? Number(v) : iso.test(v) ? Date.parse(v) : NaN;
    if (Number.isNaN(ms)) {
      this.fail(name, `must be an ISO 8601 time (e.g. 2025-11-24T09:00:00Z) or milliseconds since the epoch, got "${v}"`);
      return undefined;
    }
    return new Date(ms);
  }

  oneOfParam<T extends string>(name: string, values: readonly T[]): T | undefined {
    const v = this.text(name);
    if (v === undefined) return undefined;
    const upper = v.toUpperCase();
    if ((values as readonly string[]).includes(upper)) return upper as T;
    this.fail(name, `must be one of ${values.join(', ')}, got "${v}"`);
    return undefined;
  }
}

/** Checks an id taken from the path (`:userId`, `:callId`). */
export function pathParam(name: string, value: string, pattern: RegExp, hint: string): string {
  if (!pattern.test(value)) throw new BadInputError([{ path: name, message: `must be ${hint}, got ${show(value)}` }]);
  return value;
}
