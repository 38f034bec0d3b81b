/**
 * A collection: records in SQLite (the truth), vectors in an HNSW or flat index (a cache
 * of the truth, snapshotted in the background). All calls but open/close/snapshot are
 * synchronous: on Node's one thread they run one at a time, so writes are serialized and a
 * search always sees a consistent state.
 */
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isVectraError, VectraError } from '../errors.js';
import { probeDisk, storageError } from './disk.js';
import { indexFingerprint, resolveConfig } from './config.js';
import { compilePredicate, compileSql, DEFAULT_FILTER_LIMITS, FieldType, parseFilter, type FilterLimits, type FilterNode } from './filter.js';
import { defaultLogger, type EngineLogger } from './logger.js';
import { prepareRecord, toVector } from './validation.js';
import { blobToVector, RecordStore, type PreparedRecord, type RecordRow } from './record-store.js';
import { commitSnapshot, createIndex, readSnapshotMeta, removeStaleFiles, replay, snapshotProblem, writeIndexFile, type SnapshotMeta } from './snapshot.js';
import { startSnapshotJob, type SnapshotJob } from './snapshot-jobs.js';
import { TopK } from '../vector/top-k.js';
import { ftsQuery } from './keyword.js';
import type { CollectionConfig, CollectionConfigInput, KeywordRequest, Metadata, RecordInput, SearchHit, SearchRequest, SearchResult, StoredRecord } from './types.js';
import { exactScore, higherIsBetter, prepareVector } from '../vector/math.js';
import { distanceToScore, type Neighbours, type VectorIndex } from './vector-index.js';
import { DEFAULT_INSERT_THREADS, maxRemovals, pastRemovalLimit } from './hnsw-index.js';
import { PqIndex } from './pq-index.js';

export const DB_FILE = 'records.db';
export const MAX_K = 10000;

export interface CollectionOptions {
  logger?: EngineLogger;
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
  /** Threads for HNSW batch inserts (default 1, 0 = every core): see HnswIndex and docs/engine.md. */
  insertThreads?: number;
  /**
   * Deferred indexing (default off): a write of more than SYNC_INDEX_LIMIT records is
   * acknowledged once SQLite has it and joins the graph later, built by a snapshot worker on
   * another core; until then those records are searched exactly. See docs/engine.md.
   */
  deferIndexing?: boolean;
}

/** Writes up to this many records go into the graph at once even when indexing is deferred. */
export const SYNC_INDEX_LIMIT = 256;
/**
 * Most records waiting for the graph. Beyond it writes go into the graph before they are
 * acknowledged again (writers slow to the graph's pace) — the tail is memory, and every
 * search scans it.
 */
export const MAX_TAIL = 100_000;

/**
 * Graphs up to this size are rebuilt at once (tens of ms) when worn by removals: their usearch
 * limits are tight (maxRemovals). Bigger ones are compacted in the background.
 */
const SYNC_REBUILD_LIMIT = 256;
const JOB_RETRY_MS = 5_000;

export interface ListOptions {
  limit?: number;
  cursor?: string | null;
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

interface Ranked {
  labels: number[];
  scores: number[];
}

/**
 * Candidates rescored with the full-precision vectors, as a multiple of k. Binary codes
 * (100 sign bits for GloVe) rank coarsely: with 50·k candidates (or ef, if larger) recall@10
 * on 20k GloVe is 0.96 (cosine) / 0.95 (dot); with 20·k it was 0.87 / 0.88
 * (test/engine/binary-storage.test.ts).
 */
const RESCORE_FACTOR = { f32: 1, f16: 1, i8: 2, binary: 50, pq: 50 } as const;

interface PendingSearch {
  query: Float32Array;
  k: number;
  /** Graph candidates to return (k, or more to rescore) and to explore (ef). */
  want: number;
  breadth: number;
  req: SearchRequest;
  resolve: (r: SearchResult) => void;
  reject: (e: unknown) => void;
}

function toIso(ms: number): string {
  return new Date(ms).toISOString();
}

function rowToRecord(r: RecordRow): StoredRecord {
  const out: StoredRecord = {
    id: r.id,
    text: r.text,
    metadata: JSON.parse(r.metadata) as Metadata,
    createdAt: toIso(r.created_at),
    updatedAt: toIso(r.updated_at),
  };
  if (r.vector) out.vector = Array.from(blobToVector(r.vector));
  return out;
}

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

function checkK(k: number): number {
  if (!Number.isInteger(k) || k < 1 || k > MAX_K) throw new VectraError('INVALID_ARGUMENT', `k must be an integer from 1 to ${MAX_K}`);
  return k;
}

export class Collection {
  readonly config: CollectionConfig;
  private readonly store: RecordStore;
  private index: VectorIndex;
  private meta: SnapshotMeta | null = null;
  private dead = 0;
  private changes = 0;
  private job: SnapshotJob | null = null;
  private jobDone: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private pendingSearches: PendingSearch[] = [];
  private fieldsCache: { seq: number; fields: { path: string; kind: 'number' | 'date' }[] } | null = null;
  /** Records in SQLite but not yet in the graph (deferred indexing), label → vector as stored: searched exactly. */
  private tail = new Map<number, Float32Array>();
  /** label → id of every record: id-only answers need no SQLite round trip. */
  private readonly idOf = new Map<number, string>();
  private readonly fingerprint: string;
  private readonly log: EngineLogger;
  private readonly opts: Required<Omit<CollectionOptions, 'logger' | 'synchronous'>>;

