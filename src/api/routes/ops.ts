import type { Registry } from 'prom-client';
import type { App, Services } from '../context.js';
import { requireAdminToken } from '../auth.js';
import { send } from '../errors.js';

export default function opsRoutes(app: App, services: Services, metrics: Registry): void {
  const noLimit = { rateLimit: false } as const;
  app.get('/health', { config: noLimit, schema: { tags: ['operations'], summary: 'The process is alive' } }, async () => ({ status: 'ok' }));
  app.get('/ready', { config: noLimit, schema: { tags: ['operations'], summary: '200 once collections and the default model are loaded, 503 before' } }, async (_req, reply) => {
    if (!services.isReady()) return send(reply, 'NOT_READY', 'still loading collections or the embedding model; retry shortly');
    return { status: 'ready' };
  });
  // Server-wide figures are the operator's: open on loopback, otherwise behind the admin token
  // (VECTRA_METRICS), and then limited per client like registration, so the token cannot be guessed fast.
  const closed = services.config.metrics === 'admin';
  const metricsLimit: { rateLimit?: false } = closed ? {} : noLimit;
  app.get(
    '/metrics',
    { config: metricsLimit, schema: { tags: ['operations'], summary: 'Prometheus metrics (server-wide; needs the admin token unless the server is on loopback or VECTRA_METRICS=open)' } },
    async (req, reply) => {
      if (closed) requireAdminToken(req, services.config.adminToken, '/metrics', 'set VECTRA_ADMIN_TOKEN (then send it as X-Admin-Token or Authorization: Bearer), or VECTRA_METRICS=open');
      reply.type(metrics.contentType);
      return metrics.metrics();
    },
  );
  app.get('/openapi.json', { config: noLimit, schema: { hide: true } }, async () => app.swagger());
}
