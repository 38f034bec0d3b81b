/**
 * The webhook outbox: DATA_DIR/webhooks.db (SQLite, WAL). Three tables:
 * webhooks; deliveries, each holding the exact body it sends (written once, so every retry
 * sends the same bytes under the same webhook-id); and cursors, how far each collection
 * instance's change feed has been turned into deliveries. A cursor moves in the same
 * transaction as the deliveries it produced: after a crash either both are there or neither,
 * and the feed is read again from the cursor — no acknowledged write's event is lost.
 *
 * Durability: the webhooks themselves (create, update, delete: answers a client waits on)
 * commit with synchronous FULL. The delivery bookkeeping commits with NORMAL — in WAL mode
 * that survives a process crash (kill -9) and can lose only its last transactions to a power
 * failure, which costs a resend, never an event: a lost cursor move is read again from the
 * feed (itself FULL), a lost "delivered" is sent again under the same webhook-id. An fsync per
 * delivery capped a loopback receiver at ~570 deliveries/s (npm run bench:realtime).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import type { CursorStart, WebhookOutbox } from './outbox.js';

export type WebhookStatus = 'active' | 'disabled';
export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface Webhook {
  id: string;
  tenantId: string;
  url: string;
  events: string[];
  /** Only events of these collections (null: all). */
  collections: string[] | null;
  description: string | null;
  secret: string;
  status: WebhookStatus;
  /** Unix ms. */
  createdAt: number;
  consecutiveFailures: number;
  disabledReason: string | null;
  /** Record changes this webhook never got because the feed had let them go (retention). */
  missedChanges: number;
  lastMissedAt: number | null;
}

export interface Delivery {
  id: string;
  webhookId: string;
  tenantId: string;
  event: string;
  body: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: number | null;
  createdAt: number;
  deliveredAt: number | null;
  /** The lease under which a worker of a shared outbox sends it (PostgreSQL's; none in SQLite). */
  claim?: string;
}

export interface NewDelivery {
  webhookId: string;
  tenantId: string;
  event: string;
  body: string;
}

export interface DeliveryStats {
  delivered: number;
  failed: number;
  pending: number;
}

export type WebhookPatch = Partial<Pick<Webhook, 'url' | 'events' | 'collections' | 'description' | 'status'>>;

/** A stored number: SQLite gives numbers, PostgreSQL's bigint strings. */
type Big = number | string;
const num = (v: Big | null): number | null => (v === null ? null : Number(v));
/** A stored JSON list: text in SQLite, parsed jsonb from PostgreSQL. */
const list = (v: string | string[]): string[] => (typeof v === 'string' ? (JSON.parse(v) as string[]) : v);

/** A webhook's row, in SQLite or PostgreSQL (src/cluster/webhook-store.ts). */
export interface WebhookRow {
  id: string;
  tenant_id: string;
  url: string;
  events: string | string[];
  collections: string | string[] | null;
  description: string | null;
  secret: string;
  status: WebhookStatus;
  created_at: Big;
  consecutive_failures: number;
  disabled_reason: string | null;
  missed_changes: Big;
  last_missed_at: Big | null;
}

/** A delivery's row, in SQLite or PostgreSQL (which has its lease's `claim`). */
export interface DeliveryRow {
  id: string;
  webhook_id: string;
  tenant_id: string;
  event: string;
  body: string;
  status: DeliveryStatus;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: Big | null;
  created_at: Big;
  delivered_at: Big | null;
  claim?: string | null;
}

export const toWebhook = (r: WebhookRow): Webhook => ({
  id: r.id,
  tenantId: r.tenant_id,
  url: r.url,
  events: list(r.events),
  collections: r.collections === null ? null : list(r.collections),
  description: r.description,
  secret: r.secret,
  status: r.status,
  createdAt: Number(r.created_at),
  consecutiveFailures: r.consecutive_failures,
  disabledReason: r.disabled_reason,
  missedChanges: Number(r.missed_changes),
  lastMissedAt: num(r.last_missed_at),
});

export const toDelivery = (r: DeliveryRow): Delivery => ({
  id: r.id,
  webhookId: r.webhook_id,
  tenantId: r.tenant_id,
  event: r.event,
  body: r.body,
  status: r.status,
  attempts: r.attempts,
  lastStatusCode: r.last_status_code,
  lastError: r.last_error,
  nextAttemptAt: num(r.next_attempt_at),
  createdAt: Number(r.created_at),
  deliveredAt: num(r.delivered_at),
  ...(typeof r.claim === 'string' && { claim: r.claim }),
});