  private constructor(readonly dir: string, store: RecordStore, config: CollectionConfig, options: CollectionOptions) {
    this.store = store;
    this.config = config;
    this.fingerprint = indexFingerprint(config);
    this.log = options.logger ?? defaultLogger();
    this.opts = {
      snapshotEvery: options.snapshotEvery ?? 20000,
      snapshotIntervalMs: options.snapshotIntervalMs ?? 60000,
      syncReplayLimit: options.syncReplayLimit ?? 20000,
      compactRatio: options.compactRatio ?? 0.25,
      filterLimits: options.filterLimits ?? DEFAULT_FILTER_LIMITS,
      insertThreads: options.insertThreads ?? DEFAULT_INSERT_THREADS,
      deferIndexing: options.deferIndexing ?? false,
    };
    this.index = createIndex(config, this.opts.insertThreads);
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
    const store = new RecordStore(join(dir, DB_FILE), { synchronous: options.synchronous });
    try {
      const c = new Collection(dir, store, store.initConfig(config), options);
      await c.load();
      return c;
    } catch (e) {
      store.close();
      throw e;
    }
  }

  // ---------------------------------------------------------------- loading & snapshots

  private async load(): Promise<void> {
    for (const [label, id] of this.store.allIds()) this.idOf.set(label, id);
    const meta = readSnapshotMeta(this.dir);
    removeStaleFiles(this.dir, meta?.file ?? null);
    let problem = meta ? snapshotProblem(this.dir, meta, this.config) : this.idOf.size > 0 ? 'there is no snapshot' : null;
    if (meta && problem === null) {
      const pending = this.store.pendingSince(meta.seq);
      try {
        if (pending <= this.opts.syncReplayLimit) {
          this.index.load(join(this.dir, meta.file));
          this.dead = meta.dead + this.catchUpFrom(this.index, meta.seq);
          this.meta = meta;
          this.changes = pending;
        } else {
          await this.adopt(startSnapshotJob(this.buildRequest(meta)).promise);
        }
      } catch (e) {
        // Catching up hit usearch's key-table limit (see maxRemovals): rebuild instead.
        problem = `catching up from it failed (${(e as Error).message})`;
        this.index = createIndex(this.config, this.opts.insertThreads);
        this.tail = new Map();
      }
    }
    if (problem !== null) {
      this.log.warn({ dir: this.dir, reason: problem, records: this.idOf.size }, 'vector index snapshot unusable; rebuilding it from SQLite');
      if (this.idOf.size <= this.opts.syncReplayLimit) {
        this.dead = replay(this.index, this.config, this.store, 0);
        this.changes = this.idOf.size;
        this.saveNow();
      } else {
        await this.adopt(startSnapshotJob(this.buildRequest(null)).promise);
      }
    }
    this.timer = setInterval(() => this.maybeSnapshot(true), this.opts.snapshotIntervalMs);
    this.timer.unref();
    this.catchUp();
    if (!this.job && this.index instanceof PqIndex && this.index.wantsTraining()) this.runJob(true);
  }

