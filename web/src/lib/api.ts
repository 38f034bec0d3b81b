/**
 * The dashboard's own fetch wrapper, for the pages not yet on @vectra/client (the session's
 * `vectra`): JSON in and out, the key in the Authorization header (never in a URL), and every
 * non-2xx answer turned into an ApiError carrying the envelope's code and message. An ApiError
 * is a VectraError, the client's error type, so pages handle both alike.
 */
import { VectraError } from '@vectra/client';

export class ApiError extends VectraError {
  constructor(status: number, code: string, message: string, /** The envelope's other fields (e.g. CHANGES_EXPIRED's oldestSeq). */ details: Record<string, unknown> = {}) {
    super(code, message, status, details);
    this.name = 'ApiError';
  }
}

/** The error of a failed answer: the API's envelope when there is one, else a description of what came back. */
export function errorOf(status: number, body: unknown, statusText = ''): ApiError {
  const e = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (e && typeof e.code === 'string' && typeof e.message === 'string') {
    const { code, message, ...details } = e as Record<string, unknown> & { code: string; message: string };
    return new ApiError(status, code, message, details);
  }
  return new ApiError(status, `HTTP_${status}`, `the server answered ${status} ${statusText}`.trim());
}

/** The error a stream's `error` event carries (its data the error envelope), or one saying `what` when it carries none. */
export function eventError(data: string, what: string): ApiError {
  return errorOf(0, parse(data), what);
}

function parse(text: string): unknown {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return text;
  }
}

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface Client {
  <T = unknown>(method: Method, path: string, body?: unknown): Promise<T>;
  /**
   * A streamed answer (Server-Sent Events): the open Response, or the ApiError of a refusal.
   * A GET, or with `body` a POST of it as JSON (chat streams its answer to a POST).
   */
  stream(path: string, signal: AbortSignal, headers?: Record<string, string>, body?: unknown): Promise<Response>;
  readonly key: string;
}

/** A client bound to one API key; `onUnauthorized` hears of a 401 (key revoked or expired). */
export function clientFor(key: string, onUnauthorized: (e: ApiError) => void = () => undefined): Client {
  const call = async <T,>(method: Method, path: string, body?: unknown): Promise<T> => {
    const headers: Record<string, string> = { authorization: `Bearer ${key}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new ApiError(0, 'NETWORK', 'the server could not be reached; is it running?');
    }
    const parsed = parse(await res.text());
    if (!res.ok) {
      const err = errorOf(res.status, parsed, res.statusText);
      if (res.status === 401) onUnauthorized(err);
      throw err;
    }
    return parsed as T;
  };
  const stream = async (path: string, signal: AbortSignal, headers: Record<string, string> = {}, body?: unknown): Promise<Response> => {
    let res: Response;
    const post = body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) };
    const json: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
    try {
      res = await fetch(path, { ...post, headers: { ...headers, ...json, accept: 'text/event-stream', authorization: `Bearer ${key}` }, signal, cache: 'no-store' });
    } catch (e) {
      if (signal.aborted) throw e;
      throw new ApiError(0, 'NETWORK', 'the server could not be reached; is it running?');
    }
    if (!res.ok) {
      const err = errorOf(res.status, parse(await res.text()), res.statusText);
      if (res.status === 401) onUnauthorized(err);
      throw err;
    }
    return res;
  };
  return Object.assign(call, { key, stream }) as Client;
}

/**
 * Upload a body with progress (fetch cannot report upload progress): resolves with the parsed
 * answer. A FormData body goes as multipart/form-data (`contentType` null: the browser writes
 * the header, with its boundary).
 */
export function upload<T>(key: string, path: string, body: Blob | FormData, contentType: string | null, onProgress: (sent: number, total: number) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.setRequestHeader('authorization', `Bearer ${key}`);
    if (contentType !== null) xhr.setRequestHeader('content-type', contentType);
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : body instanceof Blob ? body.size : 0);
    xhr.onload = () => {
      const parsed = parse(xhr.responseText);
      if (xhr.status >= 200 && xhr.status < 300) resolve(parsed as T);
      else reject(errorOf(xhr.status, parsed, xhr.statusText));
    };
    xhr.onerror = () => reject(new ApiError(0, 'NETWORK', 'the upload failed: the server could not be reached'));
    xhr.send(body);
  });
}
