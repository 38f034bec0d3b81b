/**
 * The pump turns events into outbox deliveries.
 *
 * Record events come from each collection's durable change feed, never from the bus: the
 * pump keeps a cursor per collection instance (its name + config.attributes.createdAt, so a
 * dropped and re-created collection starts over) and moves it in the same SQLite transaction
 * as the deliveries it inserts. A kill -9 between a record commit and the outbox insert
 * therefore loses nothing: on start the pump reads the feed again from the stored cursor. The
 * bus only wakes it (and a periodic sweep covers a missed wake-up). One event per write: the
 * change rows of one `tx` become one record.upserted / record.deleted event (split at
 * MAX_IDS_PER_EVENT ids).
 *
 * Other events (collections, jobs, webhook.disabled, index.built) exist only on the bus; they
 * are inserted into the outbox as they are published.
 */
import type { ChangeRow, Collection } from '../../engine/index.js';
import { matchesAny, type EventBus, type Subscription, type VectraEvent } from '../bus.js';
import type { CursorStart, WebhookPump } from './outbox.js';
import type { NewDelivery, Webhook, WebhookStore } from './store.js';

/** Ids per record event: a larger write becomes several events. */
export const MAX_IDS_PER_EVENT = 1000;
export const PAGE = 2000;

export interface FeedSource {
  /** The tenant's loaded collections, by name. */
  collections(tenantId: string): [string, Collection][];
}

export interface PumpLog {
  warn(o: object, msg: string): void;
  error(o: object, msg: string): void;
}

/** Which collection instance a cursor belongs to. */
export const instanceOf = (c: Collection): string => String(c.config.attributes.createdAt ?? '');

/** The collection an event is about, when it is about one. */
export function collectionOf(e: VectraEvent): string | null {
  if (typeof e.data.collection === 'string') return e.data.collection;
  const job = e.data.job as { collection?: unknown } | undefined;
  return typeof job?.collection === 'string' ? job.collection : null;
}

/** Whether a webhook takes events of this type about this collection (null: about none). */
export function wants(w: Webhook, type: string, collection: string | null): boolean {
  if (w.status !== 'active' || !matchesAny(type, w.events)) return false;
  return w.collections === null || collection === null || w.collections.includes(collection);
}

