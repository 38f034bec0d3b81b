/**
 * Authentication and scopes. Routes declare `config: { scope }`; for them, an onRequest
 * hook (before the body is even read) resolves `Authorization: Bearer <key>` or
 * `X-API-Key: <key>` (or the route's own `config.keyHeader`, such as Qdrant's `api-key`) to a
 * principal, or answers 401 / 403.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { VectraError } from '../errors.js';
import type { App, Services } from './context.js';
import type { Scope } from '../services/accounts.js';
import { HttpError } from './error-codes.js';

export function presentedKey(req: FastifyRequest): string | null {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth.length > 0) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (!m) throw new VectraError('INVALID_API_KEY', 'Authorization header must be "Bearer <apiKey>"');
    return m[1];
  }
  const x = req.headers['x-api-key'];
  if (typeof x === 'string' && x.length > 0) return x.trim();
  const own = req.routeOptions.config?.keyHeader;
  const o = own ? req.headers[own] : undefined;
  if (typeof o === 'string' && o.length > 0) return o.trim();
  return null;
}

/** Constant-time comparison of two secrets of any length. */
export function secretsEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/**
 * For routes the admin token opens when the server is not on loopback (registration,
 * /metrics): the token from `X-Admin-Token`, or `Authorization: Bearer` / `X-API-Key`, compared
 * in constant time; otherwise 401 ADMIN_TOKEN_REQUIRED saying what to send or to configure.
 */
export function requireAdminToken(req: FastifyRequest, token: string | null, what: string, orElse: string): void {
  if (token === null) throw new HttpError('ADMIN_TOKEN_REQUIRED', `${what} is closed on this server (it is not bound to loopback and VECTRA_ADMIN_TOKEN is not set); ${orElse}`);
  const given = (req.headers['x-admin-token'] as string | undefined) ?? presentedKey(req);
  if (!given || !secretsEqual(given, token)) throw new HttpError('ADMIN_TOKEN_REQUIRED', `${what} on this server needs the admin token: send "X-Admin-Token: <VECTRA_ADMIN_TOKEN>" (or "Authorization: Bearer <VECTRA_ADMIN_TOKEN>")`);
}

export function registerAuth(app: App, services: Services): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (req) => {
    const scope = req.routeOptions.config?.scope;
    if (!scope) return;
    const key = presentedKey(req);
    if (key === null) {
      const own = req.routeOptions.config?.keyHeader;
      throw new HttpError('MISSING_API_KEY', `this endpoint needs an API key: send "${own ? `${own}: <apiKey>" or "` : ''}Authorization: Bearer <apiKey>" (POST /v1/auth/register gives you one)`);
    }
    const principal = services.accounts.authenticate(key);
    // Known before the scope check, so that a refused request still counts as its tenant's (GET /v1/stats, the log line).
    req.principal = principal;
    if (!principal.scopes.has(scope)) throw new HttpError('INSUFFICIENT_SCOPE', `this API key lacks the "${scope}" scope needed here`);
  });
}

/**
 * For routes that need a second scope besides their own (`config.scope`): a route hook that
 * refuses, before the body is validated, a key without it.
 */
export function alsoScope(scope: Scope) {
  return async (req: FastifyRequest): Promise<void> => {
    if (!req.principal?.scopes.has(scope)) throw new HttpError('INSUFFICIENT_SCOPE', `this API key lacks the "${scope}" scope needed here too`);
  };
}

/** The authenticated tenant of a request on a scoped route. */
export function tenantOf(req: FastifyRequest): string {
  if (!req.principal) throw new HttpError('MISSING_API_KEY', 'this endpoint needs an API key');
  return req.principal.tenantId;
}
