/**
 * Load and soak: the real server (its own process) under mixed reads and writes at about 80 %
 * of the peak this machine just measured, for 10 minutes (`npm run test:reliability`) or 20 s
 * (`npm test`). Writes update and replace existing records, so the data set keeps its size and
 * memory growth means a leak, not more data. Asserted: zero errors. In the full run also:
 * resident memory's floor grows < 10 % (the lowest window of the second half against the lowest
 * of the first: a leak raises every window, a background build's transient graph copy only the
 * one it lands in), and no window's p99 exceeds 3× the first window's (the short CI run prints
 * these, it does not judge them).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { serveProcess } from '../support/process.js';
import { rssBytes } from '../support/spawn-server.js';
import { client, register } from '../support/server.js';
import { tempDir } from '../support/tmp.js';
import { FULL, rng } from './scale.js';

const DURATION_MS = FULL ? 600_000 : 20_000;
const WINDOW_MS = FULL ? 60_000 : 5_000;
const PEAK_MS = FULL ? 15_000 : 4_000;
const CLIENTS = 8;
const RECORDS = 20_000;
const DIM = 32;

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? 0;

describe(`load and soak (${DURATION_MS / 1000} s at ~80 % of peak)`, () => {
  it('mixed reads and writes: zero errors, bounded memory, steady p99', async () => {
    const s = await serveProcess(tempDir(), { VECTRA_RATE_LIMIT: '10000000' });
    const { key } = await register(s.url);
    const api = client(s.url, key);
    assert.equal((await api('POST', '/v1/collections', { name: 'soak', model: 'none', dimension: DIM, metric: 'cosine' })).status, 201);
    const r = rng('soak');
    const vec = () => Array.from({ length: DIM }, () => r() - 0.5);
    for (let i = 0; i < RECORDS; i += 1000) {
      const res = await api('POST', '/v1/collections/soak/records', { records: Array.from({ length: 1000 }, (_, j) => ({ id: `r${i + j}`, vector: vec(), metadata: { g: (i + j) % 10 } })) });
      assert.equal(res.status, 200);
    }

    // Measure the steady state, not the minute after a bulk load: wait for the graph to hold everything.
    for (let i = 0; i < 1200 && (await api('GET', '/v1/collections/soak')).body.unindexed > 0; i++) await new Promise((res) => setTimeout(res, 100));

    const errors: string[] = [];
    /** Delete + re-insert operations under way per id: a get of such an id may rightly answer 404. */
    const churning = new Map<string, number>();
    /** …and begun per id, to see one that began and ended while a get was under way. */
    const churned = new Map<string, number>();
    /** One operation of the mix: 70 % search (a third filtered), 15 % update of 10 records, 10 % get, 5 % delete + re-insert. */
    const op = async (): Promise<number> => {
      const t = performance.now();
      const x = r();
      const id = `r${Math.floor(r() * RECORDS)}`;
      let res;
      if (x < 0.7) res = await api('POST', '/v1/collections/soak/search', { vector: vec(), k: 10, filter: r() < 0.33 ? { g: Math.floor(r() * 10) } : undefined, return: 'id' });
      else if (x < 0.85) res = await api('POST', '/v1/collections/soak/records', { records: Array.from({ length: 10 }, () => ({ id: `r${Math.floor(r() * RECORDS)}`, vector: vec(), metadata: { g: Math.floor(r() * 10) } })) });
      else if (x < 0.95) {
        const begun = churned.get(id) ?? 0;
        res = await api('GET', `/v1/collections/soak/records/${id}`);
        // Another client deleted it and had not yet re-inserted it: right, not an error.
        if (res.status === 404 && ((churning.get(id) ?? 0) > 0 || (churned.get(id) ?? 0) !== begun)) return performance.now() - t;
      } else {
        churning.set(id, (churning.get(id) ?? 0) + 1);
        churned.set(id, (churned.get(id) ?? 0) + 1);
        try {
          res = await api('DELETE', `/v1/collections/soak/records/${id}`);
          if (res.status === 204 || res.status === 404) res = await api('POST', '/v1/collections/soak/records', { records: [{ id, vector: vec(), metadata: { g: 0 } }] });
        } finally {
          churning.set(id, churning.get(id)! - 1);
        }
      }
      if (res.status >= 400) errors.push(`${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
      return performance.now() - t;
    };

    // Peak: CLIENTS closed-loop clients as fast as they go.
    let done = 0;
    const peakEnd = performance.now() + PEAK_MS;
    await Promise.all(Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < peakEnd) {
        await op();
        done++;
      }
    }));
    const peak = done / (PEAK_MS / 1000);
    const target = 0.8 * peak;

    // Soak: open loop at `target` ops/s, operations scheduled on a fixed timetable.
    const windows: { p99: number; p50: number; ops: number; rss: number }[] = [];
    let lat: number[] = [];
    const start = performance.now();
    let slot = 0;
    let windowEnd = start + WINDOW_MS;
    const closeWindows = (now: number) => {
      while (now >= windowEnd) {
        windows.push({ p99: pct(lat, 0.99), p50: pct(lat, 0.5), ops: lat.length, rss: rssBytes(s.proc.pid!) });
        lat = [];
        windowEnd += WINDOW_MS;
      }
    };
    await Promise.all(Array.from({ length: CLIENTS * 4 }, async () => {
      for (;;) {
        const due = start + (slot++ * 1000) / target;
        if (due >= start + DURATION_MS) return;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((res) => setTimeout(res, wait));
        lat.push(await op());
        closeWindows(performance.now());
      }
    }));
    closeWindows(start + DURATION_MS);
    assert.equal((await fetch(`${s.url}/health`)).status, 200);
    s.proc.kill('SIGTERM');
    assert.equal((await s.exited).code, 0);

    const growth = windows.at(-1)!.rss / windows[0].rss - 1;
    const worst = Math.max(...windows.map((w) => w.p99));
    process.stdout.write(`# soak: peak ${peak.toFixed(0)} ops/s, target ${target.toFixed(0)} ops/s for ${DURATION_MS / 1000} s; ${windows.reduce((t, w) => t + w.ops, 0)} operations, ${errors.length} errors; p99 per window (ms): ${windows.map((w) => w.p99.toFixed(1)).join(' ')}; RSS ${(windows[0].rss / 2 ** 20).toFixed(0)} → ${(windows.at(-1)!.rss / 2 ** 20).toFixed(0)} MB (${(growth * 100).toFixed(1)} %); RSS per window (MB): ${windows.map((w) => (w.rss / 2 ** 20).toFixed(0)).join(' ')}\n`);
    assert.deepEqual(errors.slice(0, 5), [], `${errors.length} errors under load`);
    if (FULL) {
      const half = Math.floor(windows.length / 2);
      const floor = (ws: typeof windows) => Math.min(...ws.map((w) => w.rss));
      const floorGrowth = floor(windows.slice(half)) / floor(windows.slice(0, half)) - 1;
      assert.ok(floorGrowth < 0.1, `resident memory's floor grew ${(floorGrowth * 100).toFixed(1)} % (RSS per window above)`);
      assert.ok(worst <= 3 * windows[0].p99, `p99 went from ${windows[0].p99.toFixed(1)} ms to ${worst.toFixed(1)} ms`);
    }
  });
});
