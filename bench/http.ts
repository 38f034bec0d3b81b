/**
 * npm run bench:http [-- --n 100000] [-- --quick]
 *
 * The real server (a separate `vectra serve` process, built JS) on loopback: batch-upsert
 * throughput of GloVe 100-d vectors, then search QPS and latency with autocannon at 1 and 16
 * concurrent connections (each request a different held-out query vector). Prints Markdown
 * for docs/benchmarks.md. Not a test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { gloveData, queryWords, vec } from './lib/glove-data.js';
import { poster, serveProcess, upsertAll, waitIndexed } from './lib/server.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const nArg = args.indexOf('--n');
const N = nArg >= 0 ? Number(args[nArg + 1]) : quick ? 20000 : 100000;
const DURATION = quick ? 3 : 15;
const BATCH = 1000;
const g = gloveData();
const dataDir = mkdtempSync(join(tmpdir(), 'vectra-http-bench-'));

// BENCH_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the server.
const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
const server = await serveProcess(dataDir, ['--rate-limit', '10000000'], nodeArgs);
const url = server.url;
while ((await fetch(`${url}/ready`)).status !== 200) await new Promise((r) => setTimeout(r, 50));

const post = poster(url);
const { apiKey } = await post('/v1/auth/register', { name: 'bench' });
await post('/v1/collections', { name: 'glove', model: 'none', dimension: 100 }, apiKey);

// Batch upsert, two requests in flight.
const t0 = performance.now();
await upsertAll(post, apiKey, 'glove', N, BATCH, (i) => ({ id: g.words[i], vector: Array.from(vec(g, i)), metadata: { rank: i } }));
const upsertSecs = (performance.now() - t0) / 1000;
// Deferred indexing: batches of 1,000 are acknowledged after SQLite; search is measured once the graph has them all.
await waitIndexed(url, apiKey, 'glove');
const indexedSecs = (performance.now() - t0) / 1000;

const queries = queryWords(g, 1000).map((w) => JSON.stringify({ vector: Array.from(vec(g, w)), k: 10, return: 'id' }));
async function load(connections: number, body: 'id' | 'object') {
  let i = 0;
  const result = await autocannon({
    url: `${url}/v1/collections/glove/search`,
    connections,
    duration: DURATION,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    requests: [{ setupRequest: (req: any) => ({ ...req, body: body === 'id' ? queries[i++ % queries.length] : queries[i++ % queries.length].replace('"return":"id"', '"return":"object"') }) }],
  });
  return result;
}
// Warm-up, then measure.
await load(4, 'id');
const rows: string[] = [];
for (const [c, ret] of [[1, 'id'], [16, 'id'], [16, 'object']] as const) {
  const r = await load(c, ret);
  rows.push(`| ${c} | ${ret} | ${Math.round(r.requests.average)} | ${r.latency.p50} | ${r.latency.p99} | ${r.non2xx} | ${r.errors} |`);
}
const mem = await (await fetch(`${url}/metrics`)).text();
const rss = Number(/process_resident_memory_bytes (\d+)/.exec(mem)?.[1] ?? 0) / 2 ** 20;
await server.stop();
rmSync(dataDir, { recursive: true, force: true });

console.log(`## HTTP — ${N.toLocaleString('en')} GloVe 100-d vectors, cosine, HNSW defaults (M 16, efC 200, ef 200), loopback\n`);
console.log(`node ${process.version}, ${new Date().toISOString().slice(0, 10)}, server: \`vectra serve\` (one process), load: autocannon in another, ${DURATION} s per row\n`);
console.log(`Batch upsert (${BATCH} vectors per request, 2 in flight): **${Math.round(N / upsertSecs).toLocaleString('en')} vectors/s** acknowledged (${upsertSecs.toFixed(1)} s for ${N.toLocaleString('en')}); all in the HNSW graph after ${indexedSecs.toFixed(1)} s (${Math.round(N / indexedSecs).toLocaleString('en')} vectors/s); server RSS after the run ${rss.toFixed(0)} MB.\n`);
console.log('| connections | return | requests/s | p50 ms | p99 ms | non-2xx | errors |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
