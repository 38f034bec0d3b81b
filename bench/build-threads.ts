/**
 * npm run bench:build-threads [-- --n 100000] [--threads 1,2]
 *
 * Background graph builds on one thread and on every core, in one run. For each thread count:
 * a collection (deferred indexing, M 16 / efC 200, cosine) takes the first n GloVe 100-d
 * vectors in one write, and its worker builds the graph: once with nothing else running, once
 * while this thread searches without a pause (k 10, held-out words), timing each search.
 * Prints the build times (acknowledged write → graph holds every vector, including the relink
 * pass above one thread), search latency p50/p99 during the build, recall@10 at ef 64 and 200
 * against exact ground truth afterwards, and the records that their own vector does not find
 * (k 1, ef 64). Prints Markdown.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Collection } from '../src/engine/index.js';
import { gloveData, groundTruth, queryWords, recallAt, vec } from './lib/glove-data.js';

const { values } = parseArgs({ options: { n: { type: 'string' }, threads: { type: 'string' } } });
const n = Number(values.n ?? 100000);
const threadCounts = (values.threads ?? '1,2').split(',').map(Number);
const g = gloveData();
const words = queryWords(g, 300);
const truth = groundTruth(g, n, words, 'cosine', 10);
const queries = words.map((w) => Array.from(vec(g, w)));
const quiet = { info() {}, warn() {}, error() {} };
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

console.log(`## Background graph build threads — ${n.toLocaleString('en-US')} GloVe 100-d vectors, node ${process.version}, ${new Date().toISOString().slice(0, 10)}\n`);
console.log('| build threads | build s, idle | build s, searched meanwhile | searches during build | p50 / p99 ms during build | recall@10 ef 64 / ef 200 after | not found by own vector (k 1, ef 64) |');
console.log('|---|---|---|---|---|---|---|');
const records = () => Array.from({ length: n }, (_, i) => ({ id: String(i), vector: Array.from(vec(g, i)) }));
for (const threads of threadCounts) {
  const dir = mkdtempSync(join(tmpdir(), 'vectra-build-threads-'));
  const idle = await Collection.create(join(dir, 'idle'), { dimension: 100 }, { logger: quiet, deferIndexing: true, buildThreads: threads });
  idle.upsert(records());
  const ti = performance.now();
  await idle.indexed();
  const idleS = (performance.now() - ti) / 1000;
  await idle.close();
  const c = await Collection.create(join(dir, 'c'), { dimension: 100 }, { logger: quiet, deferIndexing: true, buildThreads: threads });
  c.upsert(records());
  const t0 = performance.now();
  let built = false;
  const done = c.indexed().then(() => {
    built = true;
  });
  const lat: number[] = [];
  for (let i = 0; !built; i++) {
    const t = performance.now();
    c.search({ vector: queries[i % queries.length], k: 10, include: 'id' });
    lat.push(performance.now() - t);
    await new Promise((r) => setImmediate(r));
  }
  await done;
  const buildS = (performance.now() - t0) / 1000;
  const recall = (ef: number) => recallAt(queries.map((q) => c.search({ vector: q, k: 10, ef, include: 'id' }).hits.map((h) => Number(h.id))), truth, 10);
  let unfound = 0;
  for (let i = 0; i < n; i++) {
    const h = c.search({ vector: Array.from(vec(g, i)), k: 1, ef: 64, include: 'id' }).hits[0];
    if (h?.id !== String(i) && (h?.score ?? 0) < 1 - 1e-6) unfound++;
  }
  console.log(`| ${threads} | ${idleS.toFixed(1)} | ${buildS.toFixed(1)} | ${lat.length} | ${pct(lat, 0.5).toFixed(2)} / ${pct(lat, 0.99).toFixed(2)} | ${recall(64).toFixed(3)} / ${recall(200).toFixed(3)} | ${unfound} |`);
  await c.close();
  rmSync(dir, { recursive: true, force: true });
}
