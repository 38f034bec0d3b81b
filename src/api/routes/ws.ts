/**
 * GET /v1/ws: the API over one WebSocket. Requests `{"id", "action", "collection"?, "body"?}`
 * are answered `{"id", "ok": true, "result"}` or `{"id", "ok": false, "error": {code, message}}`;
 * `subscribe` streams a collection's changes as `{"type": "change", "collection", "change"}`;
 * `chat` streams its answer as `chat.citations` and `chat.delta` messages before the result.
 *
 * upsert, delete and get run through the HTTP routes themselves (`app.inject`, no socket):
 * the same validation, scopes, rate limits, metrics and error envelope as over HTTP, by
 * construction rather than by a second copy of the rules. search, the frequent one, takes the
 * route's parts directly (ws-search.ts). The key is re-checked on every request and before
 * every page of a subscription: a revoked or expired key closes its sockets (4401) before
 * anything more reaches them.
 *
 * Limits: message size (1009 from the ws library), requests in flight per connection
 * (TOO_MANY_IN_FLIGHT), connections per key with SSE streams (close 4429), authentication in time (4408),
 * and a slow reader — more than wsMaxBufferedBytes waiting to be sent — is closed (4008)
 * instead of buffered without bound. Subscriptions wait for the socket to take each page, so
 * they never buffer more than one page.
 */
import type { FastifyRequest } from 'fastify';
import websocket from '@fastify/websocket';
import type { WebSocket } from 'ws';
import { HTTP_STATUS, HttpError, isCodedError, type ApiErrorCode } from '../error-codes.js';
import { presentedKey } from '../auth.js';
import { send, validationMessage } from '../errors.js';
import { COLLECTION_NAME_PATTERN as COLLECTION, errorResponses } from '../schemas/common.js';
import type { App, Services } from '../context.js';
import { SEQ_HEADER } from './records.js';
import type { ObserveRequest } from '../metrics.js';
import { bodyValidator, directSearch, rateCheck } from '../ws-search.js';
import { ChatBody } from '../schemas/chat.js';
import type { StreamBudget } from '../stream-budget.js';
import { followChanges } from '../../realtime/follow.js';
import type { Principal } from '../../services/accounts.js';

/** Close codes, in the 4000–4999 range the protocol leaves to applications. */
export const WS_CLOSE = {
  /** The key is missing, invalid, expired or was revoked. */
  UNAUTHORIZED: 4401,
  /** No `auth` message within wsAuthTimeoutMs (default 10 s). */
  AUTH_TIMEOUT: 4408,
  /** The key already holds wsMaxConnectionsPerKey connections. */
  TOO_MANY_CONNECTIONS: 4429,
  /** More than wsMaxBufferedBytes waited to be sent: the client does not read its answers. */
  SLOW_READER: 4008,
} as const;

const ACTIONS = new Set(['search', 'upsert', 'delete', 'get', 'subscribe', 'unsubscribe', 'chat', 'ping']);
/** Bytes a subscription lets wait in the socket before it waits for them to be sent. */
const SUBSCRIPTION_WATERMARK = 1024 * 1024;

type RequestId = string | number | null;

interface WsError {
  code: string;
  message: string;
  [k: string]: unknown;
}

class WsRequestError extends Error {
  constructor(readonly code: ApiErrorCode, message: string) {
    super(message);
  }
}

/** An error as a WebSocket answer carries it: the API's envelope plus the HTTP status it would have had. */
function envelope(e: { code: ApiErrorCode; message: string; details?: Record<string, unknown> }): WsError {
  return { code: e.code, message: e.message, ...e.details, status: HTTP_STATUS[e.code] };
}

function objectOr(body: unknown, what: string): Record<string, unknown> {
  if (body === undefined) return {};
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new WsRequestError('INVALID_ARGUMENT', `${what}: "body" must be an object`);
  return body as Record<string, unknown>;
}

