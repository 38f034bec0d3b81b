/**
 * The delivery worker. Due deliveries are picked from the outbox (SQLite, or PostgreSQL in the
 * scale-out mode, where each is leased to the one node sending it: see outbox.ts), so what was
 * pending before a restart or a kill -9 is simply due again; they are sent with bounded concurrency (in all and per
 * webhook), and their outcome written back: a 2xx delivers; anything else is retried after
 * an exponential backoff with full jitter (or the receiver's Retry-After, capped), until
 * `maxAttempts`; then the delivery has failed. `disableAfter` failed deliveries in a row
 * disable the webhook (and `onDisabled` publishes webhook.disabled).
 *
 * An attempt in flight when the worker closes is abandoned, not recorded: the delivery stays
 * pending and is sent again after the restart (receivers dedupe on webhook-id).
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { WebhookSettings } from '../../config.js';
import { postOnce, type AttemptOptions, type AttemptResult } from './attempt.js';
import { signedHeaders } from './signature.js';
import type { WebhookOutbox } from './outbox.js';
import type { Delivery, Webhook } from './store.js';

/** The worker's settings (see WebhookSettings in src/config.ts), and how to connect. */
export type DispatchSettings = Pick<WebhookSettings, 'timeoutMs' | 'retryBaseMs' | 'retryMaxMs' | 'maxAttempts' | 'disableAfter' | 'concurrency' | 'concurrencyPerWebhook' | 'pollMs'> & {
  allowPrivate: boolean;
  userAgent: string;
};

export interface DispatchLog {
  warn(o: object, msg: string): void;
  error(o: object, msg: string): void;
}

/** The wait before attempt n+1 after n failed ones: full jitter over base·2^(n-1), capped. */
export function backoffMs(failedAttempts: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(30, Math.max(0, failedAttempts - 1)));
  return Math.floor(random() * ceiling);
}

export class Dispatcher {
  /**
   * Connections kept alive between attempts (a new one per attempt capped a loopback receiver
   * at ~550 deliveries/s: npm run bench:realtime). New sockets still go through the guarded
   * lookup; idle ones close after 5 s.
   */
  private readonly agents = {
    http: new HttpAgent({ keepAlive: true, keepAliveMsecs: 1000, timeout: 5000, maxFreeSockets: 64 }),
    https: new HttpsAgent({ keepAlive: true, keepAliveMsecs: 1000, timeout: 5000, maxFreeSockets: 64 }),
  };
  private readonly inflight = new Map<string, { webhookId: string; abort: AbortController; done: Promise<void> }>();
  private readonly perWebhook = new Map<string, number>();
  /**
   * Attempts in flight per tenant, at most half the worker's: a tenant whose receivers hang
   * until the timeout cannot hold every slot and stall the others' deliveries.
   */
  private readonly perTenant = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private scheduled = false;
  /** A look at the outbox is under way (its answers may be asynchronous); `again`: poked meanwhile. */
  private ticking = false;
  private again = false;
  private closed = true;

  constructor(
    private readonly store: WebhookOutbox,
    private readonly s: DispatchSettings,
    private readonly log: DispatchLog,
    private readonly onDisabled: (w: Webhook) => void,
    /** The lookup under the SSRF guard (tests only). */
    private readonly lookup?: AttemptOptions['lookup'],
  ) {}

  private tenantCap(): number {
    return Math.max(1, Math.floor(this.s.concurrency / 2));
  }

  start(): void {
    this.closed = false;
    this.poke();
  }

