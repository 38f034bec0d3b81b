/**
 * npm run bench:insights [-- --n 100000 --k 20]
 *
 * The insights analyses on real data, printed as Markdown: the first `n` GloVe 100-d vectors
 * (.cache/glove-100d.bin) in a cosine collection of a real server in this process (from
 * source, over HTTP on a loopback port), then, one at a time:
 * - POST …/clusters with k = `k` and with k chosen automatically (the silhouette);
 * - GET …/projection with PCA and with UMAP at their default samples;
 * - GET …/advice at its default sample.
 * For each: wall time, the peak resident-memory and V8-heap growth over the process's level
 * before the call (sampled every 20 ms), and the longest the event loop was blocked
 * (perf_hooks.monitorEventLoopDelay, 10 ms resolution): what another request would have waited.
 * VECTRA_INSIGHTS_JOB_THRESHOLD is set above n so each clustering answers directly (a job runs
 * the same code). Run it on a quiet machine for figures worth recording.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { startServer } from '../src/server.js';
import { gloveData, ROOT, vec } from './lib/glove-data.js';

const { values } = parseArgs({ options: { n: { type: 'string' }, k: { type: 'string' } } });
const N = Number(values.n ?? 100_000);
const K = Number(values.k ?? 20);

const g = gloveData();
if (N > g.words.length) throw new Error(`--n ${N}: the GloVe set has ${g.words.length} vectors`);
const dataDir = mkdtempSync(join(tmpdir(), 'vectra-bench-insights-'));
const config = loadConfig({
  PORT: '0',
  VECTRA_DATA_DIR: dataDir,
  VECTRA_MODEL_CACHE: join(ROOT, '.cache'),
  VECTRA_LOG_LEVEL: 'silent',
  VECTRA_MODEL_DOWNLOADS: 'off',
  VECTRA_RATE_LIMIT: '1000000',
  VECTRA_INSIGHTS_JOB_THRESHOLD: String(N + 1),
});
const server = await startServer(config);
await server.ready;
const url = server.url;

async function call(method: string, path: string, body?: unknown, key?: string): Promise<any> {
  const res = await fetch(url + path, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const out = await res.json();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(out)}`);
  return out;
}

const { apiKey: key } = await call('POST', '/v1/auth/register', { name: 'bench' });
await call('POST', '/v1/collections', { name: 'glove', model: 'none', dimension: g.dim, metric: 'cosine' }, key);
const loadStart = performance.now();
for (let s = 0; s < N; s += 1000) {
  const records = [];
  for (let i = s; i < Math.min(N, s + 1000); i++) records.push({ id: g.words[i], vector: Array.from(vec(g, i)) });
  await call('POST', '/v1/collections/glove/records', { records }, key);
}
for (;;) {
  if ((await call('GET', '/v1/collections/glove', undefined, key)).unindexed === 0) break;
  await new Promise((r) => setTimeout(r, 200));
}
const loadMs = performance.now() - loadStart;

interface Row {
  what: string;
  ms: number;
  rssMiB: number;
  heapMiB: number;
  blockMs: number;
  note: string;
}

const MiB = 1024 * 1024;
async function measure(what: string, method: string, path: string, body: unknown, note: (answer: any) => string): Promise<Row> {
  (globalThis as { gc?: () => void }).gc?.();
  const before = process.memoryUsage();
  let peakRss = before.rss;
  let peakHeap = before.heapUsed;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 20);
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const t = performance.now();
  const answer = await call(method, path, body, key);
  const ms = performance.now() - t;
  loop.disable();
  clearInterval(sampler);
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
  return { what, ms, rssMiB: (peakRss - before.rss) / MiB, heapMiB: (peakHeap - before.heapUsed) / MiB, blockMs: loop.max / 1e6, note: note(answer) };
}

/** The longest event-loop block while nothing is asked for: the background level (snapshots, GC) the rows below include. */
async function idle(ms: number): Promise<Row> {
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  await new Promise((r) => setTimeout(r, ms));
  loop.disable();
  return { what: `idle ${ms / 1000} s (no request)`, ms, rssMiB: 0, heapMiB: 0, blockMs: loop.max / 1e6, note: 'the background level' };
}

const rows: Row[] = [await idle(3000)];
rows.push(await measure(`clusters, k ${K}`, 'POST', '/v1/collections/glove/clusters', { k: K }, (a) => `${a.sample} fitted, ${a.total} assigned; largest cluster ${a.clusters[0].size}`));
rows.push(await measure('clusters, k automatic', 'POST', '/v1/collections/glove/clusters', {}, (a) => `k ${a.k} chosen (silhouette ${Math.max(...a.silhouettes.map((s: { silhouette: number }) => s.silhouette)).toFixed(3)})`));
rows.push(await measure('clusters, k 100', 'POST', '/v1/collections/glove/clusters', { k: 100 }, (a) => `${a.sample} fitted`));
rows.push(await measure('projection, PCA (default sample)', 'GET', '/v1/collections/glove/projection?method=pca', undefined, (a) => `${a.sample} points; variance explained ${a.explainedVariance.map((v: number) => v.toFixed(3)).join(' + ')}`));
rows.push(await measure('projection, UMAP (default sample)', 'GET', '/v1/collections/glove/projection?method=umap', undefined, (a) => `${a.sample} points`));
rows.push(await measure('projection, PCA + clusters=auto', 'GET', '/v1/collections/glove/projection?method=pca&clusters=auto', undefined, (a) => `${a.sample} points, k ${a.clusters.k}`));
rows.push(await measure('advice (default sample)', 'GET', '/v1/collections/glove/advice', undefined, (a) => `${a.sample.vectors} sampled, ${a.sample.queries} queries; recommends ${a.recommendation.index} ${a.recommendation.storage}${a.recommendation.ef ? ` ef ${a.recommendation.ef}` : ''} (recall ${a.recommendation.expectedRecall})`));

const f = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
console.log(`\n## Insights on ${f(N)} GloVe 100-d vectors (cosine), node ${process.version}\n`);
console.log(`Loaded over HTTP and indexed in ${f(loadMs / 1000, 1)} s. Memory: peak growth over the level before the call, sampled every 20 ms.\n`);
console.log('| analysis | time | RSS peak Δ | V8 heap peak Δ | longest event-loop block | answer |');
console.log('|---|---:|---:|---:|---:|---|');
for (const r of rows) console.log(`| ${r.what} | ${f(r.ms / 1000, 2)} s | ${f(r.rssMiB, 1)} MiB | ${f(r.heapMiB, 1)} MiB | ${f(r.blockMs, 0)} ms | ${r.note} |`);

await server.close();
rmSync(dataDir, { recursive: true, force: true });
