/**
 * The scale-out streams' follower (src/cluster/live-feed.ts with src/realtime/follow.ts), over
 * an in-memory feed standing in for PostgreSQL's pages: followers woken by one commit share one
 * read; a follower woken while a read is in flight reads again (never served the older page);
 * PostgreSQL out of reach keeps a stream open and reading again; a dropped collection ends it.
 * The same parts against a real PostgreSQL and three nodes: test/cluster/realtime.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LiveFeed } from '../../src/cluster/live-feed.js';
import type { Change, ChangePage, Collection } from '../../src/engine/index.js';
import { VectraError } from '../../src/errors.js';
import { EventBus } from '../../src/realtime/bus.js';
import { followChanges } from '../../src/realtime/follow.js';

/** A feed in memory; `read` pages it the way the node's FeedSource pages PostgreSQL's. */
function memoryFeed() {
  const changes: Change[] = [];
  let calls = 0;
  let gate: Promise<void> | null = null;
  let fail = 0;
  return {
    changes,
    get calls() {
      return calls;
    },
    /** Hold the next reads until `open()`; they see the feed as it was when they began. */
    hold(): () => void {
      let open!: () => void;
      gate = new Promise((r) => (open = r));
      return () => {
        gate = null;
        open();
      };
    },
    failNext(n: number) {
      fail = n;
    },
    write(n: number) {
      for (let i = 0; i < n; i++) changes.push({ seq: changes.length + 1, op: 'upsert', id: `r${changes.length + 1}`, at: new Date().toISOString() });
      return changes.length;
    },
    read: async (_t: string, _n: string, _c: Collection, since: number, limit: number): Promise<ChangePage> => {
      calls++;
      if (fail > 0) {
        fail--;
        throw new VectraError('DATABASE_UNAVAILABLE', 'the database (PostgreSQL) cannot be reached');
      }
      const page = changes.filter((c) => c.seq > since).slice(0, limit);
      const latestSeq = changes.length;
      if (gate) await gate;
      return { changes: page, nextSince: page.at(-1)?.seq ?? since, latestSeq };
    },
  };
}

function follower(live: LiveFeed, c: Collection, since = 0) {
  const got: number[] = [];
  const stop = new AbortController();
  const done = followChanges({
    bus: new EventBus(),
    tenantId: 't',
    name: 'c',
    collection: c,
    source: live.source('t', 'c', c),
    since,
    signal: stop.signal,
    deliver: async (changes) => void got.push(...changes.map((ch) => ch.seq)),
  });
  return { got, stop: () => stop.abort(), done };
}

async function until(what: string, test: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const open = { isOpen: true } as Collection;

describe('the scale-out streams’ follower', () => {
  it('followers woken by one commit at the same cursor share one read; each gets every change once', async () => {
    const feed = memoryFeed();
    const live = new LiveFeed(feed.read);
    const fs = [follower(live, open), follower(live, open), follower(live, open)];
    await until('first reads', () => feed.calls >= 1);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(feed.calls, 1, 'three followers at seq 0: one read');
    live.heard('t', 'c', feed.write(5));
    await until('delivered', () => fs.every((f) => f.got.length === 5));
    await new Promise((r) => setTimeout(r, 20));
    // The page 1…5 once, then the empty page after 5 once: not 3 × 2.
    assert.equal(feed.calls, 3);
    for (const f of fs) assert.deepEqual(f.got, [1, 2, 3, 4, 5]);
    // A commit heard twice (the NOTIFY, then the poll) wakes once.
    live.heard('t', 'c', 5);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(feed.calls, 3);
    fs.forEach((f) => f.stop());
    await Promise.all(fs.map((f) => f.done));
  });

  it('a follower woken while a read is in flight reads again: the older page is not served to it', async () => {
    const feed = memoryFeed();
    const live = new LiveFeed(feed.read);
    const release = feed.hold();
    const f = follower(live, open);
    await until('the first read begun', () => feed.calls === 1);
    // Committed and heard while that read (which saw an empty feed) is still in flight.
    live.heard('t', 'c', feed.write(1));
    release();
    await until('the change delivered', () => f.got.length === 1, 2000);
    assert.deepEqual(f.got, [1]);
    f.stop();
    await f.done;
  });

  it('PostgreSQL out of reach: the stream stays open and reads again from its cursor', async () => {
    const feed = memoryFeed();
    const live = new LiveFeed(feed.read);
    feed.write(2);
    feed.failNext(2);
    const f = follower(live, open);
    await until('delivered after the retries', () => f.got.length === 2, 5000);
    assert.deepEqual(f.got, [1, 2]);
    assert.equal(feed.calls >= 3, true);
    live.heard('t', 'c', feed.write(1));
    await until('live again', () => f.got.length === 3);
    f.stop();
    await f.done;
  });

  it('a collection dropped here ends its streams with COLLECTION_NOT_FOUND', async () => {
    const feed = memoryFeed();
    const live = new LiveFeed(feed.read);
    const c = { isOpen: true } as { isOpen: boolean };
    const f = follower(live, c as Collection);
    await until('first read', () => feed.calls === 1);
    c.isOpen = false;
    live.gone('t', 'c');
    await assert.rejects(f.done, (e: VectraError) => e.code === 'COLLECTION_NOT_FOUND');
  });
});
