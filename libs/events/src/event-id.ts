import { createHash } from 'node:crypto';

/**
 * A deterministic event id: the same parts always give the same id, so a capture processed twice,
 * or a topic replayed, produces events that consumers recognise as duplicates.
 * 32 hex digits of SHA-256 over the parts joined by a separator no part contains.
 */
export function deterministicEventId(...parts: ReadonlyArray<string | number | bigint>): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    hash.update(String(part));
    hash.update('\u0000');
  }
  return hash.digest('hex').slice(0, 32);
}
