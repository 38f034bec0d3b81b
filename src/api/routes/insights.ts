/** Insights into a collection's vectors: clustering, embedding health, drift, a 2-D map, index advice (docs/insights.md). Reads only. */
import { tenantOf } from '../auth.js';
import type { App, Services } from '../context.js';
import { CollectionParams, errorResponses } from '../schemas/common.js';
import { JobOut } from '../schemas/jobs.js';
import { AdviceOut, AdviceQuery, ClustersBody, ClustersOut, DriftBody, DriftOut, HealthOut, HealthQuery, ProjectionOut, ProjectionQuery } from '../schemas/insights.js';
import { Type } from '../../typebox.js';

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

  app.get(
    '/v1/collections/:name/projection',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['insights'],
        summary: 'A 2-D map of the collection: a random sample projected by PCA or UMAP, optionally coloured by k-means clusters',
        description:
          'PCA (ml-pca; explainedVariance gives each axis\'s share of the variance) or UMAP (umap-js, seeded), on unit vectors for cosine collections, run in a worker thread. ' +
          '?clusters=k or auto adds each point\'s k-means cluster (0 = the largest). The same seed, data and query give the same points.',
        params: CollectionParams,
        querystring: ProjectionQuery,
        response: { 200: ProjectionOut, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const { method, sample, seed, clusters } = req.query;
      return services.insights.projection(tenantOf(req), req.params.name, {
        method: method as 'pca' | 'umap' | undefined,
        sample: sample === undefined ? undefined : Number(sample),
        seed: seed === undefined ? undefined : Number(seed),
        clusters: clusters === undefined ? undefined : clusters === 'auto' ? 'auto' : Number(clusters),
      });
    },
  );

  app.get(
    '/v1/collections/:name/advice',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['insights'],
        summary: 'Recommended index, vector storage and ef, measured on a sample of the collection\'s own vectors',
        description:
          'Builds temporary in-memory indexes (hnsw f32/f16/i8, a binary scan, exact flat) over a random sample (default 5000, fewer for long vectors), finds for each the smallest ef reaching recall@10 0.95 and 0.99 ' +
          'against an exact search with held-out sampled vectors as queries, and recommends the least memory among those reaching 0.95 whose estimated search time is within 3× of the fastest. ' +
          'Memory and time are extrapolated to the full collection and say so. Under 1000 records: exact search.',
        params: CollectionParams,
        querystring: AdviceQuery,
        response: { 200: AdviceOut, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
      const { sample, queries, seed } = req.query;
      return services.insights.advice(tenantOf(req), req.params.name, { sample: num(sample), queries: num(queries), seed: num(seed) });
    },
  );
}
