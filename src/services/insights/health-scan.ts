/**
 * Embedding health of a collection: a random sample's vectors, each one's nearest neighbours
 * from the collection's own index (so duplicates and outliers are judged against the whole
 * collection, at O(sample) searches, never O(n²)), then the arithmetic of health.ts.
 */
import type { Collection } from '../../engine/index.js';
import { mulberry32 } from '../../random.js';
import { anisotropy, deadDimensions, DUPLICATE_COSINE, groupsOf, normStats, OUTLIER_K, OUTLIER_Z, outliersOf, verdictOf, type NormStats } from './health.js';
import { cosine, norm, sampleIndices } from './math.js';
import { pause, readVectors } from './read.js';

export const DEFAULT_HEALTH_SAMPLE = 2000;
export const MAX_HEALTH_SAMPLE = 20_000;
const SEARCHES_PER_TURN = 100;

export interface HealthAnswer {
  verdict: 'healthy' | 'warning' | 'unhealthy';
  reasons: string[];
  sample: { size: number; of: number; method: string };
  norms: NormStats;
  duplicates: { threshold: number; method: string; groups: number; vectors: number; fraction: number; examples: string[][] };
  outliers: { count: number; fraction: number; method: string; threshold: number; examples: { id: string; z: number; distance: number }[] };
  deadDimensions: number[];
  anisotropy: number;
}

export async function healthOf(c: Collection, opts: { sample?: number; seed?: number } = {}): Promise<HealthAnswer> {
  const seed = opts.seed ?? 42;
  const rng = mulberry32(seed);
  const all = c.idsWhere();
  const picked = sampleIndices(all.length, Math.min(all.length, opts.sample ?? DEFAULT_HEALTH_SAMPLE), rng).map((i) => all[i]);
  const { ids, vectors } = await readVectors(c, picked, false);
  const n = ids.length;

  // Each sampled vector's nearest neighbours in the whole collection (the index's own search).
  const pairs: [string, string][] = [];
  const duplicated = new Set<string>();
  const kDist: number[] = [];
  const kDistIds: string[] = [];
  for (let i = 0; i < n; i++) {
    if (norm(vectors[i]) === 0) continue;
    const hits = c.search({ vector: vectors[i], k: OUTLIER_K + 1, include: 'id', includeVector: true }).hits.filter((h) => h.id !== ids[i]);
    const cos = hits.map((h) => cosine(vectors[i], Float32Array.from(h.vector ?? [])));
    hits.forEach((h, j) => {
      if (cos[j] >= DUPLICATE_COSINE) {
        pairs.push([ids[i], h.id]);
        duplicated.add(ids[i]);
      }
    });
    if (cos.length >= OUTLIER_K) {
      kDist.push(1 - cos[OUTLIER_K - 1]);
      kDistIds.push(ids[i]);
    }
    if (i % SEARCHES_PER_TURN === SEARCHES_PER_TURN - 1) await pause();
  }
  const groups = groupsOf(pairs);
  const outliers = kDist.length > OUTLIER_K ? outliersOf(kDist) : [];
  const norms = normStats(vectors);
  const dead = deadDimensions(vectors);
  const aniso = anisotropy(vectors, rng);
  const { verdict, reasons } = verdictOf({ sampled: n, dimension: c.config.dimension, metric: c.config.metric, norms, duplicated: duplicated.size, outliers: outliers.length, dead: dead.length, anisotropy: aniso });
  const share = (x: number) => (n === 0 ? 0 : Math.round((x / n) * 1e4) / 1e4);
  return {
    verdict,
    reasons,
    sample: {
      size: n,
      of: all.length,
      method: n < all.length ? `uniform random sample of ${n} of ${all.length} records (seed ${seed}); figures are over the sample` : `all ${n} records`,
    },
    norms,
    duplicates: {
      threshold: DUPLICATE_COSINE,
      method: `the ${OUTLIER_K} nearest neighbours of each sampled vector from the collection's index; pairs at cosine ≥ ${DUPLICATE_COSINE} joined into groups`,
      groups: groups.length,
      vectors: duplicated.size,
      fraction: share(duplicated.size),
      examples: groups.slice(0, 5).map((g) => g.slice(0, 10)),
    },
    outliers: {
      count: outliers.length,
      fraction: share(outliers.length),
      method: `cosine distance to the ${OUTLIER_K}th nearest neighbour (from the index); robust z-score 0.6745·(x − median)/MAD over the sample`,
      threshold: OUTLIER_Z,
      examples: outliers.slice(0, 10).map((o) => ({ id: kDistIds[o.index], z: o.z, distance: Math.round(kDist[o.index] * 1e4) / 1e4 })),
    },
    deadDimensions: dead,
    anisotropy: aniso,
  };
}
