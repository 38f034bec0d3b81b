/**
 * What a call can fail with. Every failure the client raises is a VectraError: the API's
 * refusals (its envelope `{"error": {"code", "message", …}}`, with the HTTP status), and the
 * ones that never got an answer (`NETWORK_ERROR`, `TIMEOUT`, status 0). An abort through the
 * caller's AbortSignal is not: it rejects with the signal's reason, as fetch does.
 */

/** Codes the client raises itself; every other code is the server's (docs/api.md lists them). */
export type ClientErrorCode = 'NETWORK_ERROR' | 'STREAM_ENDED' | 'TIMEOUT' | 'INVALID_RESPONSE';

export class VectraError extends Error {
  /** A stable code: the API's (`COLLECTION_NOT_FOUND`, `INVALID_FILTER`, …) or the client's own. */
  readonly code: string;
  /** The HTTP status; 0 when no answer came (network, timeout) or the error came inside a stream. */
  readonly status: number;
  /** The envelope's other fields (e.g. `oldestSeq`), and the client's own facts (`retryAfterMs`). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, status = 0, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VectraError';
    this.code = code;
    this.status = status;
    this.details = details;
  }

  /** Milliseconds the server asked to wait (429/503 with Retry-After), when it said. */
  get retryAfterMs(): number | undefined {
    const v = this.details.retryAfterMs;
    return typeof v === 'number' ? v : undefined;
  }
}

/**
 * The server could not be reached, or the connection broke before a whole answer came
 * (`NETWORK_ERROR`); or a streamed answer closed cleanly but before its last event or line
 * (`STREAM_ENDED`: the server went away mid-answer).
 */
export class VectraConnectionError extends VectraError {
  constructor(message: string, cause: unknown, code: 'NETWORK_ERROR' | 'STREAM_ENDED' = 'NETWORK_ERROR') {
    super(code, message, 0, {}, { cause });
    this.name = 'VectraConnectionError';
  }
}

/** No answer within the call's `timeoutMs`. */
export class VectraTimeoutError extends VectraError {
  constructor(readonly timeoutMs: number) {
    super('TIMEOUT', `no answer within ${timeoutMs} ms (the client's timeoutMs)`);
    this.name = 'VectraTimeoutError';
  }
}

/**
 * 410 CHANGES_EXPIRED: the change feed no longer holds changes after the seq asked for. Read the
 * current records (`collection.list()`), then follow from `oldestSeq - 1`.
 */
export class ChangesExpiredError extends VectraError {
  /** The oldest seq the feed still holds. */
  readonly oldestSeq: number;

  constructor(message: string, status: number, details: Record<string, unknown>) {
    super('CHANGES_EXPIRED', message, status, details);
    this.name = 'ChangesExpiredError';
    this.oldestSeq = typeof details.oldestSeq === 'number' ? details.oldestSeq : 0;
  }
}

/** The error an envelope (an answer's body, or a stream's `error` event) describes. */
export function errorFromEnvelope(status: number, body: unknown, extra: Record<string, unknown> = {}): VectraError {
  const e = (body as { error?: unknown } | null)?.error as Record<string, unknown> | undefined;
  if (e && typeof e.code === 'string' && typeof e.message === 'string') {
    const { code, message, ...details } = e as Record<string, unknown> & { code: string; message: string };
    Object.assign(details, extra);
    return code === 'CHANGES_EXPIRED' ? new ChangesExpiredError(message, status, details) : new VectraError(code, message, status, details);
  }
  const said = typeof body === 'string' && body.trim() ? `: ${body.trim().slice(0, 200)}` : '';
  return new VectraError(`HTTP_${status}`, `the server answered ${status} without the API's error envelope${said}`, status, extra);
}
