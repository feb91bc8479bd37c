/**
 * The base of every error Earshot raises on purpose.
 *
 * `reason` is a short, stable, kebab-case code (`truncated-header`, `bad-version`) used as the
 * label of the counter that counts it; `retriable` says whether trying the same thing again may
 * succeed (a broker that is down) or never will (a malformed packet). As in kafkajs, the error
 * that caused this one is kept in `cause`.
 */
export class EarshotError extends Error {
  readonly reason: string;
  readonly retriable: boolean;

  constructor(message: string, options: { reason: string; retriable?: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.reason = options.reason;
    this.retriable = options.retriable ?? false;
  }
}

/** True for errors that say trying again may succeed. */
export function isRetriable(error: unknown): boolean {
  return error instanceof EarshotError ? error.retriable : false;
}
