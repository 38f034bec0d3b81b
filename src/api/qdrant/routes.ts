/**
 * The Qdrant-compatible REST subset under /qdrant (docs/compat.md): Qdrant's routes, bodies,
 * envelope and errors, so that Qdrant's own clients work unchanged against Vectra. Keys travel
 * in Qdrant's `api-key` header (or as Bearer tokens) with Vectra's scopes and rate limits; a
 * collection is one of the authenticated tenant's. Thin: parses, authorizes, calls the service.
 */
import type { FastifyContextConfig } from 'fastify';
import { tenantOf } from '../auth.js';
import type { App, Services } from '../context.js';
import { QDRANT_API_VERSION } from '../../services/qdrant/service.js';
import { ok, qdrantErrorHandler, qdrantNotFound } from './envelope.js';
import { bodyOf, FieldParams, PointParams, QdrantCollectionParams, QdrantQuery } from './schemas.js';

export const QDRANT_PREFIX = '/qdrant';

const read: FastifyContextConfig = { scope: 'read', keyHeader: 'api-key' };
const write: FastifyContextConfig = { scope: 'write', keyHeader: 'api-key' };

function routes(app: App, services: Services): void {
  const { collections, points, search } = services.qdrant;
  const onCollection = { hide: true, params: QdrantCollectionParams, querystring: QdrantQuery };

  // Public, as in Qdrant: the version its clients check, and the health probes.
  app.get('/', { schema: { hide: true } }, async () => ({ title: 'vectra (Qdrant-compatible REST subset)', version: QDRANT_API_VERSION }));
  app.get('/healthz', { schema: { hide: true } }, async (_req, reply) => reply.type('text/plain').send('healthz check passed'));
  app.get('/livez', { schema: { hide: true } }, async (_req, reply) => reply.type('text/plain').send('healthz check passed'));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) =>
    services.isReady() ? reply.type('text/plain').send('all shards are ready') : reply.code(503).type('text/plain').send('some shards are not ready'),
  );

  // Collections
  app.get('/collections', { config: read, schema: { hide: true, querystring: QdrantQuery } }, async (req, reply) => ok(reply, collections.list(tenantOf(req))));
  app.get('/collections/:name', { config: read, schema: onCollection }, async (req, reply) => ok(reply, collections.info(tenantOf(req), req.params.name)));
  app.get('/collections/:name/exists', { config: read, schema: onCollection }, async (req, reply) => ok(reply, collections.exists(tenantOf(req), req.params.name)));
  app.put('/collections/:name', { config: write, schema: { ...onCollection, body: bodyOf('createCollection') } }, async (req, reply) => ok(reply, await collections.create(tenantOf(req), req.params.name, req.body)));
  app.delete('/collections/:name', { config: write, schema: onCollection }, async (req, reply) => ok(reply, await collections.drop(tenantOf(req), req.params.name)));
  app.put('/collections/:name/index', { config: write, schema: { ...onCollection, body: bodyOf('createFieldIndex') } }, async (req, reply) => ok(reply, points.fieldIndex(tenantOf(req), req.params.name, req.body)));
  app.delete('/collections/:name/index/:field', { config: write, schema: { hide: true, params: FieldParams, querystring: QdrantQuery } }, async (req, reply) => ok(reply, points.fieldIndex(tenantOf(req), req.params.name)));

  // Points: writes
  const body = (kind: Parameters<typeof bodyOf>[0]) => ({ ...onCollection, body: bodyOf(kind) });
  app.put('/collections/:name/points', { config: write, schema: body('upsert') }, async (req, reply) => ok(reply, await points.upsert(tenantOf(req), req.params.name, req.body)));
  app.post('/collections/:name/points/delete', { config: write, schema: body('selector') }, async (req, reply) => ok(reply, await points.delete(tenantOf(req), req.params.name, req.body)));
  app.post('/collections/:name/points/payload', { config: write, schema: body('setPayload') }, async (req, reply) => ok(reply, await points.setPayload(tenantOf(req), req.params.name, req.body)));
  app.put('/collections/:name/points/payload', { config: write, schema: body('setPayload') }, async (req, reply) => ok(reply, await points.overwritePayload(tenantOf(req), req.params.name, req.body)));
  app.post('/collections/:name/points/payload/delete', { config: write, schema: body('deletePayload') }, async (req, reply) => ok(reply, await points.deletePayload(tenantOf(req), req.params.name, req.body)));
  app.post('/collections/:name/points/payload/clear', { config: write, schema: body('selector') }, async (req, reply) => ok(reply, await points.clearPayload(tenantOf(req), req.params.name, req.body)));
  app.put('/collections/:name/points/vectors', { config: write, schema: body('updateVectors') }, async (req, reply) => ok(reply, await points.updateVectors(tenantOf(req), req.params.name, req.body)));
  app.post('/collections/:name/points/batch', { config: write, schema: body('batch') }, async (req, reply) => ok(reply, await points.batch(tenantOf(req), req.params.name, req.body)));

  // Points: reads
  app.post('/collections/:name/points', { config: read, schema: body('retrieve') }, async (req, reply) => ok(reply, points.retrieve(tenantOf(req), req.params.name, req.body)));
  app.get('/collections/:name/points/:id', { config: read, schema: { hide: true, params: PointParams, querystring: QdrantQuery } }, async (req, reply) => ok(reply, points.get(tenantOf(req), req.params.name, req.params.id)));
  app.post('/collections/:name/points/scroll', { config: read, schema: body('scroll') }, async (req, reply) => ok(reply, points.scroll(tenantOf(req), req.params.name, req.body)));
  app.post('/collections/:name/points/count', { config: read, schema: body('count') }, async (req, reply) => ok(reply, points.count(tenantOf(req), req.params.name, req.body)));

  // Search
  app.post('/collections/:name/points/search', { config: read, schema: body('search') }, async (req, reply) => ok(reply, await search.search(tenantOf(req), req.params.name, req.body)));
  app.post('/collections/:name/points/search/batch', { config: read, schema: body('searchBatch') }, async (req, reply) => ok(reply, await search.searchBatch(tenantOf(req), req.params.name, req.body)));
  app.post('/collections/:name/points/query', { config: read, schema: body('query') }, async (req, reply) => ok(reply, await search.query(tenantOf(req), req.params.name, req.body)));
  app.post('/collections/:name/points/query/batch', { config: read, schema: body('searchBatch') }, async (req, reply) => ok(reply, await search.queryBatch(tenantOf(req), req.params.name, req.body)));
}

/** Registers the subset under /qdrant, with Qdrant's envelope for its errors and unknown routes. */
export async function registerQdrant(app: App, services: Services): Promise<void> {
  await app.register(
    async (q: App) => {
      q.setErrorHandler(qdrantErrorHandler(services.config.dataDir));
      q.setNotFoundHandler(qdrantNotFound);
      routes(q, services);
    },
    { prefix: QDRANT_PREFIX },
  );
}
