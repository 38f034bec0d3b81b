/**
 * npm run bench:clients [-- --records 100000 --searches 2000 --filtered 300 --rounds 2]
 *
 * What a client, and the Qdrant-compatible layer, cost per search (issue 22). The built
 * `vectra serve` (npm start's flags, logging at info as in production, the rate limit raised
 * out of the way) holds `records` GloVe 100-d vectors (model "none", cosine, payload
 * {g: i mod 10}, indexed). The same k-10 searches (ids only) go, one in flight and eight in
 * flight, through:
 * - raw `fetch` → POST /v1/collections/{name}/search, the answer parsed;
 * - `@vectra/client`'s `collection(name).search(...)` (typed, with retries and timeouts);
 * - raw `fetch` → POST /qdrant/collections/{name}/points/query;
 * - the official `@qdrant/js-client-rest` `query(...)` → /qdrant.
 * Unfiltered (`searches` per cell) and with a 10 % filter (g = 3; `filtered` per cell).
 * The paths alternate, in rotating order, over `rounds`; per cell: searches/s, mean latency,
 * and throughput as a ratio to raw fetch → /v1 in the same run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { QdrantClient } from '@qdrant/js-client-rest';
import { Vectra } from '../packages/client/src/index.js';
import { gloveData, queryWords, vec } from './lib/glove-data.js';
import { poster, serveProcess, upsertAll, waitIndexed } from './lib/server.js';

const { values } = parseArgs({ options: { records: { type: 'string' }, searches: { type: 'string' }, filtered: { type: 'string' }, rounds: { type: 'string' } } });
const RECORDS = Number(values.records ?? 100_000);
const SEARCHES = Number(values.searches ?? 2000);
const FILTERED = Number(values.filtered ?? 300);
const ROUNDS = Number(values.rounds ?? 2);

const f = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

const g = gloveData();
const queries = queryWords(g, SEARCHES).map((i) => Array.from(vec(g, i)));
const dataDir = mkdtempSync(join(tmpdir(), 'vectra-bench-clients-'));
const server = await serveProcess(dataDir, [], [], undefined, { VECTRA_RATE_LIMIT: '10000000' });
const post = poster(server.url);
try {
  const { apiKey: key } = await post('/v1/auth/register', { name: 'bench-clients' });
  await post('/v1/collections', { name: 'glove', model: 'none', dimension: 100, metric: 'cosine' }, key);
  await upsertAll(post, key, 'glove', RECORDS, 1000, (i) => ({ id: String(i), vector: Array.from(vec(g, i)), metadata: { g: i % 10 } }));
  await waitIndexed(server.url, key, 'glove');

  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const sdk = new Vectra({ url: server.url, apiKey: key }).collection('glove');
  const qdrant = new QdrantClient({ url: server.url, prefix: '/qdrant', apiKey: key, checkCompatibility: false });
  const qFilter = { must: [{ key: 'g', match: { value: 3 } }] };
  type Search = (q: number[], filtered: boolean) => Promise<number>;
  const paths: [string, Search][] = [
    ['raw fetch → /v1 search', async (q, filtered) => {
      const res = await fetch(`${server.url}/v1/collections/glove/search`, { method: 'POST', headers, body: JSON.stringify({ vector: q, k: 10, return: 'id', ...(filtered ? { filter: { g: 3 } } : {}) }) });
      return ((await res.json()) as { results: unknown[] }).results.length;
    }],
    ['@vectra/client → /v1 search', async (q, filtered) => (await sdk.search({ vector: q, k: 10, return: 'id', ...(filtered ? { filter: { g: 3 } } : {}) })).results.length],
    ['raw fetch → /qdrant query', async (q, filtered) => {
      const res = await fetch(`${server.url}/qdrant/collections/glove/points/query`, { method: 'POST', headers: { 'api-key': key, 'content-type': 'application/json' }, body: JSON.stringify({ query: q, limit: 10, ...(filtered ? { filter: qFilter } : {}) }) });
      return ((await res.json()) as { result: { points: unknown[] } }).result.points.length;
    }],
    ['@qdrant/js-client-rest → /qdrant query', async (q, filtered) => (await qdrant.query('glove', { query: q, limit: 10, with_payload: false, ...(filtered ? { filter: qFilter } : {}) })).points.length],
  ];

  async function run(search: Search, filtered: boolean, inFlight: number): Promise<{ seconds: number; latency: number; n: number }> {
    const n = filtered ? FILTERED : SEARCHES;
    let next = 0;
    let latency = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        for (let i = next++; i < n; i = next++) {
          const s = performance.now();
          if ((await search(queries[i % queries.length], filtered)) !== 10) throw new Error('a search answered fewer than 10 hits');
          latency += performance.now() - s;
        }
      }),
    );
    return { seconds: (performance.now() - t0) / 1000, latency, n };
  }

  for (const [, search] of paths) await run(search, false, 4); // warm-up: JIT, connections, caches
  const cells = new Map<string, { seconds: number; latency: number; n: number }>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const filtered of [false, true]) {
      for (const inFlight of [1, 8]) {
        for (let j = 0; j < paths.length; j++) {
          const [label, search] = paths[(round + j) % paths.length];
          const m = await run(search, filtered, inFlight);
          const key = JSON.stringify([label, filtered, inFlight]);
          const acc = cells.get(key) ?? { seconds: 0, latency: 0, n: 0 };
          cells.set(key, { seconds: acc.seconds + m.seconds, latency: acc.latency + m.latency, n: acc.n + m.n });
        }
      }
    }
  }
  console.log(`\n### Clients: ${f(RECORDS)} GloVe 100-d vectors, k 10, ids only; ${f(SEARCHES)} searches per cell (${f(FILTERED)} filtered), ${ROUNDS} rounds\n`);
  console.log('| path | filter | in flight | searches/s | mean ms | throughput vs raw fetch → /v1 |');
  console.log('|---|---|---|---|---|---|');
  for (const filtered of [false, true]) {
    for (const inFlight of [1, 8]) {
      const base = cells.get(JSON.stringify([paths[0][0], filtered, inFlight]))!;
      for (const [label] of paths) {
        const c = cells.get(JSON.stringify([label, filtered, inFlight]))!;
        console.log(`| ${label} | ${filtered ? 'g = 3 (10 %)' : '—'} | ${inFlight} | ${f(c.n / c.seconds)} | ${f(c.latency / c.n, 2)} | ${f(c.n / c.seconds / (base.n / base.seconds), 3)} |`);
      }
    }
  }
} finally {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