export default async function wsRoutes(app: App, services: Services, observe: ObserveRequest, budget: StreamBudget): Promise<void> {
  const limits = services.config.realtime;
  await app.register(websocket, {
    options: { maxPayload: limits.wsMaxMessageBytes },
    // A client's protocol error — a message over the size limit, text that is not UTF-8, a bad
    // frame — is the client's to fix: ws has already begun the close with the code that says so
    // (1009, 1007, 1002), so it is logged as the 4xx it is and the close completes. The plugin's
    // default logged it as a server error and cut the socket, so the client got 1006, not 1009.
    errorHandler(error, socket, req) {
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string' && code.startsWith('WS_ERR_')) return void req.log.info({ code, reason: error.message }, 'websocket closed: the client broke the protocol');
      req.log.error(error);
      socket.terminate();
    },
    // At shutdown, say so (1001 going away) rather than close without a status.
    preClose(done) {
      for (const client of this.websocketServer.clients) client.close(1001, 'the server is shutting down');
      this.websocketServer.close();
      done();
    },
  });
  const search = directSearch(app, services, observe);
  const validChat = bodyValidator(ChatBody);
  const chatRate = rateCheck(app);

  app.route({
    method: 'GET',
    url: '/v1/ws',
    // No body to wait for: the request deadline does not apply to an upgrade.
    config: { stream: true },
    schema: {
      tags: ['realtime'],
      summary: 'The API over a WebSocket: search, upsert, delete, get, subscribe to changes, chat (docs/realtime.md)',
      description: 'Connect with a WebSocket client; a plain GET answers 426 UPGRADE_REQUIRED.',
      response: errorResponses(401, 426),
    },
    // A key in the headers is checked before the upgrade: a bad one is a plain 401.
    onRequest: async (req) => {
      const key = presentedKey(req);
      if (key !== null) req.principal = services.accounts.authenticate(key);
    },
    handler: async (_req, reply) => send(reply.header('upgrade', 'websocket'), 'UPGRADE_REQUIRED', 'this is a WebSocket endpoint: connect with a WebSocket client (ws://…/v1/ws); see docs/realtime.md'),
    wsHandler: (socket: WebSocket, req: FastifyRequest) => {
      let key = req.principal ? presentedKey(req) : null;
      let principal: Principal | null = req.principal;
      let inFlight = 0;
      const subscriptions = new Map<string, AbortController>();
      let closed = false;

      const close = (code: number, reason: string) => {
        if (closed) return;
        closed = true;
        // Subscriptions stop now, not at the 'close' event: a follower whose sends resolve at
        // once on a closed socket would otherwise read on to the head without yielding.
        for (const s of subscriptions.values()) s.abort();
        socket.close(code, reason);
      };
      /** `send` for an answer already serialized. */
      const sendRaw = (json: string): Promise<void> =>
        new Promise((resolve) => {
          if (closed || socket.readyState !== socket.OPEN) return resolve();
          socket.send(json, () => resolve());
          if (socket.bufferedAmount > limits.wsMaxBufferedBytes) close(WS_CLOSE.SLOW_READER, 'slow reader: answers were not read; read them or send fewer requests at once');
        });
      /** Send a message; resolves once the socket has taken it. Closes a slow reader. */
      const send = (msg: unknown): Promise<void> => sendRaw(JSON.stringify(msg));
      const fail = (id: RequestId, error: WsError) => send({ id, ok: false, error });

      const admit = (p: Principal): boolean => {
        if (!budget.take(p.keyId)) {
          close(WS_CLOSE.TOO_MANY_CONNECTIONS, `this API key already holds ${budget.max} WebSockets and streams (the limit); close some`);
          return false;
        }
        return true;
      };
      const release = () => {
        if (principal) budget.release(principal.keyId);
      };

      let authTimer: NodeJS.Timeout | null = null;
      if (principal) {
        if (!admit(principal)) principal = null;
      } else {
        authTimer = setTimeout(() => close(WS_CLOSE.AUTH_TIMEOUT, `authenticate within ${limits.wsAuthTimeoutMs} ms: send {"type": "auth", "apiKey": "vk_…"} first`), limits.wsAuthTimeoutMs);
      }

      socket.on('close', () => {
        closed = true;
        if (authTimer) clearTimeout(authTimer);
        for (const s of subscriptions.values()) s.abort();
        subscriptions.clear();
        release();
      });

      /** The principal of this key now: a revoked or expired key ends the connection. */
      const current = (): Principal | null => {
        try {
          return services.accounts.authenticate(key!);
        } catch (e) {
          close(WS_CLOSE.UNAUTHORIZED, isCodedError(e) ? e.message.slice(0, 120) : 'the API key is no longer valid');
          return null;
        }
      };

      const onAuth = (msg: Record<string, unknown>) => {
        if (authTimer) clearTimeout(authTimer);
        authTimer = null;
        const given = msg.apiKey;
        try {
          if (typeof given !== 'string') throw new WsRequestError('MISSING_API_KEY', '"apiKey" must be a string');
          const p = services.accounts.authenticate(given);
          if (!admit(p)) return;
          principal = p;
          key = given;
          void send({ type: 'auth', ok: true, tenant: p.tenantId });
        } catch (e) {
          const message = isCodedError(e) || e instanceof WsRequestError ? e.message : 'authentication failed';
          close(WS_CLOSE.UNAUTHORIZED, message.slice(0, 120));
        }
      };

      const viaHttp = async (method: string, url: string, body: unknown, seqFromHeader = false): Promise<{ ok: true; result: unknown } | { ok: false; error: WsError }> => {
        const res = await app
          .inject({
            method: method as 'GET',
            url,
            headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
            payload: body === undefined ? undefined : JSON.stringify(body),
          })
          .catch((e: { code?: string }) => {
            // The app is closing: nothing was applied, as over HTTP while draining.
            if (e.code === 'FST_ERR_REOPENED_CLOSE_SERVER') throw new HttpError('SHUTTING_DOWN', 'the server is shutting down; retry in a moment (against a running instance)');
            throw e;
          });
        const parsed = res.body ? (JSON.parse(res.body) as Record<string, unknown>) : null;
        if (res.statusCode >= 400) return { ok: false, error: { ...(parsed?.error as WsError), status: res.statusCode } };
        if (seqFromHeader) return { ok: true, result: { seq: Number(res.headers[SEQ_HEADER]) } };
        return { ok: true, result: parsed };
      };

      const subscribe = async (id: RequestId, p: Principal, name: string, body: Record<string, unknown>) => {
        if (!p.scopes.has('read')) throw new WsRequestError('INSUFFICIENT_SCOPE', 'this API key lacks the "read" scope needed here');
        if (subscriptions.has(name)) throw new WsRequestError('INVALID_ARGUMENT', `already subscribed to "${name}"; unsubscribe first to start again from another seq`);
        const since = body.since;
        if (since !== undefined && (typeof since !== 'number' || !Number.isSafeInteger(since) || since < 0)) throw new WsRequestError('INVALID_ARGUMENT', 'body.since must be an integer ≥ 0');
        const include = body.include;
        if (include !== undefined && include !== 'record') throw new WsRequestError('INVALID_ARGUMENT', 'body.include may only be "record"');
        for (const k of Object.keys(body)) if (k !== 'since' && k !== 'include') throw new WsRequestError('INVALID_ARGUMENT', `body has an unknown field "${k}" (subscribe takes "since" and "include")`);
        const collection = services.collections.get(p.tenantId, name);
        // Taken before the start is read (PostgreSQL's, in the scale-out mode): a second
        // subscribe meanwhile is refused above rather than starting a second follower.
        const stop = new AbortController();
        subscriptions.set(name, stop);
        let start: { since: number; latestSeq: number };
        try {
          // Expired or ahead: refused now, as an answer to this request.
          start = await services.collections.streamStart(p.tenantId, name, since);
        } catch (e) {
          if (subscriptions.get(name) === stop) subscriptions.delete(name);
          throw e;
        }
        await send({ id, ok: true, result: { collection: name, since: start.since, latestSeq: start.latestSeq } });
        followChanges({
          bus: services.bus,
          tenantId: p.tenantId,
          name,
          collection,
          source: services.collections.followSource(p.tenantId, name),
          since: start.since,
          includeRecord: include === 'record',
          signal: stop.signal,
          deliver: async (changes) => {
            // A revoked or expired key gets nothing more: current() closes the socket (4401).
            if (!current()) return;
            // Wait for the socket to take what it holds past a low watermark, so that a large
            // page (records included) never trips the slow-reader limit of a client that reads.
            let last: Promise<void> = Promise.resolve();
            for (const change of changes) {
              last = send({ type: 'change', collection: name, change });
              if (socket.bufferedAmount > SUBSCRIPTION_WATERMARK) await last;
            }
            await last;
          },
        })
          .catch((e: unknown) => {
            const error = isCodedError(e) ? envelope(e) : { code: 'INTERNAL', message: 'the subscription stopped on a server error' };
            if (!isCodedError(e)) req.log.error({ err: e }, 'websocket subscription failed');
            if (subscriptions.get(name) === stop) void send({ type: 'subscription.ended', collection: name, error });
          })
          .finally(() => {
            if (subscriptions.get(name) === stop) subscriptions.delete(name);
          });
      };

      /**
       * chat: POST /v1/chat's body; its events come as `{"id", "type": "chat.citations" |
       * "chat.delta", …}` (unless `"stream": false`), then the answer as `{"id", "ok": true,
       * "result"}`. Closing the socket stops the answer (and the LLM's request).
       */
      const chat = async (id: RequestId, p: Principal, body: unknown): Promise<void> => {
        if (!p.scopes.has('read')) throw new WsRequestError('INSUFFICIENT_SCOPE', 'this API key lacks the "read" scope needed here');
        const over = await chatRate(p, req.ip);
        if (over) throw new WsRequestError('RATE_LIMITED', over);
        if (!validChat(body)) throw new WsRequestError('INVALID_ARGUMENT', validationMessage(validChat.errors!, 'body'));
        const b = body as Parameters<Services['chat']['answer']>[1];
        const stop = new AbortController();
        const onClose = () => stop.abort(new HttpError('SHUTTING_DOWN', 'the WebSocket closed'));
        socket.once('close', onClose);
        const t0 = performance.now();
        let status = 200;
        try {
          const result = await services.chat.answer(
            p.tenantId,
            b,
            (e) => {
              if (b.stream === false || e.type === 'done') return;
              void send(e.type === 'citations' ? { id, type: 'chat.citations', citations: e.citations } : { id, type: 'chat.delta', text: e.text });
            },
            { signal: stop.signal },
          );
          await send({ id, ok: true, result });
        } catch (e) {
          status = isCodedError(e) ? HTTP_STATUS[e.code] : 500;
          throw e;
        } finally {
          socket.off('close', onClose);
          observe('/v1/ws chat', 'WS', status, (performance.now() - t0) / 1000, p.tenantId);
        }
      };

      const handle = async (id: RequestId, msg: Record<string, unknown>): Promise<void> => {
        const action = msg.action;
        if (typeof action !== 'string' || !ACTIONS.has(action)) throw new WsRequestError('INVALID_ARGUMENT', `"action" must be one of ${[...ACTIONS].join(', ')}`);
        const p = current();
        if (!p) return;
        if (action === 'chat') return chat(id, p, msg.body);
        const name = msg.collection;
        if (typeof name !== 'string' || !COLLECTION.test(name)) throw new WsRequestError('INVALID_ARGUMENT', `${action} needs "collection": a collection name (1–64 of A–Z a–z 0–9 _ -)`);
        const base = `/v1/collections/${name}`;
        const body = msg.body;
        let out: Awaited<ReturnType<typeof viaHttp>>;
        switch (action) {
          case 'search': {
            const answer = await search(id as string | number, p, name, body ?? {}, req.ip);
            return sendRaw(answer.json);
          }
          case 'upsert':
            out = await viaHttp('POST', `${base}/records`, body ?? {});
            break;
          case 'delete': {
            const b = objectOr(body, 'delete');
            if (typeof b.id === 'string' && Object.keys(b).length === 1) out = await viaHttp('DELETE', `${base}/records/${encodeURIComponent(b.id)}`, undefined, true);
            else out = await viaHttp('POST', `${base}/records/delete`, b);
            break;
          }
          case 'get': {
            const b = objectOr(body, 'get');
            if (typeof b.id !== 'string' || b.id === '') throw new WsRequestError('INVALID_ARGUMENT', 'get needs body.id: the record id');
            for (const k of Object.keys(b)) if (k !== 'id' && k !== 'includeVector') throw new WsRequestError('INVALID_ARGUMENT', `body has an unknown field "${k}" (get takes "id" and "includeVector")`);
            if (b.includeVector !== undefined && typeof b.includeVector !== 'boolean') throw new WsRequestError('INVALID_ARGUMENT', 'body.includeVector must be true or false');
            out = await viaHttp('GET', `${base}/records/${encodeURIComponent(b.id)}${b.includeVector ? '?includeVector=true' : ''}`, undefined);
            break;
          }
          case 'subscribe':
            return subscribe(id, p, name, objectOr(body, 'subscribe'));
          default: {
            // unsubscribe
            const stop = subscriptions.get(name);
            if (!stop) throw new WsRequestError('INVALID_ARGUMENT', `not subscribed to "${name}"`);
            subscriptions.delete(name);
            stop.abort();
            out = { ok: true, result: { collection: name, unsubscribed: true } };
          }
        }
        await send({ id, ...out });
      };

      socket.on('message', (data, isBinary) => {
        if (closed) return;
        let msg: Record<string, unknown>;
        try {
          if (isBinary) throw new WsRequestError('INVALID_ARGUMENT', 'send text messages of JSON, not binary ones');
          const parsed: unknown = JSON.parse(String(data));
          if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new WsRequestError('INVALID_ARGUMENT', 'each message must be a JSON object');
          msg = parsed as Record<string, unknown>;
        } catch (e) {
          const error = e instanceof WsRequestError ? envelope(e) : envelope({ code: 'INVALID_JSON', message: `the message is not valid JSON: ${(e as Error).message}` });
          return void fail(null, error);
        }
        if (msg.type === 'auth') {
          if (principal) return void fail(null, envelope({ code: 'INVALID_ARGUMENT', message: 'this connection is already authenticated' }));
          return onAuth(msg);
        }
        const id = msg.id;
        if (typeof id !== 'string' && typeof id !== 'number') return void fail(null, envelope({ code: 'INVALID_ARGUMENT', message: 'every request needs an "id" (string or number); answers carry it back' }));
        if (msg.action === 'ping') return void send({ id, ok: true, result: { pong: true, time: new Date().toISOString() } });
        if (!principal) return void fail(id, envelope({ code: 'MISSING_API_KEY', message: 'authenticate first: send {"type": "auth", "apiKey": "vk_…"} (or connect with an Authorization header)' }));
        if (inFlight >= limits.wsMaxInFlight) return void fail(id, envelope({ code: 'TOO_MANY_IN_FLIGHT', message: `at most ${limits.wsMaxInFlight} requests may be in flight on one connection; wait for answers before sending more` }));
        inFlight++;
        handle(id, msg)
          .catch((e: unknown) => {
            if (e instanceof WsRequestError || isCodedError(e)) return fail(id, envelope(e));
            req.log.error({ err: e }, 'websocket request failed');
            return fail(id, envelope({ code: 'INTERNAL', message: 'internal error; the server logged the details' }));
          })
          .finally(() => inFlight--);
      });
    },
  });
}
