/**
 * Sending a request: the key, a timeout per attempt, the caller's AbortSignal, and retries
 * with exponential backoff and jitter. 429 and 503 are retried for any method: the server
 * answers them before applying anything (rate limit, not ready, shutting down). A network
 * failure is retried only for a call that is safe to repeat (reads, deletes, upserts by id).
 * A body that can be sent once only (a stream) is never retried.
 */
import { VectraConnectionError, VectraError, VectraTimeoutError, errorFromEnvelope } from './errors.js';

/** fetch as the client calls it: a URL and an init, never a Request (so a stand-in fetch is simple). */
export type FetchLike = (url: string, init: RequestInit & { duplex?: 'half' }) => Promise<Response>;

/** What every call accepts. */
export interface RequestOptions {
  /** Cancels the call, its retries and its waits; the call rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Per attempt: until the whole answer is read (a stream: until it starts). 0 = none. */
  timeoutMs?: number;
  /** How many times a 429, a 503 or (for a call safe to repeat) a network failure is retried. */
  retries?: number;
}

export interface TransportSettings {
  /** The server, e.g. `http://localhost:8080` ('' = this page's origin, in a browser). */
  url: string;
  apiKey?: string;
  timeoutMs: number;
  retries: number;
  /** The first retry waits about this long; each next one twice as long (with jitter). */
  retryDelayMs: number;
  /** No wait is longer; a Retry-After asking for more is not waited for (the call fails with it). */
  maxRetryDelayMs: number;
  fetch: FetchLike;
  headers: Record<string, string>;
  /** Hears of every failure a call rejects with (after its retries), aborts aside. */
  onError?: (error: VectraError) => void;
}

/** One request as the transport sends it. */
export interface Outgoing {
  method: string;
  /** Path and query, after the server's URL. */
  path: string;
  headers?: Record<string, string>;
  body?: BodyInit | null;
  /** Sending it twice has no more effect than once: a network failure may be retried. */
  idempotent: boolean;
  /** The body is a one-shot stream: never sent again, and sent with `duplex: 'half'`. */
  streamBody?: boolean;
}

/** An answer whose body is still to be read. `close()` detaches from the caller's signal (and, with true, cancels the body). */
export interface Opened {
  response: Response;
  /** Aborted by the caller's signal (or `close(true)`): reading the body then rejects. */
  signal: AbortSignal;
  /** The attempt's timeout no longer applies (a stream has started). */
  stopTimer(): void;
  close(cancel?: boolean): void;
}

const RETRIED_STATUSES = new Set([429, 503]);

