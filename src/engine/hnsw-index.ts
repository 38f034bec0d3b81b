/**
 * HNSW through usearch (native, multi-threaded batch insert, f32/f16/i8 storage,
 * remove by key). Why usearch over hnswlib-node: docs/engine.md.
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, endianness, tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as Usearch from 'usearch';
import { vectorBytes } from './collection-config.js';
import { unreachableLabels } from './graph-reach.js';
import type { CollectionConfig, HnswConfig } from './types.js';
import type { Neighbours, VectorIndex } from './vector-index.js';

// usearch's ESM build cannot find its native binary outside a bundler; its CJS build can.
const { Index: UsearchIndex } = createRequire(import.meta.url)('usearch') as typeof Usearch;
type UsearchIndex = Usearch.Index;

function metricFor(config: CollectionConfig): string {
  if (config.metric === 'l2') return 'l2sq';
  // Cosine vectors arrive normalized: inner product is the same ranking and ~2× faster,
  // except for i8 whose codes assume usearch's own cosine handling.
  return config.metric === 'cosine' && config.storage === 'i8' ? 'cos' : 'ip';
}

export const DEFAULT_INSERT_THREADS = 1;

const LITTLE_ENDIAN = endianness() === 'LE';

/** Labels as usearch keys, written as 32-bit halves (little-endian) without a BigInt per key when they fit. */
function keysOf(labels: number[]): BigUint64Array {
  const keys = new BigUint64Array(labels.length);
  if (LITTLE_ENDIAN && labels.every((l) => l <= 0xffffffff)) {
    const halves = new Uint32Array(keys.buffer);
    for (let i = 0; i < labels.length; i++) halves[2 * i] = labels[i];
  } else {
    for (let i = 0; i < labels.length; i++) keys[i] = BigInt(labels[i]);
  }
  return keys;
}

/**
 * The most removals an HNSW index may absorb (since it was built from scratch) before it must
 * be rebuilt, for `live` vectors: two usearch 2.25.3 bugs set it (test/engine/hnsw-removals.test.ts).
 *
 * 1. Its key table (open addressing) leaves a tombstone per removal and grows only with live
 *    keys; once no slot is empty its range lookup wraps, and `remove` answers 0 for a key it
 *    holds (the next add of the key fails: "Duplicate keys not allowed"). The table has at
 *    least max(64, 1.5 × live) slots, so fewer than max(64 − live, live / 2) removals are safe.
 * 2. Its JS `load` re-reserves for ceil2(live) keys, which can be fewer than the nodes in the
 *    file (live + removed); it then copies the old vector table into a smaller one — a heap
 *    overflow. The reserve leaves room for at least max(42, 4/3 × live) nodes, so a saved index
 *    may hold at most max(42 − live, live / 3) removed nodes.
 *
 * Hence at most max(40 − live, live / 4): the collection compacts (rebuilds in a worker)
 * beyond it, and never saves an index that has absorbed more. Except with no live key at all:
 * then `load` reserves nothing and a single removed node overflows (found when a test deleted
 * every record and reopened: malloc() aborted the process), so an empty graph keeps none.
 */
export function maxRemovals(live: number): number {
  return live === 0 ? 0 : Math.max(40 - live, Math.floor(live / 4));
}

/** Whether an index of `kind` that absorbed `dead` removals for `live` vectors is past maxRemovals (only a graph keeps removed entries). */
export function pastRemovalLimit(kind: VectorIndex['kind'], dead: number, live: number): boolean {
  return kind === 'hnsw' && dead > maxRemovals(live);
}

/** Threads for batched searches (see `searchMany`): every core. */
export const SEARCH_THREADS = availableParallelism();

/** `n` results of usearch's flat key/distance arrays, from `offset`. */
function neighbours(keys: BigUint64Array, dists: Float32Array, offset: number, n: number): Neighbours {
  const labels = new Array<number>(n);
  const distances = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    labels[i] = Number(keys[offset + i]);
    distances[i] = dists[offset + i];
  }
  return { labels, distances };
}

export class HnswIndex implements VectorIndex {
  readonly kind = 'hnsw' as const;
  readonly exactDistances: boolean;
  private index: UsearchIndex;
  private readonly bytesPerVector: number;
  /** Bytes the index accounts a node: its vector, ~2·M links of 4 bytes at the base layer, usearch's header. */
  readonly bytesPerNode: number;

  /**
   * `insertThreads`: threads for batch inserts, 0 = every core. The default, 1, keeps every
   * node reachable (a 2-thread usearch build of 100k GloVe vectors left 5 nodes that no search
   * finds, even at ef 2000) and makes builds deterministic (same insertion order → same graph).
   * Background builds use more threads and then `relink` the nodes a traversal of the saved
   * links does not reach (`unreachable`; snapshot.ts, relinkUnreachable).
   */
  constructor(private readonly config: CollectionConfig, private readonly insertThreads = DEFAULT_INSERT_THREADS) {
    this.exactDistances = config.storage === 'f32';
    this.bytesPerVector = vectorBytes(config);
    this.bytesPerNode = this.bytesPerVector + 2 * (config.index as HnswConfig).m * 4 + 16;
    this.index = this.fresh();
  }

  private fresh(): UsearchIndex {
    const h = this.config.index as HnswConfig;
    return new UsearchIndex({
      dimensions: this.config.dimension,
      metric: metricFor(this.config),
      quantization: this.config.storage as 'f32' | 'f16' | 'i8',
      connectivity: h.m,
      expansion_add: h.efConstruction,
      // The breadth is chosen per query: usearch explores max(expansion_search, k) candidates.
      expansion_search: 1,
      multi: false,
    } as unknown as Usearch.IndexConfig);
  }

