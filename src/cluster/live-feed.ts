/**
 * The change streams of the scale-out mode (SSE `…/changes/stream`, WebSocket `subscribe`).
 *
 * A stream's pages are PostgreSQL's feed, read through the node's FeedSource (the same seqs on
 * every node, so a client resumes anywhere with Last-Event-ID). A stream is woken when this
 * node hears of a newer commit of its collection — the NOTIFY sent at commit, this node's own
 * write, the 1 s poll of every collection's seq (what a lost notification missed) — or when the
 * collection is dropped here. Not by the local event bus: the replica's local writes are not
 * one-to-one with the feed (an upsert and a delete of one id in the same page apply as a
 * delete of nothing, which publishes nothing), so a wake-up could be lost.
 *
 * Followers woken by the same commit at the same cursor share one read (1,000 streams of a
 * collection make one query, not 1,000). Reads are keyed by a generation bumped at every
 * wake-up, so a read never serves a follower woken after it began: such a follower might
 * otherwise take an older empty page and sleep past the change that woke it.
 */
import type { ChangePage, Collection } from '../engine/index.js';
import { VectraError } from '../errors.js';
import type { FollowSource } from '../realtime/follow.js';

type ReadPage = (tenant: string, name: string, c: Collection, since: number, limit: number, includeRecord: boolean) => Promise<ChangePage>;

interface Entry {
  /** The newest committed seq heard of while someone follows (-1: none yet). */
  seq: number;
  generation: number;
  reads: Map<string, Promise<ChangePage>>;
  watchers: Set<() => void>;
}

/** Pages kept per collection for the followers of one generation: those at the head (a few cursors). */
const MAX_SHARED = 16;

export class LiveFeed {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly readPage: ReadPage) {}

  private static key(tenant: string, name: string): string {
    return `${tenant}\u0000${name}`;
  }

  /** A commit of the collection up to `seq` was heard of: wake its followers if it is newer than what they were told. */
  heard(tenant: string, name: string, seq: number): void {
    const e = this.entries.get(LiveFeed.key(tenant, name));
    if (!e || seq <= e.seq) return;
    e.seq = seq;
    this.wake(e);
  }

  /** The collection was dropped (or created again) here: its followers read once more, and end. */
  gone(tenant: string, name: string): void {
    const e = this.entries.get(LiveFeed.key(tenant, name));
    if (!e) return;
    e.seq = -1;
    this.wake(e);
  }

  private wake(e: Entry): void {
    e.generation++;
    e.reads.clear();
    for (const w of e.watchers) w();
  }

  source(tenant: string, name: string, c: Collection): FollowSource {
    const key = LiveFeed.key(tenant, name);
    return {
      read: (since, limit, includeRecord) => {
        if (!c.isOpen) return Promise.reject(new VectraError('COLLECTION_CLOSED', 'the collection was closed'));
        const e = this.entries.get(key);
        if (!e) return this.readPage(tenant, name, c, since, limit, includeRecord);
        const k = `${e.generation}:${since}:${limit}:${includeRecord ? 1 : 0}`;
        let page = e.reads.get(k);
        if (!page) {
          if (e.reads.size >= MAX_SHARED) e.reads.clear();
          const p = this.readPage(tenant, name, c, since, limit, includeRecord);
          e.reads.set(k, p);
          // Kept for this generation's later followers only when it reached the head; a replay
          // of history is shared while in flight, then its reader's alone.
          p.then(
            (r) => {
              if (r.nextSince !== r.latestSeq && e.reads.get(k) === p) e.reads.delete(k);
            },
            () => {
              if (e.reads.get(k) === p) e.reads.delete(k);
            },
          );
          page = p;
        }
        return page;
      },
      watch: (more) => {
        let e = this.entries.get(key);
        if (!e) this.entries.set(key, (e = { seq: -1, generation: 0, reads: new Map(), watchers: new Set() }));
        const entry = e;
        entry.watchers.add(more);
        return () => {
          entry.watchers.delete(more);
          if (entry.watchers.size === 0 && this.entries.get(key) === entry) this.entries.delete(key);
        };
      },
    };
  }
}
