/**
 * The webhook outbox of the scale-out mode, in PostgreSQL and shared by every node: the
 * webhooks (so each node lists, changes and deletes the same ones), their deliveries, and the
 * feed cursors the pump moves (src/cluster/webhook-pump.ts). The same interface as the embedded
 * mode's SQLite outbox (src/realtime/webhooks/outbox.ts), so the same worker sends from it.
 *
 * No delivery is sent by two nodes at once: a worker claims due deliveries with
 * `FOR UPDATE SKIP LOCKED` and leases them to itself — their `next_attempt_at` moves to the end
 * of the lease and `claim` takes a token of this claim (`<node id>:<uuid>`). Another node sees them due again only
 * when the lease has run out (the claiming node died, or hung past its attempt's deadline): then
 * it sends the delivery again, under the same webhook-id (at least once). An outcome is recorded
 * only under its own claim's token: a worker whose lease ran out cannot overwrite the next one's.
 */
import { randomUUID } from 'node:crypto';
import type { CursorStart, WebhookOutbox } from '../realtime/webhooks/outbox.js';
import { newMessageId, toDelivery, toWebhook, type Delivery, type DeliveryRow, type DeliveryStats, type DeliveryStatus, type NewDelivery, type Webhook, type WebhookPatch, type WebhookRow } from '../realtime/webhooks/store.js';
import { inTransaction, query, type Pool, type PoolClient } from './pg.js';

type Db = Pick<PoolClient, 'query'>;
/** Queue deliveries, due at `now`, in the caller's transaction (or alone); returns their ids. */
export async function insertDeliveries(db: Db, deliveries: NewDelivery[], now: number): Promise<string[]> {
  if (deliveries.length === 0) return [];
  const ids = deliveries.map(() => newMessageId());
  await db.query(
    `INSERT INTO webhook_deliveries (id, webhook_id, tenant_id, event, body, status, next_attempt_at, created_at)
     SELECT u.id, u.webhook_id, u.tenant_id, u.event, u.body, 'pending', $6, $6
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS u(id, webhook_id, tenant_id, event, body, i)
      ORDER BY u.i`,
    [ids, deliveries.map((d) => d.webhookId), deliveries.map((d) => d.tenantId), deliveries.map((d) => d.event), deliveries.map((d) => d.body), now],
  );
  return ids;
}

/** A tenant's active webhooks, read in the caller's transaction. */
export async function activeWebhooks(db: Db, tenantId: string): Promise<Webhook[]> {
  const r = await db.query<WebhookRow>("SELECT * FROM webhooks WHERE tenant_id = $1 AND status = 'active' ORDER BY created_at, id", [tenantId]);
  return r.rows.map(toWebhook);
}

/** Pending deliveries per webhook (those with none are absent). */
export async function pendingCounts(db: Db, webhookIds: string[]): Promise<Map<string, number>> {
  const r = await db.query<{ webhook_id: string; n: string }>("SELECT webhook_id, count(*) AS n FROM webhook_deliveries WHERE webhook_id = ANY($1) AND status = 'pending' GROUP BY webhook_id", [webhookIds]);
  return new Map(r.rows.map((x) => [x.webhook_id, Number(x.n)]));
}

export class PgWebhookStore implements WebhookOutbox {
  constructor(
    private readonly pool: Pool,
    /** How long a claimed delivery is this worker's alone: its attempt's deadline and a margin. */
    private readonly leaseMs: number,
    /** Claims are `<node id>:<uuid>`: which node holds a delivery in flight shows in the table. */
    private readonly nodeId: string,
  ) {}

