/** Insights: clustering, embedding health and drift of a collection's vectors (docs/insights.md). */
import { Type } from '@fastify/type-provider-typebox';
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
