/**
 * Webhooks per tenant (/v1/webhooks): validation, views and the assembly of the outbox (store),
 * the feed pump and the delivery worker of src/realtime/webhooks/. Another tenant's webhook
 * is simply not found (404), never forbidden.
 */
import { randomBytes } from 'node:crypto';
import { VectraError } from '../errors.js';
import type { WebhookSettings } from '../config.js';
import { patternProblem, type EventBus } from '../realtime/bus.js';
import { Dispatcher, type DispatchLog } from '../realtime/webhooks/dispatcher.js';
import type { WebhookOutbox, WebhookPump } from '../realtime/webhooks/outbox.js';
import { FeedPump, type FeedSource } from '../realtime/webhooks/pump.js';
import { newSecret } from '../realtime/webhooks/signature.js';
import { WebhookStore, type Delivery, type DeliveryStatus, type Webhook, type WebhookStatus } from '../realtime/webhooks/store.js';
import { checkWebhookUrl, type Resolver } from '../realtime/webhooks/url-guard.js';
import type { AttemptOptions } from '../realtime/webhooks/attempt.js';

export interface WebhookInput {
  url: string;
  events: string[];
  collections?: string[] | null;
  description?: string | null;
}

export interface WebhookPatchInput extends Partial<WebhookInput> {
  status?: WebhookStatus;
}

export interface WebhookView {
  id: string;
  url: string;
  events: string[];
  collections: string[] | null;
  description: string | null;
  status: WebhookStatus;
  /** Why it is disabled (by the API, or after failed deliveries); null while active. */
  disabledReason: string | null;
  createdAt: string;
}

export interface WebhookDetail extends WebhookView {
  stats: {
    delivered: number;
    failed: number;
    pending: number;
    consecutiveFailures: number;
    /** Record changes the webhook missed because the change feed's retention let them go first. */
    missedChanges: number;
    lastMissedAt: string | null;
  };
}

export interface DeliveryView {
  id: string;
  event: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

export interface WebhookServiceOptions {
  dataDir: string;
  settings: WebhookSettings;
  allowPrivate: boolean;
  bus: EventBus;
  source: FeedSource;
  log: DispatchLog;
  userAgent: string;
  /** Tests: the DNS answers the URL check and the connect-time guard see. */
  resolve?: Resolver;
  lookup?: AttemptOptions['lookup'];
  /**
   * The scale-out mode's outbox and pump (PostgreSQL, shared by every node: src/cluster/); the
   * default is DATA_DIR/webhooks.db and the local feeds. `onEnqueued` wakes this node's worker.
   */
  outbox?: (onEnqueued: () => void) => { store: WebhookOutbox; pump: WebhookPump };
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function viewOf(w: Webhook): WebhookView {
  return { id: w.id, url: w.url, events: w.events, collections: w.collections, description: w.description, status: w.status, disabledReason: w.disabledReason, createdAt: new Date(w.createdAt).toISOString() };
}

function deliveryView(d: Delivery): DeliveryView {
  return {
    id: d.id,
    event: d.event,
    status: d.status,
    attempts: d.attempts,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    nextAttemptAt: d.status === 'pending' ? iso(d.nextAttemptAt) : null,
    createdAt: new Date(d.createdAt).toISOString(),
    deliveredAt: iso(d.deliveredAt),
  };
}

function checkEvents(events: string[]): string[] {
  events.forEach((p, i) => {
    const problem = patternProblem(p);
    if (problem) throw new VectraError('INVALID_ARGUMENT', `events[${i}] ${problem}`);
  });
  return [...new Set(events)];
}

export class WebhookService {
  private readonly store: WebhookOutbox;
  private readonly pump: WebhookPump;
  private readonly worker: Dispatcher;
  private pruneTimer: NodeJS.Timeout | null = null;

  constructor(private readonly o: WebhookServiceOptions) {
    const poke = () => this.worker.poke();
    if (o.outbox) ({ store: this.store, pump: this.pump } = o.outbox(poke));
    else {
      const store = new WebhookStore(o.dataDir);
      this.store = store;
      this.pump = new FeedPump(store, o.bus, o.source, o.log, poke, o.settings.pollMs * 10, o.settings.pumpDelayMs, o.settings.maxPending);
    }
    this.worker = new Dispatcher(
      this.store,
      { ...o.settings, allowPrivate: o.allowPrivate, userAgent: o.userAgent },
      o.log,
      (w) => o.bus.publish(w.tenantId, 'webhook.disabled', { webhookId: w.id, url: w.url, reason: w.disabledReason, consecutiveFailures: w.consecutiveFailures }),
      o.lookup,
    );
  }

  /** Catch up the change feeds from the stored cursors and resume pending deliveries. */
  start(): void {
    this.pump.start();
    this.worker.start();
    const prune = () =>
      Promise.resolve()
        .then(() => this.store.prune(Date.now() - this.o.settings.deliveryRetentionMs))
        .catch((err: Error) => this.o.log.warn({ err: err.message }, 'finished webhook deliveries not pruned; retrying in an hour'));
    void prune();
    this.pruneTimer = setInterval(() => void prune(), 3_600_000).unref();
  }

