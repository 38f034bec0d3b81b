import { Type } from '@fastify/type-provider-typebox';
import { tenantOf } from '../auth.js';
import type { App, Services } from '../context.js';
import { CollectionName, Metadata, errorResponses, limitedSchemas } from '../schemas.js';

export default function searchRoutes(app: App, s: Services): void {
  const { vector, k } = limitedSchemas(s.config.limits);
  app.post(
    '/v1/collections/:name/search',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['search'],
        summary: 'Search by text or vector, with an optional metadata filter',
        params: Type.Object({ name: CollectionName }),
        body: Type.Object(
          {
            text: Type.Optional(Type.String({ minLength: 1, maxLength: 100_000 })),
            vector: Type.Optional(vector),
            k: Type.Optional(k),
            ef: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description: 'HNSW search breadth (default: the collection\'s efSearch)' })),
            filter: Type.Optional(Metadata),
            mode: Type.Optional(Type.Union([Type.Literal('dense'), Type.Literal('keyword'), Type.Literal('hybrid')])),
            fusion: Type.Optional(Type.Unknown()),
            return: Type.Optional(Type.Union([Type.Literal('object'), Type.Literal('id')])),
            includeVector: Type.Optional(Type.Boolean()),
            exact: Type.Optional(Type.Boolean({ description: 'exact search, bypassing the graph' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            results: Type.Array(
              Type.Object({
                id: Type.String(),
                score: Type.Number(),
                text: Type.Optional(Type.Union([Type.String(), Type.Null()])),
                metadata: Type.Optional(Metadata),
                vector: Type.Optional(Type.Array(Type.Number())),
              }),
            ),
            took_ms: Type.Number(),
            plan: Type.String({ description: 'hnsw | hnsw-filtered | exact | exact-filtered' }),
          }),
          ...errorResponses(400, 401, 403, 404, 503),
        },
      },
    },
    async (req) => s.search.search(tenantOf(req), req.params.name, req.body),
  );
}