  /**
   * Bring a loaded index from `seq` to the store's state: in the graph at once when there is
   * little to do or indexing is not deferred, else removed from the graph and put in the tail.
   * Returns the removals the graph absorbed.
   */
  private catchUpFrom(index: VectorIndex, seq: number): number {
    if (!this.defers() || this.store.pendingSince(seq) <= SYNC_INDEX_LIMIT) {
      this.tail = new Map();
      return replay(index, this.config, this.store, seq);
    }
    const tail = new Map<number, Float32Array>();
    for (const row of this.store.changedSince(seq)) tail.set(row.label, Float32Array.from(blobToVector(row.vector)));
    this.tail = tail;
    return index.remove(this.store.tombstonesSince(seq)) + index.remove([...tail.keys()]);
  }

  private defers(): boolean {
    return this.opts.deferIndexing && this.config.index.type === 'hnsw';
  }

  /** Start a background build that will take the tail into the graph (if there is one and none runs). */
  private catchUp(): void {
    if (!this.closed && !this.job && this.tail.size > 0) this.runJob(false);
  }

  /** Resolves when every record is in the graph (deferred indexing has caught up). */
  async indexed(): Promise<void> {
    for (let round = 0; this.tail.size > 0 && !this.closed; round++) {
      if (round === 100) throw new Error('indexing did not catch up in 100 background builds');
      this.catchUp();
      await this.jobDone;
    }
  }

  private buildRequest(base: SnapshotMeta | null) {
    return { dir: this.dir, dbFile: join(this.dir, DB_FILE), config: this.config, fingerprint: this.fingerprint, base, insertThreads: this.opts.insertThreads };
  }

  /** Swap in an index built by a worker, bring it up to date and make it the snapshot. */
  private async adopt(built: Promise<SnapshotMeta>): Promise<void> {
    const meta = await built;
    if (this.closed) return;
    const index = createIndex(this.config, this.opts.insertThreads);
    index.load(join(this.dir, meta.file));
    this.dead = meta.dead + this.catchUpFrom(index, meta.seq);
    this.index = index;
    this.commit(meta);
  }

  private commit(meta: SnapshotMeta): void {
    if (this.meta && this.meta.seq > meta.seq) return;
    commitSnapshot(this.dir, meta);
    this.meta = meta;
    this.store.pruneTombstones(meta.seq);
    this.changes = this.store.pendingSince(meta.seq);
  }

  /** Save the live index on this thread (used when closing and after small rebuilds). */
  private saveNow(): void {
    const seq = this.store.currentSeq();
    const file = writeIndexFile(this.dir, this.index, seq);
    this.commit({ format: 1, ...file, seq, fingerprint: this.fingerprint, count: this.index.size(), dead: this.dead });
  }

  private maybeSnapshot(timer = false): void {
    if (this.closed || this.job) return;
    const live = this.index.size();
    // Only a graph keeps removed entries (flat, binary and PQ rows are removed for good), so
    // only a graph is compacted; a PQ index trains its codebooks in a build from scratch.
    const compact = this.index.kind === 'hnsw' && this.dead > Math.min(maxRemovals(live), Math.max(1000, live * this.opts.compactRatio));
    if (compact || (this.index instanceof PqIndex && this.index.wantsTraining())) {
      this.runJob(true);
    } else if (this.changes >= this.opts.snapshotEvery || (timer && this.changes > 0)) {
      this.runJob(false);
    }
  }

  private runJob(compact: boolean): void {
    const job = startSnapshotJob(this.buildRequest(compact ? null : this.meta));
    this.job = job;
    let failed = false;
    this.jobDone = job.promise
      .then((meta) => {
        if (this.closed) return;
        // With a tail, the built graph holds records the live one lacks: swap it in.
        if (compact || this.tail.size > 0) return this.adopt(Promise.resolve(meta));
        this.dead = Math.max(this.dead, meta.dead);
        this.commit(meta);
      })
      .catch((e: Error) => {
        failed = true;
        if (!this.closed) this.log.error({ dir: this.dir, err: e.message }, 'background snapshot failed; will retry');
      })
      .finally(() => {
        this.job = null;
        // After a failure (disk full, say) wait before building again rather than spin.
        if (!failed) this.catchUp();
        else if (!this.closed) setTimeout(() => this.catchUp(), JOB_RETRY_MS).unref();
      });
  }

  /**
   * Take a snapshot now in a worker and wait for it (compacting if `compact`, or if a PQ index
   * is due to train its codebooks: that build is the one it would take anyway).
   */
  async snapshot(compact = false): Promise<void> {
    this.assertOpen();
    this.job?.cancel();
    await this.jobDone;
    this.runJob(compact || (this.index instanceof PqIndex && this.index.wantsTraining()));
    await this.jobDone;
  }

