/** Insights: clustering, embedding health and drift of a collection's vectors (docs/insights.md). */
import { Type } from '../../typebox.js';
import { Metadata } from './common.js';

export const ClustersBody = Type.Object(
  {
    k: Type.Optional(Type.Integer({ description: 'clusters, 2–100; left out: chosen by the best silhouette over 2–10' })),
    filter: Type.Optional(Metadata),
    sample: Type.Optional(Type.Integer({ description: 'vectors the centres are fitted on, 10–100000 (default 10000); every selected vector is then assigned' })),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 4294967295, description: 'random seed (default 42): the same seed, data and body give the same clusters' })),
  },
  { additionalProperties: false },
);

export const ClustersOut = Type.Object({
  k: Type.Integer(),
  method: Type.String({ description: 'the algorithm, seeding, sample and how k was chosen, in words' }),
  total: Type.Integer({ description: 'selected records, each assigned to a cluster' }),
  sample: Type.Integer({ description: 'records the centres were fitted on' }),
  silhouettes: Type.Optional(Type.Array(Type.Object({ k: Type.Integer(), silhouette: Type.Number() }), { description: 'when k was chosen: the mean silhouette of each candidate' })),
  clusters: Type.Array(
    Type.Object({
      id: Type.Integer(),
      size: Type.Integer(),
      nearest: Type.Array(Type.String(), { description: 'ids of the records nearest the centre, nearest first' }),
      terms: Type.Array(Type.String(), { description: "words distinctive of the cluster's texts against the collection's (weighted log-odds); empty without text" }),
    }),
    { description: 'largest first' },
  ),
});

export const HealthQuery = Type.Object(
  {
    sample: Type.Optional(Type.String({ pattern: '^[0-9]{1,9}$', description: 'records examined, 10–20000 (default 2000), drawn at random' })),
    seed: Type.Optional(Type.String({ pattern: '^[0-9]{1,9}$', description: 'random seed of the sample (default 42)' })),
  },
  { additionalProperties: false },
);

export const HealthOut = Type.Object({
  verdict: Type.Union([Type.Literal('healthy'), Type.Literal('warning'), Type.Literal('unhealthy')]),
  reasons: Type.Array(Type.String(), { description: 'why, in words' }),
  sample: Type.Object({ size: Type.Integer(), of: Type.Integer(), method: Type.String() }),
  norms: Type.Object({ min: Type.Number(), max: Type.Number(), mean: Type.Number(), std: Type.Number(), p1: Type.Number(), p50: Type.Number(), p99: Type.Number(), zero: Type.Integer() }),
  duplicates: Type.Object({
    threshold: Type.Number({ description: 'cosine at or above which two vectors are near-duplicates' }),
    method: Type.String(),
    groups: Type.Integer(),
    vectors: Type.Integer({ description: 'sampled vectors with at least one near-duplicate' }),
    fraction: Type.Number(),
    examples: Type.Array(Type.Array(Type.String()), { description: 'the largest groups (up to 5, 10 ids each)' }),
  }),
  outliers: Type.Object({
    count: Type.Integer(),
    fraction: Type.Number(),
    method: Type.String(),
    threshold: Type.Number({ description: 'robust z-score above which a vector is an outlier' }),
    examples: Type.Array(Type.Object({ id: Type.String(), z: Type.Number(), distance: Type.Number() })),
  }),
  deadDimensions: Type.Array(Type.Integer(), { description: 'indices of dimensions that are (nearly) constant' }),
  anisotropy: Type.Number({ description: 'mean cosine of random pairs of sampled vectors' }),
});

const WriteRange = Type.Object(
  {
    fromSeq: Type.Optional(Type.Integer({ minimum: 0, description: 'records whose last write has seq ≥ this' })),
    toSeq: Type.Optional(Type.Integer({ minimum: 0, description: '… and seq ≤ this' })),
    from: Type.Optional(Type.String({ maxLength: 64, description: 'records last written at or after this time (ISO 8601)' })),
    to: Type.Optional(Type.String({ maxLength: 64, description: '… and at or before this time' })),
  },
  { additionalProperties: false, description: 'records selected by their last write: seq and/or time bounds, inclusive; at least one' },
);

export const DriftBody = Type.Object(
  {
    baseline: WriteRange,
    window: WriteRange,
    sample: Type.Optional(Type.Integer({ description: 'vectors drawn from each side, 20–20000 (default 5000)' })),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 4294967295, description: 'random seed of the samples and projections (default 42)' })),
  },
  { additionalProperties: false },
);

const Side = Type.Object({ records: Type.Integer(), sampled: Type.Integer() });

export const DriftOut = Type.Object({
  verdict: Type.Union([Type.Literal('drifted'), Type.Literal('stable')]),
  pValue: Type.Number({ description: 'the smallest Benjamini–Hochberg-adjusted p-value of the tests' }),
  method: Type.String(),
  centroidShift: Type.Object({
    cosineDistance: Type.Number({ description: '1 − cosine of the two centroids' }),
    l2: Type.Number({ description: 'Euclidean distance between the centroids' }),
    relative: Type.Number({ description: 'l2 / the baseline\'s root-mean-square distance to its centroid' }),
  }),
  dimensions: Type.Array(
    Type.Object({
      dimension: Type.Optional(Type.Integer()),
      projection: Type.Optional(Type.Integer()),
      ks: Type.Number({ description: 'KS statistic: the largest gap between the two empirical distributions' }),
      pValue: Type.Number(),
      adjusted: Type.Number({ description: 'Benjamini–Hochberg-adjusted p-value' }),
    }),
    { description: 'the tests, most significant first (up to 20)' },
  ),
  tests: Type.Integer(),
  baseline: Side,
  window: Side,
});

