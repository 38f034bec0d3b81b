/**
 * k-means (Lloyd's iterations, k-means++ seeding) over row-major float32 points, with a seeded
 * generator so training is reproducible. Used for product-quantization codebooks.
 */
import { mulberry32 } from '../random.js';

function sqDist(a: Float32Array, ao: number, b: Float32Array, bo: number, d: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) {
    const x = a[ao + j] - b[bo + j];
    s += x * x;
  }
  return s;
}

/**
 * Index of the centroid nearest to the point at `points[po…]`, among `k` centroids of
 * dimension `d` starting at `centroids[co…]`.
 */
export function nearest(centroids: Float32Array, co: number, k: number, points: Float32Array, po: number, d: number): number {
  let best = 0;
  let bestD = Infinity;
  for (let c = 0, o = co; c < k; c++, o += d) {
    let s = 0;
    for (let j = 0; j < d; j++) {
      const x = points[po + j] - centroids[o + j];
      s += x * x;
    }
    if (s < bestD) {
      bestD = s;
      best = c;
    }
  }
  return best;
}

export interface KMeansOptions {
  iterations: number;
  seed: number;
}

/** k centroids (k × d, row-major) for `n` points. Needs n ≥ k. */
export function kmeans(points: Float32Array, n: number, d: number, k: number, opts: KMeansOptions): Float32Array {
  if (n < k) throw new Error(`k-means needs at least ${k} training vectors, got ${n}`);
  const random = mulberry32(opts.seed);
  const centroids = new Float32Array(k * d);
  // k-means++: each next seed drawn with probability proportional to its squared distance.
  const closest = new Float64Array(n).fill(Infinity);
  let pick = Math.floor(random() * n);
  for (let c = 0; c < k; c++) {
    centroids.set(points.subarray(pick * d, pick * d + d), c * d);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const dist = sqDist(points, i * d, centroids, c * d, d);
      if (dist < closest[i]) closest[i] = dist;
      total += closest[i];
    }
    if (total === 0) {
      pick = Math.floor(random() * n);
      continue;
    }
    let r = random() * total;
    pick = n - 1;
    for (let i = 0; i < n; i++) {
      r -= closest[i];
      if (r <= 0) {
        pick = i;
        break;
      }
    }
  }
  const assign = new Int32Array(n);
  const sums = new Float64Array(k * d);
  const counts = new Int32Array(k);
  for (let it = 0; it < opts.iterations; it++) {
    let moved = 0;
    for (let i = 0; i < n; i++) {
      const c = nearest(centroids, 0, k, points, i * d, d);
      if (c !== assign[i] || it === 0) moved++;
      assign[i] = c;
    }
    // Stop once (almost) nothing moves: later iterations barely change the centroids.
    if (moved <= n / 1000) break;
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const c = assign[i];
      counts[c]++;
      for (let j = 0; j < d; j++) sums[c * d + j] += points[i * d + j];
    }
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) {
        // An empty cluster restarts at a random point rather than wasting a code.
        const p = Math.floor(random() * n);
        centroids.set(points.subarray(p * d, p * d + d), c * d);
        continue;
      }
      for (let j = 0; j < d; j++) centroids[c * d + j] = sums[c * d + j] / counts[c];
    }
  }
  return centroids;
}
