/**
 * The event bus: in-process publish/subscribe of typed events, per tenant. A subscriber names
 * the types it wants (exact, `record.*`, or `*`) and only ever sees its own tenant's events.
 *
 * Publishing never waits for a subscriber: each has a bounded queue, drained on a later turn
 * of the event loop. When a queue is full the subscriber either skips the event (counted) or
 * is dropped (counted, told through `onDropped`): memory never grows with a slow consumer.
 *
 * The bus is for live fan-out. What must not be lost (record changes) is in each collection's
 * durable change feed; the bus only says "there is more", and readers catch up from the feed.
 */
export const EVENT_TYPES = [
  'record.upserted',
  'record.deleted',
  'collection.created',
  'collection.deleted',
  'job.completed',
  'job.failed',
  'index.built',
  'webhook.disabled',
  'webhook.test',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export interface VectraEvent {
  /** Unique per event: `evt_…`. */
  id: string;
  type: EventType;
  tenantId: string;
  /** ISO time of publication. */
  timestamp: string;
  data: Record<string, unknown>;
}

export interface SubscribeOptions {
  /** Events held for this subscriber before `overflow` applies (default 10,000). */
  maxQueue?: number;
  /** "skip": the new event is not queued (counted); "drop": the subscription ends (default). */
  overflow?: 'skip' | 'drop';
  /** Called once when the subscription is dropped for overflow. */
  onDropped?: () => void;
}

export interface Subscription {
  /** Events this subscriber skipped because its queue was full. */
  readonly skipped: number;
  readonly active: boolean;
  close(): void;
}

/** A pattern is an event type, a prefix ending in `.*`, or `*`; anything else is refused. */
export function patternProblem(pattern: unknown): string | null {
  if (typeof pattern !== 'string') return 'must be a string';
  if (pattern === '*') return null;
  if (pattern.endsWith('.*')) {
    const prefix = pattern.slice(0, -1);
    return EVENT_TYPES.some((t) => t.startsWith(prefix)) ? null : `"${pattern}" matches no event type (types: ${EVENT_TYPES.join(', ')})`;
  }
  return (EVENT_TYPES as readonly string[]).includes(pattern) ? null : `"${pattern}" is not an event type (types: ${EVENT_TYPES.join(', ')}; or "prefix.*", or "*")`;
}

/** Whether an event type matches any of the patterns. */
export function matchesAny(type: string, patterns: readonly string[]): boolean {
  for (const p of patterns) {
    if (p === '*' || p === type) return true;
    if (p.endsWith('.*') && type.startsWith(p.slice(0, -1))) return true;
  }
  return false;
}

class Subscriber implements Subscription {
  readonly queue: VectraEvent[] = [];
  skipped = 0;
  active = true;
  /** Types seen so far and whether they match: a pattern is tested once per type. */
  private readonly matches = new Map<string, boolean>();

  constructor(
    private readonly bus: EventBus,
    readonly tenantId: string,
    readonly patterns: readonly string[],
    readonly handler: (event: VectraEvent) => void,
    readonly maxQueue: number,
    readonly overflow: 'skip' | 'drop',
    readonly onDropped: (() => void) | undefined,
  ) {}

  wants(type: string): boolean {
    let m = this.matches.get(type);
    if (m === undefined) this.matches.set(type, (m = matchesAny(type, this.patterns)));
    return m;
  }

  close(): void {
    if (!this.active) return;
    this.active = false;
    this.queue.length = 0;
    this.bus.remove(this);
  }
}

interface TenantCounts {
  published: Map<string, number>;
  delivered: number;
  skipped: number;
  dropped: number;
}

export interface EventStats {
  /** When counting started (the server's start: the counts are not kept across restarts). */
  since: string;
  /** Events published, by type. */
  published: Record<string, number>;
  total: number;
  /** Handed to subscribers; skipped by full queues; subscribers dropped for overflow. */
  delivered: number;
  skipped: number;
  droppedSubscribers: number;
  subscribers: number;
}

export class EventBus {
  /** `onHandlerError`: told when a subscriber throws (the others still get the event). */
  constructor(private readonly onHandlerError: (err: Error, event: VectraEvent) => void = () => undefined) {}

  private readonly subs = new Map<string, Set<Subscriber>>();
  private readonly counts = new Map<string, TenantCounts>();
  /** Subscribers with queued events, drained together on the next turn. */
  private readonly pending = new Set<Subscriber>();
  private scheduled = false;
  private readonly startedAt = new Date().toISOString();
  private seq = 0;
  private readonly prefix = `evt_${Date.now().toString(36)}`;

  /** Publish an event to the tenant's subscribers; returns it. Never throws for a subscriber. */
  publish(tenantId: string, type: EventType, data: Record<string, unknown>): VectraEvent {
    const event: VectraEvent = { id: `${this.prefix}${(++this.seq).toString(36)}`, type, tenantId, timestamp: new Date().toISOString(), data };
    const c = this.countsOf(tenantId);
    c.published.set(type, (c.published.get(type) ?? 0) + 1);
    const subs = this.subs.get(tenantId);
    if (!subs) return event;
    for (const s of subs) {
      if (!s.wants(type)) continue;
      if (s.queue.length >= s.maxQueue) {
        if (s.overflow === 'skip') {
          s.skipped++;
          c.skipped++;
          continue;
        }
        c.dropped++;
        s.close();
        try {
          s.onDropped?.();
        } catch {
          // the subscriber's own business
        }
        continue;
      }
      s.queue.push(event);
      this.pending.add(s);
    }
    if (this.pending.size > 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
    return event;
  }

  subscribe(tenantId: string, patterns: readonly string[], handler: (event: VectraEvent) => void, opts: SubscribeOptions = {}): Subscription {
    for (const p of patterns) {
      const problem = patternProblem(p);
      if (problem) throw new TypeError(`event pattern ${problem}`);
    }
    const s = new Subscriber(this, tenantId, [...patterns], handler, opts.maxQueue ?? 10_000, opts.overflow ?? 'drop', opts.onDropped);
    let set = this.subs.get(tenantId);
    if (!set) this.subs.set(tenantId, (set = new Set()));
    set.add(s);
    return s;
  }

  /** @internal */
  remove(s: Subscriber): void {
    const set = this.subs.get(s.tenantId);
    set?.delete(s);
    if (set?.size === 0) this.subs.delete(s.tenantId);
    this.pending.delete(s);
  }

  private drain(): void {
    this.scheduled = false;
    const batch = [...this.pending];
    this.pending.clear();
    for (const s of batch) {
      const events = s.queue.splice(0);
      const c = this.countsOf(s.tenantId);
      for (const e of events) {
        if (!s.active) break;
        c.delivered++;
        try {
          s.handler(e);
        } catch (err) {
          // A subscriber's failure is its own; the others still get the event.
          this.onHandlerError(err as Error, e);
        }
      }
    }
  }

  private countsOf(tenantId: string): TenantCounts {
    let c = this.counts.get(tenantId);
    if (!c) this.counts.set(tenantId, (c = { published: new Map(), delivered: 0, skipped: 0, dropped: 0 }));
    return c;
  }

  stats(tenantId: string): EventStats {
    const c = this.counts.get(tenantId);
    const published = Object.fromEntries([...(c?.published ?? [])].sort(([a], [b]) => a.localeCompare(b)));
    return {
      since: this.startedAt,
      published,
      total: Object.values(published).reduce((a, b) => a + b, 0),
      delivered: c?.delivered ?? 0,
      skipped: c?.skipped ?? 0,
      droppedSubscribers: c?.dropped ?? 0,
      subscribers: this.subs.get(tenantId)?.size ?? 0,
    };
  }

  /** Forget a deleted tenant's counts (its subscribers close with their connections). */
  forget(tenantId: string): void {
    this.counts.delete(tenantId);
  }
}
