/** Background jobs (GET /v1/jobs, /v1/jobs/{id}, POST …/cancel): NDJSON imports and large document uploads, per tenant. */
import { tenantOf } from '../auth.js';
import type { App, Services } from '../context.js';
import { errorResponses } from '../schemas/common.js';
import { JobListOut, JobOut, JobParams } from '../schemas/jobs.js';

export default function jobRoutes(app: App, services: Services): void {
  app.get('/v1/jobs', { config: { scope: 'read' }, schema: { tags: ['jobs'], summary: "This tenant's recent jobs", response: { 200: JobListOut, ...errorResponses(401, 403) } } }, async (req) => ({
    jobs: await services.jobs.listAll(tenantOf(req)),
  }));
  app.get('/v1/jobs/:id', { config: { scope: 'read' }, schema: { tags: ['jobs'], summary: 'A job: status, progress (done/total, errors, rate, ETA)', params: JobParams, response: { 200: JobOut, ...errorResponses(401, 403, 404) } } }, async (req) =>
    services.jobs.find(tenantOf(req), req.params.id),
  );
  app.post('/v1/jobs/:id/cancel', { config: { scope: 'write' }, schema: { tags: ['jobs'], summary: 'Cancel a job (after its current batch; imported records stay)', params: JobParams, response: { 200: JobOut, ...errorResponses(401, 403, 404) } } }, async (req) =>
    services.jobs.cancelAny(tenantOf(req), req.params.id),
  );
}
