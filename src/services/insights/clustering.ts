/**
 * Clustering a collection (or the records a filter selects): k-means fitted on a random sample,
 * then every selected vector assigned to its nearest centre, so sizes count the whole set.
 */
import type { Collection } from '../../engine/index.js';
import { mulberry32 } from '../../random.js';
import { chooseK, kmeans, nearestCentroid, type KMeansFit } from './kmeans.js';
import { sampleIndices, type Rng } from './math.js';
import { pause, readTexts, readVectors } from './read.js';
import { countTerms, distinctiveTerms } from './terms.js';

export interface ClusterRequest {
  k?: number;
  filter?: Record<string, unknown>;
  /** Vectors the centres are fitted on (default DEFAULT_SAMPLE). */
  sample?: number;
  seed?: number;
}

export interface Cluster {
  id: number;
  /** Selected records nearest this centre (all of them, not only the sample). */
  size: number;
  /** Ids of the records nearest the centre, nearest first. */
  nearest: string[];
  /** Words distinctive of the cluster's texts against the collection's; [] without text. */
  terms: string[];
}

export interface ClusterAnswer {
  k: number;
  method: string;
  /** Selected records, every one assigned to a cluster. */
  total: number;
  /** Records the centres were fitted on. */
  sample: number;
  /** Mean silhouette of the candidates when k was chosen automatically. */
  silhouettes?: { k: number; silhouette: number }[];
  clusters: Cluster[];
}

export const MAX_CLUSTERS = 100;
export const DEFAULT_SAMPLE = 10_000;
export const MAX_SAMPLE = 100_000;
/** Lloyd's iterations up to this many fitted vectors; mini-batch k-means above. */
export const MINI_BATCH_ABOVE = 10_000;
const MINI_BATCH_SIZE = 1024;
/** Automatic k: the best silhouette over k = 2…AUTO_K_MAX, on AUTO_K_FIT vectors, scored on AUTO_K_SCORE. */
export const AUTO_K_MAX = 10;
const AUTO_K_FIT = 2000;
const AUTO_K_SCORE = 1000;
/** Texts read per analysis for the terms. */
const TERM_TEXTS = 3000;
const NEAREST = 5;
export const DEFAULT_SEED = 42;

export interface ClusterFit {
  k: number;
  fit: KMeansFit;
  /** When k was chosen: each candidate's mean silhouette. */
  silhouettes?: { k: number; silhouette: number }[];
  /** How k was chosen, in words (empty when given). */
  choice: string;
  miniBatch: boolean;
}

/**
 * k-means on `data` (already sampled and, for cosine, unit length): k given, or the best mean
 * silhouette over 2…AUTO_K_MAX; Lloyd up to MINI_BATCH_ABOVE vectors, mini-batch above.
 */
export async function fitClusters(data: readonly Float32Array[], given: number | undefined, rng: Rng): Promise<ClusterFit> {
  const m = data.length;
  let k = given;
  let choice = '';
  let silhouettes: ClusterFit['silhouettes'];
  if (k === undefined) {
    const to = Math.max(2, Math.min(AUTO_K_MAX, Math.floor(m / 2)));
    const chosen = await chooseK(data.slice(0, AUTO_K_FIT), { from: 2, to }, rng, { silhouetteSample: AUTO_K_SCORE, pause });
    k = chosen.k;
    silhouettes = chosen.scores.map((s) => ({ k: s.k, silhouette: Math.round(s.silhouette * 1e4) / 1e4 }));
    choice = `, k=${k} chosen by the best mean silhouette over k=2..${to} (each fitted on ${Math.min(m, AUTO_K_FIT)} sampled vectors, scored on ${Math.min(m, AUTO_K_FIT, AUTO_K_SCORE)})`;
  }
  k = Math.min(k, m);
  const miniBatch = m > MINI_BATCH_ABOVE;
  const fit = await kmeans(data, {
    k,
    rng,
    maxIter: 100,
    restarts: m <= 2000 ? 3 : 1,
    miniBatch: miniBatch ? { size: MINI_BATCH_SIZE, iterations: Math.min(500, Math.max(100, Math.ceil((5 * m) / MINI_BATCH_SIZE))) } : undefined,
    pause,
  });
  return { k, fit, silhouettes, choice, miniBatch };
}

export async function clusterCollection(
  c: Collection,
  ids: readonly string[],
  req: ClusterRequest,
  progress: (done: number, total: number) => void = () => undefined,
): Promise<ClusterAnswer> {
  const seed = req.seed ?? DEFAULT_SEED;
  const rng = mulberry32(seed);
  const cosine = c.config.metric === 'cosine';
  const n = ids.length;
  const fitIds = sampleIndices(n, Math.min(n, req.sample ?? DEFAULT_SAMPLE), rng).map((i) => ids[i]);
  const fitted = await readVectors(c, fitIds, cosine);
  const data = fitted.vectors;
  const m = data.length;
  const total = n + m; // progress: reading the sample, then assigning every vector
  progress(m, total);

  const { k, fit, silhouettes, choice, miniBatch } = await fitClusters(data, req.k, rng);
  const { centroids } = fit;

  // Every selected vector to its nearest centre; the few nearest of each centre kept.
  const sizes = new Array<number>(k).fill(0);
  const nearest: { id: string; d2: number }[][] = centroids.map(() => []);
  let done = 0;
  await readVectors(c, ids, cosine, (chunkIds, vectors) => {
    vectors.forEach((v, i) => {
      const { index, d2 } = nearestCentroid(v, centroids);
      sizes[index]++;
      const list = nearest[index];
      if (list.length < NEAREST || d2 < list[list.length - 1].d2) {
        list.push({ id: chunkIds[i], d2 });
        list.sort((a, b) => a.d2 - b.d2);
        if (list.length > NEAREST) list.pop();
      }
    });
    done += chunkIds.length;
    progress(m + done, total);
  });

  // Terms: the texts of (part of) the sample, by the cluster each fitted vector fell in.
  const textIds = fitted.ids.slice(0, TERM_TEXTS);
  const texts = await readTexts(c, textIds);
  const background = countTerms([...texts.values()].filter((t): t is string => !!t));
  const terms = centroids.map((_, ci) => {
    const mine = textIds.flatMap((id, i) => (fit.labels[i] === ci ? [texts.get(id) ?? ''] : []));
    return distinctiveTerms(countTerms(mine), background);
  });

  const order = centroids.map((_, i) => i).sort((a, b) => sizes[b] - sizes[a] || a - b);
  const algorithm = miniBatch ? `mini-batch k-means (batches of ${MINI_BATCH_SIZE}, used above ${MINI_BATCH_ABOVE} fitted vectors)` : "k-means (Lloyd's iterations)";
  const method =
    `${algorithm} with k-means++ seeding (seed ${seed}) on ${m} sampled ${cosine ? 'unit vectors (cosine collection)' : 'vectors'}${choice}; ` +
    `all ${n} selected vectors assigned to their nearest centre`;
  return {
    k,
    method,
    total: n,
    sample: m,
    ...(silhouettes ? { silhouettes } : {}),
    clusters: order.map((ci, rank) => ({ id: rank, size: sizes[ci], nearest: nearest[ci].map((x) => x.id), terms: terms[ci] })),
  };
}
