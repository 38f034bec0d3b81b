/** Import jobs: NDJSON uploads imported in the background. */
import { Type } from '@fastify/type-provider-typebox';
import { ClustersOut } from './insights.js';

export const JobOut = Type.Object({
  id: Type.String(), type: Type.Union([Type.Literal('import'), Type.Literal('clusters')], { description: 'import: an NDJSON upload; clusters: a clustering too large to answer at once' }), collection: Type.String(),
  status: Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('done'), Type.Literal('failed'), Type.Literal('cancelled')]),
  total: Type.Integer(), done: Type.Integer(), upserted: Type.Integer(), errors: Type.Integer(),
  errorSamples: Type.Array(Type.Object({ line: Type.Integer(), id: Type.Optional(Type.String()), error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })) })),
  rate: Type.Union([Type.Number(), Type.Null()]), etaSeconds: Type.Union([Type.Number(), Type.Null()]),
  error: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()]),
  createdAt: Type.String(), startedAt: Type.Union([Type.String(), Type.Null()]), finishedAt: Type.Union([Type.String(), Type.Null()]),
  result: Type.Optional(Type.Union([ClustersOut], { description: 'a clusters job, once done: the clustering' })),
});

export const JobListOut = Type.Object({ jobs: Type.Array(JobOut) });

export const JobParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
