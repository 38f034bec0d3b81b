/**
 * npm run bench:ingest [-- --n 100000] [--quick]
 *
 * Ingest of texts with the built-in model, end to end: records as NDJSON through
 * POST /records/stream (one request, the body streamed) and through `vectra import` from a
 * file (acknowledged rates; the graph catches up in the background, also timed), then,
 * once indexed, search latency of dense,
 * keyword and hybrid modes on the result (one client, sequential). Prints Markdown.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { streamRecords } from '../src/cli/client.js';
import { ROOT } from './lib/glove-data.js';
import { sentences } from './lib/sentences.js';
import { poster, serveProcess, waitIndexed } from './lib/server.js';

const { values } = parseArgs({ options: { n: { type: 'string' }, quick: { type: 'boolean' } } });
const n = Number(values.n ?? (values.quick ? 10000 : 100000));
const texts = sentences(n + 300);
const queries = texts.slice(n).map((t) => t.split(' ').slice(0, 6).join(' '));
const lines = texts.slice(0, n).map((t, i) => JSON.stringify({ id: `t${i}`, text: t, metadata: { i, group: i % 10 } }));

const dataDir = mkdtempSync(join(tmpdir(), 'vectra-ingest-bench-'));
const server = await serveProcess(dataDir);
const post = poster(server.url);
const { apiKey } = await post('/v1/auth/register', { name: 'bench' });
await post('/v1/collections', { name: 'c' }, apiKey);

const t0 = performance.now();
const summary = await streamRecords(server.url, apiKey, 'c', lines, () => undefined);
const streamSeconds = (performance.now() - t0) / 1000;
if (summary.upserted !== n) throw new Error(`stream: ${JSON.stringify(summary)}`);
// Dense search while much of the collection still waits for the graph (searched exactly).
const during = await post('/v1/collections/c/search', { text: queries[0], k: 10, return: 'id' }, apiKey);
const duringMs = during.took_ms as number;
await waitIndexed(server.url, apiKey, 'c');
const indexedSeconds = (performance.now() - t0) / 1000;

// The same records from a file through `vectra import`, into a second collection.
await post('/v1/collections', { name: 'd' }, apiKey);
const file = join(dataDir, 'records.ndjson');
writeFileSync(file, `${lines.join('\n')}\n`);
const t1 = performance.now();
const cli = spawnSync(process.execPath, [join(ROOT, 'dist/cli/main.js'), 'import', file, '--collection', 'd', '--no-progress'], { env: { ...process.env, VECTRA_URL: server.url, VECTRA_API_KEY: apiKey }, encoding: 'utf8' });
const importSeconds = (performance.now() - t1) / 1000;
if (cli.status !== 0) throw new Error(`vectra import: ${cli.stdout} ${cli.stderr}`);
await waitIndexed(server.url, apiKey, 'd');

async function latency(mode: string): Promise<{ p50: number; p99: number; qps: number }> {
  const times: number[] = [];
  for (const [j, q] of queries.entries()) {
    const t = performance.now();
    const r = await post('/v1/collections/c/search', { text: q, mode, k: 10, return: 'id' }, apiKey);
    if (j >= 20) times.push(performance.now() - t); // the first 20 warm up
    if (!Array.isArray(r.results)) throw new Error(JSON.stringify(r));
  }
  times.sort((a, b) => a - b);
  const sum = times.reduce((a, b) => a + b, 0);
  return { p50: times[Math.floor(times.length * 0.5)], p99: times[Math.floor(times.length * 0.99)], qps: times.length / (sum / 1000) };
}
const modes = { dense: await latency('dense'), keyword: await latency('keyword'), hybrid: await latency('hybrid') };
await server.stop();
rmSync(dataDir, { recursive: true, force: true });

console.log(`## Ingest and search modes (\`npm run bench:ingest${values.quick ? ' -- --quick' : ''}\`)\n`);
console.log(`node ${process.version}, ${new Date().toISOString().slice(0, 10)}, ${availableParallelism()} cores; ${n.toLocaleString('en-US')} synthetic sentences (8–20 words) with metadata, built-in model glove-100d-v2, HNSW defaults\n`);
console.log('| measure | result |\n|---|---|');
console.log(`| POST /records/stream, one NDJSON body, end to end (embed + SQLite + FTS5 + HNSW) | ${Math.round(n / streamSeconds).toLocaleString('en-US')} texts/s (${streamSeconds.toFixed(1)} s) |`);
console.log(`| … until every record is in the HNSW graph (background indexing caught up), from the stream's start | ${indexedSeconds.toFixed(1)} s (${Math.round(n / indexedSeconds).toLocaleString('en-US')} records/s) |`);
console.log(`| one dense search right after the stream, before the graph caught up (exact over the waiting records) | ${duringMs.toFixed(1)} ms |`);
console.log(`| \`vectra import\` of the same records from an .ndjson file (process start to exit) | ${Math.round(n / importSeconds).toLocaleString('en-US')} texts/s (${importSeconds.toFixed(1)} s) |`);
for (const [mode, m] of Object.entries(modes)) {
  console.log(`| search ${mode} once indexed, 1 client, k 10, ids (${queries.length - 20} queries of 6 words) | p50 ${m.p50.toFixed(2)} ms, p99 ${m.p99.toFixed(2)} ms, ${Math.round(m.qps)} QPS |`);
}