export class FeedPump implements WebhookPump {
  private readonly subs = new Map<string, Subscription>();
  /** Tenants with work: the collections named, or all of them (null). */
  private readonly queue: TenantQueue;
  private closed = false;
  private sweep: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: WebhookStore,
    private readonly bus: EventBus,
    private readonly source: FeedSource,
    private readonly log: PumpLog,
    /** Told when deliveries were queued, so that the worker looks at once. */
    private readonly onEnqueued: () => void,
    private readonly sweepMs: number,
    /** Wait this long after a wake-up before reading: a burst of writes becomes one transaction. */
    delayMs = 0,
    /**
     * Pending deliveries a webhook may have: past it, new events are not queued for it (its
     * record changes are counted in missedChanges), so a receiver slower than the writes
     * cannot fill the disk with an outbox that grows without bound.
     */
    maxPending = Number.POSITIVE_INFINITY,
  ) {
    this.limit = new PendingLimit(maxPending, log);
    this.queue = new TenantQueue((t, names) => this.pumpTenant(t, names), delayMs, log);
  }

  private full(hooks: readonly Webhook[]): Set<string> {
    return this.limit.full(hooks, (id) => this.store.pendingCount(id));
  }

  private readonly limit: PendingLimit;

  /** Catch up every collection of every tenant with webhooks from the stored cursors; then follow. */
  start(): void {
    for (const t of this.store.tenants()) this.watch(t);
    // A safety net only (writes wake the pump through the bus): a wake-up skipped by a full
    // bus queue or a failed page is caught up within the sweep.
    this.sweep = setInterval(() => {
      for (const t of this.subs.keys()) this.wake(t);
    }, this.sweepMs).unref();
  }

  heads(tenantId: string): CursorStart[] {
    return this.source.collections(tenantId).map(([name, c]) => ({ collection: name, instance: instanceOf(c), seq: c.seq }));
  }

  /** Follow a tenant's events (called for each tenant that has a webhook) and catch it up. */
  watch(tenantId: string): void {
    if (this.closed) return;
    if (!this.subs.has(tenantId)) {
      this.subs.set(tenantId, this.bus.subscribe(tenantId, ['*'], (e) => this.onEvent(e), { maxQueue: 100_000, overflow: 'skip' }));
    }
    this.wake(tenantId);
  }

  /** Look at a tenant's collection (or all of them) for changes past its cursor. */
  wake(tenantId: string, collection?: string): void {
    if (!this.closed) this.queue.mark(tenantId, collection);
  }

  private onEvent(e: VectraEvent): void {
    if (e.type === 'record.upserted' || e.type === 'record.deleted') return this.wake(e.tenantId, String(e.data.collection));
    // webhook.test is queued for its one webhook by the service, never fanned out.
    if (e.type === 'webhook.test') return;
    const collection = collectionOf(e);
    if (e.type === 'collection.deleted' && collection !== null) {
      const now = this.source.collections(e.tenantId).find(([n]) => n === collection);
      this.store.dropCursors(e.tenantId, collection, now ? instanceOf(now[1]) : null);
    }
    const deliveries = eventDeliveries(e, collection, this.store.activeWebhooks(e.tenantId), (hooks) => this.full(hooks));
    if (deliveries.length === 0) return;
    try {
      this.store.enqueue(deliveries);
      this.onEnqueued();
    } catch (err) {
      this.log.error({ err: (err as Error).message, tenant: e.tenantId, type: e.type }, 'webhook event not queued');
    }
  }

  private async pumpTenant(tenantId: string, names: ReadonlySet<string> | null): Promise<void> {
    for (const [name, c] of this.source.collections(tenantId)) {
      if (names !== null && !names.has(name)) continue;
      try {
        // A page at a time, yielding between pages: a large backlog does not stall requests.
        while (!this.closed && this.pumpPage(tenantId, name, c)) await new Promise((r) => setImmediate(r));
      } catch (err) {
        // A collection dropped mid-read ends its feed; anything else is retried by the sweep.
        if (!/CLOSED|NOT_FOUND/.test(String((err as { code?: unknown }).code))) this.log.error({ err: (err as Error).message, tenant: tenantId, collection: name }, 'webhook feed pump failed');
      }
    }
  }

  /** Turn one page of a collection's feed into deliveries; true when more may follow. */
  private pumpPage(tenantId: string, name: string, c: Collection): boolean {
    const instance = instanceOf(c);
    const hooks = this.store.activeWebhooks(tenantId).filter((w) => wants(w, 'record.upserted', name) || wants(w, 'record.deleted', name));
    const cursor = this.store.cursor(tenantId, name, instance);
    if (hooks.length === 0) {
      // Nobody listens: keep the cursor at the head, so that a later webhook does not rescan history.
      const head = c.seq;
      if (cursor !== head) this.store.commitFeedPage(tenantId, name, instance, head, []);
      return false;
    }
    // No cursor: the collection appeared after the webhooks (they start cursors for those that
    // existed), so its whole feed is new; `at` against each webhook's createdAt still filters.
    const page = c.changeLog(cursor ?? 0, PAGE);
    if (cursor !== undefined && cursor < page.oldest - 1 && cursor < page.latest) {
      const missed = page.oldest - 1 - cursor;
      this.log.warn({ tenant: tenantId, collection: name, cursor, oldest: page.oldest, missed }, 'webhook cursor fell behind the change feed retention: changes skipped');
      this.store.recordMissed(
        hooks.map((w) => w.id),
        missed,
        Date.now(),
      );
      this.store.commitFeedPage(tenantId, name, instance, page.oldest - 1, []);
      return true;
    }
    const rows = page.changes;
    if (rows.length === 0) return false;
    const { seq, deliveries, missed } = planPage(tenantId, name, rows, PAGE, hooks, this.full(hooks));
    for (const [id, n] of missed) this.store.recordMissed([id], n, Date.now());
    this.store.commitFeedPage(tenantId, name, instance, seq, deliveries);
    if (deliveries.length > 0) this.onEnqueued();
    return rows.length === PAGE;
  }

  close(): void {
    this.closed = true;
    if (this.sweep) clearInterval(this.sweep);
    for (const s of this.subs.values()) s.close();
    this.subs.clear();
    this.queue.close();
  }
}

export interface WriteEvent {
  type: 'record.upserted' | 'record.deleted';
  /** Unix ms of the write. */
  at: number;
  data: { collection: string; ids: string[]; fromSeq: number; seq: number };
}

/** Group change rows into one event per write (rows of one tx and op), at most MAX_IDS_PER_EVENT ids each. */
export function writeEvents(collection: string, rows: readonly ChangeRow[]): WriteEvent[] {
  const out: WriteEvent[] = [];
  let cur: WriteEvent | null = null;
  let tx = -1;
  for (const r of rows) {
    const type = r.op === 'upsert' ? 'record.upserted' : 'record.deleted';
    if (!cur || r.tx !== tx || cur.type !== type || cur.data.ids.length >= MAX_IDS_PER_EVENT) {
      cur = { type, at: r.at, data: { collection, ids: [], fromSeq: r.seq, seq: r.seq } };
      tx = r.tx;
      out.push(cur);
    }
    cur.data.ids.push(r.id);
    cur.data.seq = r.seq;
  }
  return out;
}

