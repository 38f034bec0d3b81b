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
