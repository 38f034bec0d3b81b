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
import { VectraError } from '../errors.js';
import { BinaryIndex } from './binary-index.js';
import { FlatIndex } from './flat-index.js';
import { indexFingerprint } from './collection-config.js';
import { DEFAULT_INSERT_THREADS, HnswIndex, pastRemovalLimit } from './hnsw-index.js';
import { PQ_SAMPLE_MAX, PqIndex, pqTrainAt } from './pq-index.js';
import { mulberry32 } from '../random.js';
import { blobToVector, RecordStore } from './record-store.js';
import type { CollectionConfig } from './types.js';
import { prepareInto, prepareVector } from '../vector/math.js';
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
   * written later, with higher labels, cannot be in it. Absent in older snapshots.
   */
  maxLabel?: number;
  /** Why the build's reachability check (relinkUnreachable) could not run, if it could not. */
  unchecked?: string;
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

export const BATCH = 4096;
/**
 * A change to fewer than 1/FEW of a collection's records is "few": at opening, so few waiting
 * records are read through the seq index rather than by a walk over every record
 * (LiveIndex.readTail); a catch-up of so few inserts on one thread (buildThreadsFor).
 */
export const FEW = 16;

/** Thrown by a build whose `stop` flag was raised (the collection is closing). */
export const CANCELLED = 'cancelled';

function throwIfStopped(stop: Int32Array | undefined): void {
  if (stop && Atomics.load(stop, 0) !== 0) throw new Error(CANCELLED);
}

/**
 * Stored rows in batches of `batch` (BATCH unless given), their vectors prepared for the
 * metric (one row-major matrix a batch, fresh for each, allocated at its first row and no
 * larger than an array of rows needs: a handful of rows costs no full batch). Checks `stop`
 * before each batch: a worker is never terminated inside a native call.
 */
