/**
 * k-means: k-means++ seeding (Arthur & Vassilvitskii 2007), Lloyd's iterations on small sets
 * and mini-batch updates (Sculley 2010) on large ones, and the silhouette to choose k. Squared
 * Euclidean distance; cosine collections are clustered on unit vectors (where it orders pairs
 * as cosine does). Pure: the same data, k and random source give the same clusters.
 */
import { squaredL2, type Rng } from './math.js';

/** Await between batches so a long fit never holds the event loop (the service passes setImmediate). */
export type Pause = () => Promise<void>;

/** The longest a loop runs between pauses. */
const SLICE_MS = 15;
/** Rows between clock reads inside a loop. */
const ROWS_PER_CHECK = 128;

/**
 * A loop's turn-giver: `await slice(i)` pauses when SLICE_MS have passed since the last pause
 * (checking the clock every ROWS_PER_CHECK rows, or every `every`), so a loop over many rows holds the event loop
 * for at most about SLICE_MS at a time. Without a pause it does nothing (tests, pure use).
 * k-means++ seeding at k 100 on 10,000 GloVe vectors held it for a second in one piece before
 * (npm run bench:insights).
 */
function slicer(pause?: Pause): (row: number, every?: number) => Promise<void> | undefined {
  if (!pause) return () => undefined;
  let last = performance.now();
  return (row, every = ROWS_PER_CHECK) => {
    if (row % every !== every - 1) return undefined;
    const now = performance.now();
    if (now - last < SLICE_MS) return undefined;
    return pause().then(() => {
      last = performance.now();
    });
  };
}

export interface KMeansOptions {
  k: number;
  rng: Rng;
  /** Lloyd: iterations at most (stops earlier when no label changes). */
  maxIter?: number;
  /** Mini-batch instead of Lloyd: points per batch and batches. */
  miniBatch?: { size: number; iterations: number };
  /** Independent seedings; the fit with the least inertia is kept. */
  restarts?: number;
  pause?: Pause;
}

export interface KMeansFit {
  centroids: Float32Array[];
  /** The nearest centroid of each point. */
  labels: Int32Array;
  /** Sum of squared distances of the points to their centroids. */
  inertia: number;
}

export function nearestCentroid(v: Float32Array, centroids: readonly Float32Array[]): { index: number; d2: number } {
  let index = 0;
  let d2 = Infinity;
  for (let c = 0; c < centroids.length; c++) {
    const d = squaredL2(v, centroids[c]);
    if (d < d2) {
      d2 = d;
      index = c;
    }
  }
  return { index, d2 };
}

/** k-means++: each next centre drawn with probability proportional to its squared distance to the nearest chosen one. */
export async function kmeansPlusPlus(data: readonly Float32Array[], k: number, rng: Rng, pause?: Pause): Promise<Float32Array[]> {
  const slice = slicer(pause);
  const centres = [Float32Array.from(data[Math.floor(rng() * data.length)])];
  const d2 = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) {
    d2[i] = squaredL2(data[i], centres[0]);
    await slice(i);
  }
  while (centres.length < k) {
    const total = d2.reduce((s, x) => s + x, 0);
    let pick = data.length - 1;
    if (total > 0) {
      let r = rng() * total;
      for (let i = 0; i < data.length; i++) {
        r -= d2[i];
        if (r <= 0) {
          pick = i;
          break;
        }
      }
    } else pick = Math.floor(rng() * data.length); // every point is a centre already
    const c = Float32Array.from(data[pick]);
    centres.push(c);
    for (let i = 0; i < data.length; i++) {
      d2[i] = Math.min(d2[i], squaredL2(data[i], c));
      await slice(i);
    }
  }
  return centres;
}

async function assignAll(data: readonly Float32Array[], centroids: readonly Float32Array[], labels: Int32Array, pause?: Pause): Promise<{ changed: number; inertia: number }> {
  const slice = slicer(pause);
  let changed = 0;
  let inertia = 0;
  for (let i = 0; i < data.length; i++) {
    const { index, d2 } = nearestCentroid(data[i], centroids);
    if (labels[i] !== index) changed++;
    labels[i] = index;
    inertia += d2;
    await slice(i);
  }
  return { changed, inertia };
}

async function lloyd(data: readonly Float32Array[], centroids: Float32Array[], maxIter: number, pause?: Pause): Promise<KMeansFit> {
  const dim = data[0].length;
  const labels = new Int32Array(data.length).fill(-1);
  let inertia = Infinity;
  for (let it = 0; it < maxIter; it++) {
    const a = await assignAll(data, centroids, labels, pause);
    inertia = a.inertia;
    if (a.changed === 0) break;
    const sums = centroids.map(() => new Float64Array(dim));
    const counts = new Int32Array(centroids.length);
    for (let i = 0; i < data.length; i++) {
      const s = sums[labels[i]];
      const v = data[i];
      for (let j = 0; j < dim; j++) s[j] += v[j];
      counts[labels[i]]++;
    }
    for (let c = 0; c < centroids.length; c++) {
      if (counts[c] === 0) {
        // An empty cluster takes the point farthest from its centre.
        let far = 0;
        let farD = -1;
        for (let i = 0; i < data.length; i++) {
          const d = squaredL2(data[i], centroids[labels[i]]);
          if (d > farD) {
            farD = d;
            far = i;
          }
        }
        centroids[c] = Float32Array.from(data[far]);
        labels[far] = c;
        continue;
      }
      for (let j = 0; j < dim; j++) centroids[c][j] = sums[c][j] / counts[c];
    }
    if (pause) await pause();
  }
  inertia = (await assignAll(data, centroids, labels, pause)).inertia;
  return { centroids, labels, inertia };
}

