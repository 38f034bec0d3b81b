/**
 * The records of a scale-out node (src/cluster/node.ts): writes committed to PostgreSQL first
 * (one transaction, the seq from the collection's locked row), answered once this node's
 * replica has applied them (read-your-writes); consistency on request (strong, minSeq); and
 * the change feed read from PostgreSQL, the same seqs on every node.
 */
import { changesExpired, prepareAll, prepareEach, type Change, type Collection, type PreparedRecord, type RecordInput } from '../engine/index.js';
import { VectraError, isVectraError } from '../errors.js';
import type { FeedSource, RecordWrites, RemoveTarget } from '../services/writes.js';
import type { LiveFeed } from './live-feed.js';
import type { RecordLog } from './record-log.js';
import type { Replica } from './replica.js';

/** How long a write waits for this node's replica to apply it before answering anyway. */
export const APPLY_WAIT_MS = 30_000;

export interface ClusterRecordsOptions {
  log: RecordLog;
  live: LiveFeed;
  /** This node's replica of a collection (COLLECTION_NOT_FOUND if none). */
  replica(tenant: string, name: string): Replica;
  /** The replica is of another instance than PostgreSQL's: sync the catalog. */
  stale(): void;
  /** Told of every commit this node makes. */
  onCommit: ((tenant: string, name: string, seq: number) => void)[];
  logger: { warn(obj: object, msg: string): void };
}

export class ClusterRecords {
  constructor(private readonly o: ClusterRecordsOptions) {}

  /** Wait until this node has applied everything up to `seq` of the collection (REPLICA_BEHIND after `timeoutMs`). */
  async waitFor(tenant: string, name: string, seq: number, timeoutMs: number): Promise<void> {
    await this.o.replica(tenant, name).waitFor(seq, timeoutMs);
  }

  /** Wait until this node has applied everything committed before now. */
  async current(tenant: string, name: string, timeoutMs: number): Promise<void> {
    const head = await this.o.log.headOf(tenant, name);
    if (head === null) throw new VectraError('COLLECTION_NOT_FOUND', `collection "${name}" does not exist`);
    if (this.o.replica(tenant, name).instance !== head.instance) {
      this.o.stale();
      throw new VectraError('COLLECTION_LOADING', `collection "${name}" was dropped and created again; this node is loading the new one: retry shortly`);
    }
    await this.waitFor(tenant, name, head.seq, timeoutMs);
  }

  /** A search's `minSeq`: a seq the collection has not reached is a mistake (400), as in the embedded mode. */
  async atLeast(tenant: string, name: string, seq: number, timeoutMs: number): Promise<void> {
    const r = this.o.replica(tenant, name);
    if (r.applied >= seq) return;
    const head = await this.o.log.headOf(tenant, name);
    if (head === null) throw new VectraError('COLLECTION_NOT_FOUND', `collection "${name}" does not exist`);
    if (head.instance === r.instance && seq > head.seq) throw new VectraError('INVALID_ARGUMENT', `minSeq ${seq} is ahead of collection "${name}"'s latest seq ${head.seq}`);
    await this.waitFor(tenant, name, seq, timeoutMs);
  }

  private async commit(tenant: string, name: string, c: Collection, upserts: PreparedRecord[], removes: string[], removeUpTo?: number) {
    const instance = c.config.attributes.instance;
    const w = await this.o.log.write(tenant, name, upserts, removes, { instance: typeof instance === 'string' ? instance : undefined, removeUpTo });
    this.o.live.heard(tenant, name, w.seq);
    for (const f of this.o.onCommit) f(tenant, name, w.seq);
    // Committed: the answer is a success whatever follows. Read-your-writes on this node: it is
    // sent once the replica has applied the write, or after APPLY_WAIT_MS if it has not.
    await this.waitFor(tenant, name, w.seq, APPLY_WAIT_MS).catch((e) => {
      if (!isVectraError(e) || e.code !== 'REPLICA_BEHIND') this.o.logger.warn({ tenant, collection: name, seq: w.seq, err: (e as Error).message }, 'committed write not yet applied here');
    });
    return w;
  }

