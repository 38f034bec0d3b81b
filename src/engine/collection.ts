/**
 * A collection: records in SQLite (the truth), vectors in a live index (a cache of the truth,
 * snapshotted in the background). This file is the facade: lifecycle, writes, reads and stats.
 * The work is done by the parts it wires together, none of which calls back into it:
 *
 *   CollectionWrites (collection-writes.ts)  a write: SQLite, then the live index, keeper, listener
 *   RecordStore    (record-store.ts)    SQLite: records, fields, tombstones, the change feed (change-log.ts)
 *   LiveIndex      (live-index.ts)      the vector index, the tail not yet in it, label → id
 *   IndexKeeper    (index-keeper.ts)    load and catch-up, background builds, snapshots
 *   SearchPlanner  (search-planner.ts)  plan choice, graph/filtered/exact search, batching, hits
 *
 * All calls but open/close/snapshot are synchronous: on Node's one thread they run one at a
 * time, so writes are serialized and a search always sees a consistent state. A write commits
 * to SQLite first and reaches the live index only after.
 */
import { readdirSync, statSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { VectraError } from '../errors.js';
import { probeDisk, storageError } from './disk.js';
import { indexFingerprint, resolveConfig } from './collection-config.js';
import { compileSql, DEFAULT_FILTER_LIMITS, FieldType, parseFilter, type FilterLimits } from './filter.js';
import { rowToRecord } from './hits.js';
import { DEFAULT_INSERT_THREADS } from './hnsw-index.js';
import { CollectionWrites, type ChangeBatch } from './collection-writes.js';
import { IndexKeeper, type IndexBuilt } from './index-keeper.js';
import { LiveIndex } from './live-index.js';
import { defaultLogger, type EngineLogger } from './logger.js';
import { PqIndex } from './pq-index.js';
import type { ChangeOp, ChangeRetention, ChangeRow } from './change-log.js';
import { blobToVector, RecordStore, type HighlightMarks, type RecordRow } from './record-store.js';
import { SearchPlanner } from './search-planner.js';
import type { CollectionConfig, CollectionConfigInput, KeywordRequest, RecordInput, SearchHit, SearchRequest, SearchResult, StoredRecord } from './types.js';

export { MAX_K } from './search-planner.js';
export { MAX_TAIL, SYNC_INDEX_LIMIT } from './live-index.js';

export const DB_FILE = 'records.db';
export type { ChangeBatch };

export interface Change {
  seq: number;
  op: ChangeOp;
  id: string;
  /** ISO time of the write. */
  at: string;
  /** With `includeRecord`: the record as it is now (null when deleted since). */
  record?: StoredRecord | null;
}

export interface ChangePage {
  changes: Change[];
  /** Pass as `since` for the next page. */
  nextSince: number;
  latestSeq: number;
}

export interface CollectionOptions {
  logger?: EngineLogger;
  /** Called after each committed write, synchronously (a throwing listener is logged, never fails the write). */
  onChange?: (batch: ChangeBatch) => void;
  /** Called when a background index build has been adopted. */
  onIndexBuilt?: (built: IndexBuilt) => void;
  /** How long the change feed is kept (default: 7 days or 1,000,000 changes, whichever keeps more). */
  changeRetention?: ChangeRetention;
  /** SQLite durability: "full" (default) survives power loss, "normal" only process crashes. */
  synchronous?: 'full' | 'normal';
  /** Take a background snapshot after this many changed records (default 20,000). */
  snapshotEvery?: number;
  /** …or when changes have waited this long (ms, default 60,000). */
  snapshotIntervalMs?: number;
  /** Replay up to this many changes on the main thread when opening; more go to a worker. */
  syncReplayLimit?: number;
  /** Rebuild the graph when removed entries exceed this share of live ones (default 0.25). */
  compactRatio?: number;
  filterLimits?: FilterLimits;
  /** Threads for HNSW inserts on the main thread (default 1, 0 = every core): see HnswIndex and docs/engine.md. */
  insertThreads?: number;
  /**
   * Threads a background graph build inserts with (default 1 here; the server gives every
   * core). Above 1, the build ends with a reachability pass that re-links the nodes a
   * concurrent insert left unreachable: see relinkUnreachable and docs/engine.md.
   */
  buildThreads?: number;
  /**
   * Deferred indexing (default off): a write of more than SYNC_INDEX_LIMIT records is
   * acknowledged once SQLite has it and joins the graph later, built by a snapshot worker on
   * another core; until then those records are searched exactly. See docs/engine.md.
   */
  deferIndexing?: boolean;
}

export interface ListOptions {
  limit?: number;
  cursor?: string | null;
  /** Start at this id, inclusive (instead of `cursor`): for callers that page by ids of their own, as Qdrant's scroll does. */
  from?: string;
  filter?: Record<string, unknown>;
  includeVector?: boolean;
}

export interface CollectionStats {
  count: number;
  dimension: number;
  diskBytes: number;
  indexBytes: number;
  indexSize: number;
  seq: number;
  snapshotSeq: number;
  deadEntries: number;
  /** Records stored but not yet in the graph (deferred indexing catches up in the background). */
  unindexed: number;
  /** storage "pq": vectors the codebooks were trained on (0: not yet, vectors scanned exactly). */
  pqTrainedOn?: number;
}

type ComparableField = { path: string; kind: 'number' | 'date' };

function encodeCursor(id: string): string {
  return Buffer.from(JSON.stringify({ a: id })).toString('base64url');
}

function decodeCursor(cursor: string): string {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { a?: unknown };
    if (typeof v.a === 'string') return v.a;
  } catch {
    // fall through
  }
  throw new VectraError('INVALID_CURSOR', 'cursor is not one this server returned; pass nextCursor from the previous page unchanged');
}

