/**
 * GET /v1/stats (the signed-in tenant's own figures) → what the live view shows. Request
 * counts are cumulative since the server started; rates are differences between two polls.
 * The server does not count calls to /v1/stats, so watching does not look like traffic.
 */

/** The answer of GET /v1/stats. */
export interface TenantStats {
  collections: number;
  records: number;
  diskBytes: number;
  indexBytes: number;
  requests: { total: number; errors: number; latency: { sumSeconds: number; buckets: { le: number; count: number }[] } };
  since: string;
}

export interface Snapshot {
  at: number;
  /** When the server started counting: a different value means it restarted (counters reset). */
  since: string;
  requests: number;
  errors: number;
  durationSum: number;
  /** Cumulative request counts by latency bucket upper bound (seconds); Infinity holds them all. */
  buckets: Map<number, number>;
  stats: TenantStats;
}

export function snapshot(stats: TenantStats, at: number): Snapshot {
  const { total, errors, latency } = stats.requests;
  const buckets = new Map(latency.buckets.map((b) => [b.le, b.count]));
  buckets.set(Infinity, total);
  return { at, since: stats.since, requests: total, errors, durationSum: latency.sumSeconds, buckets, stats };
}

export interface Rates {
  requestsPerSecond: number;
  errorsPerSecond: number;
  /** Mean latency of the requests in the interval, or null when there were none. */
  meanMs: number | null;
  /** Upper bound of the bucket holding the 95th percentile, or null (no requests, or over the last bound). */
  p95Ms: number | null;
}

/** Rates between two polls, or null when the server restarted between them (its counters started again). */
export function rates(prev: Snapshot, cur: Snapshot): Rates | null {
  if (prev.since !== cur.since) return null;
  const seconds = Math.max((cur.at - prev.at) / 1000, 1e-3);
  const n = cur.requests - prev.requests;
  let p95Ms: number | null = null;
  if (n > 0) {
    const bounds = [...cur.buckets.keys()].sort((a, b) => a - b);
    const target = 0.95 * n;
    for (const le of bounds) {
      if ((cur.buckets.get(le) ?? 0) - (prev.buckets.get(le) ?? 0) >= target) {
        p95Ms = le === Infinity ? null : le * 1000;
        break;
      }
    }
  }
  return {
    requestsPerSecond: n / seconds,
    errorsPerSecond: (cur.errors - prev.errors) / seconds,
    meanMs: n > 0 ? ((cur.durationSum - prev.durationSum) / n) * 1000 : null,
    p95Ms,
  };
}
