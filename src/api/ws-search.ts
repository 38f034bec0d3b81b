/**
 * A WebSocket search without a second trip through Fastify. Running an action through the
 * HTTP route (`app.inject`) costs ~200 µs of simulated request and reply — as much as the
 * search itself — so the most frequent action takes the route's steps directly, with the
 * route's own parts: the key re-checked, the `read` scope, the same rate-limit budget (the
 * limiter's store, keyed by the key id as over HTTP), the body validated by a validator
 * compiled from the route's schema with Fastify's compiler and options, the same service,
 * the answer serialized by the route's response schema, the same metrics and log line.
 * test/e2e/websocket.test.ts checks that both ways answer the same, errors included.
 */
import type { FastifyError, FastifyRequest } from 'fastify';
import type { App, Services } from './context.js';
import { HTTP_STATUS, isCodedError, type ApiErrorCode } from './error-codes.js';
import { validationMessage } from './errors.js';
import { schemaSerializer, schemaValidator } from './lazy-compilers.js';
import type { ObserveRequest } from './metrics.js';
import { AJV_OPTIONS, REQUEST_LOG_MESSAGE } from './options.js';
import { SearchOut, searchBody } from './schemas/search.js';
import type { Principal } from '../services/accounts.js';

const ROUTE = '/v1/ws';

export interface DirectAnswer {
  /** The answer's JSON (`{"id", "ok", "result" | "error"}`), serialized. */
  json: string;
  status: number;
}

/** A body validator compiled from a route's schema with Fastify's compiler and options (on its first call). */
export function bodyValidator(schema: unknown): ((body: unknown) => boolean) & { errors?: FastifyError['validation'] } {
  return schemaValidator(schema, ROUTE, { ...AJV_OPTIONS }) as ((body: unknown) => boolean) & { errors?: FastifyError['validation'] };
}

/** The HTTP routes' rate limit for a WebSocket request: the message when it is exceeded. */
export function rateCheck(app: App): (principal: Principal, ip: string) => Promise<string | null> {
  const limit = app.createRateLimit();
  return async (principal, ip) => {
    const rate = await limit({ principal, ip, routeOptions: { config: {} } } as unknown as FastifyRequest);
    return !rate.isAllowed && rate.isExceeded ? `rate limit of ${rate.max} requests per minute exceeded; retry in ${rate.ttlInSeconds} seconds` : null;
  };
}

export function directSearch(app: App, services: Services, observe: ObserveRequest) {
  const validate = bodyValidator(searchBody(services.config.limits));
  const serialize = schemaSerializer(SearchOut, ROUTE);
  const limited = rateCheck(app);
  const log = app.log;

  return async (id: string | number, principal: Principal, collection: string, body: unknown, ip: string): Promise<DirectAnswer> => {
    const t0 = performance.now();
    let status = 200;
    let json: string;
    const fail = (code: ApiErrorCode, message: string) => {
      status = HTTP_STATUS[code];
      return JSON.stringify({ id, ok: false, error: { code, message, status } });
    };
    try {
      if (!principal.scopes.has('read')) json = fail('INSUFFICIENT_SCOPE', 'this API key lacks the "read" scope needed here');
      else {
        const over = await limited(principal, ip);
        if (over) json = fail('RATE_LIMITED', over);
        else if (!validate(body)) json = fail('INVALID_ARGUMENT', validationMessage(validate.errors!, 'body'));
        else {
          const result = await services.search.search(principal.tenantId, collection, body as Parameters<Services['search']['search']>[2]);
          json = `{"id":${JSON.stringify(id)},"ok":true,"result":${serialize(result)}}`;
        }
      }
    } catch (e) {
      if (isCodedError(e)) {
        const code = e.code === 'COLLECTION_CLOSED' ? 'COLLECTION_NOT_FOUND' : e.code;
        json = fail(code, e.code === 'COLLECTION_CLOSED' ? 'the collection was deleted while this request ran' : e.message);
      } else {
        log.error({ err: e }, 'websocket search failed');
        json = fail('INTERNAL', 'internal error; the server logged the details');
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    observe(`${ROUTE} search`, 'WS', status, seconds, principal.tenantId);
    log.info({ tenant: principal.tenantId, route: `${ROUTE} search`, method: 'WS', status, ms: Math.round(seconds * 100000) / 100, collection }, REQUEST_LOG_MESSAGE);
    return { json, status };
  };
}
