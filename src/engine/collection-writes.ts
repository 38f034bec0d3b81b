/**
 * A collection's write side. Every write commits to SQLite first (the record store: one
 * transaction, all or nothing), then tells the live index what committed (into the graph, or
 * the tail), then the keeper (snapshots, background builds), then the change listener.
 * Collection (collection.ts) checks that it is open and delegates here.
 */
import { VectraError } from '../errors.js';
import type { ChangeOp } from './change-log.js';
import { compileSql, parseFilter, type FilterLimits } from './filter.js';
import type { IndexKeeper } from './index-keeper.js';
import type { LiveIndex } from './live-index.js';
import type { EngineLogger } from './logger.js';
import type { PreparedRecord, RecordStore, RemoveTarget } from './record-store.js';
import type { CollectionConfig, RecordInput } from './types.js';
import { prepareAll, prepareEach } from './validation.js';

/** What one committed write changed: its records' ids, in the feed's order, and their sequence numbers. */
export interface ChangeBatch {
  op: ChangeOp;
  ids: string[];
  /** Sequence numbers fromSeq … seq, one per id. */
  fromSeq: number;
  seq: number;
  /** Unix milliseconds of the commit. */
  at: number;
}

export interface WriteParts {
  dir: string;
  config: CollectionConfig;
  store: RecordStore;
  live: LiveIndex;
  keeper: IndexKeeper;
  filterLimits: FilterLimits;
  log: EngineLogger;
  onChange: ((batch: ChangeBatch) => void) | undefined;
}

export class CollectionWrites {
  constructor(private readonly p: WriteParts) {}

  upsert(records: RecordInput[]): { ids: string[]; inserted: number; updated: number; seq: number } {
    const prepared = prepareAll(records, this.p.config.dimension);
    if (prepared.length === 0) return { ids: [], inserted: 0, updated: 0, seq: this.p.store.currentSeq() };
    return { ids: prepared.map((r) => r.id), ...this.commitPrepared(prepared) };
  }

  upsertEach(records: RecordInput[], where: (i: number) => string): ({ id: string } | { error: VectraError })[] {
    const { valid, out } = prepareEach(records, this.p.config.dimension, where);
    if (valid.length > 0) this.commitPrepared(valid);
    return out;
  }

  delete(ids: string[]): number {
    return this.deleteLabels(this.p.store.labelsOf(ids));
  }

  deleteWhere(filter: Record<string, unknown>): number {
    const node = parseFilter(filter, this.p.filterLimits);
    if (node === null) throw new VectraError('INVALID_FILTER', 'filter: an empty filter would delete every record; drop the collection instead');
    const sql = compileSql(node);
    return this.deleteLabels(this.p.store.matchingLabels(sql.where, sql.params, Number.MAX_SAFE_INTEGER));
  }

  replace(records: RecordInput[], remove: { filter: Record<string, unknown> } | { ids: string[] }): { ids: string[]; inserted: number; updated: number; deleted: number; seq: number } {
    const { store, live, keeper } = this.p;
    const prepared = prepareAll(records, this.p.config.dimension);
    let target: RemoveTarget;
    if ('ids' in remove) target = { ids: remove.ids };
    else {
      const node = parseFilter(remove.filter, this.p.filterLimits);
      if (node === null) throw new VectraError('INVALID_FILTER', 'filter: an empty filter would delete every other record; drop the collection instead');
      const sql = compileSql(node);
      target = { sql: sql.where, params: sql.params };
    }
    const { upserted: up, deleted: del } = store.replace(prepared, target);
    // The live index follows what committed: the new versions in, then the others out.
    const added = up.labels.length > 0 ? live.upserted(up) : { deferred: false, rebuilt: false };
    const rebuilt = del.deleted.length > 0 && live.deleted(del.deleted);
    keeper.changed(up.labels.length + del.deleted.length, { deferred: added.deferred, rebuilt: added.rebuilt || rebuilt });
    this.announce('upsert', up.ids, up.seq);
    this.announce('delete', del.ids, del.seq);
    return { ids: prepared.map((r) => r.id), inserted: up.inserted, updated: up.updated, deleted: del.deleted.length, seq: del.seq };
  }

  /** One transaction for validated records, then the live index (graph now, or the tail) and the upkeep. */
  private commitPrepared(prepared: PreparedRecord[]): { inserted: number; updated: number; seq: number } {
    const res = this.p.store.upsert(prepared);
    this.p.keeper.changed(res.labels.length, this.p.live.upserted(res));
    this.announce('upsert', res.ids, res.seq);
    return { inserted: res.inserted, updated: res.updated, seq: res.seq };
  }

  private deleteLabels(labels: number[]): number {
    if (labels.length === 0) return 0;
    const { deleted, ids, seq } = this.p.store.deleteLabels(labels);
    if (deleted.length === 0) return 0;
    this.p.keeper.changed(deleted.length, { rebuilt: this.p.live.deleted(deleted) });
    this.announce('delete', ids, seq);
    return deleted.length;
  }

  private announce(op: ChangeOp, ids: string[], seq: number): void {
    if (!this.p.onChange || ids.length === 0) return;
    try {
      this.p.onChange({ op, ids, fromSeq: seq - ids.length + 1, seq, at: Date.now() });
    } catch (e) {
      this.p.log.error({ dir: this.p.dir, err: (e as Error).message }, 'change listener failed (the write is committed)');
    }
  }
}
