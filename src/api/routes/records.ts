import { Type } from '@fastify/type-provider-typebox';
import { tenantOf } from '../auth.js';
import type { App, Services } from '../context.js';
import { CollectionName, Metadata, errorResponses, limitedSchemas } from '../schemas.js';

const Params = Type.Object({ name: CollectionName });
const RecordParams = Type.Object({ name: CollectionName, id: Type.String({ minLength: 1, maxLength: 256 }) });
const Bool = Type.Union([Type.Literal('true'), Type.Literal('false')]);

export default function recordRoutes(app: App, services: Services): void {
  const { RecordIn } = limitedSchemas(services.config.limits);
  const batch = services.config.limits.maxBatch;

  app.post(
    '/v1/collections/:name/records',
    {
      config: { scope: 'write' },
      schema: {
        tags: ['records'],
        summary: 'Upsert records by id (atomic batch: all or none)',
        params: Params,
        body: Type.Object({ records: Type.Array(RecordIn, { minItems: 1, maxItems: batch }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ ids: Type.Array(Type.String()), upserted: Type.Integer() }), ...errorResponses(400, 401, 403, 404, 413) },
      },
    },
    async (req) => services.records.upsert(tenantOf(req), req.params.name, req.body.records),
  );

  app.get(
    '/v1/collections/:name/records',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['records'],
        summary: 'List records by id, a page at a time',
        params: Params,
        querystring: Type.Object(
          {
            limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$' })),
            cursor: Type.Optional(Type.String({ maxLength: 2048 })),
            filter: Type.Optional(Type.String({ maxLength: 65536, description: 'URL-encoded JSON metadata filter' })),
            includeVector: Type.Optional(Bool),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ records: Type.Array(Type.Ref('Record')), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses(400, 401, 403, 404) },
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
        querystring: Type.Object({ includeVector: Type.Optional(Bool) }, { additionalProperties: false }),
        response: { 200: Type.Ref('Record'), ...errorResponses(401, 403, 404) },
      },
    },
    async (req) => services.records.get(tenantOf(req), req.params.name, req.params.id, req.query.includeVector === 'true'),
  );

  app.delete(
    '/v1/collections/:name/records/:id',
    { config: { scope: 'write' }, schema: { tags: ['records'], summary: 'Delete a record', params: RecordParams, response: { ...errorResponses(401, 403, 404) } } },
    async (req, reply) => {
      services.records.delete(tenantOf(req), req.params.name, req.params.id);
      return reply.code(204).send();
    },
  );

  app.post(
    '/v1/collections/:name/records/delete',
    {
      config: { scope: 'write' },
      schema: {
        tags: ['records'],
        summary: 'Delete records by ids or by metadata filter',
        params: Params,
        body: Type.Object({ ids: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: batch })), filter: Type.Optional(Metadata) }, { additionalProperties: false }),
        response: { 200: Type.Object({ deleted: Type.Integer() }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => ({ deleted: services.records.deleteMany(tenantOf(req), req.params.name, req.body.ids, req.body.filter) }),
  );
}
