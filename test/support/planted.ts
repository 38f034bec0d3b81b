/** Seeded data with known structure for the insights tests: planted clusters, duplicates, outliers, drift. */
import { mulberry32 } from '../../src/random.js';
import { gaussian } from '../../src/services/insights/math.js';

/** `perCluster` points around each of `k` centres (spread `centreScale`) with noise `sigma`; labels say which. */
export function plantedClusters(k: number, perCluster: number, dim: number, seed: number, sigma = 0.3, centreScale = 3): { vectors: Float32Array[]; labels: number[] } {
  const rng = mulberry32(seed);
  const centres = Array.from({ length: k }, () => Float32Array.from({ length: dim }, () => gaussian(rng) * centreScale));
  const vectors: Float32Array[] = [];
  const labels: number[] = [];
  for (let i = 0; i < k * perCluster; i++) {
    const c = i % k;
    vectors.push(Float32Array.from(centres[c], (x) => x + gaussian(rng) * sigma));
    labels.push(c);
  }
  return { vectors, labels };
}

/** `n` points of N(shift, 1) in `dim` dimensions (shift on the first `shifted` dimensions only). */
export function gaussianCloud(n: number, dim: number, seed: number, shift = 0, shifted = dim): Float32Array[] {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, () => Float32Array.from({ length: dim }, (_, j) => gaussian(rng) + (j < shifted ? shift : 0)));
}
