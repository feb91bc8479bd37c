import { isRetriable } from './earshot-error';

/** How `withRetry` waits between attempts. Short defaults in tests, longer in apps. */
export interface RetryOptions {
  /** Attempts in all, the first included. Default 8. */
  attempts?: number;
  /** Wait before the second attempt, in ms; doubles each time. Default 100. */
  initialDelayMs?: number;
  /** Longest wait between attempts, in ms. Default 10 000. */
  maxDelayMs?: number;
  /** Share of each wait drawn at random (0 to 1), so that many clients do not retry in step. Default 0.2. */
  jitter?: number;
  /** Decides whether an error is worth another attempt. Default: `isRetriable` (EarshotError.retriable). */
  retryIf?: (error: unknown) => boolean;
  /** Called before each wait, e.g. to count retries. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** Stops waiting and gives up when aborted (a shutdown). */
  signal?: AbortSignal;
}

/** The wait before attempt `attempt + 1` (attempt counts from 1), with jitter drawn by `random`. */
export function backoffDelay(attempt: number, options: RetryOptions = {}, random: () => number = Math.random): number {
  const initial = options.initialDelayMs ?? 100;
  const max = options.maxDelayMs ?? 10_000;
  const jitter = options.jitter ?? 0.2;
  const base = Math.min(max, initial * 2 ** (attempt - 1));
  return Math.round(base * (1 - jitter + 2 * jitter * random()));
}

/**
 * Runs `fn` until it succeeds, retrying errors that `retryIf` accepts with exponential backoff and
 * jitter. The last error is thrown when attempts run out or the error is not retriable.
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 8;
  const retryIf = options.retryIf ?? isRetriable;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= attempts || !retryIf(error) || options.signal?.aborted) throw error;
      const delay = backoffDelay(attempt, options);
      options.onRetry?.(error, attempt, delay);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        options.signal?.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
      });
    }
  }
}