  // ---------------------------------------------------------------- writes

  private assertOpen(): void {
    if (this.closed) throw new VectraError('COLLECTION_CLOSED', 'this collection has been closed or dropped');
  }

  /** Atomic batch upsert by id: every record is stored, or none. */
  upsert(records: RecordInput[]): { ids: string[]; inserted: number; updated: number } {
    this.assertOpen();
    if (!Array.isArray(records)) throw new VectraError('INVALID_ARGUMENT', 'records must be an array');
    const prepared = records.map((r, i) => prepareRecord(r, this.config.dimension, `records[${i}]`));
    if (prepared.length === 0) return { ids: [], inserted: 0, updated: 0 };
    return { ids: prepared.map((r) => r.id), ...this.commitPrepared(prepared) };
  }

  /**
   * Upsert what is valid: each record is validated on its own (`where(i)` names it in its
   * error) and the valid ones are stored in one transaction. Per record, its id or its error.
   */
  upsertEach(records: RecordInput[], where: (i: number) => string): ({ id: string } | { error: VectraError })[] {
    this.assertOpen();
    const valid: PreparedRecord[] = [];
    const out = records.map((r, i) => {
      try {
        const p = prepareRecord(r, this.config.dimension, where(i));
        valid.push(p);
        return { id: p.id };
      } catch (e) {
        if (!isVectraError(e)) throw e;
        return { error: e };
      }
    });
    if (valid.length > 0) this.commitPrepared(valid);
    return out;
  }

  /** One transaction for validated records, then the graph (now or deferred) and the id map. */
  private commitPrepared(prepared: PreparedRecord[]): { inserted: number; updated: number } {
    const res = this.store.upsert(prepared);
    if (this.defers() && (res.labels.length > SYNC_INDEX_LIMIT || this.tail.size > 0) && this.tail.size + res.labels.length <= MAX_TAIL) {
      // Acknowledged now (SQLite has it); the graph takes it in the background.
      this.toIndex(() => (this.dead += this.index.remove(res.labels)));
      res.labels.forEach((l, i) => {
        this.tail.delete(l);
        this.tail.set(l, res.vectors[i]);
      });
      this.catchUp();
    } else {
      // Into the graph now; a waiting older version of the same record must not linger.
      for (const l of res.labels) this.tail.delete(l);
      this.applyToIndex(res.labels, res.vectors);
    }
    res.labels.forEach((l, i) => this.idOf.set(l, res.ids[i]));
    this.changes += res.labels.length;
    this.maybeSnapshot();
    return { inserted: res.inserted, updated: res.updated };
  }

  private applyToIndex(labels: number[], vectors: Float32Array[]): void {
    const d = this.config.dimension;
    const matrix = new Float32Array(labels.length * d);
    vectors.forEach((v, i) => matrix.set(prepareVector(this.config.metric, v), i * d));
    this.toIndex(() => {
      this.dead += this.index.remove(labels);
      this.index.add(labels, matrix);
    });
  }

  /**
   * Apply a change SQLite already has to the vector index. If usearch refuses it (its removal
   * limits, see maxRemovals), or a small graph has absorbed as many removals as is safe, the
   * index is rebuilt from SQLite on the spot; a big one is compacted in the background.
   */
  private toIndex(change: () => void): void {
    let failure: string | null = null;
    try {
      change();
    } catch (e) {
      failure = (e as Error).message;
    }
    const live = this.index.size();
    const worn = pastRemovalLimit(this.index.kind, this.dead, live) && live <= SYNC_REBUILD_LIMIT;
    if (failure === null && !worn) return;
    if (failure !== null) this.log.warn({ dir: this.dir, err: failure }, 'vector index update refused; rebuilding it from SQLite');
    const index = createIndex(this.config, this.opts.insertThreads);
    this.dead = replay(index, this.config, this.store, 0);
    this.index = index;
    this.tail = new Map();
    // The saved snapshot still holds the removed entries: have the next check replace it.
    this.changes = Math.max(this.changes, this.opts.snapshotEvery);
  }

  private deleteLabels(labels: number[]): number {
    if (labels.length === 0) return 0;
    const { deleted } = this.store.deleteLabels(labels);
    this.toIndex(() => (this.dead += this.index.remove(deleted)));
    for (const l of deleted) {
      this.idOf.delete(l);
      this.tail.delete(l);
    }
    this.changes += deleted.length;
    this.maybeSnapshot();
    return deleted.length;
  }

