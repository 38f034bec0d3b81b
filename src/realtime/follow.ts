/**
 * Follow a collection's change feed: replay from a seq, then live, with no gap and no
 * duplicate. The feed in SQLite is the truth and the reader's cursor is the only state; the
 * event bus only wakes the reader when the collection has more. A slow consumer therefore
 * costs no memory: the next page is read only after `deliver` has taken the previous one
 * (its promise resolving is the backpressure), and a reader that falls behind the retention
 * gets CHANGES_EXPIRED, never a silent gap.
 *
 * In the scale-out mode (docs/scale-out.md) a `source` replaces both: pages are PostgreSQL's
 * feed (the same seqs on every node) and the node wakes the reader when it hears of a commit.
 */
import { VectraError } from '../errors.js';
import type { Change, ChangePage, Collection } from '../engine/index.js';
import type { EventBus } from './bus.js';

/**
 * Pages read while the collection's seq stays the same, shared by its followers: a write
 * wakes every subscriber of the collection at once, and 1,000 of them at the same cursor read
 * one page instead of 1,000 (which took 70 ms before the first of them was served: npm run
 * bench:realtime). A page is only reused at the seq it was read at, so it is never stale.
 */
const shared = new WeakMap<Collection, { seq: number; pages: Map<string, ChangePage> }>();

function readPage(c: Collection, since: number, limit: number, includeRecord: boolean): ChangePage {
  if (!c.isOpen) throw new VectraError('COLLECTION_CLOSED', 'the collection was closed');
  let entry = shared.get(c);
  if (!entry || entry.seq !== c.seq) shared.set(c, (entry = { seq: c.seq, pages: new Map() }));
  const key = `${since}:${limit}:${includeRecord ? 1 : 0}`;
  let page = entry.pages.get(key);
  if (!page) {
    page = c.changes(since, limit, { includeRecord });
    // Only pages that reach the head are kept (those every follower of a write wants); a
    // replay of history is its reader's alone. A few cursors per seq are all it holds.
    if (page.nextSince === page.latestSeq) {
      if (entry.pages.size >= 16) entry.pages.clear();
      entry.pages.set(key, page);
    }
  }
  return page;
}

/** Where a follower reads pages and what wakes it, when not the local collection and the bus (the scale-out mode). */
export interface FollowSource {
  read(since: number, limit: number, includeRecord: boolean): Promise<ChangePage>;
  /** Calls `more` whenever the collection may have changes a read begun before did not see (or is gone); returns the unsubscribe. */
  watch(more: () => void): () => void;
}

/** Errors after which a `source` is read again (PostgreSQL out of reach, the replica behind) rather than the feed ended. */
const TRANSIENT = new Set(['DATABASE_UNAVAILABLE', 'REPLICA_BEHIND']);
const RETRY_MS = [500, 1000, 2000, 5000];

export interface FollowOptions {
  bus: EventBus;
  tenantId: string;
  name: string;
  collection: Collection;
  /** Deliver changes after this seq (the collection's current seq: only what comes next). */
  since: number;
  includeRecord?: boolean;
  /** Changes read per page (default 500). */
  pageSize?: number;
  /** Resolves once the consumer has taken these changes (written to its socket). */
  deliver: (changes: Change[]) => Promise<void>;
  /** Called while idle every `heartbeatMs` (SSE comments keep proxies from closing the stream). */
  heartbeat?: () => void;
  heartbeatMs?: number;
  signal: AbortSignal;
  /** The scale-out mode's feed and wake-ups; absent, the local collection's feed and the event bus. */
  source?: FollowSource;
}

/**
 * Runs until `signal` aborts (resolves) or the feed cannot go on: the collection was deleted
 * (COLLECTION_NOT_FOUND) or the reader fell behind the retention (CHANGES_EXPIRED) — thrown.
 */
export async function followChanges(o: FollowOptions): Promise<void> {
  let cursor = o.since;
  let wake = null as (() => void) | null;
  let dirty = true;
  const poke = () => {
    dirty = true;
    wake?.();
  };
  // Subscribed before the first read: a write between the read and the wait still wakes us.
  const unwatch = o.source ? o.source.watch(poke) : subscribeBus(o, poke);
  o.signal.addEventListener('abort', poke, { once: true });
  let failures = 0;
  let retry: NodeJS.Timeout | null = null;
  try {
    while (!o.signal.aborted) {
      if (!dirty) {
        await new Promise<void>((resolve) => {
          const timer = o.heartbeat ? setTimeout(() => (o.heartbeat!(), resolve()), o.heartbeatMs ?? 15_000) : null;
          wake = () => {
            if (timer) clearTimeout(timer);
            resolve();
          };
          if (dirty || o.signal.aborted) wake();
        });
        wake = null;
        continue;
      }
      dirty = false;
      let page;
      try {
        page = o.source ? await o.source.read(cursor, o.pageSize ?? 500, o.includeRecord ?? false) : readPage(o.collection, cursor, o.pageSize ?? 500, o.includeRecord ?? false);
        failures = 0;
      } catch (e) {
        if (e instanceof VectraError && (e.code === 'COLLECTION_CLOSED' || e.code === 'COLLECTION_NOT_FOUND')) {
          throw new VectraError('COLLECTION_NOT_FOUND', `collection "${o.name}" was deleted; the feed has ended`);
        }
        // Scale-out: PostgreSQL away or this node's replica behind — the stream stays open
        // (heartbeats go on) and reads again from its cursor, rather than ending.
        if (o.source && e instanceof VectraError && TRANSIENT.has(e.code)) {
          if (retry) clearTimeout(retry);
          retry = setTimeout(poke, RETRY_MS[Math.min(failures++, RETRY_MS.length - 1)]);
          continue;
        }
        throw e;
      }
      if (page.changes.length === 0) continue;
      await o.deliver(page.changes);
      cursor = page.nextSince;
      // A long replay yields between pages: other requests run meanwhile.
      await new Promise<void>((r) => setImmediate(r));
      // More may be waiting behind this page: read again without waiting for a wake-up.
      dirty = true;
    }
  } finally {
    if (retry) clearTimeout(retry);
    unwatch();
    o.signal.removeEventListener('abort', poke);
  }
}

function subscribeBus(o: FollowOptions, poke: () => void): () => void {
  const sub = o.bus.subscribe(
    o.tenantId,
    ['record.*', 'collection.deleted'],
    (e) => {
      if (e.data.collection === o.name) poke();
    },
    { maxQueue: 1000, overflow: 'skip' },
  );
  return () => sub.close();
}