  async insertWebhook(w: Webhook, cursors: CursorStart[], maxPerTenant: number): Promise<boolean> {
    return inTransaction(this.pool, async (c) => {
      // Creates of one tenant on several nodes wait for each other here: the count holds.
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`vectra-webhooks:${w.tenantId}`]);
      const n = await c.query<{ n: string }>('SELECT count(*) AS n FROM webhooks WHERE tenant_id = $1', [w.tenantId]);
      if (Number(n.rows[0].n) >= maxPerTenant) return false;
      await c.query('INSERT INTO webhooks (id, tenant_id, url, events, collections, description, secret, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)', [
        w.id,
        w.tenantId,
        w.url,
        JSON.stringify(w.events),
        w.collections === null ? null : JSON.stringify(w.collections),
        w.description,
        w.secret,
        w.status,
        w.createdAt,
      ]);
      for (const k of cursors) {
        await c.query('INSERT INTO webhook_cursors (tenant_id, collection, instance, seq) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [w.tenantId, k.collection, k.instance, k.seq]);
      }
      return true;
    });
  }

  async webhook(tenantId: string, id: string): Promise<Webhook | undefined> {
    const rows = await query<WebhookRow>(this.pool, 'SELECT * FROM webhooks WHERE id = $1 AND tenant_id = $2', [id, tenantId]);
    return rows.length ? toWebhook(rows[0]) : undefined;
  }

  async webhooks(tenantId: string): Promise<Webhook[]> {
    return (await query<WebhookRow>(this.pool, 'SELECT * FROM webhooks WHERE tenant_id = $1 ORDER BY created_at, id', [tenantId])).map(toWebhook);
  }

  /** Tenants with at least one webhook. */
  async tenants(): Promise<string[]> {
    return (await query<{ tenant_id: string }>(this.pool, 'SELECT DISTINCT tenant_id FROM webhooks')).map((r) => r.tenant_id);
  }

  async update(tenantId: string, id: string, patch: WebhookPatch): Promise<Webhook | undefined> {
    return inTransaction(this.pool, async (c) => {
      const rows = (await c.query<WebhookRow>('SELECT * FROM webhooks WHERE id = $1 AND tenant_id = $2 FOR UPDATE', [id, tenantId])).rows;
      if (rows.length === 0) return undefined;
      const before = toWebhook(rows[0]);
      const next = { ...before, ...patch };
      const reenabled = before.status === 'disabled' && next.status === 'active';
      const r = await c.query<WebhookRow>(
        `UPDATE webhooks SET url = $1, events = $2, collections = $3, description = $4, status = $5,
           consecutive_failures = CASE WHEN $6 THEN 0 ELSE consecutive_failures END,
           disabled_reason = CASE WHEN $6 THEN NULL WHEN $5 = 'disabled' AND disabled_reason IS NULL THEN 'disabled by the API' ELSE disabled_reason END
         WHERE id = $7 RETURNING *`,
        [next.url, JSON.stringify(next.events), next.collections === null ? null : JSON.stringify(next.collections), next.description, next.status, reenabled, id],
      );
      return toWebhook(r.rows[0]);
    });
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    // Its deliveries go with it (ON DELETE CASCADE), pending ones too.
    return inTransaction(this.pool, async (c) => ((await c.query('DELETE FROM webhooks WHERE id = $1 AND tenant_id = $2', [id, tenantId])).rowCount ?? 0) > 0);
  }

  async enqueue(deliveries: NewDelivery[], now = Date.now()): Promise<string[]> {
    return inTransaction(this.pool, (c) => insertDeliveries(c, deliveries, now));
  }

  async deliveries(webhookId: string, limit: number, status?: DeliveryStatus): Promise<Delivery[]> {
    const rows = status
      ? await query<DeliveryRow>(this.pool, 'SELECT * FROM webhook_deliveries WHERE webhook_id = $1 AND status = $2 ORDER BY n DESC LIMIT $3', [webhookId, status, limit])
      : await query<DeliveryRow>(this.pool, 'SELECT * FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY n DESC LIMIT $2', [webhookId, limit]);
    return rows.map(toDelivery);
  }

  async delivery(id: string): Promise<Delivery | undefined> {
    const rows = await query<DeliveryRow>(this.pool, 'SELECT * FROM webhook_deliveries WHERE id = $1', [id]);
    return rows.length ? toDelivery(rows[0]) : undefined;
  }

  async stats(webhookId: string): Promise<DeliveryStats> {
    const out: DeliveryStats = { delivered: 0, failed: 0, pending: 0 };
    for (const r of await query<{ status: DeliveryStatus; n: string }>(this.pool, 'SELECT status, count(*) AS n FROM webhook_deliveries WHERE webhook_id = $1 GROUP BY status', [webhookId])) out[r.status] = Number(r.n);
    return out;
  }

  async prune(before: number): Promise<number> {
    return inTransaction(this.pool, async (c) => (await c.query("DELETE FROM webhook_deliveries WHERE status <> 'pending' AND created_at < $1", [before])).rowCount ?? 0);
  }

  // ------------------------------------------------------------------ the workers' side

  async dueWebhooks(now: number): Promise<Webhook[]> {
    const rows = await query<WebhookRow>(
      this.pool,
      `SELECT w.* FROM webhooks w JOIN (SELECT webhook_id, min(next_attempt_at) AS first FROM webhook_deliveries
         WHERE status = 'pending' AND next_attempt_at <= $1 GROUP BY webhook_id) d ON d.webhook_id = w.id
       WHERE w.status = 'active' ORDER BY d.first`,
      [now],
    );
    return rows.map(toWebhook);
  }

  /**
   * Lease up to `n` due deliveries of a webhook to this worker. Rows another node is claiming
   * at this instant are skipped (SKIP LOCKED), and one it has claimed is not due any more (its
   * next_attempt_at is its lease's end; PostgreSQL checks that again on the row it locks).
   */
  async claimDue(webhookId: string, now: number, n: number): Promise<Delivery[]> {
    const rows = await query<DeliveryRow>(
      this.pool,
      `UPDATE webhook_deliveries SET next_attempt_at = $4, claim = $5
        WHERE n IN (SELECT n FROM webhook_deliveries WHERE webhook_id = $1 AND status = 'pending' AND next_attempt_at <= $2
                     ORDER BY next_attempt_at, n LIMIT $3 FOR UPDATE SKIP LOCKED)
        RETURNING *`,
      [webhookId, now, n, now + this.leaseMs, `${this.nodeId}:${randomUUID()}`],
    );
    return rows.map(toDelivery).sort((a, b) => a.createdAt - b.createdAt);
  }

  async nextDueAt(): Promise<number | null> {
    const rows = await query<{ at: string | null }>(
      this.pool,
      `SELECT min(d.next_attempt_at) AS at FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.status = 'pending' AND w.status = 'active'`,
    );
    const at = rows[0]?.at ?? null;
    return at === null ? null : Number(at);
  }

  async markDelivered(d: Delivery, statusCode: number, now = Date.now()): Promise<void> {
    await query(
      this.pool,
      `WITH done AS (UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, last_status_code = $2, last_error = NULL, next_attempt_at = NULL, delivered_at = $3, claim = NULL
                      WHERE id = $1 AND status = 'pending' AND claim IS NOT DISTINCT FROM $4 RETURNING webhook_id)
       UPDATE webhooks SET consecutive_failures = 0 WHERE id IN (SELECT webhook_id FROM done)`,
      [d.id, statusCode, now, d.claim ?? null],
    );
  }

  async markRetry(d: Delivery, statusCode: number | null, error: string, nextAt: number): Promise<void> {
    await query(
      this.pool,
      `UPDATE webhook_deliveries SET attempts = attempts + 1, last_status_code = $2, last_error = $3, next_attempt_at = $4, claim = NULL
        WHERE id = $1 AND status = 'pending' AND claim IS NOT DISTINCT FROM $5`,
      [d.id, statusCode, error, nextAt, d.claim ?? null],
    );
  }

  async markFailed(d: Delivery, statusCode: number | null, error: string, disableAfter: number): Promise<Webhook | null> {
    return inTransaction(this.pool, async (c) => {
      const counted = await c.query<WebhookRow>(
        `WITH failed AS (UPDATE webhook_deliveries SET status = 'failed', attempts = attempts + 1, last_status_code = $2, last_error = $3, next_attempt_at = NULL, claim = NULL
                          WHERE id = $1 AND status = 'pending' AND claim IS NOT DISTINCT FROM $4 RETURNING webhook_id)
         UPDATE webhooks SET consecutive_failures = consecutive_failures + 1 WHERE id IN (SELECT webhook_id FROM failed) RETURNING *`,
        [d.id, statusCode, error, d.claim ?? null],
      );
      const w = counted.rows[0];
      if (!w || disableAfter <= 0 || w.status !== 'active' || w.consecutive_failures < disableAfter) return null;
      const reason = `${w.consecutive_failures} deliveries in a row failed (the last: ${error})`;
      // Only the node whose update disables it tells (webhook.disabled is published once).
      const off = await c.query<WebhookRow>("UPDATE webhooks SET status = 'disabled', disabled_reason = $2 WHERE id = $1 AND status = 'active' RETURNING *", [w.id, reason]);
      return off.rows.length ? toWebhook(off.rows[0]) : null;
    });
  }

  /** The pool is the cluster node's: it closes it. */
  close(): void {}
}
