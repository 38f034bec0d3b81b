/**
 * Qdrant's answer envelope: `{"result", "status": "ok", "time"}` (seconds), and for errors
 * `{"status": {"error": "Not found: …"}, "time"}` with Qdrant's status codes and message
 * prefixes. Vectra's own error code travels in the `x-vectra-error-code` header, so the body
 * stays exactly Qdrant's shape.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { describeError } from '../errors.js';

export const ERROR_CODE_HEADER = 'x-vectra-error-code';

export interface Envelope<T> {
  result: T;
  status: 'ok';
  time: number;
}

const seconds = (reply: FastifyReply) => Math.round(reply.elapsedTime * 1000) / 1e6;

/** A result in Qdrant's envelope. */
export function ok<T>(reply: FastifyReply, result: T): Envelope<T> {
  return { result, status: 'ok', time: seconds(reply) };
}

/** Qdrant's words before an error's description, by status (its StorageError's display). */
function prefix(status: number): string {
  if (status === 404) return 'Not found: ';
  if (status === 401) return 'Unauthorized: ';
  if (status === 403) return 'Forbidden: ';
  if (status === 408) return 'Timeout: ';
  if (status === 429) return 'Rate limiting exceeded: ';
  if (status === 507) return 'Insufficient storage: ';
  if (status >= 500) return 'Service internal error: ';
  return 'Wrong input: ';
}

function send(reply: FastifyReply, status: number, code: string, description: string): FastifyReply {
  return reply.code(status).header(ERROR_CODE_HEADER, code).type('application/json').send({ status: { error: `${prefix(status)}${description}` }, time: seconds(reply) });
}

/** The error handler of the /qdrant routes: every error, Vectra's or Fastify's, in Qdrant's shape. */
export function qdrantErrorHandler(dataDir: string) {
  return (err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const a = describeError(err, req, dataDir);
    const name = (req.params as { name?: unknown } | undefined)?.name;
    let message = a.message;
    if (a.code === 'COLLECTION_NOT_FOUND' && typeof name === 'string') message = `Collection \`${name}\` doesn't exist!`;
    if (a.code === 'COLLECTION_EXISTS' && typeof name === 'string') message = `Collection \`${name}\` already exists!`;
    const first = err.validation?.[0];
    if (err.validationContext === 'params' && first?.instancePath === '/name') message = `collection name ${JSON.stringify(name)}: Vectra's collection names are 1–64 of A–Z a–z 0–9 _ -`;
    if (first?.keyword === 'additionalProperties') {
      const field = String((first.params as { additionalProperty?: unknown }).additionalProperty);
      const at = `${err.validationContext ?? 'body'}${first.instancePath.replace(/\//g, '.')}`;
      message = at === 'body' ? `${field}: unknown field (not one of Qdrant's for this request)` : `${at}.${field}: unknown field`;
    }
    return send(reply, a.status, a.code, message);
  };
}

/** Routes under /qdrant that Vectra does not serve: 404 in Qdrant's shape, naming the route. */
export function qdrantNotFound(req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = req.url.split('?')[0];
  return send(reply, 404, 'ROUTE_NOT_FOUND', `Vectra's Qdrant-compatible API has no route ${req.method} ${path.length > 200 ? `${path.slice(0, 200)}…` : path} (docs/compat.md lists the routes it serves)`);
}