  size(): number {
    return this.index.size();
  }

  has(label: number): boolean {
    return this.index.contains(BigInt(label)) as boolean;
  }

  /**
   * usearch keeps one search context per thread, and sizes that pool only when an add grows
   * the capacity — to the thread count of that add. Single-threaded inserts would leave one
   * context, and a multi-threaded batch search would fail ("Reserve capacity ahead of
   * searches!"). So the add that grows the index is always a single vector given
   * SEARCH_THREADS threads: the pool gets a context per core, and with one task no two
   * inserts ever run concurrently.
   */
  add(labels: number[], vectors: Float32Array, threads = this.insertThreads): void {
    const growThreads = Math.max(SEARCH_THREADS, threads || SEARCH_THREADS);
    let done = 0;
    while (done < labels.length) {
      const room = this.index.capacity() - this.index.size() - 1; // adds up to `room` do not grow
      const left = labels.length - done;
      const n = room >= left ? left : room > 0 ? room : 1;
      this.addRange(labels, vectors, done, n, room > 0 ? threads : growThreads);
      done += n;
    }
  }

  /**
   * Take these nodes out and insert them again one at a time: a node that concurrent inserts
   * left without incoming links gets fresh ones from a single-threaded insert. Returns the
   * removals (usearch keeps them as tombstones, counted like any other removal).
   */
  relink(labels: number[], vectors: Float32Array): number {
    const removed = this.remove(labels);
    this.add(labels, vectors, 1);
    return removed;
  }

  /**
   * Labels of the live nodes no search can reach (graph-reach.ts): the graph is saved to a
   * scratch file in `dir` (removed as stale if a crash leaves it) and its links traversed.
   */
  unreachable(dir: string): number[] {
    const file = join(dir, `index-reach-${randomUUID()}.tmp`);
    try {
      this.index.save(file);
      return unreachableLabels(file);
    } finally {
      rmSync(file, { force: true });
    }
  }

  private addRange(labels: number[], vectors: Float32Array, from: number, n: number, threads: number): void {
    const keys = keysOf(labels.slice(from, from + n));
    const d = this.config.dimension;
    this.index.add(keys, vectors.subarray(from * d, (from + n) * d), threads);
  }

  /** One native call for all of them (a call per key cost ~3 µs: 250 ms for 88,000). */
  remove(labels: number[]): number {
    if (labels.length === 0) return 0;
    const keys = keysOf(labels);
    const counts = this.index.remove(keys) as number[];
    let removed = 0;
    const missed: bigint[] = [];
    for (let i = 0; i < keys.length; i++) {
      const n = Number(counts[i]);
      removed += n;
      if (n === 0) missed.push(keys[i]);
    }
    // usearch's key table lost track of a key (see maxRemovals): say so now, not at the next add.
    if (missed.length > 0) {
      const held = this.index.contains(BigUint64Array.from(missed)) as boolean[];
      const lost = held.findIndex(Boolean);
      if (lost >= 0) throw new Error(`usearch could not remove key ${missed[lost]} it holds (its key table is full of removals)`);
    }
    return removed;
  }

  search(query: Float32Array, k: number, breadth: number): Neighbours {
    if (this.index.size() === 0) return { labels: [], distances: [] };
    const m = this.index.search(query, Math.max(k, breadth), 1);
    return neighbours(m.keys, m.distances, 0, Math.min(k, m.keys.length));
  }

  /** Many queries (row-major in `queries`) at once, spread over SEARCH_THREADS threads. */
  searchMany(queries: Float32Array, k: number, breadth: number): Neighbours[] {
    const count = queries.length / this.config.dimension;
    if (count === 1) return [this.search(queries, k, breadth)];
    if (this.index.size() === 0) return Array.from({ length: count }, () => ({ labels: [], distances: [] }));
    const wanted = Math.max(k, breadth);
    const m = this.index.search(queries, wanted, SEARCH_THREADS) as unknown as Usearch.BatchMatches;
    return Array.from({ length: count }, (_, q) => neighbours(m.keys, m.distances, q * wanted, Math.min(k, Number(m.counts[q]))));
  }

  save(path: string): void {
    this.index.save(path);
  }

  /** Callers must have verified the file (usearch aborts the process on a truncated one). */
  load(path: string): void {
    const index = this.fresh();
    index.load(path);
    this.dispose();
    this.index = index;
  }

  /**
   * Free the graph's memory now. usearch does not tell V8 how much native memory an index
   * holds, so a replaced graph stayed resident until the garbage collector happened to
   * collect its small wrapper: on a server that had just taken a load, one old graph per
   * background build (docs/benchmarks.md, "Resident memory"). usearch empties an index
   * before loading one, so loading an empty index file frees it. Empty afterwards.
   */
  dispose(): void {
    if (this.index.size() === 0) return;
    const file = join(tmpdir(), `vectra-empty-index-${process.pid}-${randomUUID()}.usearch`);
    try {
      this.fresh().save(file);
      this.index.load(file);
    } catch {
      // No room for a few hundred bytes in the temp directory: the collector frees it later.
    } finally {
      rmSync(file, { force: true });
    }
  }

  memoryBytes(): number {
    return this.index.capacity() * this.bytesPerNode;
  }
}
