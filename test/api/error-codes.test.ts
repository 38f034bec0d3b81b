/**
 * The code → HTTP status table, pinned: clients switch on both, so a code never changes its
 * status silently, and every code the domain raises has one.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HTTP_ERROR_CODES, HTTP_STATUS, HttpError, isCodedError } from '../../src/api/error-codes.js';
import { ERROR_CODES, VectraError } from '../../src/errors.js';

// As src/errors.ts had it before the table moved to the API (issue 16).
const PINNED: Record<string, number> = {
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
  DATABASE_UNAVAILABLE: 503,
  REPLICA_BEHIND: 503,
  NODE_UNREACHABLE: 503,
  COLLECTION_CLOSED: 503,
  // issue 19 (realtime)
  CHANGES_EXPIRED: 410,
  WEBHOOK_NOT_FOUND: 404,
  WEBHOOK_URL_FORBIDDEN: 400,
  // issue 20 (chat)
  LLM_NOT_FOUND: 400,
  CONVERSATION_NOT_FOUND: 404,
  LLM_UNAVAILABLE: 503,
  TOO_MANY_IN_FLIGHT: 429,
  UPGRADE_REQUIRED: 426,
  TOO_MANY_CONNECTIONS: 429,
  WEBHOOK_LIMIT_REACHED: 409,
  // issue 20 (document uploads)
  UNSUPPORTED_FILE_TYPE: 415,
  CORRUPT_FILE: 400,
  ENCRYPTED_FILE: 400,
  ARCHIVE_TOO_LARGE: 413,
  EMPTY_FILE: 400,
  NO_EXTRACTABLE_TEXT: 400,
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
  SEARCH_NOT_FOUND: 404,
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

describe('error codes and their HTTP status', () => {
  it('every code keeps the status it had', () => {
    assert.deepEqual({ ...HTTP_STATUS }, PINNED);
  });

  it('every domain code has a status, and the HTTP layer adds codes of its own only', () => {
    for (const code of ERROR_CODES) assert.equal(typeof HTTP_STATUS[code], 'number', code);
    for (const code of HTTP_ERROR_CODES) assert.ok(!(ERROR_CODES as readonly string[]).includes(code), `${code} is both a domain and an HTTP code`);
    assert.deepEqual(Object.keys(HTTP_STATUS).sort(), [...ERROR_CODES, ...HTTP_ERROR_CODES].sort());
  });

  it('errors carry a code and a message, no status', () => {
    const domain = new VectraError('COLLECTION_NOT_FOUND', 'no such collection');
    const http = new HttpError('ROUTE_NOT_FOUND', 'no such route');
    assert.ok(isCodedError(domain) && isCodedError(http));
    assert.ok(!isCodedError(new Error('plain')));
    assert.equal('status' in domain, false);
    assert.deepEqual([http.code, http.message], ['ROUTE_NOT_FOUND', 'no such route']);
  });
});
