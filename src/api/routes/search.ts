import { tenantOf } from '../auth.js';
import type { App, Services } from '../context.js';
import { CollectionParams, errorResponses } from '../schemas/common.js';
import { FeedbackBody, SearchOut, searchBody } from '../schemas/search.js';

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

  app.post(
    '/v1/collections/:name/feedback',
    {
      config: { scope: 'write' },
      schema: {
        tags: ['search'],
        summary: 'Record what a user did with a search result (click, dwell, bookmark, skip), for rerank "feedback"',
        description:
          'Signals weigh click 0.5, bookmark 1, dwell min(1, seconds / 30), skip −0.5. Each user (the API key, or "user" under it) counts once per result: its newest signal for a query replaces the earlier one. ' +
          'A search with rerank {"type": "feedback"} boosts its candidates by tanh(Σ users / 3) × users / (users + 1) × weight, over queries with cosine ≥ minSimilarity to its own.',
        params: CollectionParams,
        body: FeedbackBody(services.config.limits),
        response: errorResponses(400, 401, 403, 404),
      },
    },
    async (req, reply) => {
      await services.search.feedback(tenantOf(req), req.principal!.keyId, req.params.name, req.body);
      return reply.code(204).send();
    },
  );
}
