/**
 * npm run bench:raw-build
 *
 * The raw usearch library alone (no SQLite, no HTTP) building an HNSW graph over the first
 * 100,000 GloVe 100-d vectors for several efConstruction × insert-thread settings: build
 * rate, and recall@10 at ef 100 / 200 against exact ground truth on 1,000 held-out words.
 * It bounds what any ingest path built on the library can reach on this machine.
 * ("self-check" = share of vectors that a search at ef 16 for the vector itself misses.)
 */
import { createRequire } from 'node:module';
import { gloveData, queryWords, vec, groundTruth, recallAt } from './lib/glove-data.js';
import { prepareVector } from '../src/vector/math.js';
const { Index } = createRequire(import.meta.url)('usearch');
const g = gloveData();
const N = 100000, d = 100;
const m = new Float32Array(N * d);
for (let i = 0; i < N; i++) m.set(prepareVector('cosine', vec(g, i)), i * d);
const qs = queryWords(g, 1000);
const truth = groundTruth(g, N, qs, 'cosine', 10);
const qm = new Float32Array(qs.length * d);
qs.forEach((q, i) => qm.set(prepareVector('cosine', vec(g, q)), i * d));
for (const [efC, threads] of [[200, 1], [100, 1], [128, 1], [100, 2], [200, 2]] as const) {
  const idx = new Index({ dimensions: d, metric: 'ip', quantization: 'f32', connectivity: 16, expansion_add: efC, expansion_search: 1, multi: false });
  const t0 = performance.now();
  for (let s = 0; s < N; s += 1000) {
    const keys = new BigUint64Array(1000); for (let i = 0; i < 1000; i++) keys[i] = BigInt(s + i);
    idx.add(keys, m.subarray(s * d, (s + 1000) * d), threads);
  }
  const build = (performance.now() - t0) / 1000;
  // self-check: each vector finds itself
  const t1 = performance.now();
  let miss = 0;
  for (let s = 0; s < N; s += 1000) {
    const r = idx.search(m.subarray(s * d, (s + 1000) * d), 16, 1);
    for (let i = 0; i < 1000; i++) { let f = false; for (let j = 0; j < Number(r.counts[i]); j++) if (Number(r.keys[i * 16 + j]) === s + i) f = true; if (!f) miss++; }
  }
  const check = (performance.now() - t1) / 1000;
  for (const ef of [100, 200]) {
    const r = idx.search(qm, ef, 1);
    const got = qs.map((_, i) => Array.from(r.keys.subarray(i * ef, i * ef + 10), Number));
    console.log(`efC ${efC} threads ${threads}: build ${build.toFixed(1)} s (${Math.round(N / build)}/s), self-check ef16 ${check.toFixed(1)} s misses ${miss}; recall@10 ef${ef} ${recallAt(got, truth, 10).toFixed(4)}`);
  }
}
