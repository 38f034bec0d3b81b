import type { Registry } from 'prom-client';
import type { App, Services } from '../context.js';
import { send } from '../errors.js';

export default function opsRoutes(app: App, services: Services, metrics: Registry): void {
  const noLimit = { rateLimit: false } as const;
  app.get('/health', { config: noLimit, schema: { tags: ['operations'], summary: 'The process is alive' } }, async () => ({ status: 'ok' }));
  app.get('/ready', { config: noLimit, schema: { tags: ['operations'], summary: '200 once collections and the default model are loaded, 503 before' } }, async (_req, reply) => {
    if (!services.isReady()) return send(reply, 'NOT_READY', 'still loading collections or the embedding model; retry shortly');
    return { status: 'ready' };
  });
  app.get('/metrics', { config: noLimit, schema: { tags: ['operations'], summary: 'Prometheus metrics' } }, async (_req, reply) => {
    reply.type(metrics.contentType);
    return metrics.metrics();
  });
  app.get('/openapi.json', { config: noLimit, schema: { hide: true } }, async () => app.swagger());
}
