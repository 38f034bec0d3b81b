/**
 * npm run bench:insights-explain -- [--n 100000] [--dim 100] [--queries 200] [--rounds 5] [--only 'keyword|dense, broad']
 *
 * What `explain: true` costs a search: the same queries with and without it, in one run, in
 * process through the search service of a real server (HTTP only to set up), so the figure is
 * the search's own and not the network's. Modes: dense (no filter), dense with a broad filter
 * (a widening graph walk), dense with a selective one (exact scan of its matches), keyword,
 * hybrid. Rounds alternate off/on to spread drift; per mode it prints the median per-search time
 * off and on (over rounds, each round the mean over the queries) and the ratio on/off.
 *
 * Note: without explain, an unfiltered dense search goes through the batcher (one setImmediate
 * for a lone request); with explain it runs on its own (search-planner.ts, searchBatched), so
 * the "dense" ratio also carries that difference.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { startServer } from '../src/server.js';
import { mulberry32 } from '../src/random.js';

const { values } = parseArgs({ options: { n: { type: 'string' }, dim: { type: 'string' }, queries: { type: 'string' }, rounds: { type: 'string' }, only: { type: 'string' } } });
const N = Number(values.n ?? 100_000);
const DIM = Number(values.dim ?? 100);
const QUERIES = Number(values.queries ?? 200);
const ROUNDS = Number(values.rounds ?? 5);

const WORDS = 'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu'.split(' ');
const rnd = mulberry32(42);
const vector = () => Array.from({ length: DIM }, () => rnd() * 2 - 1);
const text = () => Array.from({ length: 8 }, () => WORDS[Math.floor(rnd() * WORDS.length)]).join(' ');

const dataDir = mkdtempSync(join(tmpdir(), 'vectra-bench-explain-'));
const server = await startServer(loadConfig({ PORT: '0', VECTRA_DATA_DIR: dataDir, VECTRA_LOG_LEVEL: 'silent', VECTRA_MODEL_DOWNLOADS: 'off', VECTRA_RATE_LIMIT: '10000000' }));
await server.ready;
const reg = (await (await fetch(`${server.url}/v1/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"bench"}' })).json()) as { apiKey: string; tenant: { id: string } };
const http = async (method: string, path: string, body?: unknown) => {
  const r = await fetch(server.url + path, { method, headers: { authorization: `Bearer ${reg.apiKey}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
  return r.json() as Promise<Record<string, unknown>>;
};

await http('POST', '/v1/collections', { name: 'bench', model: 'none', dimension: DIM });
const t0 = performance.now();
for (let i = 0; i < N; i += 1000) {
  const records = Array.from({ length: Math.min(1000, N - i) }, (_, j) => ({ id: `r${i + j}`, vector: vector(), text: text(), metadata: { color: (i + j) % 5, rare: (i + j) % 1000 === 0 } }));
  await http('POST', '/v1/collections/bench/records', { records });
}
while ((await http('GET', '/v1/collections/bench')).unindexed !== 0) await new Promise((r) => setTimeout(r, 200));
process.stdout.write(`# ${N} records × ${DIM}-d loaded and indexed in ${((performance.now() - t0) / 1000).toFixed(1)} s; ${QUERIES} queries × ${ROUNDS} rounds per mode\n`);

const queries = Array.from({ length: QUERIES }, () => ({ vector: vector(), text: text().split(' ').slice(0, 2).join(' ') }));
const modes: [string, (q: (typeof queries)[number]) => Record<string, unknown>][] = [
  ['dense', (q) => ({ vector: q.vector, k: 10, return: 'id' })],
  ['dense, broad filter (1 in 5)', (q) => ({ vector: q.vector, k: 10, filter: { color: 0 }, return: 'id' })],
  ['dense, selective filter (1 in 1000)', (q) => ({ vector: q.vector, k: 10, filter: { rare: true }, return: 'id' })],
  ['keyword', (q) => ({ text: q.text, mode: 'keyword', k: 10, return: 'id' })],
  ['hybrid', (q) => ({ text: q.text, vector: q.vector, mode: 'hybrid', k: 10, return: 'id' })],
];

const search = server.services.search;
async function meanMs(body: (q: (typeof queries)[number]) => Record<string, unknown>, explain: boolean): Promise<number> {
  const start = performance.now();
  for (const q of queries) await search.search(reg.tenant.id, 'bench', { ...body(q), ...(explain ? { explain: true } : {}) });
  return (performance.now() - start) / queries.length;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

process.stdout.write('| mode | off ms/search | explain ms/search | ratio |\n|---|---|---|---|\n');
for (const [name, body] of modes.filter(([m]) => values.only === undefined || values.only.split('|').some((o) => m.startsWith(o)))) {
  await meanMs(body, false); // warm-up
  await meanMs(body, true);
  const off: number[] = [];
  const on: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    if (r % 2 === 0) {
      off.push(await meanMs(body, false));
      on.push(await meanMs(body, true));
    } else {
      on.push(await meanMs(body, true));
      off.push(await meanMs(body, false));
    }
  }
  const a = median(off);
  const b = median(on);
  process.stdout.write(`| ${name} | ${a.toFixed(3)} | ${b.toFixed(3)} | ${(b / a).toFixed(3)} |\n`);
}

await server.close();
rmSync(dataDir, { recursive: true, force: true });