  /** The replica made current (everything committed before now), and the seq it is at: what a filter on it selects. */
  private async currentAt(tenant: string, name: string): Promise<number> {
    await this.current(tenant, name, APPLY_WAIT_MS);
    return this.o.replica(tenant, name).applied;
  }

  readonly writes: RecordWrites = {
    upsert: async (tenant, name, c, records) => {
      const prepared = prepareAll(records, c.config.dimension);
      const w = await this.commit(tenant, name, c, prepared, []);
      return { ids: prepared.map((r) => r.id), inserted: w.inserted, updated: w.updated, seq: w.seq };
    },
    upsertEach: async (tenant, name, c, records, where) => {
      const { valid, out } = prepareEach(records, c.config.dimension, where);
      if (valid.length > 0) await this.commit(tenant, name, c, valid, []);
      return out;
    },
    delete: async (tenant, name, c, ids) => {
      const w = await this.commit(tenant, name, c, [], ids);
      return { deleted: w.deleted.length, seq: w.seq };
    },
    deleteWhere: async (tenant, name, c, filter) => {
      // The filter runs on this node's replica, made current first: it selects what was
      // committed before the request; only records unchanged since are deleted (one rewritten
      // meanwhile may no longer match; one written meanwhile may be missed).
      if (Object.keys(filter).length === 0) throw new VectraError('INVALID_FILTER', 'filter: an empty filter would delete every record; drop the collection instead');
      const at = await this.currentAt(tenant, name);
      const w = await this.commit(tenant, name, c, [], c.idsWhere({ filter }), at);
      return { deleted: w.deleted.length, seq: w.seq };
    },
    replace: async (tenant, name, c, records, remove: RemoveTarget) => {
      const prepared = prepareAll(records, c.config.dimension);
      let removes: string[];
      let at: number | undefined;
      if ('ids' in remove) removes = remove.ids;
      else {
        at = await this.currentAt(tenant, name);
        removes = c.idsWhere({ filter: remove.filter });
      }
      const w = await this.commit(tenant, name, c, prepared, removes, at);
      return { ids: prepared.map((r) => r.id), inserted: w.inserted, updated: w.updated, deleted: w.deleted.length, seq: w.seq };
    },
  };

  /**
   * GET …/changes and the streams (SSE, WebSocket subscribe): PostgreSQL's feed, the same seqs
   * on every node; `include=record` from this node's replica once it has the page.
   */
  readonly feed: FeedSource = {
    changes: async (tenant, name, c, since, limit = 100, includeRecord) => {
      if (!Number.isSafeInteger(since) || since < 0) throw new VectraError('INVALID_ARGUMENT', 'since must be an integer ≥ 0 (a seq from a write answer or a previous page)');
      if (!Number.isInteger(limit) || limit < 1 || limit > 10000) throw new VectraError('INVALID_ARGUMENT', 'limit must be an integer from 1 to 10000');
      const at = await this.o.log.headOf(tenant, name);
      if (at === null) throw new VectraError('COLLECTION_NOT_FOUND', `collection "${name}" does not exist`);
      // Dropped and created again, and this node still holds the old one: not its feed.
      if (at.instance !== c.config.attributes.instance) throw new VectraError('REPLICA_BEHIND', `collection "${name}" was created again and this node has not caught up with it yet: retry in a moment`);
      const head = at.seq;
      if (since > head) throw new VectraError('INVALID_ARGUMENT', `since ${since} is ahead of the collection's latest seq ${head}`);
      const { changes: rows, floor } = await this.o.log.changesAfter(tenant, name, since, limit);
      // Behind the retention (the floor is read after the page: a prune meanwhile is seen), as in the embedded mode.
      if (floor !== null && since < floor) throw changesExpired(since, floor + 1);
      if (includeRecord && rows.length > 0) await this.waitFor(tenant, name, rows[rows.length - 1].seq, APPLY_WAIT_MS);
      const changes = rows.map((r): Change => ({ seq: r.seq, op: r.op, id: r.id, at: new Date(r.at).toISOString(), ...(includeRecord ? { record: c.get(r.id) } : {}) }));
      return { changes, nextSince: changes.length > 0 ? changes[changes.length - 1].seq : since, latestSeq: head };
    },
    follow: (tenant, name, c) => this.o.live.source(tenant, name, c),
  };
}
