/**
 * A small live view of this account's own figures (GET /v1/stats): its requests/s, latency and
 * errors, its records, collections and bytes. Never the server's: those are the operator's
 * (/metrics), and would let one tenant see that others exist.
 */
import { useEffect, useRef, useState } from 'react';
import type { VectraError } from '@vectra/client';
import { asApiError } from '../lib/hooks';
import { rates, snapshot, type Rates, type Snapshot } from '../lib/metrics';
import { bytes, count } from '../lib/format';
import { useVectra } from '../session';
import { ErrorNote } from '../components/ErrorNote';
import { Sparkline } from '../components/Sparkline';
import { Stats } from '../components/Stats';

const EVERY_MS = 2000;
const KEEP = 60;

export function Metrics() {
  const vectra = useVectra();
  const [latest, setLatest] = useState<Snapshot | null>(null);
  const [history, setHistory] = useState<Rates[]>([]);
  const [error, setError] = useState<VectraError | null>(null);
  const [paused, setPaused] = useState(false);
  const prev = useRef<Snapshot | null>(null);

  useEffect(() => {
    if (paused) return;
    let stopped = false;
    const poll = async () => {
      try {
        const snap = snapshot(await vectra.stats(), Date.now());
        if (stopped) return;
        const r = prev.current && rates(prev.current, snap);
        // A restarted server counts from zero again: start the history over.
        if (prev.current && !r) setHistory([]);
        if (r) setHistory((h) => [...h.slice(-(KEEP - 1)), r]);
        prev.current = snap;
        setLatest(snap);
        setError(null);
      } catch (e) {
        if (!stopped) setError(asApiError(e));
      }
    };
    void poll();
    const timer = setInterval(poll, EVERY_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
      prev.current = null;
    };
  }, [paused, vectra]);

  const now = history.at(-1);
  const s = latest?.stats;
  const ms = (x: number | null | undefined) => (x === null || x === undefined ? '—' : `${x < 10 ? x.toFixed(2) : x.toFixed(0)} ms`);
  return (
    <>
      <h1 tabIndex={-1}>Metrics</h1>
      <p className="muted">
        Your account's own figures, every {EVERY_MS / 1000} s from <code>/v1/stats</code>: requests made with its keys (this page's own polls are not counted) and its collections. Server-wide figures are for the operator (<code>/metrics</code>, Prometheus).
      </p>
      <button type="button" onClick={() => setPaused(!paused)} aria-pressed={paused}>
        {paused ? 'Resume' : 'Pause'}
      </button>
      <ErrorNote error={error} />
      <Stats
        big
        label="Your metrics"
        testId="metrics"
        items={[
          { label: 'Requests/s', value: now ? now.requestsPerSecond.toFixed(1) : '—', extra: <Sparkline values={history.map((h) => h.requestsPerSecond)} label="requests per second, last two minutes" /> },
          { label: 'Mean latency', value: ms(now?.meanMs), extra: <Sparkline values={history.map((h) => h.meanMs)} label="mean latency, last two minutes" /> },
          { label: 'p95 latency (≤)', value: ms(now?.p95Ms) },
          { label: 'Errors/s (4xx, 5xx)', value: now ? now.errorsPerSecond.toFixed(1) : '—' },
          { label: 'Records', value: count(s?.records), testId: 'metric-records' },
          { label: 'Collections', value: count(s?.collections), testId: 'metric-collections' },
          { label: 'Disk', value: bytes(s?.diskBytes) },
          { label: 'Index memory', value: bytes(s?.indexBytes) },
          { label: 'Requests served', value: count(latest?.requests), testId: 'metric-requests' },
        ]}
      />
    </>
  );
}
