/**
 * npm run bench:build-order
 *
 * Does the way a graph is grown change its quality? The first 100,000 GloVe 100-d vectors,
 * M 16 / efConstruction 200 / one insert thread, added in batches of several sizes — by raw
 * usearch (capacity grows inside the add that needs it) and by the engine's HnswIndex (grows
 * with a one-vector add first) — then recall@10 at ef 160 on 1,000 held-out words against
 * exact ground truth. usearch recreates its thread contexts, and with them each context's
 * level generator (default seed), at every capacity growth: see docs/engine.md.
 */
import { createRequire } from 'node:module';
import { HnswIndex } from '../src/engine/hnsw-index.js';
import type { CollectionConfig } from '../src/engine/types.js';
import { prepareVector } from '../src/vector/math.js';
import { gloveData, groundTruth, queryWords, recallAt, vec } from './lib/glove-data.js';

const { Index } = createRequire(import.meta.url)('usearch');
const N = 100_000;
const D = 100;
const EF = 160;
const BATCHES = [1000, 3000, 4096, N];
const g = gloveData();
const all = new Float32Array(N * D);
for (let i = 0; i < N; i++) all.set(prepareVector('cosine', vec(g, i)), i * D);
const words = queryWords(g, 1000);
const truth = groundTruth(g, N, words, 'cosine', 10);
const queries = words.map((w) => prepareVector('cosine', vec(g, w)));
const config = { dimension: D, metric: 'cosine', storage: 'f32', index: { type: 'hnsw', m: 16, efConstruction: 200, efSearch: EF }, attributes: {} } as unknown as CollectionConfig;

function raw(batch: number): number {
  const index = new Index({ dimensions: D, metric: 'ip', quantization: 'f32', connectivity: 16, expansion_add: 200, expansion_search: 1, multi: false });
  for (let s = 0; s < N; s += batch) {
    const n = Math.min(batch, N - s);
    index.add(BigUint64Array.from({ length: n }, (_, i) => BigInt(s + i)), all.subarray(s * D, (s + n) * D), 1);
  }
  return recallAt(queries.map((q) => Array.from(index.search(q, EF, 1).keys as BigUint64Array).slice(0, 10).map(Number)), truth, 10);
}

function engine(batch: number): number {
  const index = new HnswIndex(config, 1);
  for (let s = 0; s < N; s += batch) {
    const n = Math.min(batch, N - s);
    index.add(Array.from({ length: n }, (_, i) => s + i), all.subarray(s * D, (s + n) * D));
  }
  return recallAt(queries.map((q) => index.search(q, 10, EF).labels), truth, 10);
}

console.log(`GloVe ${N.toLocaleString('en-US')} × ${D}, M 16, efConstruction 200, 1 insert thread; recall@10 at ef ${EF}, 1,000 queries\n`);
console.log('| batch | raw usearch | engine (HnswIndex) |');
console.log('|---|---|---|');
for (const b of BATCHES) console.log(`| ${b.toLocaleString('en-US')} | ${raw(b).toFixed(3)} | ${engine(b).toFixed(3)} |`);
