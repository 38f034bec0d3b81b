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
