/**
 * The server's Prometheus text (GET /metrics) → the few numbers the live view shows. The
 * format's sample lines are `name{label="value",…} number`; comments start with #.
 * Rates are differences between two scrapes; the dashboard's own scrapes of /metrics are
 * left out so that watching does not look like traffic.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parsePrometheus(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]] = l[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

export interface Snapshot {
  at: number;
  requests: number;
  errors: number;
  durationSum: number;
  durationCount: number;
  /** Cumulative request counts by latency bucket upper bound (seconds). */
  buckets: Map<number, number>;
  gauges: Record<string, number>;
}

const REQUESTS = 'vectra_http_requests_total';
const DURATION = 'vectra_http_request_duration_seconds';
export const GAUGES = ['vectra_records', 'vectra_collections', 'vectra_tenants', 'vectra_disk_bytes', 'vectra_index_memory_bytes', 'process_resident_memory_bytes'] as const;

export function snapshot(samples: Sample[], at: number): Snapshot {
  const s: Snapshot = { at, requests: 0, errors: 0, durationSum: 0, durationCount: 0, buckets: new Map(), gauges: {} };
  for (const x of samples) {
    if (x.labels.route === '/metrics') continue;
    if (x.name === REQUESTS) {
      s.requests += x.value;
      if (Number(x.labels.status) >= 400) s.errors += x.value;
    } else if (x.name === `${DURATION}_sum`) s.durationSum += x.value;
    else if (x.name === `${DURATION}_count`) s.durationCount += x.value;
    else if (x.name === `${DURATION}_bucket`) {
      const le = x.labels.le === '+Inf' ? Infinity : Number(x.labels.le);
      s.buckets.set(le, (s.buckets.get(le) ?? 0) + x.value);
    } else if ((GAUGES as readonly string[]).includes(x.name)) s.gauges[x.name] = x.value;
  }
  return s;
}

export interface Rates {
  requestsPerSecond: number;
  errorsPerSecond: number;
  /** Mean latency of the requests in the interval, or null when there were none. */
  meanMs: number | null;
  /** Upper bound of the bucket holding the 95th percentile, or null. */
  p95Ms: number | null;
}

export function rates(prev: Snapshot, cur: Snapshot): Rates {
  const seconds = Math.max((cur.at - prev.at) / 1000, 1e-3);
  const n = cur.durationCount - prev.durationCount;
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
    requestsPerSecond: (cur.requests - prev.requests) / seconds,
    errorsPerSecond: (cur.errors - prev.errors) / seconds,
    meanMs: n > 0 ? ((cur.durationSum - prev.durationSum) / n) * 1000 : null,
    p95Ms,
  };
}
