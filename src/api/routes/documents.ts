import { Type } from '@fastify/type-provider-typebox';
import { tenantOf } from '../auth.js';
import type { App, Services } from '../context.js';
import { CollectionName, Metadata, errorResponses } from '../schemas.js';

const DocId = Type.String({ minLength: 1, maxLength: 200 });
const Params = Type.Object({ name: CollectionName, id: DocId });

export default function documentRoutes(app: App, services: Services): void {
  app.post(
    '/v1/collections/:name/documents',
    {
      config: { scope: 'write' },
      schema: {
        tags: ['documents'],
        summary: 'Store a long text as chunk records "<id>#<n>" (replaces an earlier version)',
        params: Type.Object({ name: CollectionName }),
        body: Type.Object(
          {
            id: Type.Optional(DocId),
            text: Type.String({ minLength: 1, maxLength: 10_000_000 }),
            metadata: Type.Optional(Metadata),
            format: Type.Optional(Type.Union([Type.Literal('text'), Type.Literal('markdown'), Type.Literal('html')], { description: 'markdown and html split at headings first (default text)' })),
            chunk: Type.Optional(
              Type.Object(
                {
                  size: Type.Optional(Type.Integer({ minimum: 100, maximum: 20_000, description: 'characters per chunk (default 1000)' })),
                  overlap: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000, description: 'characters carried into the next chunk (default 150, at most size/2)' })),
                },
                { additionalProperties: false },
              ),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ id: Type.String(), chunks: Type.Integer(), ids: Type.Array(Type.String()) }), ...errorResponses(400, 401, 403, 404, 413, 503) },
      },
    },
    async (req) => services.documents.upsert(tenantOf(req), req.params.name, req.body),
  );

  app.get(
    '/v1/collections/:name/documents/:id',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['documents'],
        summary: "A document's metadata and its chunks in order",
        params: Params,
        response: {
          200: Type.Object({
            id: Type.String(),
            metadata: Metadata,
            chunks: Type.Array(Type.Object({ id: Type.String(), chunk: Type.Integer(), text: Type.Union([Type.String(), Type.Null()]), section: Type.Optional(Type.String()) })),
          }),
          ...errorResponses(401, 403, 404),
        },
      },
    },
    async (req) => services.documents.get(tenantOf(req), req.params.name, req.params.id),
  );

  app.delete(
    '/v1/collections/:name/documents/:id',
    {
      config: { scope: 'write' },
      schema: { tags: ['documents'], summary: 'Delete a document and all its chunks', params: Params, response: { 200: Type.Object({ deleted: Type.Integer() }), ...errorResponses(401, 403, 404) } },
    },
    async (req) => ({ deleted: services.documents.delete(tenantOf(req), req.params.name, req.params.id) }),
  );
}
