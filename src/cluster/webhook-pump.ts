/**
 * The webhook pump of the scale-out mode: PostgreSQL's change feed (the same seqs on every
 * node) turned into outbox deliveries, each change exactly once whichever node wrote it and
 * however many nodes run.
 *
 * Each collection instance has a cursor row (`webhook_cursors`). A node pumps a page in one
 * transaction: it locks the cursor with `FOR UPDATE SKIP LOCKED` — another node pumping it now
 * holds the lock, and this one leaves it to that node —, reads the changes after it, inserts the
 * deliveries (one per write and webhook, built by the same planPage as the embedded pump) and
 * moves the cursor, then commits. A node dying mid-page commits nothing: the next one reads the
 * page again. Every node hears every commit (NOTIFY, its own writes, its 1 s poll) and tries;
 * the one holding the lock also heard it, so reads again after its page.
 *
 * The events that are not record changes (collections created or dropped, jobs, a webhook
 * disabled) exist on the bus of the node where they happen — once in the cluster — and that
 * node queues them in the shared outbox. index.built is not sent here: every node builds its
 * own replica's index, so it is a node's event, not the cluster's.
 */
import type { ChangeRow } from '../engine/index.js';
import type { EventBus, Subscription, VectraEvent } from '../realtime/bus.js';
import type { CursorStart, WebhookPump } from '../realtime/webhooks/outbox.js';
import { collectionOf, eventDeliveries, PAGE, PendingLimit, planPage, TenantQueue, wants, type PumpLog } from '../realtime/webhooks/pump.js';
import type { Webhook } from '../realtime/webhooks/store.js';
import { inTransaction, query, type Pool } from './pg.js';
import { activeWebhooks, insertDeliveries, pendingCounts, PgWebhookStore } from './webhook-store.js';

/** Events never fanned out from the bus here: record changes come from the feed; webhook.test is queued for its one webhook; index.built is per node. */
const NOT_FROM_BUS = new Set(['record.upserted', 'record.deleted', 'webhook.test', 'index.built']);

export interface PgPumpOptions {
  /** Look for tenants with webhooks (created on other nodes) this often. */
  pollMs: number;
  /** Look at every feed this often (a safety net for a lost wake-up). */
  sweepMs: number;
  /** Wait this long after a wake-up before reading: a burst of writes becomes one transaction. */
  delayMs: number;
  maxPending: number;
}

export class PgFeedPump implements WebhookPump {
  private readonly subs = new Map<string, Subscription>();
  private readonly queue: TenantQueue;
  /** The newest seq heard of per collection: a poll repeating it wakes nothing. */
  private readonly heardSeq = new Map<string, number>();
  /** Collections left to another node's lock, looked at again after pollMs (in case that node died). */
  private readonly retrying = new Set<string>();
  private readonly limit: PendingLimit;
  private readonly timers: NodeJS.Timeout[] = [];
  private closed = false;

  constructor(
    private readonly pool: Pool,
    private readonly store: PgWebhookStore,
    private readonly bus: EventBus,
    private readonly log: PumpLog,
    private readonly onEnqueued: () => void,
    private readonly o: PgPumpOptions,
  ) {
    this.limit = new PendingLimit(o.maxPending, log);
    this.queue = new TenantQueue((t, names) => this.pumpTenant(t, names), o.delayMs, log);
  }

  start(): void {
    void this.refresh();
    this.timers.push(setInterval(() => void this.refresh(), this.o.pollMs).unref());
    this.timers.push(
      setInterval(() => {
        for (const t of this.subs.keys()) this.wake(t);
      }, this.o.sweepMs).unref(),
    );
  }

