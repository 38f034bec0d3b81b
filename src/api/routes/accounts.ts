/** Registration and API keys. */
import type { Scope } from '../../services/accounts.js';
import { requireAdminToken, tenantOf } from '../auth.js';
import type { App, Services } from '../context.js';
import { HttpError } from '../error-codes.js';
import { CreateKeyBody, CreatedKeyOut, KeyListOut, KeyParams, RegisterBody, RegisteredOut } from '../schemas/accounts.js';
import { errorResponses } from '../schemas/common.js';

export default function accountRoutes(app: App, services: Services): void {
  app.post(
    '/v1/auth/register',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Create a tenant and its first API key (shown only in this answer)',
        body: RegisterBody,
        response: { 201: RegisteredOut, ...errorResponses(400, 401, 429) },
      },
    },
    async (req, reply) => {
      if (services.config.registration === 'admin') {
        requireAdminToken(req, services.config.adminToken, 'registration', 'set VECTRA_ADMIN_TOKEN (then send it as X-Admin-Token), or VECTRA_REGISTRATION=open');
      }
      const { tenant, apiKey } = await services.accountWrites.register(req.body.name);
      services.collections.openTenant(tenant.id);
      return reply.code(201).send({ tenant: { id: tenant.id, name: tenant.name }, apiKey });
    },
  );

  app.get(
    '/v1/keys',
    {
      config: { scope: 'admin' },
      schema: { tags: ['accounts'], summary: "List this tenant's API keys", response: { 200: KeyListOut, ...errorResponses(401, 403) } },
    },
    async (req) => ({ keys: services.accounts.listKeys(tenantOf(req)) }),
  );

  app.post(
    '/v1/keys',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['accounts'],
        summary: 'Create an API key (the key is shown only in this answer)',
        body: CreateKeyBody,
        response: { 201: CreatedKeyOut, ...errorResponses(400, 401, 403) },
      },
    },
    async (req, reply) => {
      // A key can hand out only what it has: an admin-only key cannot mint a read/write key.
      const lacking = (req.body.scopes as Scope[]).filter((scope) => !req.principal?.scopes.has(scope));
      if (lacking.length > 0) throw new HttpError('INSUFFICIENT_SCOPE', `this API key cannot create a key with scopes it does not have itself (${lacking.map((x) => `"${x}"`).join(', ')})`);
      const { apiKey, key } = await services.accountWrites.createKey(tenantOf(req), req.body.name, req.body.scopes as Scope[], req.body.expiresAt ?? null);
      return reply.code(201).send({ ...key, apiKey });
    },
  );

  app.delete(
    '/v1/keys/:id',
    {
      config: { scope: 'admin' },
      schema: { tags: ['accounts'], summary: 'Revoke an API key (effective at once)', params: KeyParams, response: { ...errorResponses(401, 403, 404) } },
    },
    async (req, reply) => {
      await services.accountWrites.revokeKey(tenantOf(req), req.params.id);
      return reply.code(204).send();
    },
  );
}
