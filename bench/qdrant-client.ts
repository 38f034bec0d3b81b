/**
 * node --import tsx bench/qdrant-client.ts [--n 20000] [--queries 2000] [--rounds 2]
 *
 * What the Qdrant-compatible layer costs per search. `vectra serve` (from source, its own
 * process, logging at info as in production) gets n random 128-d vectors (model "none", cosine, payload {g: i mod 10}, indexed);
 * then the same k-10 searches (ids only), one in flight and eight in flight, through:
 * raw fetch to Vectra's POST /v1/…/search, raw fetch to POST /qdrant/…/points/query, and
 * Qdrant's official client (`query`); each also with a filter (g = 3). Paths alternate over
 * `rounds`. Prints Markdown: searches per second and mean latency.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { QdrantClient } from '@qdrant/js-client-rest';
import { spawnServer } from '../test/support/spawn-server.js';
import { tempDir } from '../test/support/tmp.js';
import { vectorFor } from '../test/support/vectors.js';

const { values } = parseArgs({ options: { n: { type: 'string' }, queries: { type: 'string' }, rounds: { type: 'string' } } });
const N = Number(values.n ?? 20000);
const Q = Number(values.queries ?? 2000);
const ROUNDS = Number(values.rounds ?? 2);
const DIM = 128;
const ROOT = join(import.meta.dirname, '..');

const server = await spawnServer({
  cli: join(ROOT, 'src/cli/main.ts'),
  nodeArgs: ['--import', 'tsx'],
  dataDir: tempDir('vectra-bench-'),
  modelCache: join(ROOT, '.cache'),
  env: { VECTRA_LOG_LEVEL: 'info', VECTRA_RATE_LIMIT: '10000000', VECTRA_MODEL_DOWNLOADS: 'off' },
});
const reg = await fetch(`${server.url}/v1/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'bench' }) });
const key = ((await reg.json()) as { apiKey: string }).apiKey;
const v1 = (path: string, body: unknown) => fetch(server.url + path, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

await v1('/v1/collections', { name: 'b', model: 'none', dimension: DIM });
for (let s = 0; s < N; s += 1000) {
  const records = Array.from({ length: Math.min(1000, N - s) }, (_, j) => ({ id: String(s + j), vector: vectorFor(`v${s + j}`, DIM), metadata: { g: (s + j) % 10 } }));
  const r = await v1('/v1/collections/b/records', { records });
  if (r.status !== 200) throw new Error(await r.text());
}
for (;;) {
  const c = (await (await fetch(`${server.url}/v1/collections/b`, { headers: { authorization: `Bearer ${key}` } })).json()) as { unindexed: number };
  if (c.unindexed === 0) break;
  await new Promise((r) => setTimeout(r, 200));
}

const queries = Array.from({ length: 500 }, (_, i) => vectorFor(`q${i}`, DIM));
const client = new QdrantClient({ url: server.url, prefix: '/qdrant', apiKey: key, checkCompatibility: false });
const qfetch = (body: unknown) => fetch(`${server.url}/qdrant/collections/b/points/query`, { method: 'POST', headers: { 'api-key': key, 'content-type': 'application/json' }, body: JSON.stringify(body) });

type Search = (vector: number[], filtered: boolean) => Promise<unknown>;
const paths: [string, Search][] = [
  ['raw fetch → /v1 search', async (vector, filtered) => (await v1('/v1/collections/b/search', { vector, k: 10, return: 'id', ...(filtered ? { filter: { g: 3 } } : {}) })).json()],
  ['raw fetch → /qdrant query', async (vector, filtered) => (await qfetch({ query: vector, limit: 10, ...(filtered ? { filter: { must: [{ key: 'g', match: { value: 3 } }] } } : {}) })).json()],
  ['Qdrant client → /qdrant query', (vector, filtered) => client.query('b', { query: vector, limit: 10, ...(filtered ? { filter: { must: [{ key: 'g', match: { value: 3 } }] } } : {}) })],
];

async function run(search: Search, filtered: boolean, inFlight: number): Promise<{ qps: number; ms: number }> {
  let next = 0;
  let latency = 0;
  const t = performance.now();
  await Promise.all(Array.from({ length: inFlight }, async () => {
    for (let i = next++; i < Q; i = next++) {
      const s = performance.now();
      await search(queries[i % queries.length], filtered);
      latency += performance.now() - s;
    }
  }));
  return { qps: Q / ((performance.now() - t) / 1000), ms: latency / Q };
}

const results = new Map<string, { qps: number[]; ms: number[] }>();
for (const [, search] of paths) await run(search, false, 4); // warm-up
for (let r = 0; r < ROUNDS; r++) {
  for (const filtered of [false, true]) {
    for (const inFlight of [1, 8]) {
      for (const [label, search] of r % 2 ? [...paths].reverse() : paths) {
        const row = `${label} | ${filtered ? 'g = 3' : '—'} | ${inFlight}`;
        const m = await run(search, filtered, inFlight);
        const acc = results.get(row) ?? { qps: [], ms: [] };
        acc.qps.push(m.qps);
        acc.ms.push(m.ms);
        results.set(row, acc);
      }
    }
  }
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log(`\n${N} vectors, ${DIM}-d, k 10, ids only; ${Q} searches per cell, mean of ${ROUNDS} rounds\n`);
console.log('| path | filter | in flight | searches/s | mean ms |\n|---|---|---|---|---|');
for (const [row, m] of results) console.log(`| ${row} | ${Math.round(mean(m.qps))} | ${mean(m.ms).toFixed(2)} |`);
await server.stop();
process.exit(0);
