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

/**
 * `text` with every secret taken out: the given ones (the request's header values: keys),
 * anything shaped like a provider key (sk-…, AIza…, a Bearer token, a masked key), and IP
 * addresses. Provider messages reach tenants; a gateway that echoes a header, or OpenAI's
 * "Incorrect API key provided: sk-…abcd", must not hand them the operator's key.
 */
export function redact(text: string, secrets: Iterable<string> = []): string {
  let out = text;
  for (const s of secrets) if (s.length >= 6) out = out.split(s).join('[redacted]');
  return out
    .replace(/Bearer\s+\S+/gi, 'Bearer [redacted]')
    .replace(/\b(?:sk|pk|rk|sess)-[A-Za-z0-9_*.-]{4,}/g, '[redacted]')
    .replace(/\bAIza[0-9A-Za-z_-]{8,}/g, '[redacted]')
    .replace(/[A-Za-z0-9_-]*\*{3,}[A-Za-z0-9_-]*/g, '[redacted]')
    .replace(/\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b/g, '[address]');
}

/** The provider's own words about a refusal (its error's type and message), redacted and short. */
function providerMessage(text: string, secrets: string[]): string {
  let said = text;
  try {
    const j = JSON.parse(text) as unknown;
    const top = (Array.isArray(j) ? j[0] : j) as Record<string, unknown> | null;
    const e = (top && typeof top.error === 'object' && top.error !== null ? top.error : top) as Record<string, unknown> | null;
    const parts = [e?.type ?? e?.status ?? e?.code, e?.message ?? (typeof top?.error === 'string' ? top.error : undefined)].filter((x) => typeof x === 'string' || typeof x === 'number');
    if (parts.length > 0) said = parts.join(': ');
  } catch {
    // not JSON: its text
  }
  return redact(said.replace(/\s+/g, ' ').trim().slice(0, 300), secrets);
}

/** The secrets in a request's headers: each value, and a Bearer token's token. */
function headerSecrets(headers: Record<string, string>): string[] {
  return Object.entries(headers)
    .filter(([k]) => !['content-type', 'accept', 'anthropic-version'].includes(k.toLowerCase()))
    .flatMap(([, v]) => [v, v.replace(/^Bearer\s+/i, '')]);
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
  const payload = JSON.stringify(body);
  const secrets = [...headerSecrets(headers), new URL(url).host];
  for (let attempt = 1; ; attempt++) {
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new UpstreamError(`no answer within ${policy.timeoutMs} ms`, true)), policy.timeoutMs);
    try {
      let res: Response;
      try {
        res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: payload, signal: signal ? AbortSignal.any([signal, timeout.signal]) : timeout.signal });
      } catch (e) {
        // The system's code (ECONNREFUSED, ENOTFOUND…), not its message: that names the address.
        const cause = (e as Error).cause as { code?: unknown } | undefined;
        throw new UpstreamError(`could not connect (${typeof cause?.code === 'string' ? cause.code : (e as Error).name})`, true);
      }
      if (res.status === 429 || res.status >= 500) {
        const said = providerMessage(await res.text().catch(() => ''), secrets);
        // Out of quota is not a matter of waiting (OpenAI answers it as a 429).
        throw new UpstreamError(`answered ${res.status}${said ? `: ${said}` : ''}`, !/insufficient_quota|quota exceeded|billing/i.test(said), retryAfter(res));
      }
      if (!res.ok) throw new UpstreamError(`answered ${res.status}: ${providerMessage(await res.text().catch(() => ''), secrets)}`, false);
      return await read(res);
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      const err = timeout.signal.aborted ? (timeout.signal.reason as UpstreamError) : e;
      if (!(err instanceof UpstreamError) || !err.retryable || attempt >= policy.attempts) throw err;
      await backoff(policy, attempt, err, signal);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Waits before try `attempt + 1`: exponential with jitter, at least what Retry-After asked. */
export function backoff(policy: RetryPolicy, attempt: number, err: UpstreamError, signal?: AbortSignal): Promise<void> {
  const ms = policy.baseDelayMs * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5);
  return sleep(Math.min(30_000, Math.max(ms, err.retryAfterMs ?? 0)), signal);
}

/** POSTs JSON and answers the parsed JSON of the 2xx answer (retried as postWithRetries). */
export function postJson(url: string, headers: Record<string, string>, body: unknown, policy: RetryPolicy = DEFAULT_RETRY, signal?: AbortSignal): Promise<unknown> {
  return postWithRetries(url, { accept: 'application/json', ...headers }, body, policy, signal, async (res) => {
    try {
      return (await res.json()) as unknown;
    } catch {
      throw new UpstreamError('answered with something that is not JSON', false);
    }
  });
}
