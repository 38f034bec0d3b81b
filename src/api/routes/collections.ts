import { Type } from '@fastify/type-provider-typebox';
import { tenantOf } from '../auth.js';
import type { App, Services } from '../context.js';
import { CollectionName, errorResponses } from '../schemas.js';

const Params = Type.Object({ name: CollectionName });

export default function collectionRoutes(app: App, services: Services): void {
  app.post(
    '/v1/collections',
    {
      config: { scope: 'write' },
      schema: {
        tags: ['collections'],
        summary: 'Create a collection',
        body: Type.Object(
          {
            name: CollectionName,
            model: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'an id from GET /v1/models (default: the built-in model) or "none"' })),
            dimension: Type.Optional(Type.Integer({ minimum: 1, maximum: services.config.limits.maxDimension })),
            metric: Type.Optional(Type.Union([Type.Literal('cosine'), Type.Literal('dot'), Type.Literal('l2')])),
            index: Type.Optional(
              Type.Object(
                {
                  type: Type.Optional(Type.Union([Type.Literal('hnsw'), Type.Literal('flat')])),
                  m: Type.Optional(Type.Integer()),
                  efConstruction: Type.Optional(Type.Integer()),
                  efSearch: Type.Optional(Type.Integer()),
                },
                { additionalProperties: false },
              ),
            ),
            storage: Type.Optional(Type.Union([Type.Literal('f32'), Type.Literal('f16'), Type.Literal('i8'), Type.Literal('binary'), Type.Literal('pq')])),
            pq: Type.Optional(
              Type.Object(
                { m: Type.Optional(Type.Integer({ description: 'sub-vectors; must divide the dimension (default: the divisor nearest d/4)' })), bits: Type.Optional(Type.Integer({ description: 'bits per sub-vector code, 1–8 (default 8)' })) },
                { additionalProperties: false },
              ),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Ref('Collection'), ...errorResponses(400, 401, 403, 409) },
      },
    },
    async (req, reply) => reply.code(201).send(await services.collections.create(tenantOf(req), req.body)),
  );

  app.get(
    '/v1/collections',
    { config: { scope: 'read' }, schema: { tags: ['collections'], summary: 'List collections', response: { 200: Type.Object({ collections: Type.Array(Type.Ref('Collection')) }), ...errorResponses(401, 403) } } },
    async (req) => ({ collections: services.collections.list(tenantOf(req)) }),
  );

  app.get(
    '/v1/collections/:name',
    { config: { scope: 'read' }, schema: { tags: ['collections'], summary: 'Describe a collection, with count and disk size', params: Params, response: { 200: Type.Ref('Collection'), ...errorResponses(401, 403, 404) } } },
    async (req) => services.collections.describe(tenantOf(req), req.params.name),
  );

  app.delete(
    '/v1/collections/:name',
    { config: { scope: 'write' }, schema: { tags: ['collections'], summary: 'Delete a collection and its files', params: Params, response: { ...errorResponses(401, 403, 404) } } },
    async (req, reply) => {
      await services.collections.drop(tenantOf(req), req.params.name);
      return reply.code(204).send();
    },
  );
}
