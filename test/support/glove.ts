import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { NpyWriter } from '../../src/compress/npy.js';
import { FlatIndex } from '../../src/engine/flat-index.js';
import type { Collection } from '../../src/engine/index.js';
import type { Metadata, Metric, RecordInput, SearchResult } from '../../src/engine/types.js';
import { prepareVector } from '../../src/vector/math.js';
import { defaultGloveCache, loadGlove, type GloveVectors } from '../../src/embed/glove.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

let cached: GloveVectors | null = null;

/** The real GloVe 100-d vectors from the npm package (converted once to a binary cache). */
export function glove(): GloveVectors {
  cached ??= loadGlove(defaultGloveCache(REPO_ROOT));
  return cached;
}

/** Row i of the GloVe matrix as a plain array. */
export function row(g: GloveVectors, i: number): number[] {
  return Array.from(g.vectors.subarray(i * g.dim, (i + 1) * g.dim));
}

/**
 * A data set: `n` base vectors (words 0..n-1) and `q` held-out queries drawn from words
 * that are not in the base set.
 */
export function dataset(n: number, q: number): { base: number[]; queries: number[] } {
  const g = glove();
  const base = Array.from({ length: n }, (_, i) => i);
  const stride = Math.floor((g.words.length - n) / q);
  const queries = Array.from({ length: q }, (_, i) => n + i * stride);
  return { base, queries };
}

/** The first n GloVe vectors as a float32 .npy file. */
export function gloveNpy(file: string, n: number): void {
  const g = glove();
  const w = new NpyWriter(file, n, g.dim);
  w.write(g.vectors.subarray(0, n * g.dim));
  w.close();
}

/** Exact top-k words for each query word, by the exact index (the oracle). */
export function exactTruth(metric: Metric, base: number[], queries: number[], k: number): string[][] {
  const g = glove();
  const flat = new FlatIndex(g.dim, metric);
  const m = new Float32Array(base.length * g.dim);
  base.forEach((w, i) => m.set(prepareVector(metric, Float32Array.from(row(g, w))), i * g.dim));
  flat.add(base, m);
  return queries.map((q) => flat.search(prepareVector(metric, Float32Array.from(row(g, q))), k).labels.map((l) => g.words[l]));
}

/** Share of the true top-k ids found, over all queries. */
export function recallOf(got: string[][], truth: string[][], k: number): number {
  let hit = 0;
  got.forEach((g, i) => {
    const t = new Set(truth[i]);
    hit += g.filter((id) => t.has(id)).length;
  });
  return hit / (truth.length * k);
}

/** The ids of a search's hits, best first. */
export function hitIds(result: SearchResult): string[] {
  return result.hits.map((h) => h.id);
}

/** Metadata a record gets from its word's index. */
export type WordMetadata = (w: number) => Metadata;

/**
 * The recall tests' fixture: the first `n` GloVe words as records (id: the word), `q` held-out
 * query words (see `dataset`), the exact top-k for a metric, and recall at `k`.
 */
export function gloveFixture(n: number, q: number, k: number) {
  const g = glove();
  const { base, queries } = dataset(n, q);
  /** Records for word indexes `words`, with metadata when `metadata` is given. */
  const records = (words: number[], metadata?: WordMetadata): RecordInput[] =>
    words.map((w) => (metadata ? { id: g.words[w], vector: row(g, w), metadata: metadata(w) } : { id: g.words[w], vector: row(g, w) }));
  const recall = (got: string[][], truth: string[][]) => recallOf(got, truth, k);
  return {
    g,
    base,
    queries,
    records,
    recall,
    truth: (metric: Metric) => exactTruth(metric, base, queries, k),
    /** Upsert every base word, 5,000 a batch. */
    fill(c: Collection, metadata?: WordMetadata): void {
      const all = records(base, metadata);
      for (let i = 0; i < all.length; i += 5000) c.upsert(all.slice(i, i + 5000));
    },
    /**
     * A filter half the records pass (metadata `bucket` < 50, `bucket` being w % 100), for a
     * query word: the search takes `plan`, returns k hits that all match, and finds at least
     * 0.8 of the exact filtered answer.
     */
    assertBroadFilter(c: Collection, word: number, plan: string): void {
      const filter = { bucket: { $lt: 50 } };
      const broad = c.search({ vector: row(g, word), k, filter, include: 'payload' });
      assert.equal(broad.plan, plan);
      assert.equal(broad.hits.length, k);
      assert.ok(broad.hits.every((h) => (h.metadata as { bucket: number }).bucket < 50));
      const exact = c.search({ vector: row(g, word), k, filter, exact: true, include: 'id' });
      assert.ok(recall([hitIds(broad)], [hitIds(exact)]) >= 0.8);
    },
  };
}
