/**
 * The one error type of Vectra. `code` is stable (clients switch on it), `status` is the
 * HTTP status the API answers with, `message` says what is wrong and how to fix it.
 */
import { statfsSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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

const FULL = 'the data directory is out of space, so this write was not made; free space or grow the disk, then retry (reads keep working)';
const READ_ONLY = 'the data directory is read-only, so this write was not made; make it writable again, then retry (reads keep working)';

/**
 * A write the disk refused, as the error clients see: SQLite's and the file system's codes
 * for a full or read-only data directory. Null for anything else. Nothing was written: SQLite
 * rolls the transaction back, and the index is only touched after a commit.
 *
 * SQLite reports a file system that turned read-only under an open database (ext4's
 * errors=remount-ro) as a plain I/O error (SQLITE_IOERR_WRITE and kin), so with `dataDir` an
 * I/O error is explained by trying a write there: read-only, full, or else a disk failing
 * (STORAGE_IO_ERROR, 503: the operator's to fix, and logged as an error).
 */
export function storageError(e: unknown, dataDir?: string): VectraError | null {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return null;
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT') return new VectraError('STORAGE_FULL', FULL);
  if (code === 'SQLITE_READONLY' || code.startsWith('SQLITE_READONLY_') || code === 'EROFS') return new VectraError('STORAGE_READ_ONLY', READ_ONLY);
  const io = code.startsWith('SQLITE_IOERR') || code === 'EIO';
  // A new database file cannot be opened on a read-only or full disk either.
  if (dataDir === undefined || !(io || code === 'SQLITE_CANTOPEN')) return null;
  const disk = probeDisk(dataDir);
  if (disk || !io) return disk;
  return new VectraError('STORAGE_IO_ERROR', 'the disk reported an I/O error, so this write was not made; the server log has the details: check the disk, then retry');
}

/**
 * STORAGE_READ_ONLY or STORAGE_FULL if a write in `dir` fails for that reason now, else null.
 * A real write, not access(2): ext4's emergency read-only mode is invisible to access(), and
 * there file system calls can fail with misleading codes (mkdir answers ENOENT).
 */
export function probeDisk(dir: string): VectraError | null {
  const probe = join(dir, `.write-probe-${process.pid}`);
  try {
    writeFileSync(probe, '');
    unlinkSync(probe);
  } catch (p) {
    const why = (p as { code?: unknown }).code;
    if (why === 'EROFS') return new VectraError('STORAGE_READ_ONLY', READ_ONLY);
    if (why === 'ENOSPC' || why === 'EDQUOT') return new VectraError('STORAGE_FULL', FULL);
  }
  try {
    if (statfsSync(dir).bavail === 0) return new VectraError('STORAGE_FULL', FULL);
  } catch {
    // the directory cannot even be examined: not a state this can name
  }
  return null;
}
