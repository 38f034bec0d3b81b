import { tenantOf } from '../auth.js';
import type { App, Services } from '../context.js';
import { CollectionParams, DeletedOut, errorResponses } from '../schemas/common.js';
import { DocumentBody, DocumentOut, DocumentParams, DocumentStoredOut } from '../schemas/documents.js';

export default function documentRoutes(app: App, services: Services): void {
  app.post(
    '/v1/collections/:name/documents',
    {
      config: { scope: 'write' },
      schema: {
        tags: ['documents'],
        summary: 'Store a long text as chunk records "<id>#<n>" (replaces an earlier version)',
        params: CollectionParams,
        body: DocumentBody,
        response: { 200: DocumentStoredOut, ...errorResponses(400, 401, 403, 404, 413, 503) },
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
        params: DocumentParams,
        response: { 200: DocumentOut, ...errorResponses(401, 403, 404) },
      },
    },
    async (req) => services.documents.get(tenantOf(req), req.params.name, req.params.id),
  );

  app.delete(
    '/v1/collections/:name/documents/:id',
    {
      config: { scope: 'write' },
      schema: { tags: ['documents'], summary: 'Delete a document and all its chunks', params: DocumentParams, response: { 200: DeletedOut, ...errorResponses(401, 403, 404) } },
    },
    async (req) => ({ deleted: await services.documents.delete(tenantOf(req), req.params.name, req.params.id) }),
  );
}