export class Collection {
  readonly config: CollectionConfig;
  private readonly store: RecordStore;
  private readonly live: LiveIndex;
  private readonly keeper: IndexKeeper;
  private readonly planner: SearchPlanner;
  private readonly filterLimits: FilterLimits;
  private readonly log: EngineLogger;
  private readonly writes: CollectionWrites;
  private fieldsCache: { seq: number; fields: ComparableField[] } | null = null;

  private constructor(readonly dir: string, store: RecordStore, config: CollectionConfig, options: CollectionOptions) {
    this.store = store;
    this.config = config;
    this.log = options.logger ?? defaultLogger();
    this.filterLimits = options.filterLimits ?? DEFAULT_FILTER_LIMITS;
    const insertThreads = options.insertThreads ?? DEFAULT_INSERT_THREADS;
    this.live = new LiveIndex(dir, config, store, { insertThreads, deferIndexing: options.deferIndexing ?? false }, this.log);
    this.keeper = new IndexKeeper(dir, join(dir, DB_FILE), config, indexFingerprint(config), store, this.live, {
      snapshotEvery: options.snapshotEvery ?? 20000,
      snapshotIntervalMs: options.snapshotIntervalMs ?? 60000,
      syncReplayLimit: options.syncReplayLimit ?? 20000,
      compactRatio: options.compactRatio ?? 0.25,
      buildThreads: options.buildThreads ?? insertThreads,
    }, this.log, options.onIndexBuilt);
    this.planner = new SearchPlanner(config, store, this.live, this.filterLimits);
    this.writes = new CollectionWrites({ dir, config, store, live: this.live, keeper: this.keeper, filterLimits: this.filterLimits, log: this.log, onChange: options.onChange });
  }

  /** Create a new collection in `dir` (which must not hold one). */
  static async create(dir: string, input: CollectionConfigInput, options: CollectionOptions = {}): Promise<Collection> {
    const config = resolveConfig(input);
    mkdirSync(dir, { recursive: true });
    return Collection.openWith(dir, config, options);
  }

  /** Open an existing collection, loading or rebuilding its vector index. */
  static async open(dir: string, options: CollectionOptions = {}): Promise<Collection> {
    return Collection.openWith(dir, null, options);
  }

