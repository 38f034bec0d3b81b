/**
 * One delivery attempt: a POST over node:http(s) with a deadline, no redirects followed (a
 * 3xx is a failure: following one would let a receiver point the server anywhere), and —
 * unless private addresses are allowed — a DNS lookup that refuses forbidden addresses at
 * connect time (see url-guard.ts). Connections are kept alive between attempts when the
 * caller gives agents: a kept socket stays connected to the address checked when it opened.
 */
import { request as httpRequest, type Agent as HttpAgent, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';
import type { LookupFunction } from 'node:net';
import { guardedLookup, literalHostProblem, ALLOW_PRIVATE_ENV } from './url-guard.js';

/** Bytes of a receiver's answer read (and dropped) before its connection is cut. */
const MAX_ANSWER_BYTES = 64 * 1024;

export interface AttemptResult {
  /** A 2xx answer. */
  ok: boolean;
  statusCode: number | null;
  /** Why it failed, for the delivery's lastError. */
  error: string | null;
  /** The receiver's Retry-After, in ms from now. */
  retryAfterMs: number | null;
}

export interface AttemptOptions {
  timeoutMs: number;
  allowPrivate: boolean;
  userAgent: string;
  /** The lookup under the guard (tests give a fake one); dns.lookup by default. */
  lookup?: Parameters<typeof guardedLookup>[0];
  signal?: AbortSignal;
  /** Keep-alive agents for http: and https: (default: a fresh connection per attempt). */
  agents?: { http: HttpAgent; https: HttpsAgent };
}

/** Retry-After as ms from `now`: delta-seconds or an HTTP date; null when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | null {
  if (value === undefined || value.trim() === '') return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : Math.max(0, t - now);
}

export function postOnce(url: string, body: string, headers: Record<string, string>, o: AttemptOptions): Promise<AttemptResult> {
  return new Promise((resolve) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return resolve({ ok: false, statusCode: null, error: 'the url is not valid', retryAfterMs: null });
    }
    if (!o.allowPrivate) {
      const problem = literalHostProblem(u);
      if (problem) return resolve({ ok: false, statusCode: null, error: `refused to connect: ${problem} (set ${ALLOW_PRIVATE_ENV}=true to allow)`, retryAfterMs: null });
    }
    let settled = false;
    const done = (r: AttemptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const https = u.protocol === 'https:';
    const send = https ? httpsRequest : httpRequest;
    const req = send(
      u,
      {
        method: 'POST',
        agent: o.agents ? (https ? o.agents.https : o.agents.http) : false,
        lookup: o.allowPrivate ? undefined : (guardedLookup(o.lookup) as LookupFunction),
        headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': o.userAgent },
        signal: o.signal,
      },
      (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        // The answer's body is not used: read and dropped so the socket can be reused — but
        // at most MAX_ANSWER_BYTES of it, within the deadline: a receiver that streams an
        // endless body loses its connection instead of holding it.
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes > MAX_ANSWER_BYTES) res.destroy();
        });
        const bodyDeadline = setTimeout(() => res.destroy(), o.timeoutMs);
        res.on('close', () => clearTimeout(bodyDeadline));
        res.on('error', () => undefined);
        const ok = status >= 200 && status < 300;
        let error: string | null = null;
        if (status >= 300 && status < 400) error = `answered ${status} (redirects are not followed${res.headers.location ? `; Location: ${String(res.headers.location).slice(0, 200)}` : ''})`;
        else if (!ok) error = `answered ${status}`;
        done({ ok, statusCode: status, error, retryAfterMs: ok ? null : retryAfterMs(res.headers['retry-after']) });
      },
    );
    const timer = setTimeout(() => {
      done({ ok: false, statusCode: null, error: `no answer within ${o.timeoutMs} ms`, retryAfterMs: null });
      req.destroy();
    }, o.timeoutMs);
    req.on('error', (e: NodeJS.ErrnoException) => done({ ok: false, statusCode: null, error: e.code && !e.message.includes(e.code) ? `${e.code}: ${e.message}` : e.message, retryAfterMs: null }));
    req.end(body);
  });
}
