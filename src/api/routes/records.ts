import { tenantOf } from '../auth.js';
import type { App, Services } from '../context.js';
import { CollectionParams, errorResponses } from '../schemas/common.js';
import { DeletedManyOut, GetQuery, ListQuery, RecordListOut, RecordParams, RecordRef, UpsertedOut, deleteManyBody, upsertBody } from '../schemas/records.js';

/** Every write answer carries the collection's seq after it, also as a header (a 204 has no body). */
export const SEQ_HEADER = 'x-vectra-seq';

export default function recordRoutes(app: App, services: Services): void {
  const { limits } = services.config;

  app.post(
    '/v1/collections/:name/records',
    {
      config: { scope: 'write' },
      schema: {
        tags: ['records'],
        summary: 'Upsert records by id (atomic batch: all or none)',
        params: CollectionParams,
        body: upsertBody(limits),
        response: { 200: UpsertedOut, ...errorResponses(400, 401, 403, 404, 413) },
      },
    },
    async (req, reply) => {
      const out = await services.records.upsert(tenantOf(req), req.params.name, req.body.records);
      reply.header(SEQ_HEADER, out.seq);
      return out;
    },
  );

  app.get(
    '/v1/collections/:name/records',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['records'],
        summary: 'List records by id, a page at a time',
        params: CollectionParams,
        querystring: ListQuery,
        response: { 200: RecordListOut, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const q = req.query;
      return services.records.list(tenantOf(req), req.params.name, {
        limit: q.limit === undefined ? undefined : Number(q.limit),
        cursor: q.cursor,
        filter: q.filter,
        includeVector: q.includeVector === 'true',
      });
    },
  );

  app.get(
    '/v1/collections/:name/records/:id',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['records'],
        summary: 'Get a record',
        params: RecordParams,
        querystring: GetQuery,
        response: { 200: RecordRef, ...errorResponses(401, 403, 404) },
      },
    },
    async (req) => services.records.get(tenantOf(req), req.params.name, req.params.id, req.query.includeVector === 'true'),
  );

  app.delete(
    '/v1/collections/:name/records/:id',
    { config: { scope: 'write' }, schema: { tags: ['records'], summary: 'Delete a record', params: RecordParams, response: { ...errorResponses(401, 403, 404) } } },
    async (req, reply) => {
      const { seq } = await services.records.delete(tenantOf(req), req.params.name, req.params.id);
      return reply.code(204).header(SEQ_HEADER, seq).send();
    },
  );

  app.post(
    '/v1/collections/:name/records/delete',
    {
      config: { scope: 'write' },
      schema: {
        tags: ['records'],
        summary: 'Delete records by ids or by metadata filter',
        params: CollectionParams,
        body: deleteManyBody(limits),
        response: { 200: DeletedManyOut, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      const out = await services.records.deleteMany(tenantOf(req), req.params.name, req.body.ids, req.body.filter);
      reply.header(SEQ_HEADER, out.seq);
      return out;
    },
  );
}