  private static async openWith(dir: string, config: CollectionConfig | null, options: CollectionOptions): Promise<Collection> {
    const log = options.logger ?? defaultLogger();
    const store = new RecordStore(join(dir, DB_FILE), {
      synchronous: options.synchronous,
      changeRetention: options.changeRetention,
      onPruneError: (e) => log.warn({ dir, err: e.message }, 'change feed retention not applied this time (the changes are kept; retried later)'),
    });
    try {
      const c = new Collection(dir, store, store.initConfig(config), options);
      await c.keeper.open();
      return c;
    } catch (e) {
      store.close();
      throw e;
    }
  }

  // ---------------------------------------------------------------- writes

  /** Atomic batch upsert by id: every record is stored, or none. */
  upsert(records: RecordInput[]): { ids: string[]; inserted: number; updated: number; seq: number } {
    this.live.assertOpen();
    return this.writes.upsert(records);
  }

  /**
   * Upsert what is valid: each record is validated on its own (`where(i)` names it in its
   * error) and the valid ones are stored in one transaction. Per record, its id or its error.
   */
  upsertEach(records: RecordInput[], where: (i: number) => string): ({ id: string } | { error: VectraError })[] {
    this.live.assertOpen();
    return this.writes.upsertEach(records, where);
  }

  /** Delete records by id; unknown ids are ignored. Returns how many were deleted. */
  delete(ids: string[]): number {
    this.live.assertOpen();
    return this.writes.delete(ids);
  }

  /** Delete every record matching a metadata filter. */
  deleteWhere(filter: Record<string, unknown>): number {
    this.live.assertOpen();
    return this.writes.deleteWhere(filter);
  }

  /**
   * Upsert `records` and delete the records matching `remove` — a metadata filter, or ids — that
   * are not among them, in ONE transaction: a new version of a set of records (a document's
   * chunks) replaces the old one whole, or (a crash, a failure) not at all. The feed shows one
   * write, its upserts then its deletes under one `tx`; listeners hear an upsert, then a delete.
   */
  replace(records: RecordInput[], remove: { filter: Record<string, unknown> } | { ids: string[] }): { ids: string[]; inserted: number; updated: number; deleted: number; seq: number } {
    this.live.assertOpen();
    return this.writes.replace(records, remove);
  }

  /**
   * The raw change log after `since` (at most `limit` rows): each change with `tx`, the seq of
   * its write's first change, so that readers can group a write's changes. No retention check:
   * compare `oldest` with `since` (see `changes`).
   */
  changeLog(since: number, limit: number): { changes: ChangeRow[]; oldest: number; latest: number } {
    this.live.assertOpen();
    return this.store.changes(since, limit);
  }

  /** False once closed or dropped. */
  get isOpen(): boolean {
    return !this.live.closed;
  }

  /** The collection's sequence number: that of its latest change. */
  get seq(): number {
    return this.store.currentSeq();
  }

  /**
   * The change feed: changes after `since`, in order, at most `limit` (1–10,000). CHANGES_EXPIRED
   * when `since` is older than the retention keeps (the error names the oldest seq kept).
   */
  changes(since: number, limit = 100, opts: { includeRecord?: boolean } = {}): ChangePage {
    this.live.assertOpen();
    if (!Number.isSafeInteger(since) || since < 0) throw new VectraError('INVALID_ARGUMENT', 'since must be an integer ≥ 0 (a seq from a write answer or a previous page)');
    if (!Number.isInteger(limit) || limit < 1 || limit > 10000) throw new VectraError('INVALID_ARGUMENT', 'limit must be an integer from 1 to 10000');
    const { changes, oldest, latest } = this.store.changes(since, limit);
    if (since < oldest - 1 && since < latest) {
      throw changesExpired(since, oldest);
    }
    if (since > latest) throw new VectraError('INVALID_ARGUMENT', `since ${since} is ahead of the collection's latest seq ${latest}`);
    const rows = opts.includeRecord ? this.store.rowsByIds([...new Set(changes.map((c) => c.id))]) : null;
    const out = changes.map((c): Change => {
      const change: Change = { seq: c.seq, op: c.op, id: c.id, at: new Date(c.at).toISOString() };
      if (rows) {
        const row = rows.get(c.id);
        change.record = row ? rowToRecord(row) : null;
      }
      return change;
    });
    return { changes: out, nextSince: out.length > 0 ? out[out.length - 1].seq : since, latestSeq: latest };
  }

