import { tenantOf } from '../auth.js';
import type { App, Services } from '../context.js';
import { CollectionListOut, CollectionRef, createCollectionBody } from '../schemas/collections.js';
import { CollectionParams, errorResponses } from '../schemas/common.js';

export default function collectionRoutes(app: App, services: Services): void {
  app.post(
    '/v1/collections',
    {
      config: { scope: 'write' },
      schema: {
        tags: ['collections'],
        summary: 'Create a collection',
        body: createCollectionBody(services.config.limits),
        response: { 201: CollectionRef, ...errorResponses(400, 401, 403, 409, 503) },
      },
    },
    async (req, reply) => reply.code(201).send(await services.collections.create(tenantOf(req), req.body)),
  );

  app.get(
    '/v1/collections',
    { config: { scope: 'read' }, schema: { tags: ['collections'], summary: 'List collections', response: { 200: CollectionListOut, ...errorResponses(401, 403) } } },
    async (req) => ({ collections: services.collections.list(tenantOf(req)) }),
  );

  app.get(
    '/v1/collections/:name',
    { config: { scope: 'read' }, schema: { tags: ['collections'], summary: 'Describe a collection, with count and disk size', params: CollectionParams, response: { 200: CollectionRef, ...errorResponses(401, 403, 404) } } },
    async (req) => services.collections.describe(tenantOf(req), req.params.name),
  );

  app.delete(
    '/v1/collections/:name',
    { config: { scope: 'write' }, schema: { tags: ['collections'], summary: 'Delete a collection and its files', params: CollectionParams, response: { ...errorResponses(401, 403, 404) } } },
    async (req, reply) => {
      await services.collections.drop(tenantOf(req), req.params.name);
      return reply.code(204).send();
    },
  );
}