  /** Labels of the ids that exist. */
  private labelsOf(ids: string[]): number[] {
    return ids.map((id) => this.store.labelOf(id)).filter((l): l is number => l !== undefined);
  }

  /** Delete records by id; unknown ids are ignored. Returns how many were deleted. */
  delete(ids: string[]): number {
    this.assertOpen();
    return this.deleteLabels(this.labelsOf(ids));
  }

  /** Delete every record matching a metadata filter. */
  deleteWhere(filter: Record<string, unknown>): number {
    this.assertOpen();
    const node = parseFilter(filter, this.opts.filterLimits);
    if (node === null) throw new VectraError('INVALID_FILTER', 'filter: an empty filter would delete every record; drop the collection instead');
    const sql = compileSql(node);
    return this.deleteLabels(this.store.matchingLabels(sql.where, sql.params, Number.MAX_SAFE_INTEGER));
  }

  // ---------------------------------------------------------------- reads

  get(id: string, opts: { includeVector?: boolean } = {}): StoredRecord | null {
    this.assertOpen();
    const row = this.store.getById(id);
    if (!row) return null;
    if (!opts.includeVector) delete (row as Partial<RecordRow>).vector;
    return rowToRecord(row);
  }

  count(filter?: Record<string, unknown>): number {
    this.assertOpen();
    const node = filter === undefined ? null : parseFilter(filter, this.opts.filterLimits);
    if (node === null) return this.idOf.size;
    const sql = compileSql(node);
    return this.store.countWhere(sql.where, sql.params);
  }

  /** Records ordered by id, a page at a time. */
  list(opts: ListOptions = {}): { records: StoredRecord[]; nextCursor: string | null } {
    this.assertOpen();
    const limit = opts.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 10000) throw new VectraError('INVALID_ARGUMENT', 'limit must be an integer from 1 to 10000');
    const after = opts.cursor ? decodeCursor(opts.cursor) : null;
    const sql = compileSql(opts.filter === undefined ? null : parseFilter(opts.filter, this.opts.filterLimits));
    const rows = this.store.page(after, limit + 1, { sql: sql.where, params: sql.params }, opts.includeVector ?? false);
    const more = rows.length > limit;
    const records = rows.slice(0, limit).map(rowToRecord);
    return { records, nextCursor: more ? encodeCursor(records[records.length - 1].id) : null };
  }

  search(req: SearchRequest): SearchResult {
    const q = this.prepareSearch(req);
    let plan: SearchResult['plan'];
    let ranked: Ranked;
    if (q.node !== null) {
      [plan, ranked] = this.filteredSearch(q.query, q.k, q.ef, q.node, req.exact ?? false);
    } else if ((this.index.kind === 'binary' || this.index.kind === 'pq') && !req.exact) {
      plan = this.index.kind;
      const { want } = this.graphCandidates(q.k, q.ef);
      ranked = this.graphRank(q.query, q.k, this.index.search(q.query, want, want));
    } else if (req.exact || this.index.kind === 'flat') {
      plan = 'exact';
      ranked = this.index.kind === 'flat' ? this.fromIndex(this.index.search(q.query, q.k, q.k)) : this.exactScan(q.query, q.k, null);
    } else {
      plan = 'hnsw';
      const { want, breadth } = this.graphCandidates(q.k, q.ef);
      ranked = this.withTail(q.query, q.k, this.graphRank(q.query, q.k, this.index.search(q.query, want, breadth)));
    }
    return { plan, hits: this.materialize(ranked, req.include ?? 'payload', req.includeVector ?? false) };
  }