async function miniBatch(data: readonly Float32Array[], centroids: Float32Array[], size: number, iterations: number, rng: Rng, pause?: Pause): Promise<KMeansFit> {
  const counts = new Float64Array(centroids.length);
  for (let it = 0; it < iterations; it++) {
    const batch = Array.from({ length: size }, () => data[Math.floor(rng() * data.length)]);
    const nearest = batch.map((v) => nearestCentroid(v, centroids).index);
    batch.forEach((v, b) => {
      const c = centroids[nearest[b]];
      counts[nearest[b]]++;
      const eta = 1 / counts[nearest[b]];
      for (let j = 0; j < c.length; j++) c[j] += eta * (v[j] - c[j]);
    });
    if (pause) await pause();
  }
  const labels = new Int32Array(data.length);
  const { inertia } = await assignAll(data, centroids, labels, pause);
  return { centroids, labels, inertia };
}

export async function kmeans(data: readonly Float32Array[], opts: KMeansOptions): Promise<KMeansFit> {
  if (data.length === 0) throw new Error('k-means needs at least one point');
  const k = Math.min(opts.k, data.length);
  let best: KMeansFit | null = null;
  for (let r = 0; r < (opts.restarts ?? 1); r++) {
    const seeds = await kmeansPlusPlus(data, k, opts.rng, opts.pause);
    const fit = opts.miniBatch
      ? await miniBatch(data, seeds, opts.miniBatch.size, opts.miniBatch.iterations, opts.rng, opts.pause)
      : await lloyd(data, seeds, opts.maxIter ?? 100, opts.pause);
    if (!best || fit.inertia < best.inertia) best = fit;
  }
  return best!;
}

/**
 * Mean silhouette (Rousseeuw 1987) of a labeling, with Euclidean distances: for each point,
 * (b − a) / max(a, b), a its mean distance to its own cluster, b to the nearest other one; a
 * point alone in its cluster scores 0. O(n²): callers pass a sample.
 */
export async function silhouette(data: readonly Float32Array[], labels: ArrayLike<number>, k: number, pause?: Pause): Promise<number> {
  const n = data.length;
  if (n < 2) return 0;
  const slice = slicer(pause);
  const dist = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const d = Math.sqrt(squaredL2(data[i], data[j]));
      dist[i * n + j] = d;
      dist[j * n + i] = d;
    }
    await slice(i, 1); // a row is up to n distances: the clock is read after each
  }
  const sizes = new Int32Array(k);
  for (let i = 0; i < n; i++) sizes[labels[i]]++;
  let total = 0;
  const sums = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    sums.fill(0);
    for (let j = 0; j < n; j++) sums[labels[j]] += dist[i * n + j];
    const own = labels[i];
    if (sizes[own] <= 1) continue;
    const a = sums[own] / (sizes[own] - 1);
    let b = Infinity;
    for (let c = 0; c < k; c++) if (c !== own && sizes[c] > 0) b = Math.min(b, sums[c] / sizes[c]);
    if (b === Infinity) continue;
    const m = Math.max(a, b);
    total += m === 0 ? 0 : (b - a) / m;
  }
  return total / n;
}

/**
 * k with the best mean silhouette over `range`, each k fitted with Lloyd (best of 3 seedings)
 * on `data`, the silhouette measured on its first `silhouetteSample` points (pass shuffled data).
 */
export async function chooseK(
  data: readonly Float32Array[],
  range: { from: number; to: number },
  rng: Rng,
  opts: { silhouetteSample?: number; pause?: Pause } = {},
): Promise<{ k: number; scores: { k: number; silhouette: number }[] }> {
  const s = Math.min(data.length, opts.silhouetteSample ?? 1000);
  const sub = data.slice(0, s);
  const scores: { k: number; silhouette: number }[] = [];
  for (let k = range.from; k <= Math.min(range.to, data.length - 1); k++) {
    const fit = await kmeans(data, { k, rng, maxIter: 50, restarts: 3, pause: opts.pause });
    scores.push({ k, silhouette: await silhouette(sub, fit.labels.subarray(0, s), k, opts.pause) });
    if (opts.pause) await opts.pause();
  }
  const best = scores.reduce((a, b) => (b.silhouette > a.silhouette ? b : a), scores[0]);
  return { k: best?.k ?? 1, scores };
}
