/**
 * Index snapshots: the vector index is a cache of the record store, saved now and then so
 * opening does not rebuild the graph. A snapshot is a file `index-<seq>-<nonce>.bin` plus
 * `snapshot.json` naming it with the sequence it covers, its size and CRC-32. Files are
 * written to a temp name, fsynced and renamed; `snapshot.json` is replaced last, so a crash
 * at any point leaves either the old or the new snapshot, never a mix. A snapshot that
 * fails verification is ignored and the index rebuilt from SQLite.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { BinaryIndex } from './binary-index.js';
import { FlatIndex } from './flat-index.js';
import { indexFingerprint } from './collection-config.js';
import { DEFAULT_INSERT_THREADS, HnswIndex, pastRemovalLimit } from './hnsw-index.js';
import { PQ_SAMPLE_MAX, PqIndex, pqTrainAt } from './pq-index.js';
import { mulberry32 } from '../random.js';
import { blobToVector, RecordStore } from './record-store.js';
import type { CollectionConfig } from './types.js';
import { prepareVector } from '../vector/math.js';
import type { VectorIndex } from './vector-index.js';

export const SNAPSHOT_META = 'snapshot.json';

export interface SnapshotMeta {
  format: 1;
  file: string;
  seq: number;
  bytes: number;
  crc32: number;
  fingerprint: string;
  /** Vectors in the index. */
  count: number;
  /** Removals the saved graph has absorbed since it was built from scratch. */
  dead: number;
  /**
   * No label above this was given when the index was saved (the store's maxLabel): records
   * written later with a higher label cannot be in it. Absent in older snapshots.
   */
  maxLabel?: number;
}

