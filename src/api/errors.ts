/**
 * One error envelope for every non-2xx answer: {"error": {"code", "message"}}, with the
 * status of its code (error-codes.ts). Fastify's own errors (validation, body parsing, size,
 * media type, rate limit) map to stable codes here.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { storageError } from '../engine/disk.js';
import { HTTP_STATUS, isCodedError, type ApiErrorCode } from './error-codes.js';

const FASTIFY_CODES: Record<string, ApiErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
};

const STATUS_CODES: Record<number, ApiErrorCode> = {
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

/** The envelope, with the code's own status unless Fastify chose another one. */
export function send(reply: FastifyReply, code: ApiErrorCode, message: string, status = HTTP_STATUS[code], details?: Record<string, unknown>): FastifyReply {
  return reply.code(status).type('application/json').send({ error: { code, message, ...details } });
}

/** The API's error handler; `dataDir` is examined to explain disk I/O errors (see storageError). */
export function errorHandler(dataDir: string) {
  return (err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply => handleError(err, req, reply, dataDir);
}

function handleError(err: FastifyError, req: FastifyRequest, reply: FastifyReply, dataDir: string): FastifyReply {
  const a = describeError(err, req, dataDir);
  return send(reply, a.code, a.message, a.status, a.details);
}

/** What an error answers: its stable code, the message for the caller, the HTTP status. */
export interface ErrorAnswer {
  code: ApiErrorCode;
  message: string;
  status: number;
  details?: Record<string, unknown>;
}

/**
 * Any error a request raised, as it is answered (whatever the envelope: Vectra's, or Qdrant's
 * under /qdrant); errors that need the operator are logged here.
 */
export function describeError(err: FastifyError, req: FastifyRequest, dataDir: string): ErrorAnswer {
  if (isCodedError(err)) {
    // The collection was dropped while this request used it (the server drains requests before
    // it closes collections at shutdown, so a drop is the only way here): answer as if the
    // request had come after the drop.
    if (err.code === 'COLLECTION_CLOSED') return { code: 'COLLECTION_NOT_FOUND', message: 'the collection was deleted while this request ran', status: HTTP_STATUS.COLLECTION_NOT_FOUND };
    if (err.code === 'INTERNAL') req.log.error({ err }, 'internal error');
    return { code: err.code, message: err.message, status: HTTP_STATUS[err.code], details: 'details' in err ? err.details : undefined };
  }
  if (err.validation) return { code: 'INVALID_ARGUMENT', message: validationMessage(err.validation, err.validationContext ?? 'body'), status: 400 };
  const status = err.statusCode ?? 500;
  if (status < 500) {
    const code = (err.code && FASTIFY_CODES[err.code]) || STATUS_CODES[status] || 'INVALID_ARGUMENT';
    let message = err.message;
    if (code === 'INVALID_JSON') message = `request body is not valid JSON: ${err.message}`;
    if (code === 'UNSUPPORTED_MEDIA_TYPE') message = 'send the body as application/json (Content-Type: application/json)';
    if (code === 'PAYLOAD_TOO_LARGE') message = `request body is larger than the server allows (${err.message}); split it into smaller requests`;
    return { code, message, status };
  }
  const disk = storageError(err, dataDir);
  if (disk) {
    // Full or read-only: the client's answer says it all. A failing disk needs the operator.
    if (disk.code === 'STORAGE_IO_ERROR') req.log.error({ err }, 'disk I/O error; the write was not made');
    else req.log.warn({ err: err.message, code: err.code }, 'write refused by the disk');
    return { code: disk.code, message: disk.message, status: HTTP_STATUS[disk.code] };
  }
  req.log.error({ err }, 'unhandled error');
  return { code: 'INTERNAL', message: 'internal error; the server logged the details', status: 500 };
}

/** What a schema validator's first error says, naming the field: `body.k must be <= 1000`. */
export function validationMessage(validation: NonNullable<FastifyError['validation']>, where: string): string {
  const first = validation[0];
  const path = `${where}${first?.instancePath ?? ''}`.replace(/\//g, '.');
  const extra = first?.keyword === 'additionalProperties' ? ` "${String((first.params as { additionalProperty?: string }).additionalProperty)}"` : '';
  // A union of literals fails once per literal: name them all instead of "must be equal to constant".
  const allowed = first?.keyword === 'const' ? validation.filter((v) => v.instancePath === first.instancePath && v.keyword === 'const').map((v) => JSON.stringify((v.params as { allowedValue?: unknown }).allowedValue)) : [];
  if (allowed.length > 1) return `${path} must be one of ${allowed.join(', ')}`;
  // A union of types (a vector: array or base64 string) fails once per type: name them all.
  const types = first?.keyword === 'type' ? validation.filter((v) => v.instancePath === first.instancePath && v.keyword === 'type').map((v) => String((v.params as { type?: unknown }).type)) : [];
  if (types.length > 1) return `${path} must be ${types.join(' or ')}`;
  return `${path} ${first?.message ?? 'is invalid'}${extra}`;
}

/**
 * Errors the router raises before any route or hook runs (a path that is not valid
 * percent-encoding, a path parameter longer than maxParamLength): Fastify would answer them
 * in its own body, so they get the envelope here.
 */
export function frameworkError(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = (reply.request.raw.url ?? '').split('?')[0];
  const shown = JSON.stringify(path.length > 120 ? `${path.slice(0, 120)}…` : path);
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') return send(reply, 'PATH_TOO_LONG', `a part of the path ${shown} is longer than the server accepts; names and ids are far shorter`);
  if (err.code === 'FST_ERR_BAD_URL') return send(reply, 'INVALID_PATH', `the path ${shown} is not valid percent-encoding (UTF-8); encode names and ids with encodeURIComponent`);
  return send(reply, 'INVALID_ARGUMENT', 'the request could not be routed', err.statusCode && err.statusCode < 500 ? err.statusCode : 400);
}

/**
 * Requests Node's HTTP parser rejects (headers too large, malformed HTTP): there is no request
 * object, only the socket. The same envelope, written by hand, then the connection closes.
 */
export function clientError(err: NodeJS.ErrnoException, socket: import('node:stream').Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [code, message]: [ApiErrorCode, string] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? ['HEADERS_TOO_LARGE', 'the request headers are larger than the server accepts (16 KB in all)']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? ['REQUEST_TIMEOUT', 'the request did not arrive in time']
        : ['INVALID_ARGUMENT', 'the request is not valid HTTP/1.1'];
  const status = HTTP_STATUS[code];
  const body = JSON.stringify({ error: { code, message } });
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(err);
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };
