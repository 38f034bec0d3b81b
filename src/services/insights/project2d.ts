/**
 * 2-D projections of a sample of vectors: PCA (ml-pca) and UMAP (umap-js). Pure and
 * synchronous — CPU-bound for seconds — so the service runs them in a worker thread
 * (projection-worker.ts), never on the thread that serves requests.
 */
import { PCA } from 'ml-pca';
import { UMAP } from 'umap-js';
import { HnswIndex, resolveConfig } from '../../engine/index.js';
import { mulberry32 } from '../../random.js';
import { gaussian } from './math.js';

export interface Projected {
  x: Float64Array;
  y: Float64Array;
  /** PCA: the share of the total variance along each axis. */
  explainedVariance?: [number, number];
}

/** Dimensions PCA runs on directly; above, on the data's dominant subspace of this many dimensions first. */
export const PCA_SKETCH = 16;
/** Power iterations of the range finder: enough for the top two directions to settle. */
const POWER_ITERATIONS = 4;

/**
 * Orthonormalize the columns in place (modified Gram–Schmidt, twice for stability); a column
 * left with (almost) nothing once the others are taken out becomes zero, not amplified noise.
 */
function orthonormalize(cols: Float64Array[]): void {
  for (let a = 0; a < cols.length; a++) {
    const u = cols[a];
    let before = 0;
    for (let i = 0; i < u.length; i++) before += u[i] * u[i];
    for (let pass = 0; pass < 2; pass++)
      for (let b = 0; b < a; b++) {
        const v = cols[b];
        let p = 0;
        for (let i = 0; i < u.length; i++) p += u[i] * v[i];
        for (let i = 0; i < u.length; i++) u[i] -= p * v[i];
      }
    let s = 0;
    for (let i = 0; i < u.length; i++) s += u[i] * u[i];
    if (s <= 1e-20 * before || s === 0) u.fill(0);
    else {
      const nrm = Math.sqrt(s);
      for (let i = 0; i < u.length; i++) u[i] /= nrm;
    }
  }
}

/**
 * PCA to 2-D. ml-pca decomposes a d×d matrix (its cost grows as d³: 20 s for 2000 × 768 on our
 * machine), so for d > PCA_SKETCH it runs on the data expressed in a basis of its dominant
 * PCA_SKETCH-dimensional subspace, found by the randomized range finder with power iterations
 * (Halko, Martinsson & Tropp 2011, as scikit-learn's "randomized" PCA): the top two
 * components of that subspace are the data's top two. The explained variance is each axis's
 * variance over the total variance of the full data.
 */
/** The dimensions of the subspace PCA runs in for n points of d dimensions (d itself: no sketch). */
export function pcaSketchDims(n: number, d: number): number {
  const l = Math.min(PCA_SKETCH, n);
  return d <= l ? d : l;
}

/** UMAP's neighbours for n points. */
export function umapNeighbours(n: number): number {
  return Math.min(UMAP_NEIGHBOURS, n - 1);
}

export function projectPca(data: Float32Array, n: number, d: number, seed: number): Projected {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += data[i * d + j] / n;
  let total = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) {
      const c = data[i * d + j] - mean[j];
      total += c * c;
    }
  total /= Math.max(1, n - 1);

  const l = pcaSketchDims(n, d);
  let rows: number[][];
  if (l === d) {
    rows = Array.from({ length: n }, (_, i) => Array.from(data.subarray(i * d, (i + 1) * d)));
  } else {
    const rng = mulberry32(seed);
    // Xc·B for a d×l basis B (columns): n×l, column-major.
    const times = (basis: Float64Array[]): Float64Array[] =>
      basis.map((b) => {
        const out = new Float64Array(n);
        let off = 0;
        for (let j = 0; j < d; j++) off += mean[j] * b[j];
        for (let i = 0; i < n; i++) {
          let s = 0;
          const o = i * d;
          for (let j = 0; j < d; j++) s += data[o + j] * b[j];
          out[i] = s - off;
        }
        return out;
      });
    // Xcᵀ·Q for an n×l Q: d×l, column-major.
    const timesT = (q: Float64Array[]): Float64Array[] =>
      q.map((col) => {
        const out = new Float64Array(d);
        let sum = 0;
        for (let i = 0; i < n; i++) {
          const w = col[i];
          sum += w;
          const o = i * d;
          for (let j = 0; j < d; j++) out[j] += w * data[o + j];
        }
        for (let j = 0; j < d; j++) out[j] -= sum * mean[j];
        return out;
      });
    let basis: Float64Array[] = Array.from({ length: l }, () => Float64Array.from({ length: d }, () => gaussian(rng)));
    for (let it = 0; it <= POWER_ITERATIONS; it++) {
      const q = times(basis);
      orthonormalize(q);
      basis = timesT(q);
      orthonormalize(basis);
    }
    const coords = times(basis);
    rows = Array.from({ length: n }, (_, i) => coords.map((c) => c[i]));
  }
  const pca = new PCA(rows, { method: 'SVD', center: true });
  const y2 = pca.predict(rows, { nComponents: 2 });
  const eig = pca.getEigenvalues();
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = y2.get(i, 0);
    y[i] = y2.columns > 1 ? y2.get(i, 1) : 0;
  }
  const share = (v: number | undefined) => (total > 0 && v !== undefined ? Math.min(1, v / total) : 0);
  return { x, y, explainedVariance: [share(eig[0]), share(eig[1])] };
}

/** UMAP's defaults, but fewer epochs: 200 instead of 500 below 10,000 points (the layout settles; time is 40 % of it). */
export const UMAP_NEIGHBOURS = 15;
export const UMAP_EPOCHS = 200;

/**
 * UMAP to 2-D with umap-js, seeded. The k nearest neighbours it starts from come from an f32
 * HNSW graph (usearch, Euclidean, searched with ef ≥ 64) rather than umap-js's own NN-descent in
 * JS: 2000 × 768 took 2.4 s to initialize that way against 6.1 s (the layout after is the same work).
 */
export function projectUmap(data: Float32Array, n: number, d: number, seed: number): Projected {
  const rows = Array.from({ length: n }, (_, i) => Array.from(data.subarray(i * d, (i + 1) * d)));
  const neighbours = umapNeighbours(n);
  const umap = new UMAP({ nComponents: 2, nNeighbors: neighbours, nEpochs: UMAP_EPOCHS, random: mulberry32(seed) });
  const index = new HnswIndex(resolveConfig({ dimension: d, metric: 'l2', storage: 'f32', index: { type: 'hnsw', efConstruction: 128 } }));
  try {
    index.add(Array.from({ length: n }, (_, i) => i), data.subarray(0, n * d));
    const found = index.searchMany(data.subarray(0, n * d), neighbours, Math.max(64, 4 * neighbours));
    umap.setPrecomputedKNN(
      found.map((f) => f.labels),
      found.map((f) => f.distances.map((x) => Math.sqrt(Math.max(0, x)))),
    );
  } finally {
    index.dispose();
  }
  const epochs = umap.initializeFit(rows);
  for (let e = 0; e < epochs; e++) umap.step();
  const emb = umap.getEmbedding();
  return { x: Float64Array.from(emb, (p) => p[0]), y: Float64Array.from(emb, (p) => p[1]) };
}
