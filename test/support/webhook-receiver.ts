/** A real local webhook receiver: records every request, answers as the test says. */
import type { IncomingHttpHeaders } from 'node:http';
import { localHttp } from './net.js';

/** Webhook settings for tests: private URLs allowed, retries within 50–300 ms, never disabled, the outbox looked at every 100 ms. */
export const QUICK_WEBHOOKS_ENV = {
  VECTRA_WEBHOOK_ALLOW_PRIVATE: 'true',
  VECTRA_WEBHOOK_RETRY_BASE_MS: '50',
  VECTRA_WEBHOOK_RETRY_MAX_MS: '300',
  VECTRA_WEBHOOK_MAX_ATTEMPTS: '100',
  VECTRA_WEBHOOK_DISABLE_AFTER: '0',
  VECTRA_WEBHOOK_POLL_MS: '100',
  VECTRA_RATE_LIMIT: '1000000',
};

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  /** The parsed body: {type, timestamp, data}. */
  event: { type: string; timestamp: string; data: Record<string, any> };
  /** What the receiver answered. */
  status: number;
  /** Date.now() on arrival. */
  at: number;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
}

/**
 * `answer(n, r)` decides the status of the n-th request (0-based), 200 by default. `port`: listen
 * on that port (bring a receiver up at a URL a webhook already points to).
 */
export async function webhookReceiver(answer: (n: number, r: Omit<Received, 'status'>) => Answer = () => ({ status: 200 }), port = 0) {
  const received: Received[] = [];
  const http = await localHttp((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const r = { headers: req.headers, body, event: JSON.parse(body), at: Date.now() };
      const a = answer(received.length, r);
      received.push({ ...r, status: a.status });
      res.writeHead(a.status, a.headers).end();
    });
  }, port);
  return {
    url: http.url,
    received,
    /** The requests answered 2xx. */
    acked: () => received.filter((r) => r.status >= 200 && r.status < 300),
    close: () => http.close(),
    /** Poll until `done()` holds; fails the test after `timeoutMs`, saying what it waited for. */
    async until(done: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
      const end = Date.now() + timeoutMs;
      while (!done()) {
        if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received ${received.length}: ${received.map((r) => `${r.event.type}→${r.status}`).join(', ')}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}
