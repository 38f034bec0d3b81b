/**
 * One error envelope for every non-2xx answer: {"error": {"code", "message"}}. Fastify's own
 * errors (validation, body parsing, size, media type, rate limit) map to stable codes here.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isVectraError, storageError, type ErrorCode } from '../errors.js';

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
};

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'INVALID_ARGUMENT',
  401: 'INVALID_API_KEY',
  403: 'INSUFFICIENT_SCOPE',
  404: 'ROUTE_NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  408: 'REQUEST_TIMEOUT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};

export function send(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).type('application/json').send({ error: { code, message } });
}

export function errorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (isVectraError(err)) {
    if (err.status >= 500 && err.code === 'INTERNAL') req.log.error({ err }, 'internal error');
    return send(reply, err.status, err.code, err.message);
  }
  if (err.validation) {
    const where = err.validationContext ?? 'body';
    const first = err.validation[0];
    const path = `${where}${first?.instancePath ?? ''}`.replace(/\//g, '.');
    const extra = first?.keyword === 'additionalProperties' ? ` "${String((first.params as { additionalProperty?: string }).additionalProperty)}"` : '';
    // A union of literals fails once per literal: name them all instead of "must be equal to constant".
    const allowed = first?.keyword === 'const' ? err.validation.filter((v) => v.instancePath === first.instancePath && v.keyword === 'const').map((v) => JSON.stringify((v.params as { allowedValue?: unknown }).allowedValue)) : [];
    if (allowed.length > 1) return send(reply, 400, 'INVALID_ARGUMENT', `${path} must be one of ${allowed.join(', ')}`);
    return send(reply, 400, 'INVALID_ARGUMENT', `${path} ${first?.message ?? 'is invalid'}${extra}`);
  }
  const status = err.statusCode ?? 500;
  if (status < 500) {
    const code = (err.code && FASTIFY_CODES[err.code]) || STATUS_CODES[status] || 'INVALID_ARGUMENT';
    let message = err.message;
    if (code === 'INVALID_JSON') message = `request body is not valid JSON: ${err.message}`;
    if (code === 'UNSUPPORTED_MEDIA_TYPE') message = 'send the body as application/json (Content-Type: application/json)';
    if (code === 'PAYLOAD_TOO_LARGE') message = `request body is larger than the server allows (${err.message}); split it into smaller requests`;
    return send(reply, status, code, message);
  }
  const disk = storageError(err);
  if (disk) {
    req.log.warn({ err: err.message, code: err.code }, 'write refused by the disk');
    return send(reply, disk.status, disk.code, disk.message);
  }
  req.log.error({ err }, 'unhandled error');
  return send(reply, 500, 'INTERNAL', 'internal error; the server logged the details');
}
