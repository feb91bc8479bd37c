/**
 * Counts events by reason (`packets.decoded`, `dropped.truncated-header`, ...).
 *
 * Library code never logs; it counts, and the app that owns the counters reports them
 * (in heartbeats, metrics and its logs).
 */
export class ReasonCounters {
  private readonly counts = new Map<string, number>();

  /** Adds `by` (default 1) to the counter named `name`. */
  inc(name: string, by = 1): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + by);
  }

  /**
   * Sets counters to totals kept elsewhere (a pipeline's own counts, libpcap's drop counters), so
   * they are reported with the rest; the one way to mirror counts that another object owns.
   */
  setTotals(totals: Readonly<Record<string, number>>): void {
    for (const [name, value] of Object.entries(totals)) this.counts.set(name, value);
  }

  /** The value of one counter; 0 when it was never incremented. */
  get(name: string): number {
    return this.counts.get(name) ?? 0;
  }

  /** A plain sorted object of every counter, for logs, heartbeats and tests. */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  /** Adds every counter of `other` into this one. */
  merge(other: ReasonCounters, prefix = ''): void {
    for (const [k, v] of other.counts) this.inc(prefix + k, v);
  }
}
