/**
 * Webhooks (/v1/webhooks): register a URL for event types, see its state and deliveries, send
 * it a test event. Reading needs the "read" scope, changing "write" — and creating or
 * re-pointing one "read" too: a webhook sends record ids and collection settings wherever it
 * points, which a write-only key may not read itself.
 */
import { VectraError } from '../../errors.js';
import { alsoScope, tenantOf } from '../auth.js';
import type { App, Services } from '../context.js';
import { errorResponses } from '../schemas/common.js';
import { CreatedWebhookOut, CreateWebhookBody, DeliveriesOut, DeliveriesQuery, DeliveryOut, PatchWebhookBody, WebhookDetailOut, WebhookListOut, WebhookParams } from '../schemas/webhooks.js';

const TAGS = ['webhooks'];

export default function webhookRoutes(app: App, services: Services): void {
  const hooks = services.webhooks;

  app.post(
    '/v1/webhooks',
    {
      config: { scope: 'write' },
      preValidation: alsoScope('read'),
      schema: { tags: TAGS, summary: 'Register a webhook (its signing secret is shown only in this answer; needs the read scope too)', body: CreateWebhookBody, response: { 201: CreatedWebhookOut, ...errorResponses(400, 401, 403, 409) } },
    },
    async (req, reply) => reply.code(201).send(await hooks.create(tenantOf(req), req.body)),
  );

  app.get(
    '/v1/webhooks',
    { config: { scope: 'read' }, schema: { tags: TAGS, summary: "This tenant's webhooks", response: { 200: WebhookListOut, ...errorResponses(401, 403) } } },
    async (req) => ({ webhooks: await hooks.list(tenantOf(req)) }),
  );

  app.get(
    '/v1/webhooks/:id',
    { config: { scope: 'read' }, schema: { tags: TAGS, summary: 'One webhook with its delivery counts', params: WebhookParams, response: { 200: WebhookDetailOut, ...errorResponses(401, 403, 404) } } },
    async (req) => hooks.get(tenantOf(req), req.params.id),
  );

  app.patch(
    '/v1/webhooks/:id',
    {
      config: { scope: 'write' },
      preValidation: alsoScope('read'),
      schema: {
        tags: TAGS,
        summary: 'Change a webhook (needs the read scope too); status "active" re-enables a disabled one (and resets its failure count)',
        params: WebhookParams,
        body: PatchWebhookBody,
        response: { 200: WebhookDetailOut, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => hooks.update(tenantOf(req), req.params.id, req.body),
  );

  app.delete(
    '/v1/webhooks/:id',
    { config: { scope: 'write' }, schema: { tags: TAGS, summary: 'Delete a webhook and its pending deliveries', params: WebhookParams, response: errorResponses(401, 403, 404) } },
    async (req, reply) => {
      await hooks.remove(tenantOf(req), req.params.id);
      return reply.code(204).send();
    },
  );

  app.get(
    '/v1/webhooks/:id/deliveries',
    {
      config: { scope: 'read' },
      schema: { tags: TAGS, summary: "A webhook's deliveries, newest first", params: WebhookParams, querystring: DeliveriesQuery, response: { 200: DeliveriesOut, ...errorResponses(400, 401, 403, 404) } },
    },
    async (req) => {
      const limit = req.query.limit === undefined ? 50 : Number(req.query.limit);
      if (limit < 1 || limit > 500) throw new VectraError('INVALID_ARGUMENT', 'limit must be an integer from 1 to 500');
      return { deliveries: await hooks.deliveries(tenantOf(req), req.params.id, limit, req.query.status) };
    },
  );

  app.post(
    '/v1/webhooks/:id/test',
    {
      config: { scope: 'write' },
      schema: { tags: TAGS, summary: 'Queue a webhook.test event for this webhook alone', params: WebhookParams, response: { 202: DeliveryOut, ...errorResponses(401, 403, 404) } },
    },
    async (req, reply) => reply.code(202).send(await hooks.test(tenantOf(req), req.params.id)),
  );
}
