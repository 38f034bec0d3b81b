/**
 * The one error type of Vectra. `code` is stable (clients switch on it), `status` is the
 * HTTP status the API answers with, `message` says what is wrong and how to fix it.
 */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'INVALID_COLLECTION_CONFIG'
  | 'INVALID_RECORD'
  | 'INVALID_VECTOR'
  | 'DIMENSION_MISMATCH'
  | 'INVALID_FILTER'
  | 'INVALID_CURSOR'
  | 'COLLECTION_NOT_FOUND'
  | 'COLLECTION_EXISTS'
  | 'RECORD_NOT_FOUND'
  | 'COLLECTION_LOADING'
  | 'COLLECTION_CLOSED'
  // HTTP service
  | 'INVALID_JSON'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'PAYLOAD_TOO_LARGE'
  | 'ROUTE_NOT_FOUND'
  | 'INVALID_PATH'
  | 'PATH_TOO_LONG'
  | 'HEADERS_TOO_LARGE'
  | 'METHOD_NOT_ALLOWED'
  | 'MISSING_API_KEY'
  | 'INVALID_API_KEY'
  | 'API_KEY_REVOKED'
  | 'API_KEY_EXPIRED'
  | 'INSUFFICIENT_SCOPE'
  | 'ADMIN_TOKEN_REQUIRED'
  | 'KEY_NOT_FOUND'
  | 'MODEL_NOT_FOUND'
  | 'MODEL_UNAVAILABLE'
  | 'BENCHMARK_RUNNING'
  | 'JOB_NOT_FOUND'
  | 'BENCHMARK_DATA_MISSING'
  | 'RATE_LIMITED'
  | 'NOT_READY'
  | 'REQUEST_TIMEOUT'
  | 'SHUTTING_DOWN'
  | 'STORAGE_FULL'
  | 'STORAGE_READ_ONLY'
  | 'STORAGE_IO_ERROR'
  | 'INTERNAL';

const STATUS: Record<ErrorCode, number> = {
  INVALID_ARGUMENT: 400,
  INVALID_COLLECTION_CONFIG: 400,
  INVALID_RECORD: 400,
  INVALID_VECTOR: 400,
  DIMENSION_MISMATCH: 400,
  INVALID_FILTER: 400,
  INVALID_CURSOR: 400,
  COLLECTION_NOT_FOUND: 404,
  RECORD_NOT_FOUND: 404,
  COLLECTION_EXISTS: 409,
  COLLECTION_LOADING: 503,
  COLLECTION_CLOSED: 503,
  INVALID_JSON: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  PAYLOAD_TOO_LARGE: 413,
  ROUTE_NOT_FOUND: 404,
  INVALID_PATH: 400,
  PATH_TOO_LONG: 414,
  HEADERS_TOO_LARGE: 431,
  METHOD_NOT_ALLOWED: 405,
  MISSING_API_KEY: 401,
  INVALID_API_KEY: 401,
  API_KEY_REVOKED: 401,
  API_KEY_EXPIRED: 401,
  INSUFFICIENT_SCOPE: 403,
  ADMIN_TOKEN_REQUIRED: 401,
  KEY_NOT_FOUND: 404,
  MODEL_NOT_FOUND: 400,
  MODEL_UNAVAILABLE: 503,
  BENCHMARK_RUNNING: 409,
  JOB_NOT_FOUND: 404,
  BENCHMARK_DATA_MISSING: 503,
  RATE_LIMITED: 429,
  NOT_READY: 503,
  REQUEST_TIMEOUT: 408,
  SHUTTING_DOWN: 503,
  STORAGE_FULL: 507,
  STORAGE_READ_ONLY: 503,
  STORAGE_IO_ERROR: 503,
  INTERNAL: 500,
};

export class VectraError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'VectraError';
    this.code = code;
    this.status = STATUS[code];
    this.details = details;
  }
}

export function isVectraError(e: unknown): e is VectraError {
  return e instanceof VectraError;
}
