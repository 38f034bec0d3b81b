import { tenantOf } from '../auth.js';
import type { App, Services } from '../context.js';
import { CollectionParams, errorResponses } from '../schemas/common.js';
import { SearchOut, searchBody } from '../schemas/search.js';

export default function searchRoutes(app: App, services: Services): void {
  app.post(
    '/v1/collections/:name/search',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['search'],
        summary: 'Search by text or vector, with an optional metadata filter',
        params: CollectionParams,
        body: searchBody(services.config.limits),
        response: { 200: SearchOut, ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (req) => services.search.search(tenantOf(req), req.params.name, req.body),
  );
}