  /** Tenants with webhooks, some created on other nodes, followed; cursors of dropped collections forgotten. */
  private async refresh(): Promise<void> {
    try {
      for (const t of await this.store.tenants()) if (!this.subs.has(t)) this.watch(t);
      await query(this.pool, 'DELETE FROM webhook_cursors k WHERE NOT EXISTS (SELECT 1 FROM collections c WHERE c.tenant_id = k.tenant_id AND c.name = k.collection AND c.instance = k.instance)');
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'webhook tenants not refreshed from PostgreSQL; retrying');
    }
  }

  watch(tenantId: string): void {
    if (this.closed) return;
    if (!this.subs.has(tenantId)) {
      this.subs.set(tenantId, this.bus.subscribe(tenantId, ['*'], (e) => void this.onEvent(e), { maxQueue: 100_000, overflow: 'skip' }));
    }
    this.wake(tenantId);
  }

  /** A commit of a collection was heard of (ClusterNode): its feed is looked at, when it is newer and its tenant has webhooks. */
  heard(tenantId: string, name: string, seq: number): void {
    if (!this.subs.has(tenantId)) return;
    const k = `${tenantId}\u0000${name}`;
    if ((this.heardSeq.get(k) ?? -1) >= seq) return;
    this.heardSeq.set(k, seq);
    this.wake(tenantId, name);
  }

  wake(tenantId: string, collection?: string): void {
    if (!this.closed) this.queue.mark(tenantId, collection);
  }

  async heads(tenantId: string): Promise<CursorStart[]> {
    const rows = await query<{ name: string; instance: string; seq: string }>(this.pool, 'SELECT name, instance, seq FROM collections WHERE tenant_id = $1', [tenantId]);
    return rows.map((r) => ({ collection: r.name, instance: r.instance, seq: Number(r.seq) }));
  }

  private async onEvent(e: VectraEvent): Promise<void> {
    if (NOT_FROM_BUS.has(e.type)) return;
    try {
      const collection = collectionOf(e);
      const active = await activeWebhooks(this.pool, e.tenantId);
      const pending = await pendingCounts(this.pool, active.map((w) => w.id));
      const deliveries = eventDeliveries(e, collection, active, (hooks) => this.limit.full(hooks, (id) => pending.get(id) ?? 0));
      if (deliveries.length === 0) return;
      await this.store.enqueue(deliveries);
      this.onEnqueued();
    } catch (err) {
      this.log.error({ err: (err as Error).message, tenant: e.tenantId, type: e.type }, 'webhook event not queued');
    }
  }

  private async pumpTenant(tenantId: string, names: ReadonlySet<string> | null): Promise<void> {
    for (const { collection, instance } of await this.heads(tenantId)) {
      if (names !== null && !names.has(collection)) continue;
      try {
        while (!this.closed && (await this.pumpPage(tenantId, collection, instance)));
      } catch (err) {
        this.log.error({ err: (err as Error).message, tenant: tenantId, collection }, 'webhook feed pump failed; retrying at the next sweep');
      }
    }
  }

  /** Turn one page of a collection's feed into deliveries, holding its cursor; true when more may follow. */
  private async pumpPage(tenantId: string, name: string, instance: string): Promise<boolean> {
    let enqueued = false;
    const more = await inTransaction(this.pool, async (c) => {
      const key = [tenantId, name, instance];
      let cursor = (await c.query<{ seq: string }>('SELECT seq FROM webhook_cursors WHERE tenant_id = $1 AND collection = $2 AND instance = $3 FOR UPDATE SKIP LOCKED', key)).rows[0]?.seq;
      if (cursor === undefined) {
        // None yet (the collection appeared after the webhooks, which start cursors for those
        // that existed): its whole feed is new; `at` against each webhook's createdAt still filters.
        const made = await c.query<{ seq: string }>('INSERT INTO webhook_cursors (tenant_id, collection, instance, seq) VALUES ($1, $2, $3, 0) ON CONFLICT DO NOTHING RETURNING seq', key);
        if (made.rows.length === 0) {
          this.retryLater(tenantId, name);
          return false; // another node holds it: that node goes on
        }
        cursor = made.rows[0].seq;
      }
      const hooks = (await activeWebhooks(c, tenantId)).filter((w: Webhook) => wants(w, 'record.upserted', name) || wants(w, 'record.deleted', name));
      if (hooks.length === 0) {
        // Nobody listens: keep the cursor at the head, so that a later webhook does not rescan history.
        await c.query('UPDATE webhook_cursors k SET seq = c.seq FROM collections c WHERE k.tenant_id = $1 AND k.collection = $2 AND k.instance = $3 AND c.tenant_id = $1 AND c.name = $2 AND c.instance = $3', key);
        return false;
      }
      // One statement, one snapshot: the changes are this instance's (a drop deletes its
      // changes with its row; a new instance's come after).
      const rows = (
        await c.query<{ seq: string; tx: string; op: ChangeRow['op']; id: string; at: string }>(
          `SELECT ch.seq, ch.tx, ch.op, ch.id, ch.at FROM changes ch
            WHERE ch.tenant_id = $1 AND ch.collection = $2 AND ch.seq > $4
              AND EXISTS (SELECT 1 FROM collections c WHERE c.tenant_id = $1 AND c.name = $2 AND c.instance = $3)
            ORDER BY ch.seq LIMIT $5`,
          [...key, cursor, PAGE],
        )
      ).rows.map((r): ChangeRow => ({ seq: Number(r.seq), tx: Number(r.tx), op: r.op, id: r.id, at: Number(r.at) }));
      if (rows.length === 0) return false;
      const pending = await pendingCounts(c, hooks.map((w) => w.id));
      const plan = planPage(tenantId, name, rows, PAGE, hooks, this.limit.full(hooks, (id) => pending.get(id) ?? 0));
      const now = Date.now();
      for (const [id, n] of plan.missed) await c.query('UPDATE webhooks SET missed_changes = missed_changes + $2, last_missed_at = $3 WHERE id = $1', [id, n, now]);
      await insertDeliveries(c, plan.deliveries, now);
      await c.query('UPDATE webhook_cursors SET seq = $4 WHERE tenant_id = $1 AND collection = $2 AND instance = $3', [...key, plan.seq]);
      enqueued = plan.deliveries.length > 0;
      return rows.length === PAGE;
    });
    if (enqueued) this.onEnqueued();
    return more;
  }

  /** Left to the node holding the cursor; looked at again after pollMs, should that node have died holding it. */
  private retryLater(tenantId: string, name: string): void {
    const k = `${tenantId}\u0000${name}`;
    if (this.retrying.has(k)) return;
    this.retrying.add(k);
    setTimeout(() => {
      this.retrying.delete(k);
      this.wake(tenantId, name);
    }, this.o.pollMs).unref();
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    for (const s of this.subs.values()) s.close();
    this.subs.clear();
    this.queue.close();
  }
}

/** The scale-out mode's outbox and pump for the WebhookService (its `outbox` option), woken by the commits `node` hears of. */
export function clusterWebhooks(
  node: { pool: Pool; nodeId: string; onCommit: ((tenant: string, name: string, seq: number) => void)[] },
  bus: EventBus,
  s: { timeoutMs: number; pollMs: number; pumpDelayMs: number; maxPending: number },
  log: PumpLog,
): (onEnqueued: () => void) => { store: PgWebhookStore; pump: PgFeedPump } {
  return (onEnqueued) => {
    // A lease outlasts an attempt's deadline by a margin: no other node sends it meanwhile.
    const store = new PgWebhookStore(node.pool, s.timeoutMs + LEASE_MARGIN_MS, node.nodeId);
    const pump = new PgFeedPump(node.pool, store, bus, log, onEnqueued, { pollMs: s.pollMs, sweepMs: s.pollMs * 10, delayMs: s.pumpDelayMs, maxPending: s.maxPending });
    node.onCommit.push((tenant, name, seq) => pump.heard(tenant, name, seq));
    return { store, pump };
  };
}

/** How much longer than an attempt's deadline its delivery stays leased to the node sending it. */
export const LEASE_MARGIN_MS = 5000;
