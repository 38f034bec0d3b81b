/**
 * Calling a remote provider (embedding models, LLMs) over HTTP: one policy for every one of
 * them. 429 and 5xx answers and network failures are retried with exponential backoff and
 * jitter, honouring Retry-After; any other non-2xx answer is final, with the provider's own
 * message (it helps: a wrong model name, a rejected key — and never holds our key). Each try
 * has a timeout; a caller's signal (the client went away) stops the tries at once.
 */

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  /** Per try: until the answer's headers (and, for JSON, its body). */
  timeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 250, timeoutMs: 30_000 };

/** A provider failure; `retryable` when another try may succeed (429, 5xx, network). */
export class UpstreamError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
  }
}

function retryAfter(res: Response): number | null {
  const h = res.headers.get('retry-after');
  if (h === null) return null;
  const s = Number(h);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const t = Date.parse(h);
  return Number.isNaN(t) ? null : Math.max(0, t - Date.now());
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => (signal?.removeEventListener('abort', onAbort), resolve()), ms);
    const onAbort = () => (clearTimeout(t), reject(signal!.reason));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * POSTs JSON and answers `read(response)` of the 2xx answer, retrying as the policy says.
 * `signal` aborts the whole thing (its reason is thrown as is). Each try's timeout covers the
 * answer's headers and `read`; a stream's body read later is the caller's to time.
 */
export async function postWithRetries<T = Response>(
  url: string,
  headers: Record<string, string>,
  body: unknown,
  policy: RetryPolicy = DEFAULT_RETRY,
  signal?: AbortSignal,
  read: (res: Response) => Promise<T> = async (res) => res as T,
): Promise<T> {
  const host = new URL(url).host;
  const payload = JSON.stringify(body);
  for (let attempt = 1; ; attempt++) {
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new UpstreamError(`${host} did not answer within ${policy.timeoutMs} ms`, true)), policy.timeoutMs);
    try {
      let res: Response;
      try {
        res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: payload, signal: signal ? AbortSignal.any([signal, timeout.signal]) : timeout.signal });
      } catch (e) {
        throw new UpstreamError(`could not reach ${host} (${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message})`, true);
      }
      if (res.status === 429 || res.status >= 500) {
        await res.body?.cancel();
        throw new UpstreamError(`${host} answered ${res.status}`, true, retryAfter(res));
      }
      if (!res.ok) throw new UpstreamError(`${host} answered ${res.status}: ${(await res.text()).slice(0, 300)}`, false);
      return await read(res);
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      const err = timeout.signal.aborted ? (timeout.signal.reason as UpstreamError) : e;
      if (!(err instanceof UpstreamError) || !err.retryable || attempt >= policy.attempts) throw err;
      const backoff = policy.baseDelayMs * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5);
      await sleep(Math.min(30_000, Math.max(backoff, err.retryAfterMs ?? 0)), signal);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** POSTs JSON and answers the parsed JSON of the 2xx answer (retried as postWithRetries). */
export function postJson(url: string, headers: Record<string, string>, body: unknown, policy: RetryPolicy = DEFAULT_RETRY, signal?: AbortSignal): Promise<unknown> {
  return postWithRetries(url, { accept: 'application/json', ...headers }, body, policy, signal, async (res) => {
    try {
      return (await res.json()) as unknown;
    } catch {
      throw new UpstreamError(`${new URL(url).host} answered with something that is not JSON`, false);
    }
  });
}
