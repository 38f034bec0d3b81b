/**
 * npm run bench:restart [-- --n 100000] [--root DIR]
 *
 * Ready after a crash: N GloVe 100-d vectors loaded over HTTP in batches of 1,000 (two requests
 * in flight), `kill -9` right after the last acknowledgement, then a restart over the same data
 * directory. Prints: the time from the new process's start to `/ready` answering 200, to its
 * first search, and the recall@10 and latency of the first 300 searches against the exact top 10
 * (held-out GloVe words as queries) — while the graph is still catching up — and whether every
 * acknowledged record is there. Prints Markdown. `/ready` is polled on a port chosen before the
 * restart, from the moment the process is spawned (not once its log says where it listens).
 * `--root`: the build of another checkout (to compare commits in one run).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gloveData, groundTruth, queryWords, ROOT, vec } from './lib/glove-data.js';
import { poster, serveProcess, upsertAll } from './lib/server.js';
import { freePort } from '../test/support/services.js';

const { values } = parseArgs({ options: { n: { type: 'string' }, root: { type: 'string' } } });
const root = values.root ?? ROOT;
const n = Number(values.n ?? 100000);
const g = gloveData();
const queries = queryWords(g, 300);
const truth = groundTruth(g, n, queries, 'cosine', 10);

const dir = mkdtempSync(join(tmpdir(), 'vectra-restart-bench-'));
let server = await serveProcess(dir, [], [], root);
let post = poster(server.url);
const { apiKey } = await post('/v1/auth/register', { name: 'bench' });
await post('/v1/collections', { name: 'c', model: 'none', dimension: 100 }, apiKey);
const t0 = performance.now();
await upsertAll(post, apiKey, 'c', n, 1000, (i) => ({ id: String(i), vector: Array.from(vec(g, i)) }));
const loadSeconds = (performance.now() - t0) / 1000;
server.proc.kill('SIGKILL');
await server.exited;

const port = await freePort();
const url = `http://127.0.0.1:${port}`;
const started = performance.now();
const spawning = serveProcess(dir, ['--port', String(port)], [], root);
for (;;) {
  const status = await fetch(`${url}/ready`).then((r) => r.status, () => 0);
  if (status === 200) break;
  await new Promise((r) => setTimeout(r, 20));
}
const readyMs = performance.now() - started;
server = await spawning;
post = poster(server.url);
const times: number[] = [];
let found = 0;
let firstMs = 0;
for (const [j, q] of queries.entries()) {
  const t = performance.now();
  const r = await post('/v1/collections/c/search', { vector: Array.from(vec(g, q)), k: 10, return: 'id' }, apiKey);
  times.push(performance.now() - t);
  if (j === 0) firstMs = performance.now() - started;
  const want = new Set(truth[j].map(String));
  found += (r.results as { id: string }[]).filter((h) => want.has(h.id)).length;
}
const view = await (await fetch(`${server.url}/v1/collections/c`, { headers: { authorization: `Bearer ${apiKey}` } })).json();
await server.stop();
rmSync(dir, { recursive: true, force: true });

times.sort((a, b) => a - b);
const pct = (p: number) => times[Math.min(times.length - 1, Math.floor(times.length * p))].toFixed(2);
console.log(`## Ready after kill -9 — ${n.toLocaleString('en')} GloVe 100-d vectors, node ${process.version}, ${new Date().toISOString().slice(0, 10)}\n`);
console.log('| loaded in s | records after restart | ready after s | first search answered after s | recall@10, first 300 searches | p50 / p99 ms | still waiting for the graph after them |');
console.log('|---|---|---|---|---|---|---|');
console.log(`| ${loadSeconds.toFixed(1)} | ${view.count} | ${(readyMs / 1000).toFixed(2)} | ${(firstMs / 1000).toFixed(2)} | ${(found / (queries.length * 10)).toFixed(3)} | ${pct(0.5)} / ${pct(0.99)} | ${view.unindexed} |`);
