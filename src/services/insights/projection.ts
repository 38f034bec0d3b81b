/**
 * A 2-D map of a collection: a random sample of its vectors projected by PCA or UMAP (in a
 * worker thread: both are seconds of synchronous CPU), optionally coloured by k-means clusters
 * fitted on the same sample. The same seed, data and request give the same points.
 */
import type { Collection } from '../../engine/index.js';
import { spawnModuleWorker } from '../../engine/index.js';
import { mulberry32 } from '../../random.js';
import { fitClusters } from './clustering.js';
import { sampleIndices } from './math.js';
import type { Projected } from './project2d.js';
import { pcaSketchDims, UMAP_EPOCHS, umapNeighbours } from './project2d.js';
import type { ProjectionJob } from './projection-worker.js';
import { readVectors } from './read.js';

export type ProjectionMethod = 'pca' | 'umap';

export interface ProjectionRequest {
  method?: ProjectionMethod;
  sample?: number;
  seed?: number;
  /** k-means clusters to colour the points by: a k, or "auto" (best silhouette). */
  clusters?: number | 'auto';
}

export interface ProjectionAnswer {
  method: ProjectionMethod;
  /** How the map was made, in words. */
  details: string;
  /** Records in the collection. */
  total: number;
  /** Points projected. */
  sample: number;
  seed: number;
  /** PCA: the share of the total variance along x and y. */
  explainedVariance?: [number, number];
  clusters?: { k: number; method: string; sizes: number[]; silhouettes?: { k: number; silhouette: number }[] };
  points: { id: string; x: number; y: number; cluster?: number }[];
}

/**
 * Sample sizes: PCA is linear in the points (2000 × 768 took 1.5 s on our 2-core machine);
 * UMAP's layout is slower (1000 × 100: ~2 s, 2000 × 768: ~6 s), so its default and cap are lower.
 */
export const PROJECTION_SAMPLE = { pca: { default: 2000, max: 10_000 }, umap: { default: 1000, max: 5000 } } as const;
export const MIN_PROJECTION_POINTS = 3;

/** One projection at a time: each takes a core for seconds. */
let queue: Promise<unknown> = Promise.resolve();

function inWorker(job: ProjectionJob): Promise<Projected> {
  const run = () =>
    new Promise<Projected>((resolve, reject) => {
      const w = spawnModuleWorker(import.meta.url, 'projection-worker', job, [job.data.buffer as ArrayBuffer]);
      w.unref(); // a projection in flight does not hold a closing server open
      w.once('message', (m: { ok: boolean; error?: string } & Projected) => {
        if (m.ok) resolve({ x: m.x, y: m.y, explainedVariance: m.explainedVariance });
        else reject(new Error(`projection failed: ${m.error}`));
        void w.terminate();
      });
      w.once('error', reject);
    });
  const p = queue.then(run, run);
  queue = p.catch(() => undefined);
  return p;
}

const round = (v: number) => Number(v.toPrecision(6));

export async function projectCollection(c: Collection, req: ProjectionRequest): Promise<ProjectionAnswer> {
  const method = req.method ?? 'pca';
  const seed = req.seed ?? 42;
  const rng = mulberry32(seed);
  const cosine = c.config.metric === 'cosine';
  const ids = c.idsWhere();
  const want = Math.min(ids.length, req.sample ?? PROJECTION_SAMPLE[method].default);
  const read = await readVectors(c, sampleIndices(ids.length, want, rng).map((i) => ids[i]), cosine);
  const n = read.vectors.length;
  const d = c.config.dimension;
  const data = new Float32Array(n * d);
  read.vectors.forEach((v, i) => data.set(v, i * d));

  let clusters: ProjectionAnswer['clusters'];
  let labels: Int32Array | undefined;
  if (req.clusters !== undefined) {
    const f = await fitClusters(read.vectors, req.clusters === 'auto' ? undefined : Math.min(req.clusters, n), rng);
    // Cluster 0 is the largest, as in the clusters answer.
    const sizes = new Array<number>(f.k).fill(0);
    for (const l of f.fit.labels) sizes[l]++;
    const order = sizes.map((_, i) => i).sort((a, b) => sizes[b] - sizes[a] || a - b);
    const rank = new Int32Array(f.k);
    order.forEach((ci, r) => (rank[ci] = r));
    labels = Int32Array.from(f.fit.labels, (l) => rank[l]);
    clusters = {
      k: f.k,
      method: `${f.miniBatch ? 'mini-batch k-means' : "k-means (Lloyd's iterations)"} with k-means++ seeding on the ${n} projected vectors${f.choice}`,
      sizes: order.map((ci) => sizes[ci]),
      ...(f.silhouettes ? { silhouettes: f.silhouettes } : {}),
    };
  }

  const p = await inWorker({ method, data, n, d, seed });
  const space = cosine ? 'unit vectors (cosine collection)' : 'vectors';
  const details =
    method === 'pca'
      ? `PCA (ml-pca) of ${n} randomly sampled ${space}${pcaSketchDims(n, d) < d ? `, computed in their dominant ${pcaSketchDims(n, d)}-dimensional subspace (randomized range finder, 4 power iterations)` : ''}; x and y are the first two principal components`
      : `UMAP (umap-js, ${umapNeighbours(n)} nearest neighbours from an HNSW graph, ${UMAP_EPOCHS} epochs, seed ${seed}) of ${n} randomly sampled ${space}; distances on the map are meaningful locally, not globally`;
  return {
    method,
    details,
    total: ids.length,
    sample: n,
    seed,
    ...(p.explainedVariance ? { explainedVariance: p.explainedVariance.map((v) => Math.round(v * 1e4) / 1e4) as [number, number] } : {}),
    ...(clusters ? { clusters } : {}),
    points: read.ids.map((id, i) => ({ id, x: round(p.x[i]), y: round(p.y[i]), ...(labels ? { cluster: labels[i] } : {}) })),
  };
}
