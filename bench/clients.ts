/**
 * npm run bench:clients [-- --records 100000 --searches 2000 --rounds 3]
 *
 * What a client costs (issue 22): the same search load — `records` GloVe 100-d vectors, k 10,
 * ids only, sequential, one connection kept alive — sent to the built `vectra serve` (npm
 * start's flags, logging at info as in production) three ways:
 * - raw `fetch` POST /v1/collections/{name}/search, the answer parsed as JSON;
 * - `@vectra/client`'s `collection(name).search(...)` (retries, timeouts, typed answers);
 * - the official `@qdrant/js-client-rest` `query(...)` against Vectra's /qdrant subset.
 * Interleaved in `rounds` rounds (each way in turn, in a rotating order), so a drift in the
 * machine's speed falls on all three; per way: searches/s and p50/p99 latency, and the
 * ratio to raw fetch.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { QdrantClient } from '@qdrant/js-client-rest';
import { Vectra } from '../packages/client/src/index.js';
import { gloveData, queryWords, vec } from './lib/glove-data.js';
import { poster, serveProcess, upsertAll, waitIndexed } from './lib/server.js';

const { values } = parseArgs({ options: { records: { type: 'string' }, searches: { type: 'string' }, rounds: { type: 'string' } } });
const RECORDS = Number(values.records ?? 100_000);
const SEARCHES = Number(values.searches ?? 2000);
const ROUNDS = Number(values.rounds ?? 3);

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const f = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

const g = gloveData();
const queries = queryWords(g, SEARCHES).map((i) => Array.from(vec(g, i)));
const dataDir = mkdtempSync(join(tmpdir(), 'vectra-bench-clients-'));
const server = await serveProcess(dataDir);
const post = poster(server.url);
try {
  const { apiKey: key } = await post('/v1/auth/register', { name: 'bench-clients' });
  await post('/v1/collections', { name: 'glove', model: 'none', dimension: 100, metric: 'cosine' }, key);
  await upsertAll(post, key, 'glove', RECORDS, 1000, (i) => ({ id: String(i), vector: Array.from(vec(g, i)) }));
  await waitIndexed(server.url, key, 'glove');

  const vectra = new Vectra({ url: server.url, apiKey: key });
  const sdk = vectra.collection('glove');
  const qdrant = new QdrantClient({ url: server.url, prefix: '/qdrant', apiKey: key, checkCompatibility: false });
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const ways: Record<string, (q: number[]) => Promise<number>> = {
    'raw fetch': async (q) => {
      const res = await fetch(`${server.url}/v1/collections/glove/search`, { method: 'POST', headers, body: JSON.stringify({ vector: q, k: 10, return: 'id' }) });
      return ((await res.json()) as { results: unknown[] }).results.length;
    },
    '@vectra/client': async (q) => (await sdk.search({ vector: q, k: 10, return: 'id' })).results.length,
    '@qdrant/js-client-rest → /qdrant': async (q) => (await qdrant.query('glove', { query: q, limit: 10, with_payload: false })).points.length,
  };
  // Warm-up: each way a few hundred searches (JIT, connections, caches).
  for (const run of Object.values(ways)) for (const q of queries.slice(0, 200)) if ((await run(q)) !== 10) throw new Error('a search answered fewer than 10 hits');

  const times: Record<string, number[]> = Object.fromEntries(Object.keys(ways).map((w) => [w, []]));
  const seconds: Record<string, number> = Object.fromEntries(Object.keys(ways).map((w) => [w, 0]));
  const names = Object.keys(ways);
  for (let round = 0; round < ROUNDS; round++) {
    for (let j = 0; j < names.length; j++) {
      const name = names[(round + j) % names.length];
      const t0 = performance.now();
      for (const q of queries) {
        const s = performance.now();
        await ways[name](q);
        times[name].push(performance.now() - s);
      }
      seconds[name] += (performance.now() - t0) / 1000;
    }
  }
  const base = (SEARCHES * ROUNDS) / seconds['raw fetch'];
  console.log(`\n### Clients: ${f(SEARCHES * ROUNDS)} sequential searches each (k 10, ids) over ${f(RECORDS)} GloVe 100-d vectors, interleaved in ${ROUNDS} rounds\n`);
  console.log('| client | searches/s | p50 | p99 | throughput vs raw fetch |');
  console.log('|---|---|---|---|---|');
  for (const name of names) {
    const rate = (SEARCHES * ROUNDS) / seconds[name];
    console.log(`| ${name} | ${f(rate)} | ${f(pct(times[name], 50), 3)} ms | ${f(pct(times[name], 99), 3)} ms | ${f(rate / base, 3)} |`);
  }
} finally {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
