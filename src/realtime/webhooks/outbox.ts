/**
 * What the webhook service and its delivery worker ask of an outbox, whichever holds it: the
 * embedded mode's SQLite file (store.ts, synchronous) or PostgreSQL in the scale-out mode
 * (src/cluster/webhook-store.ts, asynchronous, shared by every node). Callers await every
 * answer, so one worker and one service serve both.
 */
import type { Delivery, DeliveryStats, DeliveryStatus, NewDelivery, Webhook, WebhookPatch } from './store.js';

export type Awaitable<T> = T | Promise<T>;

/** Where a collection instance's feed cursor starts when a webhook is created (its head then). */
export interface CursorStart {
  collection: string;
  instance: string;
  seq: number;
}

export interface WebhookOutbox {
  /**
   * Insert a webhook and start cursors (where none exist) at the given seqs, together — unless
   * the tenant already has `maxPerTenant` webhooks: then nothing is written and the answer is false.
   */
  insertWebhook(w: Webhook, cursors: CursorStart[], maxPerTenant: number): Awaitable<boolean>;
  webhook(tenantId: string, id: string): Awaitable<Webhook | undefined>;
  webhooks(tenantId: string): Awaitable<Webhook[]>;
  /** Apply a patch; enabling a disabled webhook resets its failure count. Returns the new state. */
  update(tenantId: string, id: string, patch: WebhookPatch): Awaitable<Webhook | undefined>;
  /** Delete a webhook and every delivery of it (pending ones are dropped). */
  delete(tenantId: string, id: string): Awaitable<boolean>;
  /** Queue deliveries, due now; returns their ids. */
  enqueue(deliveries: NewDelivery[], now?: number): Awaitable<string[]>;
  deliveries(webhookId: string, limit: number, status?: DeliveryStatus): Awaitable<Delivery[]>;
  delivery(id: string): Awaitable<Delivery | undefined>;
  stats(webhookId: string): Awaitable<DeliveryStats>;
  /** Let go of finished deliveries created before `before` (pending ones are always kept). */
  prune(before: number): Awaitable<number>;

  // The worker's side.
  /** Active webhooks with deliveries due by `now`, the longest waiting first. */
  dueWebhooks(now: number): Awaitable<Webhook[]>;
  /**
   * Up to `n` due deliveries of a webhook for this worker to send now, earliest first, none of
   * those it has in flight. An outbox shared by several workers also leases them to this one
   * (no other worker gets them until the lease ends or the outcome is recorded).
   */
  claimDue(webhookId: string, now: number, n: number, inflight: ReadonlySet<string>): Awaitable<Delivery[]>;
  /** When the next pending delivery of an active webhook falls due (null: none pending). */
  nextDueAt(): Awaitable<number | null>;
  markDelivered(d: Delivery, statusCode: number, now?: number): Awaitable<void>;
  markRetry(d: Delivery, statusCode: number | null, error: string, nextAt: number): Awaitable<void>;
  /** Failed for good; disables the webhook after `disableAfter` in a row (0: never) and returns it then. */
  markFailed(d: Delivery, statusCode: number | null, error: string, disableAfter: number): Awaitable<Webhook | null>;
  close(): Awaitable<void>;
}

/** What turns events into deliveries: the feed pump of the embedded mode (pump.ts), or the scale-out mode's (src/cluster/webhook-pump.ts). */
export interface WebhookPump {
  /** Catch up from the stored cursors, then follow. */
  start(): void;
  /** A tenant has a (new) webhook: follow its events and catch it up. */
  watch(tenantId: string): void;
  /** Look at a tenant's feeds now (a webhook changed). */
  wake(tenantId: string): void;
  /** Where a new webhook's cursors start: each of the tenant's collections at its head. */
  heads(tenantId: string): Awaitable<CursorStart[]>;
  close(): void;
}
