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