  // ---------------------------------------------------------------- reads

  get(id: string, opts: { includeVector?: boolean } = {}): StoredRecord | null {
    this.live.assertOpen();
    const row = this.store.getById(id);
    if (!row) return null;
    if (!opts.includeVector) delete (row as Partial<RecordRow>).vector;
    return rowToRecord(row);
  }

  count(filter?: Record<string, unknown>): number {
    this.live.assertOpen();
    const node = filter === undefined ? null : parseFilter(filter, this.filterLimits);
    if (node === null) return this.live.count;
    const sql = compileSql(node);
    return this.store.countWhere(sql.where, sql.params);
  }

  /** Records ordered by id, a page at a time. */
  list(opts: ListOptions = {}): { records: StoredRecord[]; nextCursor: string | null } {
    this.live.assertOpen();
    const limit = opts.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 10000) throw new VectraError('INVALID_ARGUMENT', 'limit must be an integer from 1 to 10000');
    if (opts.cursor && opts.from !== undefined) throw new VectraError('INVALID_ARGUMENT', 'give "cursor" or "from", not both');
    const start = opts.from !== undefined ? { id: opts.from, inclusive: true } : opts.cursor ? { id: decodeCursor(opts.cursor), inclusive: false } : null;
    const sql = compileSql(opts.filter === undefined ? null : parseFilter(opts.filter, this.filterLimits));
    const rows = this.store.page(start, limit + 1, { sql: sql.where, params: sql.params }, opts.includeVector ?? false);
    const more = rows.length > limit;
    const records = rows.slice(0, limit).map(rowToRecord);
    return { records, nextCursor: more ? encodeCursor(records[records.length - 1].id) : null };
  }

  /**
   * Ids of the records that match a filter and whose last write falls in a seq range and/or an
   * updated-time range (inclusive; ms since the epoch), in label order, at most `limit`: what the
   * analyses of services/insights read vectors for. A read, beside the write path.
   */
  idsWhere(opts: { filter?: Record<string, unknown>; seq?: { from?: number; to?: number }; updatedAt?: { from?: number; to?: number } } = {}, limit = Number.MAX_SAFE_INTEGER): string[] {
    this.live.assertOpen();
    const sql = compileSql(opts.filter === undefined ? null : parseFilter(opts.filter, this.filterLimits));
    const where = [sql.where];
    const params: unknown[] = [...sql.params];
    const bound = (column: string, r: { from?: number; to?: number } | undefined) => {
      if (r?.from !== undefined) where.push(`${column} >= ?`), params.push(r.from);
      if (r?.to !== undefined) where.push(`${column} <= ?`), params.push(r.to);
    };
    bound('seq', opts.seq);
    bound('updated_at', opts.updatedAt);
    return this.store.matchingLabels(where.join(' AND '), params, limit).flatMap((l) => {
      const id = this.live.idOf.get(l);
      return id === undefined ? [] : [id];
    });
  }

  /** Stored vectors (as given, full precision) of the records with these ids that exist. */
  vectorsOf(ids: string[]): Map<string, Float32Array> {
    this.live.assertOpen();
    return new Map(this.store.vectors(this.store.labelsOf(ids)).map((r) => [this.live.idOf.get(r.label)!, blobToVector(r.vector)]));
  }

  /**
   * The metadata fields a query's constraints can apply to: numbers, and strings holding ISO
   * dates. Recomputed only after writes.
   */
  comparableFields(): ComparableField[] {
    this.live.assertOpen();
    const seq = this.store.currentSeq();
    if (this.fieldsCache?.seq === seq) return this.fieldsCache.fields;
    const fields: ComparableField[] = [];
    for (const { path, t } of this.store.fieldTypes()) {
      if (t === FieldType.number) fields.push({ path, kind: 'number' });
      else if (t === FieldType.string) {
        const sample = this.store.sampleStrings(path, 20);
        if (sample.length > 0 && sample.every((v) => /^\d{4}-\d{2}(?:-\d{2})?(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/.test(v))) fields.push({ path, kind: 'date' });
      }
    }
    this.fieldsCache = { seq, fields };
    return fields;
  }

  // ---------------------------------------------------------------- search (search-planner.ts)

  search(req: SearchRequest): SearchResult {
    return this.planner.search(req);
  }

  /** `search`, with plain graph searches of the same event-loop turn run as one multi-threaded batch. */
  searchBatched(req: SearchRequest): Promise<SearchResult> {
    return this.planner.searchBatched(req);
  }

  /** BM25 keyword search over the records' text (FTS5), with the same filters as vector search. */
  keywordSearch(req: KeywordRequest): SearchResult {
    return this.planner.keywordSearch(req);
  }

  /** Adds `highlight` to the hits whose text matches words of `text` (hits of any search). */
  highlight(hits: SearchHit[], text: string, marks: HighlightMarks): void {
    this.planner.highlight(hits, text, marks);
  }

  /** Hits for ids scored elsewhere (fused rankings), in the given order; ids deleted meanwhile drop out. */
  hitsFor(scored: { id: string; score: number }[], include: 'id' | 'payload', includeVector = false): SearchHit[] {
    return this.planner.hitsFor(scored, include, includeVector);
  }

  // ---------------------------------------------------------------- index upkeep (index-keeper.ts)

  /** Resolves when every record is in the graph (deferred indexing has caught up). */
  indexed(): Promise<void> {
    return this.keeper.indexed();
  }

  /**
   * Take a snapshot now in a worker and wait for it (compacting if `compact`, or if a PQ index
   * is due to train its codebooks: that build is the one it would take anyway).
   */
  async snapshot(compact = false): Promise<void> {
    this.live.assertOpen();
    await this.keeper.snapshot(compact);
  }

  // ---------------------------------------------------------------- lifecycle

  stats(): CollectionStats {
    this.live.assertOpen();
    let diskBytes = 0;
    for (const name of readdirSync(this.dir)) {
      try {
        diskBytes += statSync(join(this.dir, name)).size;
      } catch {
        // a temp file vanished between listing and stat
      }
    }
    const { index } = this.live;
    return {
      count: this.live.count,
      dimension: this.config.dimension,
      diskBytes,
      indexBytes: index.memoryBytes(),
      indexSize: index.size(),
      seq: this.store.currentSeq(),
      snapshotSeq: this.keeper.snapshotSeq,
      deadEntries: this.live.dead,
      unindexed: this.live.tail.size(),
      ...(index instanceof PqIndex ? { pqTrainedOn: index.trainedOn } : {}),
    };
  }

  /** Close, saving a snapshot first if the index has changed since the last one. */
  async close(): Promise<void> {
    if (!this.live.close()) return;
    await this.keeper.stop();
    try {
      this.keeper.saveIfChanged();
    } catch (e) {
      // The snapshot is a cache of SQLite, which has every write: failing to save it costs the
      // next open a replay, not data, and must not fail the shutdown. (usearch reports a
      // read-only disk as a bare TypeError, so the disk is asked what is wrong.)
      const disk = storageError(e, this.dir) ?? probeDisk(this.dir);
      const line = { dir: this.dir, err: (e as Error).message, disk: disk?.code };
      if (disk) this.log.warn(line, 'index snapshot not saved on close (the next open replays from SQLite)');
      else this.log.error(line, 'index snapshot not saved on close (the next open replays from SQLite)');
    } finally {
      this.store.close();
    }
  }

  /** Close without saving (used before the directory is deleted). */
  async discard(): Promise<void> {
    if (!this.live.close()) return;
    await this.keeper.stop();
    this.store.close();
  }
}

/** A reader asked for changes the retention let go: 410, naming the oldest seq still kept (the scale-out mode's feed answers the same). */
export function changesExpired(since: number, oldest: number): VectraError {
  return new VectraError('CHANGES_EXPIRED', `changes after seq ${since} are no longer kept: the oldest kept is seq ${oldest}; read the current records (GET …/records) and follow the feed from since=${oldest - 1}`, { oldestSeq: oldest });
}
