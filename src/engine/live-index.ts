/**
 * The live index of a collection: what searches read besides SQLite. The vector index (graph,
 * flat or scanned codes), the tail of records SQLite has but the graph does not yet (deferred
 * indexing), the removals the graph has absorbed, and the label → id map. Writes reach it only
 * after SQLite has committed them; it never writes to SQLite.
 */
import { markBusy } from './native-memory.js';
import { VectraError } from '../errors.js';
import { FlatIndex } from './flat-index.js';
import { Int8Tail } from './int8-tail.js';
import type { EngineLogger } from './logger.js';
import type { RecordStore, WriteResult } from './record-store.js';
import { BATCH, createIndex, FEW, forEachBatch, replay } from './snapshot.js';
import { pastRemovalLimit } from './hnsw-index.js';
import type { CollectionConfig } from './types.js';
import { prepareInto } from '../vector/math.js';
import type { VectorIndex } from './vector-index.js';

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

/**
 * Most bytes of vectors in one batch read back from SQLite (readTail): well under the 1 MiB
 * from which `vectra serve` has malloc map blocks on their own (tuneMallocForServer) — batches
 * of 1.6 MB made every one a fresh mapping and its page faults, 560–610 ms to read 97,000
 * records in the server against 150 ms in batches of 400 KB.
 */
const MAX_BATCH_BYTES = 256 * 1024;

export interface LiveIndexSettings {
  /** Threads for HNSW batch inserts (see HnswIndex). */
  insertThreads: number;
  /** Deferred indexing: see CollectionOptions.deferIndexing. */
  deferIndexing: boolean;
}

export class LiveIndex {
  private current: VectorIndex;
  private waiting: FlatIndex;
  private removals = 0;
  private isClosed = false;
  /** label → id of every record: id-only answers need no SQLite round trip. */
  readonly idOf = new Map<number, string>();

  constructor(
    private readonly dir: string,
    private readonly config: CollectionConfig,
    private readonly store: RecordStore,
    private readonly settings: LiveIndexSettings,
    private readonly log: EngineLogger,
  ) {
    this.current = this.createIndex();
    this.waiting = this.emptyTail();
    for (const [label, id] of store.allIds()) this.idOf.set(label, id);
  }

  /** The vector index searches use now (replaced whole by rebuilds and adopted builds). */
  get index(): VectorIndex {
    return this.current;
  }

  /**
   * Records in SQLite but not yet in the graph, their vectors prepared for the metric: searched
   * exactly (SIMD, exact-scan.ts). Read it; only this class changes it.
   */
  get tail(): Pick<FlatIndex, 'size' | 'search' | 'labels'> {
    return this.waiting;
  }

  /** Removed entries the graph still holds (only a graph keeps them; see maxRemovals). */
  get dead(): number {
    return this.removals;
  }

  /** Count at least `n` removed entries in the graph (a snapshot of it says it holds that many). */
  assumeRemovals(n: number): void {
    this.removals = Math.max(this.removals, n);
  }

