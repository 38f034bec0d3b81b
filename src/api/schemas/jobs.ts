/** Import jobs: NDJSON uploads imported in the background. */
import { Type } from '@fastify/type-provider-typebox';

export const JobOut = Type.Object({
  id: Type.String(), type: Type.Literal('import'), collection: Type.String(),
  status: Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('done'), Type.Literal('failed'), Type.Literal('cancelled')]),
  total: Type.Integer(), done: Type.Integer(), upserted: Type.Integer(), errors: Type.Integer(),
  errorSamples: Type.Array(Type.Object({ line: Type.Integer(), id: Type.Optional(Type.String()), error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })) })),
  rate: Type.Union([Type.Number(), Type.Null()]), etaSeconds: Type.Union([Type.Number(), Type.Null()]),
  error: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()]),
  createdAt: Type.String(), startedAt: Type.Union([Type.String(), Type.Null()]), finishedAt: Type.Union([Type.String(), Type.Null()]),
});

export const JobListOut = Type.Object({ jobs: Type.Array(JobOut) });

export const JobParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