  private checkUrl(url: string): Promise<URL> {
    return checkWebhookUrl(url, { allowPrivate: this.o.allowPrivate, resolve: this.o.resolve });
  }

  private async found(tenantId: string, id: string): Promise<Webhook> {
    const w = await this.store.webhook(tenantId, id);
    if (!w) throw new VectraError('WEBHOOK_NOT_FOUND', `webhook "${id}" not found (GET /v1/webhooks lists yours)`);
    return w;
  }

  async create(tenantId: string, input: WebhookInput): Promise<WebhookView & { secret: string }> {
    const events = checkEvents(input.events);
    await this.checkUrl(input.url);
    const max = this.o.settings.maxPerTenant;
    const w: Webhook = {
      id: `wh_${randomBytes(12).toString('base64url')}`,
      tenantId,
      url: input.url,
      events,
      collections: input.collections ? [...new Set(input.collections)] : null,
      description: input.description ?? null,
      secret: newSecret(),
      status: 'active',
      createdAt: Date.now(),
      consecutiveFailures: 0,
      disabledReason: null,
      missedChanges: 0,
      lastMissedAt: null,
    };
    // Cursors of the existing collections start at their head, with the webhook: it gets the
    // writes made after it, and the pump need not read older history. The limit is counted in
    // the same transaction, after the (asynchronous) URL check: concurrent creates cannot overshoot.
    if (!(await this.store.insertWebhook(w, await this.pump.heads(tenantId), max))) {
      throw new VectraError('WEBHOOK_LIMIT_REACHED', `a tenant may have at most ${max} webhooks; delete one first (the limit is VECTRA_WEBHOOK_MAX_PER_TENANT)`);
    }
    this.pump.watch(tenantId);
    return { ...viewOf(w), secret: w.secret };
  }

  /** Every webhook with its delivery counts (a dashboard polls this: no request per webhook). */
  async list(tenantId: string): Promise<WebhookDetail[]> {
    return Promise.all((await this.store.webhooks(tenantId)).map((w) => this.detail(w)));
  }

  async get(tenantId: string, id: string): Promise<WebhookDetail> {
    return this.detail(await this.found(tenantId, id));
  }

  private async detail(w: Webhook): Promise<WebhookDetail> {
    const s = await this.store.stats(w.id);
    return { ...viewOf(w), stats: { ...s, consecutiveFailures: w.consecutiveFailures, missedChanges: w.missedChanges, lastMissedAt: iso(w.lastMissedAt) } };
  }

  async update(tenantId: string, id: string, patch: WebhookPatchInput): Promise<WebhookDetail> {
    await this.found(tenantId, id);
    const events = patch.events === undefined ? undefined : checkEvents(patch.events);
    if (patch.url !== undefined) await this.checkUrl(patch.url);
    const next = await this.store.update(tenantId, id, {
      ...(patch.url !== undefined && { url: patch.url }),
      ...(events !== undefined && { events }),
      ...(patch.collections !== undefined && { collections: patch.collections === null ? null : [...new Set(patch.collections)] }),
      ...(patch.description !== undefined && { description: patch.description }),
      ...(patch.status !== undefined && { status: patch.status }),
    });
    if (!next) throw new VectraError('WEBHOOK_NOT_FOUND', `webhook "${id}" not found (it was deleted meanwhile)`);
    this.pump.wake(tenantId);
    this.worker.poke();
    return this.get(tenantId, id);
  }

  async remove(tenantId: string, id: string): Promise<void> {
    if (!(await this.store.delete(tenantId, id))) throw new VectraError('WEBHOOK_NOT_FOUND', `webhook "${id}" not found (GET /v1/webhooks lists yours)`);
  }

  async deliveries(tenantId: string, id: string, limit: number, status?: DeliveryStatus): Promise<DeliveryView[]> {
    const w = await this.found(tenantId, id);
    return (await this.store.deliveries(w.id, limit, status)).map(deliveryView);
  }

  /** Queue a webhook.test event for this webhook alone; returns the delivery. */
  async test(tenantId: string, id: string): Promise<DeliveryView> {
    const w = await this.found(tenantId, id);
    const body = JSON.stringify({ type: 'webhook.test', timestamp: new Date().toISOString(), data: { webhookId: w.id, message: 'a test event sent by POST /v1/webhooks/{id}/test' } });
    const [deliveryId] = await this.store.enqueue([{ webhookId: w.id, tenantId, event: 'webhook.test', body }]);
    this.worker.poke();
    return deliveryView((await this.store.delivery(deliveryId))!);
  }

  /** Stop the pump and the worker (attempts in flight stay pending), then close the outbox. */
  async close(): Promise<void> {
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    this.pump.close();
    await this.worker.close();
    await this.store.close();
  }
}
