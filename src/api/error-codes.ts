/**
 * The API's error catalogue: every code a client can receive and the HTTP status it comes
 * with. The domain's codes (src/errors.ts) are raised below the API; the codes listed here
 * only the HTTP layer raises, about the request itself: its path, headers, body, pace and
 * credentials, or the server not taking requests right now.
 */
import { VectraError, type ErrorCode } from '../errors.js';

export const HTTP_ERROR_CODES = [
  'INVALID_JSON',
  'UNSUPPORTED_MEDIA_TYPE',
  'PAYLOAD_TOO_LARGE',
  'ROUTE_NOT_FOUND',
  'INVALID_PATH',
  'PATH_TOO_LONG',
  'HEADERS_TOO_LARGE',
  'METHOD_NOT_ALLOWED',
  'MISSING_API_KEY',
  'INSUFFICIENT_SCOPE',
  'ADMIN_TOKEN_REQUIRED',
  'RATE_LIMITED',
  'NOT_READY',
  'REQUEST_TIMEOUT',
  'SHUTTING_DOWN',
  // WebSocket: more requests in flight on one connection than allowed
  'TOO_MANY_IN_FLIGHT',
  // a plain HTTP request to the WebSocket endpoint
  'UPGRADE_REQUIRED',
  // a key holding VECTRA_WS_MAX_CONNECTIONS_PER_KEY streams and sockets opens another stream
  'TOO_MANY_CONNECTIONS',
] as const;

export type HttpErrorCode = (typeof HTTP_ERROR_CODES)[number];

/** Every code an answer can carry. */
export type ApiErrorCode = ErrorCode | HttpErrorCode;

export const HTTP_STATUS: Readonly<Record<ApiErrorCode, number>> = {
  INVALID_ARGUMENT: 400,
  INVALID_COLLECTION_CONFIG: 400,
  INVALID_RECORD: 400,
  INVALID_VECTOR: 400,
  DIMENSION_MISMATCH: 400,
  INVALID_FILTER: 400,
  INVALID_CURSOR: 400,
  INVALID_ENCODING: 400,
  COLLECTION_NOT_FOUND: 404,
  RECORD_NOT_FOUND: 404,
  COLLECTION_EXISTS: 409,
  COLLECTION_LOADING: 503,
  // Only while a request races a drop: the error handler answers COLLECTION_NOT_FOUND instead.
  COLLECTION_CLOSED: 503,
  CHANGES_EXPIRED: 410,
  WEBHOOK_NOT_FOUND: 404,
  WEBHOOK_URL_FORBIDDEN: 400,
  LLM_NOT_FOUND: 400,
  CONVERSATION_NOT_FOUND: 404,
  LLM_UNAVAILABLE: 503,
  WEBHOOK_LIMIT_REACHED: 409,
  INVALID_API_KEY: 401,
  API_KEY_REVOKED: 401,
  API_KEY_EXPIRED: 401,
  KEY_NOT_FOUND: 404,
  MODEL_NOT_FOUND: 400,
  MODEL_UNAVAILABLE: 503,
  BENCHMARK_RUNNING: 409,
  JOB_NOT_FOUND: 404,
  SEARCH_NOT_FOUND: 404,
  DATABASE_UNAVAILABLE: 503,
  REPLICA_BEHIND: 503,
  NODE_UNREACHABLE: 503,
  BENCHMARK_DATA_MISSING: 503,
  UNSUPPORTED_FILE_TYPE: 415,
  CORRUPT_FILE: 400,
  ENCRYPTED_FILE: 400,
  ARCHIVE_TOO_LARGE: 413,
  EMPTY_FILE: 400,
  NO_EXTRACTABLE_TEXT: 400,
  STORAGE_FULL: 507,
  STORAGE_READ_ONLY: 503,
  STORAGE_IO_ERROR: 503,
  INTERNAL: 500,
  // the HTTP layer's own
  INVALID_JSON: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  PAYLOAD_TOO_LARGE: 413,
  ROUTE_NOT_FOUND: 404,
  INVALID_PATH: 400,
  PATH_TOO_LONG: 414,
  HEADERS_TOO_LARGE: 431,
  METHOD_NOT_ALLOWED: 405,
  MISSING_API_KEY: 401,
  INSUFFICIENT_SCOPE: 403,
  ADMIN_TOKEN_REQUIRED: 401,
  RATE_LIMITED: 429,
  NOT_READY: 503,
  REQUEST_TIMEOUT: 408,
  SHUTTING_DOWN: 503,
  TOO_MANY_IN_FLIGHT: 429,
  UPGRADE_REQUIRED: 426,
  TOO_MANY_CONNECTIONS: 429,
};

/** An error about the HTTP request itself, raised only in src/api/. */
export class HttpError extends Error {
  readonly code: HttpErrorCode;

  constructor(code: HttpErrorCode, message: string) {
    super(message);
    this.name = 'HttpError';
    this.code = code;
  }
}

/** An error of either floor: its code and message are for the client, as they are. */
export function isCodedError(e: unknown): e is VectraError | HttpError {
  return e instanceof VectraError || e instanceof HttpError;
}