/** Retry-After as milliseconds from now: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function parseJson(text: string): unknown {
  try {
    return text ? (JSON.parse(text) as unknown) : null;
  } catch {
    return text;
  }
}

export class Transport {
  constructor(readonly settings: TransportSettings) {}

  /** The wait before retry `attempt` (0-based), or null when the server asks for longer than we wait. */
  delay(attempt: number, askedMs: number | undefined, random = Math.random): number | null {
    const { retryDelayMs, maxRetryDelayMs } = this.settings;
    if (askedMs !== undefined && askedMs > maxRetryDelayMs) return null;
    const ceiling = Math.min(maxRetryDelayMs, retryDelayMs * 2 ** attempt);
    // "Equal jitter": at least half the ceiling, so waits still grow; the rest random, so that
    // clients refused together do not come back together.
    const jittered = ceiling / 2 + random() * (ceiling / 2);
    return Math.max(jittered, askedMs ?? 0);
  }

  /** Send `out` until a 2xx answer (retrying what may be retried); the body is left to read. */
  async open(out: Outgoing, options: RequestOptions = {}): Promise<Opened> {
    const { settings } = this;
    const retries = out.streamBody ? 0 : (options.retries ?? settings.retries);
    const timeoutMs = options.timeoutMs ?? settings.timeoutMs;
    const caller = options.signal;
    const headers: Record<string, string> = { accept: 'application/json', ...settings.headers, ...out.headers };
    if (settings.apiKey) headers.authorization = `Bearer ${settings.apiKey}`;
    const url = settings.url + out.path;
    for (let attempt = 0; ; attempt++) {
      caller?.throwIfAborted();
      const ctl = new AbortController();
      const onAbort = () => ctl.abort(caller!.reason);
      caller?.addEventListener('abort', onAbort, { once: true });
      let timer = timeoutMs > 0 ? setTimeout(() => ctl.abort(new VectraTimeoutError(timeoutMs)), timeoutMs) : undefined;
      const stopTimer = () => {
        clearTimeout(timer);
        timer = undefined;
      };
      const close = (cancel = false) => {
        stopTimer();
        caller?.removeEventListener('abort', onAbort);
        if (cancel) ctl.abort();
      };
      let error: VectraError;
      let retryable: boolean;
      try {
        const init: RequestInit & { duplex?: 'half' } = { method: out.method, headers, body: out.body ?? null, signal: ctl.signal };
        if (out.streamBody) init.duplex = 'half';
        const response = await settings.fetch(url, init);
        if (response.ok) return { response, signal: ctl.signal, stopTimer, close };
        const body = parseJson(await response.text());
        const asked = retryAfterMs(response.headers.get('retry-after'));
        error = errorFromEnvelope(response.status, body, asked === undefined ? {} : { retryAfterMs: asked });
        retryable = RETRIED_STATUSES.has(response.status);
      } catch (e) {
        close();
        // The caller's reason (an abort) or our timeout, as they are.
        if (ctl.signal.aborted) throw ctl.signal.reason;
        error = new VectraConnectionError(`could not reach ${settings.url || 'the server'}: ${e instanceof Error ? e.message : String(e)}`, e);
        retryable = out.idempotent;
      }
      close();
      const wait = retryable && attempt < retries ? this.delay(attempt, error.retryAfterMs) : null;
      if (wait === null) {
        settings.onError?.(error);
        throw error;
      }
      await sleep(wait, caller);
    }
  }

  /** Send `out` and read its whole answer as text, within the attempt's timeout. */
  async text(out: Outgoing, options: RequestOptions = {}): Promise<{ text: string; response: Response }> {
    const opened = await this.open(out, options);
    try {
      return { text: await opened.response.text(), response: opened.response };
    } catch (e) {
      // The attempt's own signal: the caller's abort or the timeout, whichever stopped the read.
      throw readFailure(e, opened.signal, `the answer from ${this.settings.url || 'the server'} broke off`);
    } finally {
      opened.close();
    }
  }

  /** Send `out` (its body JSON when given) and parse the JSON answer; undefined for an empty one (204). */
  async json<T>(out: Omit<Outgoing, 'body'> & { json?: unknown }, options: RequestOptions = {}): Promise<T> {
    const { json, ...rest } = out;
    const sent: Outgoing = json === undefined ? rest : { ...rest, body: JSON.stringify(json), headers: { 'content-type': 'application/json', ...rest.headers } };
    const { text } = await this.text(sent, options);
    return parseAnswer(text) as T;
  }
}

/**
 * What a failure while reading an answer's body is, to the caller: their own abort's reason,
 * a VectraError as it is (a stream's error event), else a connection that broke off.
 */
export function readFailure(e: unknown, signal: AbortSignal | undefined, what: string): unknown {
  if (signal?.aborted) return signal.reason;
  if (e instanceof VectraError) return e;
  return new VectraConnectionError(`${what}: ${e instanceof Error ? e.message : String(e)}`, e);
}

/** The JSON of a 2xx answer (undefined when empty); a body that is not JSON is INVALID_RESPONSE. */
export function parseAnswer(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new VectraError('INVALID_RESPONSE', `the server answered something that is not JSON: ${text.slice(0, 200)}`);
  }
}
