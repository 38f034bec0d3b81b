/**
 * The change feed of a collection: pages (GET …/changes) and a Server-Sent Events stream
 * (GET …/changes/stream, `id:` = seq, resumable with Last-Event-ID), and GET /v1/events/stats.
 */
import { presentedKey, tenantOf } from '../auth.js';
import { HttpError } from '../error-codes.js';
import { drainedOrClosed } from '../stream-body.js';
import type { StreamBudget } from '../stream-budget.js';
import type { App, Services } from '../context.js';
import { VectraError } from '../../errors.js';
import { followChanges } from '../../realtime/follow.js';
import { CollectionParams, errorResponses } from '../schemas/common.js';
import { ChangesOut, ChangesQuery, EventStatsOut, StreamQuery } from '../schemas/realtime.js';

/** SSE comment lines while idle, so that proxies and load balancers keep the stream open. */
const HEARTBEAT_MS = 15_000;

export default function changeRoutes(app: App, services: Services, budget: StreamBudget): void {
  // Open streams never end by themselves: at shutdown they are ended (clients reconnect with
  // Last-Event-ID), or the server would wait on them forever.
  const streams = new Set<AbortController>();
  app.addHook('preClose', async () => {
    for (const s of streams) s.abort();
  });

  app.get(
    '/v1/collections/:name/changes',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['realtime'],
        summary: 'The change feed: upserts and deletes after a seq, in order (410 CHANGES_EXPIRED when older than the retention)',
        params: CollectionParams,
        querystring: ChangesQuery,
        response: { 200: ChangesOut, ...errorResponses(400, 401, 403, 404, 410) },
      },
    },
    async (req) => {
      const q = req.query;
      return await services.records.changes(tenantOf(req), req.params.name, Number(q.since ?? 0), q.limit === undefined ? undefined : Number(q.limit), q.include === 'record');
    },
  );

  app.get(
    '/v1/collections/:name/changes/stream',
    {
      config: { scope: 'read', stream: true },
      schema: {
        tags: ['realtime'],
        summary: 'The change feed as Server-Sent Events: replay after since (or Last-Event-ID), then live',
        description: 'Events: `id: <seq>`, `event: upsert|delete`, `data: <change JSON>`; `event: error` with the API error envelope ends the stream (collection deleted, reader behind the retention).',
        params: CollectionParams,
        querystring: StreamQuery,
        response: { ...errorResponses(400, 401, 403, 404, 410, 429) },
      },
    },
    async (req, reply) => {
      const tenantId = tenantOf(req);
      const principal = req.principal!;
      const key = presentedKey(req)!;
      const { name } = req.params;
      const collection = services.collections.get(tenantId, name);
      const lastEventId = req.headers['last-event-id'];
      let asked: number | undefined;
      if (typeof lastEventId === 'string' && lastEventId !== '') {
        if (!/^[0-9]{1,15}$/.test(lastEventId)) throw new VectraError('INVALID_ARGUMENT', 'Last-Event-ID must be a seq from this stream (a whole number)');
        asked = Number(lastEventId);
      } else if (req.query.since !== undefined) asked = Number(req.query.since);
      // Refuse an expired or impossible start as a plain HTTP error, before the stream begins.
      // Without a start: the feed's latest seq (PostgreSQL's in the scale-out mode).
      const { since } = await services.collections.streamStart(tenantId, name, asked);
      const includeRecord = req.query.include === 'record';
      // HEAD (served by this GET handler): the stream's headers and nothing more. Node sends no
      // body for HEAD, and flushes the headers only with one or at the end: a stream started
      // here was never answered at all (found by the fuzzer: "Headers Timeout").
      if (req.method === 'HEAD') return reply.code(200).header('content-type', 'text/event-stream; charset=utf-8').header('cache-control', 'no-cache, no-transform').send();
      if (!budget.take(principal.keyId)) {
        throw new HttpError('TOO_MANY_CONNECTIONS', `this API key already holds ${budget.max} streams and WebSockets (VECTRA_WS_MAX_CONNECTIONS_PER_KEY); close some`);
      }

      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      // The client's reconnection delay, then a first comment so that it sees the stream open.
      res.write(`retry: 2000\n: following ${name} after seq ${since}\n\n`);
      const stop = new AbortController();
      streams.add(stop);
      res.on('close', () => stop.abort());
      // Closed before the listener was there: 'close' will not come again.
      if (res.destroyed) stop.abort();
      // A client that stopped reading holds a write that will never drain: at the end (shutdown,
      // revoked key) its socket is destroyed rather than waited on.
      stop.signal.addEventListener('abort', () => {
        if (res.writableNeedDrain) res.destroy();
      });
      // A wait for drain ends with the socket too; an abort destroys a socket that needs draining (above).
      const write = async (text: string): Promise<void> => {
        if (res.destroyed || stop.signal.aborted) return;
        if (!res.write(text)) await drainedOrClosed(res);
      };
      // The key is checked again before each page and each heartbeat: a revoked or expired key
      // ends its streams (with the reason) before anything more reaches them.
      let keyProblem: VectraError | null = null;
      const keyValid = (): boolean => {
        try {
          services.accounts.authenticate(key);
          return true;
        } catch (e) {
          keyProblem = e instanceof VectraError ? e : new VectraError('INVALID_API_KEY', 'the API key is no longer valid');
          stop.abort();
          return false;
        }
      };
      try {
        await followChanges({
          bus: services.bus,
          tenantId,
          name,
          collection,
          source: services.collections.followSource(tenantId, name),
          since,
          includeRecord,
          signal: stop.signal,
          heartbeatMs: HEARTBEAT_MS,
          heartbeat: () => {
            if (keyValid()) void res.write(': keep-alive\n\n');
          },
          deliver: async (changes) => {
            if (keyValid()) await write(changes.map((c) => `id: ${c.seq}\nevent: ${c.op}\ndata: ${JSON.stringify(c)}\n\n`).join(''));
          },
        });
        if (keyProblem) throw keyProblem;
      } catch (e) {
        const error = e instanceof VectraError ? { code: e.code, message: e.message, ...e.details } : { code: 'INTERNAL', message: 'the feed stopped on a server error' };
        if (!(e instanceof VectraError)) req.log.error({ err: e }, 'change stream failed');
        if (!res.destroyed) res.write(`event: error\ndata: ${JSON.stringify({ error })}\n\n`);
      } finally {
        streams.delete(stop);
        budget.release(principal.keyId);
        res.end();
      }
    },
  );

  app.get(
    '/v1/events/stats',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['realtime'],
        summary: "Events published for this tenant since the server started, by type, and its subscribers' deliveries",
        response: { 200: EventStatsOut, ...errorResponses(401, 403) },
      },
    },
    async (req) => services.bus.stats(tenantOf(req)),
  );
}
