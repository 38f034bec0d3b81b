/** A small live view of GET /metrics: requests/s, latency, errors, record and collection counts. */
import { useEffect, useRef, useState } from 'react';
import { errorOf, type ApiError } from '../lib/api';
import { asApiError } from '../lib/hooks';
import { parsePrometheus, rates, snapshot, type Rates, type Snapshot } from '../lib/metrics';
import { bytes, count } from '../lib/format';
import { ErrorNote } from '../components/ErrorNote';
import { Sparkline } from '../components/Sparkline';
import { Stats } from '../components/Stats';

const EVERY_MS = 2000;
const KEEP = 60;

export function Metrics() {
  const [latest, setLatest] = useState<Snapshot | null>(null);
  const [history, setHistory] = useState<Rates[]>([]);
  const [error, setError] = useState<ApiError | null>(null);
  const [paused, setPaused] = useState(false);
  const prev = useRef<Snapshot | null>(null);

  useEffect(() => {
    if (paused) return;
    let stopped = false;
    const scrape = async () => {
      try {
        const res = await fetch('/metrics');
        const text = await res.text();
        if (!res.ok) throw errorOf(res.status, JSON.parse(text || 'null'), res.statusText);
        const snap = snapshot(parsePrometheus(text), Date.now());
        if (stopped) return;
        if (prev.current) {
          const r = rates(prev.current, snap);
          setHistory((h) => [...h.slice(-(KEEP - 1)), r]);
        }
        prev.current = snap;
        setLatest(snap);
        setError(null);
      } catch (e) {
        if (!stopped) setError(asApiError(e));
      }
    };
    void scrape();
    const timer = setInterval(scrape, EVERY_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
      prev.current = null;
    };
  }, [paused]);

  const now = history.at(-1);
  const g = latest?.gauges ?? {};
  const ms = (x: number | null | undefined) => (x === null || x === undefined ? '—' : `${x < 10 ? x.toFixed(2) : x.toFixed(0)} ms`);
  return (
    <>
      <h1 tabIndex={-1}>Metrics</h1>
      <p className="muted">
        The whole server, every {EVERY_MS / 1000} s from <code>/metrics</code> (Prometheus format; scrape it with Prometheus for history). Totals are across all tenants; this page's own scrapes are not counted.
      </p>
      <button type="button" onClick={() => setPaused(!paused)} aria-pressed={paused}>
        {paused ? 'Resume' : 'Pause'}
      </button>
      <ErrorNote error={error} />
      <Stats
        big
        label="Server metrics"
        testId="metrics"
        items={[
          { label: 'Requests/s', value: now ? now.requestsPerSecond.toFixed(1) : '—', extra: <Sparkline values={history.map((h) => h.requestsPerSecond)} label="requests per second, last two minutes" /> },
          { label: 'Mean latency', value: ms(now?.meanMs), extra: <Sparkline values={history.map((h) => h.meanMs ?? 0)} label="mean latency, last two minutes" /> },
          { label: 'p95 latency (≤)', value: ms(now?.p95Ms) },
          { label: 'Errors/s (4xx, 5xx)', value: now ? now.errorsPerSecond.toFixed(1) : '—' },
          { label: 'Records', value: count(g.vectra_records), testId: 'metric-records' },
          { label: 'Collections', value: count(g.vectra_collections) },
          { label: 'Tenants', value: count(g.vectra_tenants) },
          { label: 'Disk', value: bytes(g.vectra_disk_bytes) },
          { label: 'Index memory', value: bytes(g.vectra_index_memory_bytes) },
          { label: 'Server memory (RSS)', value: bytes(g.process_resident_memory_bytes) },
          { label: 'Requests served', value: count(latest?.requests) },
        ]}
      />
    </>
  );
}
