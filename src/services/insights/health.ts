/**
 * Embedding health, the arithmetic: norm distribution, dead dimensions, anisotropy, near-
 * duplicate groups, outliers by distance to the k-th neighbour, and a verdict with reasons.
 * Pure (src/services/insights/insights.ts feeds it a collection's sample and neighbours).
 */
import { cosine, mean, norm, quantile, robustZ, sortedCopy, type Rng } from './math.js';

/** Pairs at or above this cosine are near-duplicates. */
export const DUPLICATE_COSINE = 0.99;
/** Outliers: robust z-score (median/MAD) of the distance to the k-th neighbour above this (Iglewicz & Hoaglin). */
export const OUTLIER_Z = 3.5;
export const OUTLIER_K = 5;
/** A dimension is dead when its standard deviation is below this share of the mean per-dimension standard deviation. */
export const DEAD_RATIO = 1e-3;

export interface NormStats {
  min: number;
  max: number;
  mean: number;
  std: number;
  p1: number;
  p50: number;
  p99: number;
  /** Vectors of length 0 (no direction: cosine is undefined for them). */
  zero: number;
}

export function normStats(vectors: readonly Float32Array[]): NormStats {
  const norms = vectors.map(norm);
  const s = sortedCopy(norms);
  const m = mean(norms);
  const std = Math.sqrt(mean(norms.map((x) => (x - m) ** 2)));
  const r = (x: number) => Math.round(x * 1e6) / 1e6;
  return { min: r(s[0]), max: r(s[s.length - 1]), mean: r(m), std: r(std), p1: r(quantile(s, 0.01)), p50: r(quantile(s, 0.5)), p99: r(quantile(s, 0.99)), zero: norms.filter((x) => x === 0).length };
}

/** Dimensions whose values barely vary over the vectors (constant or always 0). */
export function deadDimensions(vectors: readonly Float32Array[]): number[] {
  const dim = vectors[0]?.length ?? 0;
  const sums = new Float64Array(dim);
  const squares = new Float64Array(dim);
  for (const v of vectors)
    for (let j = 0; j < dim; j++) {
      sums[j] += v[j];
      squares[j] += v[j] * v[j];
    }
  const n = vectors.length;
  const std = Array.from(sums, (s, j) => Math.sqrt(Math.max(squares[j] / n - (s / n) ** 2, 0)));
  const meanStd = mean(std);
  return std.flatMap((s, j) => (s <= DEAD_RATIO * meanStd || s < 1e-9 ? [j] : []));
}

/** Mean cosine of random pairs of distinct vectors: near 0 for directions spread evenly, near 1 when all point one way. */
export function anisotropy(vectors: readonly Float32Array[], rng: Rng, pairs = 5000): number {
  const n = vectors.length;
  if (n < 2) return 0;
  let total = 0;
  for (let p = 0; p < pairs; p++) {
    const i = Math.floor(rng() * n);
    let j = Math.floor(rng() * (n - 1));
    if (j >= i) j++;
    total += cosine(vectors[i], vectors[j]);
  }
  return Math.round((total / pairs) * 1e4) / 1e4;
}

/** Connected groups of ids linked by pairs (union–find), largest first. */
export function groupsOf(pairs: readonly [string, string][]): string[][] {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r)!;
    parent.set(x, r);
    return r;
  };
  for (const [a, b] of pairs) {
    if (!parent.has(a)) parent.set(a, a);
    if (!parent.has(b)) parent.set(b, b);
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(ra < rb ? rb : ra, ra < rb ? ra : rb);
  }
  const groups = new Map<string, string[]>();
  for (const x of parent.keys()) {
    const r = find(x);
    groups.set(r, [...(groups.get(r) ?? []), x]);
  }
  return [...groups.values()].map((g) => g.sort()).sort((a, b) => b.length - a.length || (a[0] < b[0] ? -1 : 1));
}

/** Indices whose value's robust z-score exceeds OUTLIER_Z, most extreme first, with the score. */
export function outliersOf(distances: readonly number[]): { index: number; z: number }[] {
  const z = robustZ(distances);
  return [...z].flatMap((s, index) => (s > OUTLIER_Z ? [{ index, z: Math.round(s * 100) / 100 }] : [])).sort((a, b) => b.z - a.z);
}

export interface HealthFigures {
  sampled: number;
  dimension: number;
  metric: string;
  norms: NormStats;
  /** Sampled vectors with at least one near-duplicate. */
  duplicated: number;
  outliers: number;
  dead: number;
  anisotropy: number;
}

const pct = (x: number) => `${Math.round(x * 1000) / 10} %`;

/** healthy / warning / unhealthy, and why, in words. */
export function verdictOf(f: HealthFigures): { verdict: 'healthy' | 'warning' | 'unhealthy'; reasons: string[] } {
  const bad: string[] = [];
  const warn: string[] = [];
  const dup = f.duplicated / f.sampled;
  if (dup >= 0.2) bad.push(`${pct(dup)} of vectors have a near-duplicate (cosine ≥ ${DUPLICATE_COSINE}): the same content stored many times crowds search results`);
  else if (dup >= 0.02) warn.push(`${pct(dup)} of vectors have a near-duplicate (cosine ≥ ${DUPLICATE_COSINE})`);
  if (f.norms.zero > 0) bad.push(`${f.norms.zero} of ${f.sampled} sampled vectors are all zeros: they have no direction and match nothing meaningfully`);
  if (f.dead >= Math.max(1, 0.1 * f.dimension)) bad.push(`${f.dead} of ${f.dimension} dimensions are dead (constant): the model or the pipeline is dropping information`);
  else if (f.dead > 0) warn.push(`${f.dead} of ${f.dimension} dimension${f.dead === 1 ? ' is' : 's are'} dead (constant)`);
  if (f.anisotropy >= 0.9) bad.push(`vectors all point nearly the same way (mean cosine of random pairs ${f.anisotropy}): similarities are squeezed together and rankings are fragile`);
  else if (f.anisotropy >= 0.5) warn.push(`vectors are anisotropic (mean cosine of random pairs ${f.anisotropy}): scores cluster high; consider centring or whitening, or judge scores relatively`);
  const out = f.outliers / f.sampled;
  if (out >= 0.02) warn.push(`${pct(out)} of vectors are outliers (far from their neighbours): check them for junk, other languages or failed embeddings`);
  if (f.metric !== 'cosine' && f.norms.p1 > 0 && f.norms.p99 / f.norms.p1 > 10) warn.push(`norms vary more than tenfold (p1 ${f.norms.p1}, p99 ${f.norms.p99}): with ${f.metric} long vectors dominate results`);
  if (bad.length > 0) return { verdict: 'unhealthy', reasons: [...bad, ...warn] };
  if (warn.length > 0) return { verdict: 'warning', reasons: warn };
  return { verdict: 'healthy', reasons: ['no problem found: few duplicates and outliers, no dead dimensions, directions well spread'] };
}