  /** Look at the outbox now (a delivery was queued or a webhook enabled). */
  poke(): void {
    if (this.closed || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.tick();
    });
  }

  private tick(): void {
    if (this.closed) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    void this.scan().finally(() => {
      this.ticking = false;
      if (this.again) {
        this.again = false;
        this.poke();
      }
    });
  }

  private async scan(): Promise<void> {
    const now = Date.now();
    let delay = this.s.pollMs;
    try {
      let free = this.s.concurrency - this.inflight.size;
      if (free > 0) {
        for (const webhook of await this.store.dueWebhooks(now)) {
          if (this.closed) return;
          const busy = this.perWebhook.get(webhook.id) ?? 0;
          const tenantRoom = this.tenantCap() - (this.perTenant.get(webhook.tenantId) ?? 0);
          const slots = Math.min(free, this.s.concurrencyPerWebhook - busy, tenantRoom);
          if (slots <= 0) continue;
          for (const delivery of await this.store.claimDue(webhook.id, now, slots, new Set(this.inflight.keys()))) {
            // Closed meanwhile: a claimed delivery stays pending (its lease ends; it is sent again).
            if (this.closed) return;
            this.launch(delivery, webhook);
            free--;
          }
          if (free <= 0) break;
        }
      }
      // Sleep until the next delivery falls due. Those due now are in flight or wait for a
      // webhook's free slot: a finishing attempt pokes the worker.
      const next = await this.store.nextDueAt();
      if (next !== null && next > now) delay = Math.min(next - now, this.s.pollMs);
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'webhook worker failed to read the outbox; retrying');
    }
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), delay);
    this.timer.unref();
  }

  private launch(d: Delivery, w: Webhook): void {
    const abort = new AbortController();
    this.perWebhook.set(w.id, (this.perWebhook.get(w.id) ?? 0) + 1);
    this.perTenant.set(w.tenantId, (this.perTenant.get(w.tenantId) ?? 0) + 1);
    const headers = signedHeaders(w.secret, d.id, d.body);
    const done = postOnce(w.url, d.body, headers, { timeoutMs: this.s.timeoutMs, allowPrivate: this.s.allowPrivate, userAgent: this.s.userAgent, lookup: this.lookup, signal: abort.signal, agents: this.agents })
      .then(async (r) => {
        if (!this.closed) await this.record(d, w, r);
      })
      .catch((err: Error) => this.log.error({ err: err.message, delivery: d.id }, 'webhook attempt failed unexpectedly'))
      .finally(() => {
        this.inflight.delete(d.id);
        const n = (this.perWebhook.get(w.id) ?? 1) - 1;
        if (n <= 0) this.perWebhook.delete(w.id);
        else this.perWebhook.set(w.id, n);
        const t = (this.perTenant.get(w.tenantId) ?? 1) - 1;
        if (t <= 0) this.perTenant.delete(w.tenantId);
        else this.perTenant.set(w.tenantId, t);
        this.poke();
      });
    this.inflight.set(d.id, { webhookId: w.id, abort, done });
  }

  private async record(d: Delivery, w: Webhook, r: AttemptResult): Promise<void> {
    if (r.ok) return void (await this.store.markDelivered(d, r.statusCode!));
    const attempts = d.attempts + 1;
    const error = r.error ?? 'failed';
    if (attempts >= this.s.maxAttempts) {
      const disabled = await this.store.markFailed(d, r.statusCode, error, this.s.disableAfter);
      this.log.warn({ tenant: w.tenantId, webhook: w.id, delivery: d.id, attempts, error }, 'webhook delivery failed for good');
      if (disabled) {
        this.log.warn({ tenant: w.tenantId, webhook: w.id, reason: disabled.disabledReason }, 'webhook disabled');
        this.onDisabled(disabled);
      }
      return;
    }
    const wait = r.retryAfterMs !== null ? Math.min(r.retryAfterMs, this.s.retryMaxMs) : backoffMs(attempts, this.s.retryBaseMs, this.s.retryMaxMs);
    await this.store.markRetry(d, r.statusCode, error, Date.now() + wait);
  }

  /** Stop: no new attempts; those in flight are abandoned and stay pending. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const pending = [...this.inflight.values()];
    for (const f of pending) f.abort.abort();
    await Promise.all(pending.map((f) => f.done));
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}