export function forEachBatch(config: CollectionConfig, rows: Iterable<{ label: number; vector: Buffer }>, stop: Int32Array | undefined, each: (labels: number[], vectors: Float32Array) => void, batch = BATCH): void {
  if (Array.isArray(rows)) batch = Math.max(1, Math.min(batch, rows.length));
  const d = config.dimension;
  let labels: number[] = [];
  let buf = new Float32Array(0);
  const flush = () => {
    if (labels.length === 0) return;
    throwIfStopped(stop);
    each(labels, buf.subarray(0, labels.length * d));
    labels = [];
  };
  for (const row of rows) {
    const v = blobToVector(row.vector);
    if (v.length !== d) throw new VectraError('INTERNAL', `record ${row.label}: a stored vector of ${v.length} numbers in a collection of dimension ${d}`);
    if (labels.length === 0) buf = new Float32Array(batch * d);
    prepareInto(config.metric, v, buf, labels.length * d);
    labels.push(row.label);
    if (labels.length === batch) flush();
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

/** Passes of relinkUnreachable: a relinked node is checked again (a reinsert could leave it unlinked too). */
const RELINK_PASSES = 3;

/**
 * Threads a background build inserts `changed` records into a graph of `base` with. Dot-product
 * graphs stay on one: there short vectors are rarely anyone's neighbour, and a one-thread build
 * of 8,000 GloVe rows already leaves ~75 unreachable that relinking cannot fix for good (each
 * build would remove and reinsert them again). A catch-up of few records (fewer than 1/FEW of
 * the graph's) goes on one thread too, so it needs no reachability check of the whole graph.
 */
export function buildThreadsFor(config: CollectionConfig, threads: number, changed: number, base: number): number {
  if (config.index.type !== 'hnsw' || config.metric === 'dot') return 1;
  return changed * FEW < base ? 1 : threads;
}

/**
 * After a multi-threaded build: concurrent usearch inserts can leave a node no link leads to,
 * so that no search ever returns it (docs/engine.md, "Graph builds on every core"). Find those
 * by traversing the graph's links (graph-reach.ts) and remove and reinsert them on one thread,
 * which gives them fresh links; check again, up to RELINK_PASSES times. Their vectors are read
 * from `store` (inside the build's consistent read). Returns the removals made and, when the
 * check could not run (the scratch file not written, a graph file not read), why: the graph is
 * still sound, only as a build without the check would leave it, and the build goes on.
 */
export function relinkUnreachable(index: HnswIndex, config: CollectionConfig, store: Pick<RecordStore, 'vectors'>, dir: string, stop?: Int32Array): { removed: number; unchecked?: string } {
  let removed = 0;
  for (let pass = 0; pass < RELINK_PASSES; pass++) {
    throwIfStopped(stop);
    let lost: number[];
    try {
      lost = index.unreachable(dir);
    } catch (e) {
      return { removed, unchecked: (e as Error).message };
    }
    const rows = lost.length === 0 ? [] : store.vectors(lost);
    if (rows.length === 0) break;
    forEachBatch(config, rows, stop, (labels, vectors) => {
      removed += index.relink(labels, vectors);
    });
  }
  return { removed };
}

/**
 * Bring `index` from `fromSeq` up to the store's current state: drop deleted labels,
 * (re)insert changed ones. Returns the number of removals the graph absorbed.
 */
export function replay(index: VectorIndex, config: CollectionConfig, store: RecordStore, fromSeq: number, stop?: Int32Array): number {
  const dead = index.remove(store.tombstonesSince(fromSeq));
  return dead + addRows(index, config, store.changedSince(fromSeq), stop);
}

export interface BuildRequest {
  dir: string;
  dbFile: string;
  config: CollectionConfig;
  fingerprint: string;
  /** Start from this snapshot (load + replay) rather than from scratch. */
  base: SnapshotMeta | null;
  /** Insert threads (0 = every core; see buildThreadsFor); above 1, the build ends with relinkUnreachable. */
  buildThreads: number;
  /** Set to non-zero (Atomics.store) to make the build stop at its next batch. */
  stop?: Int32Array;
}

/**
 * Build a snapshot from the record store at one consistent point: load `base` (if intact)
 * and replay newer writes, or insert every record. Runs in a worker thread.
 */
export function buildSnapshot(req: BuildRequest): SnapshotMeta {
  const store = new RecordStore(req.dbFile, { readonly: true });
  try {
    return store.readConsistent(() => {
      const seq = store.currentSeq();
      const maxLabel = store.maxLabel();
      const scratchThreads = buildThreadsFor(req.config, req.buildThreads, Infinity, 0);
      let threads = scratchThreads;
      let index: VectorIndex | undefined;
      let dead = 0;
      if (req.base && snapshotProblem(req.dir, req.base, req.config) === null) {
        threads = buildThreadsFor(req.config, req.buildThreads, store.pendingSince(req.base.seq), req.base.count);
        index = createIndex(req.config, threads);
        try {
          index.load(join(req.dir, req.base.file));
          dead = req.base.dead + replay(index, req.config, store, req.base.seq, req.stop);
          // Too many removals to save this one safely (maxRemovals): build from scratch instead.
          if (pastRemovalLimit(index.kind, dead, index.size())) index = undefined;
        } catch (e) {
          if ((e as Error).message === CANCELLED) throw e;
          index = undefined; // the replay hit usearch's key-table limit: start over
        }
      }
      if (!index) {
        threads = scratchThreads;
        index = createIndex(req.config, threads);
        dead = 0;
        if (index instanceof PqIndex) trainFromStore(index, req.config, store, req.stop);
        addRows(index, req.config, store.iterateVectors(), req.stop);
      }
      let unchecked: string | undefined;
      if (threads !== 1 && index instanceof HnswIndex) {
        const relinked = relinkUnreachable(index, req.config, store, req.dir, req.stop);
        dead += relinked.removed;
        unchecked = relinked.unchecked;
      }
      throwIfStopped(req.stop);
      const file = writeIndexFile(req.dir, index, seq);
      return { format: 1, ...file, seq, fingerprint: req.fingerprint, count: index.size(), dead, maxLabel, ...(unchecked ? { unchecked } : {}) };
    });
  } finally {
    store.close();
  }
}
