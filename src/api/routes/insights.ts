/** Insights into a collection's vectors: clustering, embedding health, drift (docs/insights.md). Reads only. */
import { tenantOf } from '../auth.js';
import type { App, Services } from '../context.js';
import { CollectionParams, errorResponses } from '../schemas/common.js';
import { JobOut } from '../schemas/jobs.js';
import { ClustersBody, ClustersOut, DriftBody, DriftOut, HealthOut, HealthQuery } from '../schemas/insights.js';
import { Type } from '@fastify/type-provider-typebox';

export default function insightsRoutes(app: App, services: Services): void {
  const threshold = services.config.limits.insightsJobThreshold;
  app.post(
    '/v1/collections/:name/clusters',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['insights'],
        summary: 'Cluster the collection (or what a filter selects) with k-means; k given or chosen by silhouette',
        description:
          'k-means++ seeding, fitted on a random sample (Lloyd, or mini-batch above 10000 fitted vectors), then every selected vector assigned. ' +
          `Cosine collections are clustered on unit vectors. Over ${threshold} selected vectors (VECTRA_INSIGHTS_JOB_THRESHOLD) the answer is 202 {"job"}: ` +
          'follow it at GET /v1/jobs/{id}; its "result" is the clustering.',
        params: CollectionParams,
        body: ClustersBody,
        response: { 200: ClustersOut, 202: Type.Object({ job: JobOut }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      const out = await services.insights.clusters(tenantOf(req), req.params.name, req.body);
      return 'job' in out ? reply.code(202).send(out) : out;
    },
  );

  app.get(
    '/v1/collections/:name/health',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['insights'],
        summary: 'Embedding health: norms, near-duplicates, outliers, dead dimensions, anisotropy, and a verdict with reasons',
        description:
          'Over a random sample (default 2000 records; ?sample=): each sampled vector\'s nearest neighbours come from the collection\'s index. ' +
          'Near-duplicates: cosine ≥ 0.99. Outliers: robust z-score > 3.5 of the cosine distance to the 5th neighbour. Dead dimensions: standard deviation ≤ 0.001 × the mean one.',
        params: CollectionParams,
        querystring: HealthQuery,
        response: { 200: HealthOut, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const { sample, seed } = req.query;
      return services.insights.health(tenantOf(req), req.params.name, { sample: sample === undefined ? undefined : Number(sample), seed: seed === undefined ? undefined : Number(seed) });
    },
  );

  app.post(
    '/v1/collections/:name/drift',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['insights'],
        summary: 'Drift: compare the vectors last written in a window (seq or time range) with a baseline',
        description:
          'Centroid shift, and two-sample Kolmogorov–Smirnov tests per dimension (up to 64 dimensions) or on 64 seeded random projections, ' +
          'Benjamini–Hochberg-adjusted; "drifted" when an adjusted p < 0.01 with KS ≥ 0.1. Each side needs at least 20 records (else 400).',
        params: CollectionParams,
        body: DriftBody,
        response: { 200: DriftOut, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => services.insights.drift(tenantOf(req), req.params.name, req.body),
  );
}