  /** Records stored. */
  get count(): number {
    return this.idOf.size;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Refuse every later search and write. False if it was already closed. */
  close(): boolean {
    if (this.isClosed) return false;
    this.isClosed = true;
    return true;
  }

  /** Every operation calls this first: it also tells the memory release the process is busy. */
  assertOpen(): void {
    if (this.isClosed) throw new VectraError('COLLECTION_CLOSED', 'this collection has been closed or dropped');
    markBusy();
  }

  /** Whether large writes may wait in the tail (deferred indexing, and only a graph is slow to insert into). */
  get defers(): boolean {
    return this.settings.deferIndexing && this.config.index.type === 'hnsw';
  }

  createIndex(): VectorIndex {
    return createIndex(this.config, this.settings.insertThreads);
  }

  private emptyTail(): FlatIndex {
    // Cosine rows are unit vectors: an int8 copy scans them 4× leaner, still exactly.
    if (this.config.metric === 'cosine') return new Int8Tail(this.config.dimension);
    return new FlatIndex(this.config.dimension, this.config.metric, 0);
  }

  /**
   * A new tail of every record written after `seq` (about `expected` of them), straight from
   * SQLite a batch at a time (a row-sized array or two for each record made 100,000 of them
   * cost 1.2 s, half of it garbage collection): each batch one SQLite value, its vectors
   * prepared in place; or, for a few, found through the seq index a row at a time and
   * prepared into a batch (forEachBatch).
   */
  private readTail(seq: number, expected: number): { tail: FlatIndex; labels: number[] } {
    const d = this.config.dimension;
    const tail = this.emptyTail();
    tail.reserve(expected);
    const labels: number[] = [];
    const add = (batchLabels: number[], vectors: Float32Array) => {
      tail.add(batchLabels, vectors);
      for (const l of batchLabels) labels.push(l);
    };
    const batchSize = this.readBatch();
    // The batched read walks every record: a few waiting are found through the seq index.
    if (expected * FEW < this.idOf.size) {
      forEachBatch(this.config, this.store.changedSince(seq, true), undefined, add, batchSize);
      return { tail, labels };
    }
    for (const batch of this.store.changedBatchesSince(seq, batchSize)) {
      const { vectors } = batch;
      if (vectors.length !== batch.labels.length * d) throw new VectraError('INTERNAL', `records written after seq ${seq}: ${vectors.length} numbers for ${batch.labels.length} vectors of ${d}`);
      for (let i = 0; i < batch.labels.length; i++) prepareInto(this.config.metric, vectors.subarray(i * d, (i + 1) * d), vectors, i * d);
      add(batch.labels, vectors);
    }
    return { tail, labels };
  }

  /** Records a batch read back on this thread holds: MAX_BATCH_BYTES of vectors (and one SQLite value) whatever the dimension. */
  private readBatch(): number {
    return Math.max(1, Math.min(BATCH, Math.floor(MAX_BATCH_BYTES / (4 * this.config.dimension))));
  }

  /** Put vectors (as stored) in `tail`, replacing their labels' older versions. */
  private toTail(tail: FlatIndex, labels: number[], vectors: Float32Array[]): void {
    tail.remove(labels);
    tail.add(labels, this.prepared(vectors));
  }

  /** Vectors as an index takes them (unit length for cosine), one row-major matrix. */
  private prepared(vectors: Float32Array[]): Float32Array {
    const d = this.config.dimension;
    const matrix = new Float32Array(vectors.length * d);
    vectors.forEach((v, i) => prepareInto(this.config.metric, v, matrix, i * d));
    return matrix;
  }

  /**
   * Make `index` — loaded from a snapshot covering `seq`, which had absorbed `dead` removals and
   * holds no label above `maxLabel` — the live one, brought up to the store's state: in the
   * graph at once when there is little to do or indexing is not deferred, else removed from
   * the graph and kept in (or put in) the tail. The live state changes only if the graph
   * takes it. A small graph that the catch-up wore past the removals it takes safely (a crash
   * after many rewrites of the same records) is rebuilt on the spot, as `apply` does after a
   * write: true, the saved snapshot should be replaced.
   */
  adopt(index: VectorIndex, seq: number, dead: number, maxLabel = Number.MAX_SAFE_INTEGER): boolean {
    let tail: FlatIndex;
    const pending = this.store.pendingSince(seq);
    if (!this.defers || pending <= SYNC_INDEX_LIMIT) {
      dead += replay(index, this.config, this.store, seq);
      tail = this.emptyTail();
    } else {
      const tombstones = this.store.tombstonesSince(seq);
      // Nothing waits (opening; or a compaction adopted while writes went straight into the
      // graph): the waiting records' labels come with their vectors, in one read.
      const read = this.waiting.size() === 0 ? this.readTail(seq, pending - tombstones.length) : null;
      const labels = read?.labels ?? this.store.changedLabelsSince(seq);
      // Only labels given by then can be in the graph: a load's new records are not looked up
      // (usearch takes ~3 µs a key to find one it does not hold: 270 ms for a 45,000-record tail).
      dead += index.remove(tombstones) + index.remove(labels.filter((l) => l <= maxLabel));
      tail = read?.tail ?? this.carryTail(labels, seq);
    }
    const old = this.current;
    this.current = index;
    this.waiting = tail;
    this.removals = dead;
    old.dispose?.();
    // Served as it is, such a graph misses records it holds (a graph of 35 records and 38
    // removed entries answered 1 search in 4 without the record searched for).
    const live = index.size();
    if (tail.size() > 0 || live > SYNC_REBUILD_LIMIT || !pastRemovalLimit(index.kind, dead, live)) return false;
    this.rebuild();
    return true;
  }

  /**
   * The tail once a graph covering a seq is adopted: every record written after it (`labels`),
   * its latest version. Mostly these wait in the current tail already: it keeps them and lets
   * go of the others (now in the graph) — rebuilding it cost 4.5 µs a record, 200 ms for a
   * 45,000-record tail on the main thread. What it lacks (written straight into the graph while
   * nothing waited) is read from SQLite; when that is most of them (opening), a new tail is
   * filled from SQLite in one pass.
   */
  private carryTail(labels: number[], seq: number): FlatIndex {
    const old = this.waiting;
    const missing = labels.filter((l) => !old.has(l));
    if (missing.length * 2 > labels.length) return this.readTail(seq, labels.length).tail;
    if (old.size() > labels.length - missing.length) {
      const keep = new Set(labels);
      old.remove(old.labels().filter((l) => !keep.has(l)));
    }
    // Not in the tail, so nothing of theirs to replace there: added as read.
    let read = 0;
    forEachBatch(this.config, this.store.vectors(missing), undefined, (l, vectors) => {
      old.add(l, vectors);
      read += l.length;
    }, this.readBatch());
    if (read !== missing.length) throw new VectraError('INTERNAL', `the tail lost track of ${missing.length - read} records written after seq ${seq}`);
    return old;
  }

  /** Replace the index with one built from every record in SQLite, on this thread. */
  rebuild(): void {
    const index = this.createIndex();
    this.removals = replay(index, this.config, this.store, 0);
    const old = this.current;
    this.current = index;
    this.waiting = this.emptyTail();
    old.dispose?.();
  }

  /**
   * Upserts SQLite has committed: into the graph now, or (deferred indexing, a large write or
   * others already waiting, room left) into the tail. `rebuilt`: see `apply`.
   */
  upserted(res: WriteResult): { deferred: boolean; rebuilt: boolean } {
    const { labels, vectors } = res;
    const waiting = this.waiting.size();
    const deferred = this.defers && (labels.length > SYNC_INDEX_LIMIT || waiting > 0) && waiting + labels.length <= MAX_TAIL;
    let rebuilt: boolean;
    if (deferred) {
      // Acknowledged now (SQLite has it); the graph takes it in the background.
      rebuilt = this.apply(() => (this.removals += this.current.remove(labels)));
      this.toTail(this.waiting, labels, vectors);
    } else {
      // Into the graph now; a waiting older version of the same record must not linger.
      this.waiting.remove(labels);
      const matrix = this.prepared(vectors);
      rebuilt = this.apply(() => {
        this.removals += this.current.remove(labels);
        this.current.add(labels, matrix);
      });
    }
    labels.forEach((l, i) => this.idOf.set(l, res.ids[i]));
    return { deferred, rebuilt };
  }

  /** Deletes SQLite has committed. `rebuilt`: see `apply`. */
  deleted(labels: number[]): boolean {
    const rebuilt = this.apply(() => (this.removals += this.current.remove(labels)));
    for (const l of labels) this.idOf.delete(l);
    this.waiting.remove(labels);
    return rebuilt;
  }

  /**
   * Apply a change SQLite already has to the vector index. If usearch refuses it (its removal
   * limits, see maxRemovals), or a small graph has absorbed as many removals as is safe, the
   * index is rebuilt from SQLite on the spot (true: the saved snapshot still holds the removed
   * entries and should be replaced); a big one is compacted in the background.
   */
  private apply(change: () => void): boolean {
    let failure: string | null = null;
    try {
      change();
    } catch (e) {
      failure = (e as Error).message;
    }
    const live = this.current.size();
    const worn = pastRemovalLimit(this.current.kind, this.removals, live) && live <= SYNC_REBUILD_LIMIT;
    if (failure === null && !worn) return false;
    if (failure !== null) this.log.warn({ dir: this.dir, err: failure }, 'vector index update refused; rebuilding it from SQLite');
    this.rebuild();
    return true;
  }
}
