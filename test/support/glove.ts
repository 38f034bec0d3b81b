import { fileURLToPath } from 'node:url';
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