  /**
   * The same answer as `search`, but plain graph searches (no filter, not exact) that arrive
   * in the same turn of the event loop are run as one batch across every core (usearch's
   * multi-threaded batch search). Under concurrent load that halves the graph walk's share
   * of the main thread; a lone request pays one `setImmediate`.
   */
  searchBatched(req: SearchRequest): Promise<SearchResult> {
    try {
      if (req.filter !== undefined || req.exact || this.index.kind !== 'hnsw') return Promise.resolve(this.search(req));
      const { query, k, ef } = this.prepareSearch(req);
      return new Promise<SearchResult>((resolve, reject) => {
        this.pendingSearches.push({ query, k, ...this.graphCandidates(k, ef), req, resolve, reject });
        if (this.pendingSearches.length === 1) setImmediate(() => this.flushSearches());
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private flushSearches(): void {
    const batch = this.pendingSearches;
    this.pendingSearches = [];
    // Queries needing the same candidate counts go to the index together.
    const groups = new Map<string, PendingSearch[]>();
    for (const p of batch) {
      const key = `${p.want}:${p.breadth}`;
      const g = groups.get(key);
      if (g) g.push(p);
      else groups.set(key, [p]);
    }
    for (const group of groups.values()) {
      const { want, breadth } = group[0];
      let found: Neighbours[];
      try {
        this.assertOpen();
        const d = this.config.dimension;
        const queries = new Float32Array(group.length * d);
        group.forEach((p, i) => queries.set(p.query, i * d));
        found = this.index.searchMany(queries, want, breadth);
      } catch (e) {
        for (const p of group) p.reject(e);
        continue;
      }
      group.forEach((p, i) => {
        try {
          const ranked = this.withTail(p.query, p.k, this.graphRank(p.query, p.k, found[i]));
          p.resolve({ plan: 'hnsw', hits: this.materialize(ranked, p.req.include ?? 'payload', p.req.includeVector ?? false) });
        } catch (e) {
          p.reject(e);
        }
      });
    }
  }

  /** BM25 keyword search over the records' text (FTS5), with the same filters as vector search. */
  keywordSearch(req: KeywordRequest): SearchResult {
    this.assertOpen();
    checkK(req.k);
    const node = req.filter === undefined ? null : parseFilter(req.filter, this.opts.filterLimits);
    const match = ftsQuery(req.text);
    if (match === null) return { plan: 'keyword', hits: [] };
    const sql = compileSql(node);
    const ranked = this.store.keywordMatches(match, { sql: sql.where, params: sql.params }, req.k);
    const hits = this.materialize(ranked, req.include ?? 'payload', req.includeVector ?? false);
    if (req.highlight) this.attachSnippets(hits, ranked.labels, match, req.highlight);
    return { plan: 'keyword', hits };
  }

  /** Adds `highlight` to the hits whose text matches words of `text` (hits of any search). */
  highlight(hits: SearchHit[], text: string, marks: { pre: string; post: string }): void {
    const match = ftsQuery(text);
    if (match === null || hits.length === 0) return;
    this.attachSnippets(hits, hits.map((h) => this.store.labelOf(h.id)), match, marks);
  }

  /** `labels[i]` is hits[i]'s label (undefined: deleted meanwhile). */
  private attachSnippets(hits: SearchHit[], labels: (number | undefined)[], match: string, marks: { pre: string; post: string }): void {
    const snippets = this.store.snippets(labels.filter((l): l is number => l !== undefined), match, marks);
    hits.forEach((h, i) => {
      const snippet = labels[i] === undefined ? undefined : snippets.get(labels[i]);
      if (snippet !== undefined) h.highlight = snippet;
    });
  }

  /**
   * The metadata fields a query's constraints can apply to: numbers, and strings holding ISO
   * dates. Recomputed only after writes.
   */
  comparableFields(): { path: string; kind: 'number' | 'date' }[] {
    this.assertOpen();
    const seq = this.store.currentSeq();
    if (this.fieldsCache?.seq === seq) return this.fieldsCache.fields;
    const fields: { path: string; kind: 'number' | 'date' }[] = [];
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

  /** Hits for ids scored elsewhere (fused rankings), in the given order; ids deleted meanwhile drop out. */
  hitsFor(scored: { id: string; score: number }[], include: 'id' | 'payload', includeVector = false): SearchHit[] {
    this.assertOpen();
    const labels: number[] = [];
    const scores: number[] = [];
    for (const s of scored) {
      const label = this.store.labelOf(s.id);
      if (label === undefined) continue;
      labels.push(label);
      scores.push(s.score);
    }
    return this.materialize({ labels, scores }, include, includeVector);
  }

  /** Stored vectors (as given, full precision) of the records with these ids that exist. */
  vectorsOf(ids: string[]): Map<string, Float32Array> {
    this.assertOpen();
    return new Map(this.store.vectors(this.labelsOf(ids)).map((r) => [this.idOf.get(r.label)!, blobToVector(r.vector)]));
  }

  /** How many graph candidates a plain search takes (`want`) and explores (`breadth`). */
  private graphCandidates(k: number, ef: number): { want: number; breadth: number } {
    // A scan of codes has no breadth to widen: ef raises the candidates rescored instead.
    const scanned = this.index.kind === 'binary' || this.index.kind === 'pq';
    const want = scanned ? Math.max(ef, k * RESCORE_FACTOR[this.config.storage]) : k * RESCORE_FACTOR[this.config.storage];
    return { want, breadth: Math.max(ef, want) };
  }

  private prepareSearch(req: SearchRequest): { query: Float32Array; k: number; ef: number; node: FilterNode | null } {
    this.assertOpen();
    const k = checkK(req.k);
    const defaultEf = this.config.index.type === 'hnsw' ? this.config.index.efSearch : k;
    const ef = req.ef ?? defaultEf;
    if (!Number.isInteger(ef) || ef < 1 || ef > MAX_K) throw new VectraError('INVALID_ARGUMENT', `ef must be an integer from 1 to ${MAX_K}`);
    const query = prepareVector(this.config.metric, toVector(req.vector, this.config.dimension, 'query'));
    const node = req.filter === undefined ? null : parseFilter(req.filter, this.opts.filterLimits);
    return { query, k, ef, node };
  }

  private fromIndex(n: { labels: number[]; distances: number[] }): Ranked {
    return { labels: n.labels, scores: n.distances.map((d) => distanceToScore(this.config, d)) };
  }

  /** Rank (label, vector blob) rows by exact score, best first, top k. */
  private rankRows(query: Float32Array, k: number, rows: Iterable<{ label: number; vector: Buffer }>): Ranked {
    const sign = higherIsBetter(this.config.metric) ? -1 : 1;
    const top = new TopK(k);
    for (const row of rows) top.push(sign * exactScore(this.config.metric, query, blobToVector(row.vector)), row.label);
    const s = top.sorted();
    return { labels: s.labels, scores: s.distances.map((d) => sign * d) };
  }

  /** The graph's answer merged with an exact ranking of the tail (records not yet in the graph). */
  private withTail(query: Float32Array, k: number, graph: Ranked): Ranked {
    if (this.tail.size === 0) return graph;
    const sign = higherIsBetter(this.config.metric) ? -1 : 1;
    const top = new TopK(k);
    graph.labels.forEach((l, i) => top.push(sign * graph.scores[i], l));
    // The graph's fallback (an exact scan of SQLite) already holds tail records: once each.
    const seen = new Set(graph.labels);
    for (const [label, v] of this.tail) if (!seen.has(label)) top.push(sign * exactScore(this.config.metric, query, v), label);
    const s = top.sorted();
    return { labels: s.labels, scores: s.distances.map((d) => sign * d) };
  }

  private exactScan(query: Float32Array, k: number, where: { sql: string; params: unknown[] } | null): Ranked {
    return this.rankRows(query, k, this.store.iterateVectors(where ?? undefined));
  }

  /** Graph candidates → top k (rescored from SQLite when the index stores compressed vectors). */
  private graphRank(query: Float32Array, k: number, found: Neighbours): Ranked {
    let ranked: Ranked;
    if (this.index.exactDistances) ranked = this.fromIndex(found);
    else ranked = this.rankRows(query, k, this.store.vectors(found.labels));
    // A graph can fail to reach some nodes; never answer fewer than k when k exist.
    if (ranked.labels.length < Math.min(k, this.idOf.size - this.tail.size)) return this.exactScan(query, k, null);
    return { labels: ranked.labels.slice(0, k), scores: ranked.scores.slice(0, k) };
  }

  /**
   * Query planning. A selective filter (few matches, found through the `fields` index) is
   * answered by an exact scan over the matches; a broad one by walking the graph, checking
   * candidates against the filter and widening until k of them pass.
   */
  private filteredSearch(query: Float32Array, k: number, ef: number, node: FilterNode, exact: boolean): [SearchResult['plan'], Ranked] {
    const sql = compileSql(node);
    const where = { sql: sql.where, params: sql.params };
    if (exact || this.index.kind === 'flat') return ['exact-filtered', this.exactScan(query, k, where)];
    const threshold = Math.max(k, Math.min(5000, Math.max(1000, Math.round(this.idOf.size * 0.02))));
    const matches = this.store.matchingLabels(sql.where, sql.params, threshold + 1);
    if (matches.length <= threshold) return ['exact-filtered', this.rankRows(query, k, this.store.vectors(matches))];

    const predicate = compilePredicate(node);
    const checked = new Set<number>();
    const passed: { label: number; vector: Buffer }[] = [];
    // Collect as many passing candidates as an unfiltered search would consider (ef), so
    // the filtered answer is as good as an unfiltered one.
    const want = Math.max(ef, k * RESCORE_FACTOR[this.config.storage]);
    let breadth = want;
    for (;;) {
      const found = this.index.search(query, breadth, breadth);
      const fresh = found.labels.filter((l) => !checked.has(l));
      for (const row of this.store.metadataAndVectors(fresh)) {
        if (predicate(JSON.parse(row.metadata) as Metadata)) passed.push(row);
      }
      fresh.forEach((l) => checked.add(l));
      const exhausted = found.labels.length < breadth || breadth >= this.idOf.size;
      if (passed.length >= want || exhausted) break;
      // Widen by the pass rate seen so far (at least 2×, at most 16× per round).
      const rate = Math.max(passed.length, 1) / checked.size;
      const factor = Math.min(16, Math.max(2, (1.2 * want) / rate / breadth));
      breadth = Math.min(Math.ceil(breadth * factor), Math.max(this.idOf.size, 1));
    }
    // Records not yet in the graph: SQLite applies the filter to them (through the fields
    // index) rather than this thread parsing every waiting record's metadata.
    if (this.tail.size > 0) {
      const inTail = { sql: `label IN (SELECT value FROM json_each(?)) AND (${sql.where})`, params: [JSON.stringify([...this.tail.keys()]), ...sql.params] };
      for (const row of this.store.iterateVectors(inTail)) passed.push(row);
    }
    if (passed.length < k) return ['exact-filtered', this.exactScan(query, k, where)];
    return [this.index.kind === 'hnsw' ? 'hnsw-filtered' : `${this.index.kind}-filtered`, this.rankRows(query, k, passed)];
  }

  /**
   * Hits as the caller asked for them. A label whose record is gone (an index that has not yet
   * caught up with a delete, or one being rebuilt) is skipped: a stale index must never fail a
   * search (it answered 500 in the fuzz run, docs/reliability.md).
   */
  private materialize(ranked: Ranked, include: 'id' | 'payload', includeVector: boolean): SearchHit[] {
    const hits: SearchHit[] = [];
    if (include === 'id' && !includeVector) {
      ranked.labels.forEach((l, i) => {
        const id = this.idOf.get(l);
        if (id !== undefined) hits.push({ id, score: ranked.scores[i] });
      });
      return hits;
    }
    const rows = this.store.payloads(ranked.labels, includeVector);
    ranked.labels.forEach((l, i) => {
      const r = rows.get(l);
      if (!r) return;
      const hit: SearchHit = { id: r.id, score: ranked.scores[i] };
      if (include === 'payload') {
        hit.text = r.text;
        hit.metadata = JSON.parse(r.metadata) as Metadata;
      }
      if (includeVector) hit.vector = Array.from(blobToVector(r.vector));
      hits.push(hit);
    });
    return hits;
  }

  // ---------------------------------------------------------------- lifecycle

  stats(): CollectionStats {
    this.assertOpen();
    let diskBytes = 0;
    for (const name of readdirSync(this.dir)) {
      try {
        diskBytes += statSync(join(this.dir, name)).size;
      } catch {
        // a temp file vanished between listing and stat
      }
    }
    return {
      count: this.idOf.size,
      dimension: this.config.dimension,
      diskBytes,
      indexBytes: this.index.memoryBytes(),
      indexSize: this.index.size(),
      seq: this.store.currentSeq(),
      snapshotSeq: this.meta?.seq ?? 0,
      deadEntries: this.dead,
      unindexed: this.tail.size,
      ...(this.index instanceof PqIndex ? { pqTrainedOn: this.index.trainedOn } : {}),
    };
  }

  private async stop(): Promise<boolean> {
    if (this.closed) return false;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.job?.cancel();
    await this.jobDone;
    return true;
  }

  /** Close, saving a snapshot first if the index has changed since the last one. */
  async close(): Promise<void> {
    if (!(await this.stop())) return;
    try {
      // With a tail the live graph is incomplete: keep the last snapshot; the next open catches up from SQLite.
      // Nor is a graph that absorbed more removals than usearch loads safely (maxRemovals) saved.
      const loadable = !pastRemovalLimit(this.index.kind, this.dead, this.index.size());
      if (loadable && this.tail.size === 0 && (this.changes > 0 || (this.meta === null && this.idOf.size > 0))) this.saveNow();
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
    if (await this.stop()) this.store.close();
  }
}
