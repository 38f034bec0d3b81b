/** A tenant's own figures (GET /v1/stats). */
import { Type } from '../../typebox.js';

export const StatsOut = Type.Object({
  collections: Type.Integer({ description: "this tenant's collections" }),
  records: Type.Integer({ description: 'records in them' }),
  diskBytes: Type.Integer({ description: 'bytes of their files' }),
  indexBytes: Type.Integer({ description: 'estimated memory of their vector indexes' }),
  requests: Type.Object(
    {
      total: Type.Integer(),
      errors: Type.Integer({ description: 'answered 4xx or 5xx' }),
      latency: Type.Object({
        sumSeconds: Type.Number(),
        buckets: Type.Array(Type.Object({ le: Type.Number(), count: Type.Integer() }), { description: 'cumulative: requests that took at most le seconds' }),
      }),
    },
    { description: "requests made with this tenant's keys since `since` (calls to /v1/stats itself are not counted)" },
  ),
  since: Type.String({ description: 'when the server started counting (its start)' }),
});
