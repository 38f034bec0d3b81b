/**
 * The dashboard: the web app that `vite build` writes to web/dist, served at `/`. Only the
 * files present at start become routes (no filesystem lookup for arbitrary paths, so no
 * traversal), each with a Content-Security-Policy that allows no inline script. A GET for
 * any other page path (the app's own routes, like /collections/jobs) answers index.html;
 * `/v1/…` and paths that look like files keep the API's JSON 404.
 */
import fastifyStatic from '@fastify/static';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from './context.js';

/** Scripts, styles, fetches only from this origin; no plugins, no framing, no <base> tricks. */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function securityHeaders(reply: FastifyReply): void {
  reply.header('content-security-policy', DASHBOARD_CSP);
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'no-referrer');
  reply.header('x-frame-options', 'DENY');
  reply.header('cross-origin-opener-policy', 'same-origin');
}

/** Page paths belong to the app; API paths and file-looking paths (`.js`, `.png`) do not. */
export function isAppPage(req: FastifyRequest): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const path = req.url.split('?')[0];
  if (path === '/v1' || path.startsWith('/v1/')) return false;
  const last = path.slice(path.lastIndexOf('/') + 1);
  return !last.includes('.');
}

/**
 * Serve the built dashboard from `dir`. Returns the fallback for the not-found handler
 * (index.html for app pages), or null when there is no build there.
 */
export async function registerDashboard(app: App, dir: string | null): Promise<((req: FastifyRequest, reply: FastifyReply) => FastifyReply | null) | null> {
  if (dir === null) return null;
  if (!existsSync(join(dir, 'index.html'))) {
    app.log.warn({ dir }, 'no dashboard build here (run `npm run build`); serving the API only');
    return null;
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    wildcard: false,
    dotfiles: 'deny',
    cacheControl: false,
    setHeaders: (reply, path) => {
      securityHeaders(reply);
      // Vite names assets by content hash: cache them for good; index.html must be revalidated.
      reply.header('cache-control', path.includes(`${join(dir, 'assets')}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  return (req, reply) => (isAppPage(req) ? reply.sendFile('index.html') : null);
}