export function createIndex(config: CollectionConfig, insertThreads = DEFAULT_INSERT_THREADS): VectorIndex {
  if (config.storage === 'binary') return new BinaryIndex(config.dimension, config.metric === 'dot');
  if (config.storage === 'pq') return new PqIndex(config.dimension, config.metric, config.pq!);
  return config.index.type === 'flat' ? new FlatIndex(config.dimension, config.metric) : new HnswIndex(config, insertThreads);
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function readSnapshotMeta(dir: string): SnapshotMeta | null {
  const path = join(dir, SNAPSHOT_META);
  if (!existsSync(path)) return null;
  try {
    const meta = JSON.parse(readFileSync(path, 'utf8')) as SnapshotMeta;
    return meta.format === 1 && typeof meta.file === 'string' && Number.isInteger(meta.seq) ? meta : null;
  } catch {
    return null;
  }
}

/** Why a snapshot cannot be used, or null when its file is intact. */
export function snapshotProblem(dir: string, meta: SnapshotMeta, config: CollectionConfig): string | null {
  if (meta.fingerprint !== indexFingerprint(config)) return 'it was built with different index settings';
  // An HNSW file with many removed entries would overflow usearch's buffers on load (maxRemovals).
  if (pastRemovalLimit(config.index.type, meta.dead, meta.count)) {
    return `it holds ${meta.dead} removed entries for ${meta.count} live ones, more than usearch loads safely`;
  }
  const path = join(dir, meta.file);
  if (!existsSync(path)) return `${meta.file} is missing`;
  const size = statSync(path).size;
  if (size !== meta.bytes) return `${meta.file} has ${size} bytes, expected ${meta.bytes}`;
  if (crc32(readFileSync(path)) !== meta.crc32) return `${meta.file} fails its checksum`;
  return null;
}

/** Save `index` to a new snapshot file (not yet committed). */
export function writeIndexFile(dir: string, index: VectorIndex, seq: number): { file: string; bytes: number; crc32: number } {
  const file = `index-${seq}-${randomBytes(4).toString('hex')}.bin`;
  const tmp = join(dir, `${file}.tmp`);
  index.save(tmp);
  fsyncPath(tmp);
  const data = readFileSync(tmp);
  renameSync(tmp, join(dir, file));
  return { file, bytes: data.length, crc32: crc32(data) };
}

/** Make `meta` the current snapshot and delete files no longer referenced. */
export function commitSnapshot(dir: string, meta: SnapshotMeta): void {
  const tmp = join(dir, `${SNAPSHOT_META}.tmp`);
  writeFileSync(tmp, JSON.stringify(meta));
  fsyncPath(tmp);
  renameSync(tmp, join(dir, SNAPSHOT_META));
  fsyncPath(dir);
  removeStaleFiles(dir, meta.file);
}

/** Remove index files other than `keep` and leftover temp files. */
export function removeStaleFiles(dir: string, keep: string | null, alsoKeep: ReadonlySet<string> = new Set()): void {
  for (const name of readdirSync(dir)) {
    const stale = (name.startsWith('index-') && name !== keep && !alsoKeep.has(name)) || name === `${SNAPSHOT_META}.tmp`;
    if (stale) {
      try {
        unlinkSync(join(dir, name));
      } catch {
        // already gone
      }
    }
  }
}

const BATCH = 4096;

/** Thrown by a build whose `stop` flag was raised (the collection is closing). */
export const CANCELLED = 'cancelled';

function throwIfStopped(stop: Int32Array | undefined): void {
  if (stop && Atomics.load(stop, 0) !== 0) throw new Error(CANCELLED);
}

/**
 * Stored rows in batches of BATCH, their vectors prepared for the metric (one row-major
 * matrix a batch, fresh for each). Checks `stop` before each batch: a worker is never
 * terminated inside a native call.
 */
function forEachBatch(config: CollectionConfig, rows: Iterable<{ label: number; vector: Buffer }>, stop: Int32Array | undefined, each: (labels: number[], vectors: Float32Array) => void): void {
  const d = config.dimension;
  let labels: number[] = [];
  let buf = new Float32Array(BATCH * d);
  const flush = () => {
    if (labels.length === 0) return;
    throwIfStopped(stop);
    each(labels, buf.subarray(0, labels.length * d));
    labels = [];
    buf = new Float32Array(BATCH * d);
  };
  for (const row of rows) {
    buf.set(prepareVector(config.metric, blobToVector(row.vector)), labels.length * d);
    labels.push(row.label);
    if (labels.length === BATCH) flush();
  }
  flush();
}

/** Insert (or re-insert) vectors in batches. Returns how many index entries were replaced. */
function addRows(index: VectorIndex, config: CollectionConfig, rows: Iterable<{ label: number; vector: Buffer }>, stop?: Int32Array): number {
  let replaced = 0;
  forEachBatch(config, rows, stop, (labels, vectors) => {
    replaced += index.remove(labels);
    index.add(labels, vectors);
  });
  return replaced;
}

/**
 * Train a PQ index's codebooks on a uniform sample (reservoir, fixed seed: the same records
 * give the same codebooks) of up to PQ_SAMPLE_MAX stored vectors, if there are enough.
 */
function trainFromStore(index: PqIndex, config: CollectionConfig, store: RecordStore, stop?: Int32Array): void {
  const d = config.dimension;
  const sample = new Float32Array(PQ_SAMPLE_MAX * d);
  const random = mulberry32(1);
  let seen = 0;
  for (const row of store.iterateVectors()) {
    const slot = seen < PQ_SAMPLE_MAX ? seen : Math.floor(random() * (seen + 1));
    if (slot < PQ_SAMPLE_MAX) sample.set(prepareVector(config.metric, blobToVector(row.vector)), slot * d);
    seen++;
  }
  const n = Math.min(seen, PQ_SAMPLE_MAX);
  if (n < pqTrainAt(config.pq!.bits)) return;
  index.train(sample.subarray(0, n * d), n, () => throwIfStopped(stop));
}

/**
 * Threads a background build may insert with. Dot-product graphs stay on one: there a node
 * need not be its own nearest neighbour, so relinkUnreachable's self-search cannot tell
 * which nodes are unreachable.
 */
function buildThreadsFor(config: CollectionConfig, threads: number): number {
  return config.index.type === 'hnsw' && config.metric !== 'dot' ? threads : 1;
}

/** How widely relinkUnreachable looks for each node (ef), and how many hits it reads. */
const RELINK_EF = 32;
const RELINK_K = 4;

/**
 * After a multi-threaded build: search every node of `rows` for its own vector (k RELINK_K,
 * ef RELINK_EF) and relink, single-threaded, the ones not among the hits — concurrent usearch
 * inserts can leave a node with no incoming link, so that no search ever returns it. Several
 * hits, because vectors equal in f16 tie with it; a node whose exact duplicates fill the hits
 * (distance ~0: at most f16's rounding) counts as found. Returns the removals made.
 * Measured on 100k GloVe vectors (docs/benchmarks.md, "Graph builds on every core").
 */
export function relinkUnreachable(index: HnswIndex, config: CollectionConfig, rows: Iterable<{ label: number; vector: Buffer }>, stop?: Int32Array): number {
  const d = config.dimension;
  // f16 rounds each coordinate by at most 2^-11 of it: a dot product of unit vectors by ~1e-3.
  const tie = config.storage === 'f32' ? 1e-6 : 1.2e-3;
  const missed: number[] = [];
  const missedVectors: Float32Array[] = [];
  forEachBatch(config, rows, stop, (labels, vectors) => {
    index.searchMany(vectors, RELINK_K, RELINK_EF).forEach((r, i) => {
      if (r.labels.includes(labels[i]) || (r.distances.length === RELINK_K && Math.abs(r.distances[RELINK_K - 1]) <= tie)) return;
      missed.push(labels[i]);
      missedVectors.push(vectors.slice(i * d, (i + 1) * d));
    });
  });
  if (missed.length === 0) return 0;
  const vectors = new Float32Array(missed.length * d);
  missedVectors.forEach((v, i) => vectors.set(v, i * d));
  return index.relink(missed, vectors);
}

/**
 * Bring `index` from `fromSeq` up to the store's current state (or to `upTo`): drop deleted
 * labels, (re)insert changed ones. Returns the number of removals the graph absorbed.
 *
 * Stopping at `upTo` below the current state leaves an index that, like a snapshot, covers
 * `upTo`: right for every record whose latest change is at most `upTo`; the others (changed
 * later) are what replaying from `upTo` — or a collection adopting it — removes and re-adds.
 */
export function replay(index: VectorIndex, config: CollectionConfig, store: RecordStore, fromSeq: number, stop?: Int32Array, upTo?: number): number {
  const dead = index.remove(store.tombstonesSince(fromSeq, upTo));
  return dead + addRows(index, config, store.changedSince(fromSeq, upTo), stop);
}

export interface BuildRequest {
  dir: string;
  dbFile: string;
  config: CollectionConfig;
  fingerprint: string;
  /** Start from this snapshot (load + replay) rather than from scratch. */
  base: SnapshotMeta | null;
  /** Insert threads (0 = every core); above 1, each pass ends with relinkUnreachable. */
  buildThreads: number;
  /** Set to non-zero (Atomics.store) to make the build stop at its next batch. */
  stop?: Int32Array;
  /**
   * Hand intermediate snapshots to the collection between passes (PUBLISH_EVERY). Not for
   * compaction: the live graph already holds everything, a partial one would not.
   */
  publishes?: boolean;
}

/**
 * A build goes in passes, each at one consistent point and replaying a seq range holding at
 * most PASS_RECORDS changed records (see `replay`), until fewer than CATCH_UP_MIN changes remain unread:
 * records written during a long build do not wait for the next one, and the graph can be
 * published between passes. A 100k load built as a chain of builds, each covering what arrived
 * during the previous one, took 35 s to index; docs/benchmarks.md, "A build that keeps up".
 */
export const CATCH_UP_MIN = 1_000;
export const PASS_RECORDS = 10_000;
/** A build has at most this many passes (writers faster than the build do not keep it forever). */
const MAX_PASSES = 1_000;
/**
 * Between passes, a build that has inserted this many records since it last published (and at
 * least a quarter of its graph: each publish loads the whole graph on the main thread) saves
 * it and hands it to `publish`: the collection adopts it, its tail shrinks while the build
 * goes on.
 */
export const PUBLISH_EVERY = 10_000;

interface Built {
  index: VectorIndex;
  /** The seq the index covers (see `replay`). */
  seq: number;
  dead: number;
  /** The store's maxLabel when the last pass read it. */
  maxLabel: number;
}

/**
 * Inside a read transaction: replay the next range of changes into `b` (up to the seq of the
 * PASS_RECORDS-th record changed after `b.seq`). Past the removals a graph loads safely
 * (maxRemovals), the build starts over from the store. Returns the records replayed.
 */
function pass(b: Built, req: BuildRequest, store: RecordStore, threads: number): number {
  const upTo = store.nthChangeAfter(b.seq, PASS_RECORDS);
  b.maxLabel = store.maxLabel();
  const replayed = store.pendingSince(b.seq, upTo);
  try {
    b.dead += replay(b.index, req.config, store, b.seq, req.stop, upTo);
  } catch (e) {
    if ((e as Error).message === CANCELLED) throw e;
    b.dead = Infinity; // the replay hit usearch's key-table limit: start over
  }
  b.seq = upTo;
  if (b.dead === Infinity || pastRemovalLimit(b.index.kind, b.dead, b.index.size())) {
    b.index.dispose?.();
    Object.assign(b, fresh(req, store, threads));
    return pass(b, req, store, threads);
  }
  return replayed;
}

/**
 * Inside a read transaction: after a multi-threaded build, relink the nodes of records changed
 * after `from` (up to what `b` covers) that a self-search does not find (relinkUnreachable).
 */
function relink(b: Built, req: BuildRequest, store: RecordStore, threads: number, from: number): void {
  if (threads !== 1 && b.index instanceof HnswIndex) b.dead += relinkUnreachable(b.index, req.config, store.changedSince(from, b.seq), req.stop);
}

/** An empty index to replay the store into from seq 0 (a PQ index trains its codebooks first). */
function fresh(req: BuildRequest, store: RecordStore, threads: number): Built {
  const index = createIndex(req.config, threads);
  if (index instanceof PqIndex) trainFromStore(index, req.config, store, req.stop);
  return { index, seq: 0, dead: 0, maxLabel: 0 };
}

function saveBuilt(b: Built, req: BuildRequest): SnapshotMeta {
  throwIfStopped(req.stop);
  const file = writeIndexFile(req.dir, b.index, b.seq);
  return { format: 1, ...file, seq: b.seq, fingerprint: req.fingerprint, count: b.index.size(), dead: b.dead, maxLabel: b.maxLabel };
}

/**
 * Build a snapshot from the record store: load `base` (if intact) or start empty, then replay
 * the changes in passes (PASS_RECORDS each, every pass at one consistent point) until fewer
 * than CATCH_UP_MIN are left, handing intermediate snapshots to `publish` (PUBLISH_EVERY),
 * which returns once the collection has adopted them. Runs in a worker thread.
 *
 * Reachability (multi-threaded inserts, relinkUnreachable): everything the build inserted is
 * checked once, at the end — later concurrent inserts can cut the links of nodes relinked
 * before (100k GloVe rows in 10k-record passes: 36 nodes a self-search at ef 32 misses, 1 at
 * ef 200, when each pass is checked alone; 10 and 0 checked at the end, the f16 ties of
 * relinkUnreachable). A published graph may hold a few such nodes (0.04 %) until then.
 */
export function buildSnapshot(req: BuildRequest, publish?: (meta: SnapshotMeta) => void): SnapshotMeta {
  const store = new RecordStore(req.dbFile, { readonly: true });
  try {
    const threads = buildThreadsFor(req.config, req.buildThreads);
    let b: Built | null = null;
    if (req.base && snapshotProblem(req.dir, req.base, req.config) === null) {
      const index = createIndex(req.config, threads);
      index.load(join(req.dir, req.base.file));
      b = { index, seq: req.base.seq, dead: req.base.dead, maxLabel: 0 };
    }
    b ??= store.readConsistent(() => fresh(req, store, threads));
    let start = b.seq;
    let unpublished = 0;
    for (let n = 0; n < MAX_PASSES; n++) {
      const before = b.index;
      unpublished += store.readConsistent(() => pass(b, req, store, threads));
      // Started over from the store (removals): everything is new again.
      if (b.index !== before) start = 0;
      if (store.pendingSince(b.seq) < CATCH_UP_MIN) break;
      if (publish && req.publishes && unpublished >= Math.max(PUBLISH_EVERY, b.index.size() / 4)) {
        publish(saveBuilt(b, req));
        unpublished = 0;
      }
    }
    store.readConsistent(() => relink(b, req, store, threads, start));
    return saveBuilt(b, req);
  } finally {
    store.close();
  }
}
