/** GET /v1/stats: the calling tenant's own figures — its data and its requests, nothing server-wide. */
import { tenantOf } from '../auth.js';
import type { App, Services } from '../context.js';
import type { TenantTraffic } from '../metrics.js';
import { errorResponses } from '../schemas/common.js';
import { StatsOut } from '../schemas/stats.js';

export default function statsRoutes(app: App, services: Services, traffic: TenantTraffic): void {
  app.get(
    '/v1/stats',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['operations'],
        summary: "This tenant's collections, records, disk and index bytes, and its own request counts and latency",
        response: { 200: StatsOut, ...errorResponses(401, 403) },
      },
    },
    async (req) => {
      const tenant = tenantOf(req);
      return { ...services.stats.ofTenant(tenant), requests: traffic.of(tenant), since: traffic.since };
    },
  );
}
