/**
 * Follow a collection's change feed: replay from a seq, then live, with no gap and no
 * duplicate. The feed in SQLite is the truth and the reader's cursor is the only state; the
 * event bus only wakes the reader when the collection has more. A slow consumer therefore
 * costs no memory: the next page is read only after `deliver` has taken the previous one
 * (its promise resolving is the backpressure), and a reader that falls behind the retention
 * gets CHANGES_EXPIRED, never a silent gap.
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
  const sub = o.bus.subscribe(
    o.tenantId,
    ['record.*', 'collection.deleted'],
    (e) => {
      if (e.data.collection === o.name) poke();
    },
    { maxQueue: 1000, overflow: 'skip' },
  );
  o.signal.addEventListener('abort', poke, { once: true });
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
        page = readPage(o.collection, cursor, o.pageSize ?? 500, o.includeRecord ?? false);
      } catch (e) {
        if (e instanceof VectraError && (e.code === 'COLLECTION_CLOSED' || e.code === 'COLLECTION_NOT_FOUND')) {
          throw new VectraError('COLLECTION_NOT_FOUND', `collection "${o.name}" was deleted; the feed has ended`);
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
    sub.close();
    o.signal.removeEventListener('abort', poke);
  }
}