/** A delivery's id, also its `webhook-id` header: unique, stable across its retries. */
export const newMessageId = (): string => `msg_${randomBytes(12).toString('base64url')}`;

export class WebhookStore implements WebhookOutbox {
  private readonly db: Database.Database;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new Database(join(dataDir, 'webhooks.db'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS webhooks (
      id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, url TEXT NOT NULL, events TEXT NOT NULL, collections TEXT,
      description TEXT, secret TEXT NOT NULL, status TEXT NOT NULL, created_at INTEGER NOT NULL,
      consecutive_failures INTEGER NOT NULL DEFAULT 0, disabled_reason TEXT,
      missed_changes INTEGER NOT NULL DEFAULT 0, last_missed_at INTEGER
    );
    CREATE INDEX IF NOT EXISTS webhooks_tenant ON webhooks(tenant_id, created_at);
    CREATE TABLE IF NOT EXISTS deliveries (
      n INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, webhook_id TEXT NOT NULL, tenant_id TEXT NOT NULL,
      event TEXT NOT NULL, body TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
      last_status_code INTEGER, last_error TEXT, next_attempt_at INTEGER, created_at INTEGER NOT NULL, delivered_at INTEGER
    );
    CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(status, next_attempt_at);
    CREATE INDEX IF NOT EXISTS deliveries_webhook ON deliveries(webhook_id, n);
    CREATE INDEX IF NOT EXISTS deliveries_webhook_due ON deliveries(webhook_id, status, next_attempt_at);
    CREATE TABLE IF NOT EXISTS cursors (
      tenant_id TEXT NOT NULL, collection TEXT NOT NULL, instance TEXT NOT NULL, seq INTEGER NOT NULL,
      PRIMARY KEY (tenant_id, collection, instance)
    );`);
  }

  // ------------------------------------------------------------------ webhooks

  /** A transaction fsynced before it returns (the bookkeeping's are not: see the top). */
  private durably<T>(fn: () => T): T {
    this.db.pragma('synchronous = FULL');
    try {
      return this.db.transaction(fn)();
    } finally {
      this.db.pragma('synchronous = NORMAL');
    }
  }

  /** Insert a webhook and start cursors (where none exist) at the given seqs, together; false when the tenant has `maxPerTenant` already. */
  insertWebhook(w: Webhook, cursors: CursorStart[], maxPerTenant = Number.POSITIVE_INFINITY): boolean {
    const insertCursor = this.db.prepare('INSERT OR IGNORE INTO cursors (tenant_id, collection, instance, seq) VALUES (?, ?, ?, ?)');
    return this.durably(() => {
      if (this.count(w.tenantId) >= maxPerTenant) return false;
      this.db
        .prepare('INSERT INTO webhooks (id, tenant_id, url, events, collections, description, secret, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(w.id, w.tenantId, w.url, JSON.stringify(w.events), w.collections === null ? null : JSON.stringify(w.collections), w.description, w.secret, w.status, w.createdAt);
      for (const c of cursors) insertCursor.run(w.tenantId, c.collection, c.instance, c.seq);
      return true;
    });
  }

  webhook(tenantId: string, id: string): Webhook | undefined {
    const r = this.db.prepare('SELECT * FROM webhooks WHERE id = ? AND tenant_id = ?').get(id, tenantId) as WebhookRow | undefined;
    return r && toWebhook(r);
  }

  webhooks(tenantId: string): Webhook[] {
    return (this.db.prepare('SELECT * FROM webhooks WHERE tenant_id = ? ORDER BY created_at, id').all(tenantId) as WebhookRow[]).map(toWebhook);
  }

  activeWebhooks(tenantId: string): Webhook[] {
    return this.webhooks(tenantId).filter((w) => w.status === 'active');
  }

  count(tenantId: string): number {
    return this.db.prepare('SELECT count(*) FROM webhooks WHERE tenant_id = ?').pluck().get(tenantId) as number;
  }

  tenants(): string[] {
    return this.db.prepare('SELECT DISTINCT tenant_id FROM webhooks').pluck().all() as string[];
  }

  /** Apply a patch; enabling a disabled webhook resets its failure count. Returns the new state. */
  update(tenantId: string, id: string, patch: WebhookPatch): Webhook | undefined {
    return this.durably(() => {
      const before = this.webhook(tenantId, id);
      if (!before) return undefined;
      const next = { ...before, ...patch };
      const reenabled = before.status === 'disabled' && next.status === 'active';
      this.db
        .prepare(
          `UPDATE webhooks SET url = ?, events = ?, collections = ?, description = ?, status = ?,
           consecutive_failures = CASE WHEN ? THEN 0 ELSE consecutive_failures END,
           disabled_reason = CASE WHEN ? THEN NULL WHEN ? = 'disabled' AND disabled_reason IS NULL THEN 'disabled by the API' ELSE disabled_reason END
           WHERE id = ?`,
        )
        .run(next.url, JSON.stringify(next.events), next.collections === null ? null : JSON.stringify(next.collections), next.description, next.status, reenabled ? 1 : 0, reenabled ? 1 : 0, next.status, id);
      return this.webhook(tenantId, id);
    });
  }

  /** Delete a webhook and every delivery of it (pending ones are dropped). */
  delete(tenantId: string, id: string): boolean {
    return this.durably(() => {
      const gone = this.db.prepare('DELETE FROM webhooks WHERE id = ? AND tenant_id = ?').run(id, tenantId).changes > 0;
      if (gone) this.db.prepare('DELETE FROM deliveries WHERE webhook_id = ?').run(id);
      return gone;
    });
  }

  /** Deliveries of a webhook still waiting to be sent (the index on webhook_id, status counts them). */
  pendingCount(webhookId: string): number {
    return this.db.prepare("SELECT count(*) FROM deliveries WHERE webhook_id = ? AND status = 'pending'").pluck().get(webhookId) as number;
  }

  /** Note that the feed let changes go before they reached these webhooks. */
  recordMissed(webhookIds: string[], changes: number, at: number): void {
    const st = this.db.prepare('UPDATE webhooks SET missed_changes = missed_changes + ?, last_missed_at = ? WHERE id = ?');
    this.db.transaction(() => {
      for (const id of webhookIds) st.run(changes, at, id);
    })();
  }

  // ------------------------------------------------------------------ cursors and the outbox

  cursor(tenantId: string, collection: string, instance: string): number | undefined {
    return this.db.prepare('SELECT seq FROM cursors WHERE tenant_id = ? AND collection = ? AND instance = ?').pluck().get(tenantId, collection, instance) as number | undefined;
  }

  /** Forget the cursors of a collection's earlier instances (it was dropped, maybe re-created). */
  dropCursors(tenantId: string, collection: string, keepInstance: string | null): void {
    this.db.prepare('DELETE FROM cursors WHERE tenant_id = ? AND collection = ? AND instance IS NOT ?').run(tenantId, collection, keepInstance);
  }

  /** Insert deliveries and, in the same transaction, move the collection's cursor. */
  commitFeedPage(tenantId: string, collection: string, instance: string, seq: number, deliveries: NewDelivery[], now = Date.now()): void {
    this.db.transaction(() => {
      this.insertDeliveries(deliveries, now);
      this.db.prepare('INSERT INTO cursors (tenant_id, collection, instance, seq) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET seq = excluded.seq').run(tenantId, collection, instance, seq);
    })();
  }

  /** Queue deliveries, due now; returns their ids. */
  enqueue(deliveries: NewDelivery[], now = Date.now()): string[] {
    return this.db.transaction(() => this.insertDeliveries(deliveries, now))();
  }

  private insertDeliveries(deliveries: NewDelivery[], now: number): string[] {
    const st = this.db.prepare("INSERT INTO deliveries (id, webhook_id, tenant_id, event, body, status, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)");
    return deliveries.map((d) => {
      const id = newMessageId();
      st.run(id, d.webhookId, d.tenantId, d.event, d.body, now, now);
      return id;
    });
  }

  // ------------------------------------------------------------------ the worker's side

  /**
   * Active webhooks with deliveries due by `now`, the longest waiting first. Asked per webhook
   * (see `dueOf`) so that one webhook's backlog never hides another's due deliveries.
   */
  dueWebhooks(now: number): Webhook[] {
    const rows = this.db
      .prepare(
        `SELECT w.* FROM webhooks w JOIN (SELECT webhook_id, min(next_attempt_at) AS first FROM deliveries
         WHERE status = 'pending' AND next_attempt_at <= ? GROUP BY webhook_id) d ON d.webhook_id = w.id
         WHERE w.status = 'active' ORDER BY d.first`,
      )
      .all(now) as WebhookRow[];
    return rows.map(toWebhook);
  }

  /** A webhook's pending deliveries due by `now`, earliest first. */
  dueOf(webhookId: string, now: number, limit: number): Delivery[] {
    const rows = this.db.prepare("SELECT * FROM deliveries WHERE webhook_id = ? AND status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, n LIMIT ?").all(webhookId, now, limit);
    return (rows as DeliveryRow[]).map(toDelivery);
  }

  /** Nothing to lease here (one worker): the due ones not in flight. */
  claimDue(webhookId: string, now: number, n: number, inflight: ReadonlySet<string>): Delivery[] {
    return this.dueOf(webhookId, now, n + inflight.size)
      .filter((d) => !inflight.has(d.id))
      .slice(0, n);
  }

  /** When the next pending delivery of an active webhook falls due (null: none pending). */
  nextDueAt(): number | null {
    return this.db.prepare(`SELECT min(d.next_attempt_at) FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.status = 'pending' AND w.status = 'active'`).pluck().get() as number | null;
  }

  markDelivered(d: Delivery, statusCode: number, now = Date.now()): void {
    this.db.transaction(() => {
      this.db.prepare("UPDATE deliveries SET status = 'delivered', attempts = attempts + 1, last_status_code = ?, last_error = NULL, next_attempt_at = NULL, delivered_at = ? WHERE id = ? AND status = 'pending'").run(statusCode, now, d.id);
      this.db.prepare('UPDATE webhooks SET consecutive_failures = 0 WHERE id = ?').run(d.webhookId);
    })();
  }

  markRetry(d: Delivery, statusCode: number | null, error: string, nextAt: number): void {
    this.db.prepare("UPDATE deliveries SET attempts = attempts + 1, last_status_code = ?, last_error = ?, next_attempt_at = ? WHERE id = ? AND status = 'pending'").run(statusCode, error, nextAt, d.id);
  }

  /**
   * The delivery failed for good: count it against its webhook, and disable the webhook when
   * `disableAfter` deliveries in a row have failed (0: never). Returns the webhook when this
   * disabled it.
   */
  markFailed(d: Delivery, statusCode: number | null, error: string, disableAfter: number): Webhook | null {
    return this.db.transaction(() => {
      this.db.prepare("UPDATE deliveries SET status = 'failed', attempts = attempts + 1, last_status_code = ?, last_error = ?, next_attempt_at = NULL WHERE id = ? AND status = 'pending'").run(statusCode, error, d.id);
      const w = this.db.prepare('UPDATE webhooks SET consecutive_failures = consecutive_failures + 1 WHERE id = ? RETURNING *').get(d.webhookId) as WebhookRow | undefined;
      if (!w || disableAfter <= 0 || w.status !== 'active' || w.consecutive_failures < disableAfter) return null;
      const reason = `${w.consecutive_failures} deliveries in a row failed (the last: ${error})`;
      this.db.prepare("UPDATE webhooks SET status = 'disabled', disabled_reason = ? WHERE id = ?").run(reason, w.id);
      return toWebhook({ ...w, status: 'disabled', disabled_reason: reason });
    })();
  }

  deliveries(webhookId: string, limit: number, status?: DeliveryStatus): Delivery[] {
    const rows = status
      ? this.db.prepare('SELECT * FROM deliveries WHERE webhook_id = ? AND status = ? ORDER BY n DESC LIMIT ?').all(webhookId, status, limit)
      : this.db.prepare('SELECT * FROM deliveries WHERE webhook_id = ? ORDER BY n DESC LIMIT ?').all(webhookId, limit);
    return (rows as DeliveryRow[]).map(toDelivery);
  }

  delivery(id: string): Delivery | undefined {
    const r = this.db.prepare('SELECT * FROM deliveries WHERE id = ?').get(id) as DeliveryRow | undefined;
    return r && toDelivery(r);
  }

  stats(webhookId: string): DeliveryStats {
    const out: DeliveryStats = { delivered: 0, failed: 0, pending: 0 };
    for (const r of this.db.prepare('SELECT status, count(*) AS n FROM deliveries WHERE webhook_id = ? GROUP BY status').all(webhookId) as { status: DeliveryStatus; n: number }[]) out[r.status] = r.n;
    return out;
  }

  /** Let go of finished deliveries created before `before` (pending ones are always kept). */
  prune(before: number): number {
    return this.db.prepare("DELETE FROM deliveries WHERE status IN ('delivered', 'failed') AND created_at < ?").run(before).changes;
  }

  close(): void {
    this.db.close();
  }
}