/**
 * The pending-deliveries cap of each webhook (see maxPending): which of them are full, said once
 * in the log each time one fills.
 */
export class PendingLimit {
  private readonly warned = new Set<string>();

  constructor(
    private readonly maxPending: number,
    private readonly log: PumpLog,
  ) {}

  full(hooks: readonly Webhook[], pending: (webhookId: string) => number): Set<string> {
    const out = new Set<string>();
    for (const w of hooks) {
      if (pending(w.id) < this.maxPending) {
        this.warned.delete(w.id);
        continue;
      }
      out.add(w.id);
      if (!this.warned.has(w.id)) {
        this.warned.add(w.id);
        this.log.warn({ tenant: w.tenantId, webhook: w.id, pending: this.maxPending }, 'webhook has the most pending deliveries allowed: new events are not queued for it (counted as missed) until its receiver catches up');
      }
    }
    return out;
  }
}

/** The deliveries of a bus event (not a record change) to the tenant's webhooks that want it and have room. */
export function eventDeliveries(e: VectraEvent, collection: string | null, active: readonly Webhook[], full: (hooks: readonly Webhook[]) => Set<string>): NewDelivery[] {
  const hooks = active.filter((w) => wants(w, e.type, collection));
  if (hooks.length === 0) return [];
  const room = full(hooks);
  const body = JSON.stringify({ type: e.type, timestamp: e.timestamp, data: e.data });
  return hooks.filter((w) => !room.has(w.id)).map((w) => ({ webhookId: w.id, tenantId: e.tenantId, event: e.type, body }));
}

/**
 * A page of a collection's feed (after the cursor) turned into deliveries: one event per write,
 * to each webhook that wants it and existed when it was written; a full webhook's share counted
 * as missed. `seq`: where the cursor moves — the page's end, less its last write when the page
 * is full and that write may go on in the next page (unless it fills the page alone).
 */
export function planPage(tenantId: string, name: string, rows: readonly ChangeRow[], pageSize: number, hooks: readonly Webhook[], full: ReadonlySet<string>): { seq: number; deliveries: NewDelivery[]; missed: Map<string, number> } {
  let end = rows.length;
  if (rows.length === pageSize) {
    let i = end;
    while (i > 0 && rows[i - 1].tx === rows[end - 1].tx) i--;
    if (i > 0) end = i;
  }
  const deliveries: NewDelivery[] = [];
  const missed = new Map<string, number>();
  for (const ev of writeEvents(name, rows.slice(0, end))) {
    let body: string | null = null;
    for (const w of hooks) {
      if (!wants(w, ev.type, name) || w.createdAt > ev.at) continue;
      if (full.has(w.id)) {
        missed.set(w.id, (missed.get(w.id) ?? 0) + ev.data.ids.length);
        continue;
      }
      body ??= JSON.stringify({ type: ev.type, timestamp: new Date(ev.at).toISOString(), data: ev.data });
      deliveries.push({ webhookId: w.id, tenantId, event: ev.type, body });
    }
  }
  return { seq: rows[end - 1].seq, deliveries, missed };
}

/**
 * The tenants (and collections) a pump has to look at, worked through one at a time: a wake-up
 * during a run is taken up by that run, and a burst of wake-ups makes one run after `delayMs`.
 */
export class TenantQueue {
  /** Per tenant: the collections named, or all of them (null). */
  private readonly dirty = new Map<string, Set<string> | null>();
  private running = false;
  private closed = false;

  constructor(
    private readonly work: (tenantId: string, names: ReadonlySet<string> | null) => Promise<void>,
    private readonly delayMs: number,
    private readonly log: PumpLog,
  ) {}

  mark(tenantId: string, collection?: string): void {
    if (this.closed) return;
    const cur = this.dirty.get(tenantId);
    if (collection === undefined || cur === null) this.dirty.set(tenantId, null);
    else this.dirty.set(tenantId, (cur ?? new Set()).add(collection));
    if (!this.running) {
      this.running = true;
      if (this.delayMs > 0) setTimeout(() => void this.run(), this.delayMs).unref();
      else setImmediate(() => void this.run());
    }
  }

  private async run(): Promise<void> {
    try {
      while (!this.closed && this.dirty.size > 0) {
        const [tenantId, names] = this.dirty.entries().next().value as [string, Set<string> | null];
        this.dirty.delete(tenantId);
        await this.work(tenantId, names);
      }
    } catch (err) {
      // Never an unhandled rejection (it would end the process): the sweep tries again.
      this.log.error({ err: (err as Error).message }, 'webhook feed pump failed');
    } finally {
      this.running = false;
      if (!this.closed && this.dirty.size > 0) this.mark(this.dirty.keys().next().value as string);
    }
  }

  close(): void {
    this.closed = true;
    this.dirty.clear();
  }
}
