/**
 * Slow-body protection. Node's own requestTimeout covers the whole request, so it would also
 * cut off a long NDJSON stream that is flowing fine; it is off, and instead:
 * - ordinary routes must have received their whole body within the limit (the handler's own
 *   time does not count), else 408 in the usual error envelope and the connection closes;
 * - streaming routes (config.stream) get an idle limit instead, enforced by their reader:
 *   the time allowed between two chunks.
 */
import type { FastifyRequest } from 'fastify';
import type { App } from './context.js';
import { HTTP_STATUS } from './error-codes.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route reads its body as a stream and enforces an idle timeout itself. */
    stream?: boolean;
  }
}

const deadlines = new WeakMap<FastifyRequest, NodeJS.Timeout>();

/** The body is no longer this node's to wait for (it streams on to another node: src/api/forward.ts). */
export function bodyArrived(req: FastifyRequest): void {
  clearTimeout(deadlines.get(req));
}

export function registerBodyDeadline(app: App, ms: number): void {
  app.addHook('onRequest', (req, reply, done) => {
    if (req.routeOptions.config.stream) return done();
    const timer = setTimeout(() => {
      if (reply.sent || reply.raw.headersSent) return;
      const body = JSON.stringify({ error: { code: 'REQUEST_TIMEOUT', message: `the request body did not arrive within ${ms} ms; send it faster or in smaller requests` } });
      reply.hijack();
      reply.raw.writeHead(HTTP_STATUS.REQUEST_TIMEOUT, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
      reply.raw.end(body, () => req.raw.socket?.destroy());
    }, ms);
    timer.unref();
    deadlines.set(req, timer);
    reply.raw.once('close', () => clearTimeout(timer));
    done();
  });
  // Bodies are fully read before validation: from there on the handler's time is its own.
  app.addHook('preValidation', (req, _reply, done) => {
    clearTimeout(deadlines.get(req));
    done();
  });
}
