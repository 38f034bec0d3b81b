/**
 * A node's replica of one collection: the local engine (SQLite + graph, in the node's own
 * disposable data directory), kept up with PostgreSQL's change feed.
 *
 * Applying a change writes the record's state *as it is now* in PostgreSQL (or deletes it when
 * it is gone): applying twice, or out of a page's order, changes nothing, so the cursor
 * (`applied`, kept in replica.db) may be saved after the local write — a crash in between only
 * applies some changes again. A replica therefore is, for every record, at least as new as its
 * cursor says.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import type { Collection, RecordInput } from '../engine/index.js';
import { VectraError } from '../errors.js';
import type { RecordLog } from './record-log.js';
import { CoalescedRun } from './coalesce.js';

const PAGE = 1000;

/** Cursors of the replicas and the accounts mirror, in DATA_DIR/replica.db. */
export class ReplicaState {
  private readonly db: Database.Database;

  constructor(dataDir: string) {
    this.db = new Database(join(dataDir, 'replica.db'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS replicas (tenant TEXT NOT NULL, collection TEXT NOT NULL, instance TEXT NOT NULL, applied INTEGER NOT NULL, PRIMARY KEY (tenant, collection));
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
    `);
  }

  applied(tenant: string, collection: string, instance: string): number | null {
    const r = this.db.prepare('SELECT instance, applied FROM replicas WHERE tenant = ? AND collection = ?').get(tenant, collection) as { instance: string; applied: number } | undefined;
    return r && r.instance === instance ? r.applied : null;
  }

  setApplied(tenant: string, collection: string, instance: string, applied: number): void {
    this.db.prepare('INSERT OR REPLACE INTO replicas (tenant, collection, instance, applied) VALUES (?, ?, ?, ?)').run(tenant, collection, instance, applied);
  }

  forget(tenant: string, collection: string): void {
    this.db.prepare('DELETE FROM replicas WHERE tenant = ? AND collection = ?').run(tenant, collection);
  }

  meta(key: string): number {
    return (this.db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(key) as number | undefined) ?? 0;
  }

  setMeta(key: string, value: number): void {
    this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(key, value);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

interface Waiter {
  seq: number;
  resolve: () => void;
  reject: (e: unknown) => void;
  timer: NodeJS.Timeout;
}

export interface ReplicaHooks {
  /** A change was applied `ms` after it was written (commit time to applied here). */
  lag(ms: number): void;
  error(err: unknown): void;
  /** Told when the replica, at `applied`, finds the feed kept only after `floor` and loads the collection again. */
  reloading?(applied: number, floor: number): void;
}

export class Replica {
  /** Every change up to this seq is applied here. */
  applied: number;
  /** The newest committed seq this node has heard of. */
  known: number;
  private readonly runs = new CoalescedRun(() => this.catchUpOnce(), () => this.closed);
  private waiters: Waiter[] = [];
  closed = false;

  constructor(
    readonly tenant: string,
    readonly name: string,
    readonly instance: string,
    private readonly log: RecordLog,
    private readonly local: () => Collection,
    private readonly state: ReplicaState,
    private readonly hooks: ReplicaHooks,
    applied: number | null,
  ) {
    this.applied = applied ?? -1;
    this.known = Math.max(this.applied, 0);
  }

  /** Whether this replica still needs its full load (it has no cursor). */
  get loaded(): boolean {
    return this.applied >= 0;
  }

  /** True while a loaded replica is loaded again whole (it fell behind the feed's retention). */
  private reloading = false;
  /**
   * Whether the local records are exactly PostgreSQL's at `applied`: the last page read reached
   * the end of the feed. A page brings each record as it is *now*, so a full page (more to read)
   * may bring some as of later seqs; a page short of PAGE was read in one snapshot whose last
   * change is `applied`, so every record it did not bring was already at its state then.
   */
  private exact = false;

  /**
   * The seq whose data the local records are exactly, or null (loading, or part of a page
   * ahead of it). The same on every node for the same data. Changes are applied, and the cursor
   * moved, with no wait between: two reads with the same answer saw the same records between
   * them (what the chat cache keys its answers by).
   */
  get stableAt(): number | null {
    return this.loaded && this.exact && !this.reloading ? this.applied : null;
  }

  /** Hear of a committed seq (a notification, a poll, a write of this node): catch up in the background. */
  nudge(seq: number): void {
    if (seq > this.known) this.known = seq;
    if (this.applied < this.known || !this.loaded) void this.catchUp().catch((e) => this.hooks.error(e));
  }

  /**
   * Resolves once every change up to `seq` is applied here; REPLICA_BEHIND after `timeoutMs`.
   * (`seq` is what a caller asks for, not what was committed: it does not move `known`.)
   */
  waitFor(seq: number, timeoutMs: number): Promise<void> {
    if (this.applied >= seq) return Promise.resolve();
    if (this.closed) return Promise.reject(new VectraError('COLLECTION_LOADING', `collection "${this.name}" is being reloaded on this node: retry shortly`));
    void this.catchUp().catch((e) => this.hooks.error(e));
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = {
        seq,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((x) => x !== w);
          reject(new VectraError('REPLICA_BEHIND', `this node has applied collection "${this.name}" up to seq ${this.applied}, not ${seq}, within ${timeoutMs} ms: retry, or ask another node`));
        }, timeoutMs),
      };
      this.waiters.push(w);
    });
  }

  /** Apply what PostgreSQL has beyond `applied` (a full load first when there is no cursor); one run at a time. */
  catchUp(): Promise<void> {
    return this.runs.run();
  }

  private async catchUpOnce(): Promise<void> {
    if (!this.loaded) await this.fullLoad();
    for (;;) {
      if (this.closed) return;
      const { changes: page, floor } = await this.log.changesAfter(this.tenant, this.name, this.applied, PAGE);
      // Changes this replica needs were let go by the retention: the page would skip them (a
      // record deleted among them would stay here). Load the collection whole again instead.
      if (floor !== null && this.applied < floor) {
        await this.reload(floor);
        continue;
      }
      if (page.length === 0) {
        this.exact = true;
        return;
      }
      this.apply(page);
      this.exact = page.length < PAGE;
      this.setApplied(page[page.length - 1].seq);
      const now = Date.now();
      for (const ch of page) this.hooks.lag(now - ch.at);
      if (page.length < PAGE) return;
    }
  }

  /** A page of changes → the records' current states: upserted where they exist, deleted where not. */
  private apply(page: Awaited<ReturnType<RecordLog['changesSince']>>): void {
    const latest = new Map<string, (typeof page)[number]>();
    for (const ch of page) {
      latest.delete(ch.id);
      latest.set(ch.id, ch);
    }
    const upserts: RecordInput[] = [];
    const deletes: string[] = [];
    for (const ch of latest.values()) {
      if (ch.record) upserts.push({ id: ch.id, vector: ch.record.vector, text: ch.record.text, metadata: ch.record.metadata });
      else deletes.push(ch.id);
    }
    const c = this.local();
    if (upserts.length > 0) c.upsert(upserts);
    if (deletes.length > 0) c.delete(deletes);
  }

  /** The head read by the first attempt at the full load: a retry loads over what the failed one left, then replays from here. */
  private loadBase: number | null = null;

  /**
   * Fallen behind the retention (`applied` < `floor`): every record loaded again over the local
   * ones, and those it did not rewrite — gone from PostgreSQL — deleted, then the feed from the
   * load's head. Meanwhile the replica serves what it holds (no `stableAt`); `applied` stays
   * where it was until the load is done, so a reader waiting for a seq still waits.
   */
  private async reload(floor: number): Promise<void> {
    if (!this.reloading) this.hooks.reloading?.(this.applied, floor);
    // Until a reload completes (a failed one is tried again at the next catch-up), the local records are of no one seq.
    this.reloading = true;
    this.exact = false;
    // Each attempt on its own: what it does not rewrite is gone (records an earlier attempt
    // loaded, and that were deleted since, included).
    await this.fullLoad(this.local().seq);
    this.reloading = false;
  }

  /**
   * No cursor: the seq committed now, every record as it is, then the feed from that seq. A
   * reload (`staleUpTo`: the local seq before it) then deletes the local records the load did
   * not write — every record it read got a later local seq —: those were not in PostgreSQL when
   * their page was read (one inserted after that has a seq after `head`: the feed brings it).
   */
  private async fullLoad(staleUpTo?: number): Promise<void> {
    const now = await this.log.headOf(this.tenant, this.name);
    if (now === null || now.instance !== this.instance) throw new VectraError('COLLECTION_NOT_FOUND', `collection "${this.name}" is gone from the database`);
    // A retry keeps the first attempt's head: records that attempt loaded and that were deleted
    // since are deleted again by the feed replayed from there.
    this.loadBase ??= now.seq;
    const head = this.loadBase;
    const c = this.local();
    let after: string | null = null;
    for (;;) {
      const rows = await this.log.recordsAfter(this.tenant, this.name, after, PAGE);
      if (rows.length === 0) break;
      c.upsert(rows);
      after = rows[rows.length - 1].id;
      if (this.closed) return;
    }
    if (staleUpTo !== undefined) {
      const stale = c.idsWhere({ seq: { to: staleUpTo } });
      if (stale.length > 0) c.delete(stale);
    }
    // Records deleted while the pages were read come back out as the feed after `head` is applied.
    this.exact = false;
    this.setApplied(head);
    this.loadBase = null;
    if (head > this.known) this.known = head;
  }

  private setApplied(seq: number): void {
    this.applied = seq;
    this.state.setApplied(this.tenant, this.name, this.instance, seq);
    const done = this.waiters.filter((w) => w.seq <= seq);
    if (done.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.seq > seq);
    for (const w of done) {
      clearTimeout(w.timer);
      w.resolve();
    }
  }

  /** Stop: waiters are told the collection is gone. */
  close(reason: VectraError): void {
    this.closed = true;
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(reason);
    }
    this.waiters = [];
  }

  async settled(): Promise<void> {
    await this.runs.settled();
  }
}
