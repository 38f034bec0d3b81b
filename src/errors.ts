/**
 * The one error type of Vectra's domain, the ground floor every layer may import. `code` is
 * stable (clients switch on it), `message` says what is wrong and how to fix it. Nothing here
 * knows HTTP: the API maps each code to a status (src/api/error-codes.ts), and adds the codes
 * only it raises, about the request itself (its path, headers, body, pace, credentials).
 */

/** Every code the engine, the embedders and the services raise. */
export const ERROR_CODES = [
  'INVALID_ARGUMENT',
  'INVALID_COLLECTION_CONFIG',
  'INVALID_RECORD',
  'INVALID_VECTOR',
  'DIMENSION_MISMATCH',
  'INVALID_FILTER',
  'INVALID_CURSOR',
  // text that is not UTF-8 (a JSON body, a query string, an NDJSON line)
  'INVALID_ENCODING',
  'COLLECTION_NOT_FOUND',
  'COLLECTION_EXISTS',
  'RECORD_NOT_FOUND',
  'COLLECTION_LOADING',
  'COLLECTION_CLOSED',
  // realtime: the change feed no longer holds what was asked (the error carries oldestSeq)
  'CHANGES_EXPIRED',
  'WEBHOOK_NOT_FOUND',
  'WEBHOOK_URL_FORBIDDEN',
  // chat
  'LLM_NOT_FOUND',
  'CONVERSATION_NOT_FOUND',
  // the LLM is not reachable, has no key, or failed (mid-answer: the stream's error event)
  'LLM_UNAVAILABLE',
  'WEBHOOK_LIMIT_REACHED',
  // accounts
  'INVALID_API_KEY',
  'API_KEY_REVOKED',
  'API_KEY_EXPIRED',
  'KEY_NOT_FOUND',
  // models and jobs
  'MODEL_NOT_FOUND',
  'MODEL_UNAVAILABLE',
  'BENCHMARK_RUNNING',
  'JOB_NOT_FOUND',
  // insights: a recorded search that the collection's ring does not hold (never recorded, or dropped as newer ones came)
  'SEARCH_NOT_FOUND',
  'BENCHMARK_DATA_MISSING',
  // document uploads: files that cannot be read as documents
  'UNSUPPORTED_FILE_TYPE',
  'CORRUPT_FILE',
  'ENCRYPTED_FILE',
  'ARCHIVE_TOO_LARGE',
  'EMPTY_FILE',
  'NO_EXTRACTABLE_TEXT',
  // scale-out: PostgreSQL (the system of record) out of reach; a replica not at the asked seq in time
  'DATABASE_UNAVAILABLE',
  'REPLICA_BEHIND',
  // scale-out placement: the node holding a collection did not answer a forwarded request
  'NODE_UNREACHABLE',
  // the disk (src/engine/disk.ts)
  'STORAGE_FULL',
  'STORAGE_READ_ONLY',
  'STORAGE_IO_ERROR',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class VectraError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'VectraError';
    this.code = code;
    this.details = details;
  }
}

export function isVectraError(e: unknown): e is VectraError {
  return e instanceof VectraError;
}
