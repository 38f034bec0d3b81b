/**
 * One benchmark cell, in its own process so resident memory is its own:
 *   node --import tsx bench/engine-run.ts <system> <n> <ef,ef,...> <queries>
 * system: engine-f32 | engine-f16 | engine-i8 | engine-binary | engine-pq | engine-exact | raw-usearch
 * Prints one JSON line.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as Usearch from 'usearch';
import { Collection, type SearchResult } from '../src/engine/index.js';
import { DEFAULT_HNSW } from '../src/engine/collection-config.js';
import { prepareVector } from '../src/vector/math.js';
import { gloveData, groundTruth, queryWords, recallAt, vec } from './lib/glove-data.js';

const [system, nArg, efArg, qArg] = process.argv.slice(2);
const n = Number(nArg);
const efs = efArg.split(',').map(Number);
const g = gloveData();
const queries = queryWords(g, Number(qArg));
const truth = groundTruth(g, n, queries, 'cosine', 10);
const quiet = { info() {}, warn() {}, error() {} };

function dirBytes(dir: string): number {
  return readdirSync(dir).reduce((s, f) => s + statSync(join(dir, f)).size, 0);
}

interface Point { ef: number; qps: number; recall: number; p50: number; p99: number }

/** A system: a search returning its native answer, and how to turn that into word indexes. */
interface System {
  search(q: Float32Array, ef: number): unknown;
  decode(answer: unknown): number[];
}

/** One pass over the queries at one ef; answers are decoded after the clock stops. */
function pass(sys: System, ef: number): Point {
  const answers: unknown[] = [];
  const lat: number[] = [];
  const t0 = performance.now();
  for (const q of queries) {
    const t = performance.now();
    answers.push(sys.search(vec(g, q), ef));
    lat.push(performance.now() - t);
  }
  const secs = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  const got = answers.map((a) => sys.decode(a));
  return { ef, qps: queries.length / secs, recall: recallAt(got, truth, 10), p50: lat[Math.floor(lat.length * 0.5)], p99: lat[Math.floor(lat.length * 0.99)] };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * For each ef: warm up, then ROUNDS passes of every system in turn (interleaved, so a noisy
 * neighbour hits all alike); report the median pass of each.
 */
const ROUNDS = 5;
function sweep(systems: Record<string, System>) {
  const out: Record<string, Point[]> = Object.fromEntries(Object.keys(systems).map((k) => [k, []]));
  for (const ef of efs) {
    const runs: Record<string, Point[]> = Object.fromEntries(Object.keys(systems).map((k) => [k, []]));
    for (const f of Object.values(systems)) for (let i = 0; i < Math.min(200, queries.length); i++) f.search(vec(g, queries[i]), ef);
    for (let r = 0; r < ROUNDS; r++) for (const [name, f] of Object.entries(systems)) runs[name].push(pass(f, ef));
    for (const [name, ps] of Object.entries(runs)) {
      const m = median(ps.map((p) => p.qps));
      out[name].push({ ...ps.find((p) => p.qps === m)!, qps: m });
    }
  }
  return out;
}

function settle(): number {
  for (let i = 0; i < 3; i++) global.gc?.();
  return process.memoryUsage().rss;
}

const rss0 = settle();
const dir = mkdtempSync(join(tmpdir(), 'vectra-bench-'));
let result: Record<string, unknown>;

if (system === 'raw-usearch') {
  const { Index } = createRequire(import.meta.url)('usearch') as typeof Usearch;
  const make = () => new Index({ dimensions: g.dim, metric: 'ip', quantization: 'f32', connectivity: DEFAULT_HNSW.m, expansion_add: DEFAULT_HNSW.efConstruction, expansion_search: 1, multi: false } as unknown as Usearch.IndexConfig);
  const index = make();
  const t0 = performance.now();
  const batch = 5000;
  for (let s = 0; s < n; s += batch) {
    const e = Math.min(n, s + batch);
    const m = new Float32Array((e - s) * g.dim);
    for (let i = s; i < e; i++) m.set(prepareVector('cosine', vec(g, i)), (i - s) * g.dim);
    const keys = new BigUint64Array(e - s);
    for (let i = s; i < e; i++) keys[i - s] = BigInt(i);
    index.add(keys, m, 0);
  }
  const build = (performance.now() - t0) / 1000;
  const rss = settle() - rss0;
  const file = join(dir, 'raw.usearch');
  index.save(file);
  const t1 = performance.now();
  const reopened = make();
  reopened.load(file);
  const reopen = (performance.now() - t1) / 1000;
  const runs = sweep({
    raw: {
      search: (q, ef) => reopened.search(prepareVector('cosine', q), Math.max(10, ef), 1),
      decode: (a) => Array.from((a as Usearch.Matches).keys.subarray(0, 10), Number),
    },
  }).raw;
  result = { system, n, build, rssMB: rss / 2 ** 20, diskMB: statSync(file).size / 2 ** 20, reopen, runs };
} else {
  const storage = system === 'engine-exact' ? 'f32' : (system.split('-')[1] as 'f32' | 'f16' | 'i8' | 'binary' | 'pq');
  // Binary and PQ codes are scanned (no graph); exact is a flat f32 scan.
  const graphless = system === 'engine-exact' || storage === 'binary' || storage === 'pq';
  const index = system === 'engine-exact' ? { type: 'flat' as const } : undefined;
  const t0 = performance.now();
  const c = await Collection.create(join(dir, 'c'), { dimension: g.dim, storage, index }, { logger: quiet });
  const batch = 5000;
  for (let s = 0; s < n; s += batch) {
    const records = [];
    for (let i = s; i < Math.min(n, s + batch); i++) records.push({ id: g.words[i], vector: vec(g, i) });
    c.upsert(records);
  }
  // PQ trains its codebooks in a background build; wait for it (part of the build time).
  if (storage === 'pq') await c.snapshot();
  const build = (performance.now() - t0) / 1000;
  const rss = settle() - rss0;
  const t1 = performance.now();
  await c.close();
  const snapshot = (performance.now() - t1) / 1000;
  const t2 = performance.now();
  const c2 = await Collection.open(join(dir, 'c'), { logger: quiet });
  const reopen = (performance.now() - t2) / 1000;
  const wordIndex = new Map(g.words.map((w, i) => [w, i]));
  // The same usearch graph the engine searches, called directly: the engine's overhead on
  // identical work (separate builds differ in recall by a point or two).
  const graph = (c2 as unknown as { live: { index: { search(q: Float32Array, k: number, b: number): { labels: number[] } } } }).live.index;
  const labelToWord = (l: number) => l - 1; // labels are assigned 1.. in insertion order
  const systems: Record<string, System> = {
    engine: {
      search: (q, ef) => c2.search({ vector: q, k: 10, ef, include: 'id' }),
      decode: (a) => (a as SearchResult).hits.map((h) => wordIndex.get(h.id)!),
    },
  };
  if (!graphless) {
    systems.sameGraph = {
      search: (q, ef) => graph.search(prepareVector('cosine', q), 10, ef),
      decode: (a) => (a as { labels: number[] }).labels.map(labelToWord),
    };
  }
  const swept = sweep(systems);
  result = { system, n, build, snapshot, rssMB: rss / 2 ** 20, diskMB: dirBytes(join(dir, 'c')) / 2 ** 20, reopen, runs: swept.engine, sameGraph: swept.sameGraph };
  await c2.close();
}
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify(result));