export const ProjectionQuery = Type.Object(
  {
    method: Type.Optional(Type.String({ description: '"pca" (default) or "umap"' })),
    sample: Type.Optional(Type.String({ pattern: '^[0-9]{1,9}$', description: 'points, drawn at random: pca 3–10000 (default 2000), umap 3–5000 (default 1000)' })),
    seed: Type.Optional(Type.String({ pattern: '^[0-9]{1,9}$', description: 'random seed of the sample, the clusters and UMAP (default 42)' })),
    clusters: Type.Optional(Type.String({ pattern: '^([0-9]{1,9}|auto)$', description: 'colour the points by k-means clusters of the sample: k (2–100) or "auto" (best silhouette)' })),
  },
  { additionalProperties: false },
);

export const ProjectionOut = Type.Object({
  method: Type.Union([Type.Literal('pca'), Type.Literal('umap')]),
  details: Type.String({ description: 'how the map was made, in words' }),
  total: Type.Integer({ description: 'records in the collection' }),
  sample: Type.Integer({ description: 'points projected' }),
  seed: Type.Integer(),
  explainedVariance: Type.Optional(Type.Array(Type.Number(), { description: 'pca: the share of the total variance along x and along y' })),
  clusters: Type.Optional(
    Type.Object({
      k: Type.Integer(),
      method: Type.String(),
      sizes: Type.Array(Type.Integer(), { description: 'points per cluster; cluster 0 is the largest' }),
      silhouettes: Type.Optional(Type.Array(Type.Object({ k: Type.Integer(), silhouette: Type.Number() }))),
    }),
  ),
  points: Type.Array(Type.Object({ id: Type.String(), x: Type.Number(), y: Type.Number(), cluster: Type.Optional(Type.Integer()) })),
});

export const AdviceQuery = Type.Object(
  {
    sample: Type.Optional(Type.String({ pattern: '^[0-9]{1,9}$', description: 'vectors the temporary indexes hold, 100–20000 (default 5000, or 2,000,000 / dimension if fewer), drawn at random' })),
    queries: Type.Optional(Type.String({ pattern: '^[0-9]{1,9}$', description: 'held-out sampled vectors used as queries, 10–1000 (default 200)' })),
    seed: Type.Optional(Type.String({ pattern: '^[0-9]{1,9}$', description: 'random seed of the sample (default 42)' })),
  },
  { additionalProperties: false },
);

const Storage = Type.Union([Type.Literal('f32'), Type.Literal('f16'), Type.Literal('i8'), Type.Literal('binary'), Type.Literal('pq')]);
const IndexKind = Type.Union([Type.Literal('hnsw'), Type.Literal('flat')]);
const RecallPoint = Type.Object({
  ef: Type.Integer({ description: 'graph breadth (hnsw) or candidates rescored (binary)' }),
  recall: Type.Number({ description: 'recall@10 against an exact search' }),
  usPerQuery: Type.Number({ description: 'mean µs per search at the sample size' }),
});

export const AdviceOut = Type.Object({
  recommendation: Type.Object({
    index: IndexKind,
    storage: Storage,
    ef: Type.Union([Type.Integer(), Type.Null()]),
    expectedRecall: Type.Number({ description: 'recall@10 measured on the sample at that ef' }),
    bytesPerVector: Type.Integer({ description: "the index's own accounting per vector" }),
    estimatedBytes: Type.Number({ description: 'bytesPerVector × the collection\'s count (an extrapolation)' }),
    config: Type.Object({ index: Type.Object({ type: IndexKind, m: Type.Optional(Type.Integer()), efConstruction: Type.Optional(Type.Integer()), efSearch: Type.Optional(Type.Integer()) }), storage: Storage }, { description: 'the collection settings (POST /v1/collections) that apply it' }),
  }),
  reasons: Type.Array(Type.String()),
  collection: Type.Object({ count: Type.Integer(), dimension: Type.Integer(), metric: Type.String(), index: Type.String(), storage: Storage, efSearch: Type.Union([Type.Integer(), Type.Null()]) }),
  sample: Type.Object({ vectors: Type.Integer(), queries: Type.Integer(), queriesFrom: Type.String(), k: Type.Integer(), seed: Type.Integer() }),
  candidates: Type.Array(
    Type.Object({
      index: IndexKind,
      storage: Storage,
      efFor95: Type.Union([Type.Integer(), Type.Null()]),
      efFor99: Type.Union([Type.Integer(), Type.Null()]),
      recallAt: Type.Array(RecallPoint),
      bytesPerVector: Type.Integer(),
      estimatedBytes: Type.Number(),
      buildMs: Type.Integer(),
    }),
  ),
  notMeasured: Type.Array(Type.Object({ storage: Storage, reason: Type.String() })),
  method: Type.String(),
  tookMs: Type.Integer(),
});
