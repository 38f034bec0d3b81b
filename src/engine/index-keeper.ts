/**
 * Keeps a collection's live index a faithful, loadable cache of SQLite: loads it at open
 * (snapshot + catch-up, or a rebuild), runs background builds (snapshots, compaction, taking
 * the tail into the graph, training PQ codebooks) and adopts what they built, and saves a
 * snapshot when the collection closes. Qdrant's update_handler and snapshots in one place.
 */
import { join } from 'node:path';
import type { EngineLogger } from './logger.js';
import { MAX_TAIL, type LiveIndex } from './live-index.js';
import type { RecordStore } from './record-store.js';
import { commitSnapshot, readSnapshotMeta, removeStaleFiles, snapshotProblem, writeIndexFile, type BuildRequest, type SnapshotMeta } from './snapshot.js';
import { startIndexBuild, type IndexBuild } from './index-builds.js';
import { maxRemovals, pastRemovalLimit } from './hnsw-index.js';
import { PqIndex } from './pq-index.js';
import type { CollectionConfig } from './types.js';
import { postponeMemoryRelease, releaseMemorySoon } from './native-memory.js';

/** A failed background build (disk full, say) is retried after this long, not at once. */
const BUILD_RETRY_MS = 5_000;

export interface KeeperSettings {
  /** Take a background snapshot after this many changed records… */
  snapshotEvery: number;
  /** …or when changes have waited this long (ms). */
  snapshotIntervalMs: number;
  /** Replay up to this many changes on the main thread when opening; more go to a worker. */
  syncReplayLimit: number;
  /** Compact a graph when removed entries exceed this share of live ones. */
  compactRatio: number;
  /** Threads of a background build (see CollectionOptions.buildThreads). */
  buildThreads: number;
}

/** A background build, once adopted: the records its graph holds and the seq it covers. */
export interface IndexBuilt {
  records: number;
  seq: number;
  /** From the build's start to its adoption. */
  ms: number;
  /** A rebuild from scratch (compaction, PQ training) rather than a catch-up. */
  fromScratch: boolean;
}

export class IndexKeeper {
  /** The committed snapshot (null: none yet). */
  private meta: SnapshotMeta | null = null;
  /** Records changed since the committed snapshot. */
  private changes = 0;
  private build: IndexBuild | null = null;
  private buildDone: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly dir: string,
    private readonly dbFile: string,
    private readonly config: CollectionConfig,
    private readonly fingerprint: string,
    private readonly store: RecordStore,
    private readonly live: LiveIndex,
    private readonly settings: KeeperSettings,
    private readonly log: EngineLogger,
    /** Told when a background build has been adopted (the index.built event). */
    private readonly onBuilt: (built: IndexBuilt) => void = () => undefined,
  ) {}

  /** The sequence number the committed snapshot covers (0: none). */
  get snapshotSeq(): number {
    return this.meta?.seq ?? 0;
  }

  /**
   * Load the snapshot and catch up from SQLite, or rebuild; then start the upkeep. A collection
   * that defers indexing never waits for the graph here: what the snapshot lacks (everything,
   * if there is none) waits in the tail, searched exactly, while a background build catches up
   * — so a restart after a crash serves at once instead of after a rebuild. Beyond MAX_TAIL
   * waiting records (or when not deferring) the old ways remain: replay on this thread up to
   * syncReplayLimit changes, else wait for a build in a worker.
   */
  async open(): Promise<void> {
    const meta = readSnapshotMeta(this.dir);
    removeStaleFiles(this.dir, meta?.file ?? null);
    let problem = meta ? snapshotProblem(this.dir, meta, this.config) : this.live.count > 0 ? 'there is no snapshot' : null;
    if (meta && problem === null) {
      const pending = this.store.pendingSince(meta.seq);
      try {
        if (pending <= (this.live.defers ? Math.max(MAX_TAIL, this.settings.syncReplayLimit) : this.settings.syncReplayLimit)) {
          const index = this.live.createIndex();
          index.load(join(this.dir, meta.file));
          const rebuilt = this.live.adopt(index, meta.seq, meta.dead, meta.maxLabel);
          this.meta = meta;
          this.changes = rebuilt ? Math.max(pending, this.settings.snapshotEvery) : pending;
        } else {
          await this.adopt(startIndexBuild(this.buildRequest(meta)).promise);
        }
      } catch (e) {
        // Catching up hit usearch's key-table limit (see maxRemovals): rebuild instead.
        problem = `catching up from it failed (${(e as Error).message})`;
      }
    }
    if (problem !== null) {
      this.log.warn({ dir: this.dir, reason: problem, records: this.live.count }, 'vector index snapshot unusable; rebuilding it from SQLite');
      if (this.live.defers && this.live.count <= MAX_TAIL) {
        // Every record waits in the tail; the build below starts from scratch (no snapshot).
        this.live.adopt(this.live.createIndex(), 0, 0);
        this.changes = this.live.count;
        // Few enough to have gone into the graph at once: snapshot it now, as a rebuild does.
        if (this.live.tail.size() === 0) this.saveNow();
      } else if (this.live.count <= this.settings.syncReplayLimit) {
        this.live.rebuild();
        this.changes = this.live.count;
        this.saveNow();
      } else {
        await this.adopt(startIndexBuild(this.buildRequest(null)).promise);
      }
    }
    this.timer = setInterval(() => this.maybeSnapshot(true), this.settings.snapshotIntervalMs);
    this.timer.unref();
    this.catchUp();
    if (!this.build && this.wantsTraining()) this.runBuild(true);
  }

  /**
   * `n` records changed in SQLite and reached the live index: `deferred`, they wait in the tail
   * (a build takes them into the graph); `rebuilt`, the live index was rebuilt on the spot, so
   * the saved snapshot still holds the removed entries (the next check replaces it). Starts a
   * build if one is due.
   */
  changed(n: number, { deferred = false, rebuilt = false }: { deferred?: boolean; rebuilt?: boolean }): void {
    if (rebuilt) this.changes = Math.max(this.changes, this.settings.snapshotEvery);
    if (deferred) this.catchUp();
    this.changes += n;
    this.maybeSnapshot();
  }

  /** Resolves when every record is in the graph (deferred indexing has caught up). */
  async indexed(): Promise<void> {
    for (let round = 0; this.live.tail.size() > 0 && !this.live.closed; round++) {
      if (round === 100) throw new Error('indexing did not catch up in 100 background builds');
      this.catchUp();
      await this.buildDone;
    }
  }

  /**
   * Take a snapshot now in a worker and wait for it (compacting if `compact`, or if a PQ index
   * is due to train its codebooks: that build is the one it would take anyway).
   */
  async snapshot(compact: boolean): Promise<void> {
    this.build?.cancel();
    await this.buildDone;
    this.runBuild(compact || this.wantsTraining());
    await this.buildDone;
  }

  /** Stop the upkeep: no new builds; a running one is cancelled and awaited. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.build?.cancel();
    await this.buildDone;
  }

  /**
   * Save the live index if it changed since the last snapshot — unless records still wait for
   * the graph (it is incomplete: the next open catches up from SQLite instead) or the graph has
   * absorbed more removals than usearch loads safely (maxRemovals).
   */
  saveIfChanged(): void {
    const { index } = this.live;
    const loadable = !pastRemovalLimit(index.kind, this.live.dead, index.size());
    if (loadable && this.live.tail.size() === 0 && (this.changes > 0 || (this.meta === null && this.live.count > 0))) this.saveNow();
  }

  /** Start a background build that will take the tail into the graph (if there is one and none runs). */
  private catchUp(): void {
    if (!this.live.closed && !this.build && this.live.tail.size() > 0) this.runBuild(false);
  }

  private wantsTraining(): boolean {
    return this.live.index instanceof PqIndex && this.live.index.wantsTraining();
  }

  private buildRequest(base: SnapshotMeta | null): BuildRequest {
    return { dir: this.dir, dbFile: this.dbFile, config: this.config, fingerprint: this.fingerprint, base, buildThreads: this.settings.buildThreads };
  }

  /** Swap in an index built by a worker, bring it up to date and make it the snapshot. */
  private async adopt(built: Promise<SnapshotMeta>): Promise<void> {
    const meta = await built;
    if (this.live.closed) return;
    const index = this.live.createIndex();
    index.load(join(this.dir, meta.file));
    const rebuilt = this.live.adopt(index, meta.seq, meta.dead, meta.maxLabel);
    this.commit(meta);
    if (rebuilt) this.changes = Math.max(this.changes, this.settings.snapshotEvery);
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
    const file = writeIndexFile(this.dir, this.live.index, seq);
    this.commit({ format: 1, ...file, seq, fingerprint: this.fingerprint, count: this.live.index.size(), dead: this.live.dead, maxLabel: this.store.maxLabel() });
  }

  private maybeSnapshot(timer = false): void {
    if (this.live.closed || this.build) return;
    const live = this.live.index.size();
    // Only a graph keeps removed entries (flat, binary and PQ rows are removed for good), so
    // only a graph is compacted; a PQ index trains its codebooks in a build from scratch.
    const compact = this.live.index.kind === 'hnsw' && this.live.dead > Math.min(maxRemovals(live), Math.max(1000, live * this.settings.compactRatio));
    if (compact || this.wantsTraining()) {
      this.runBuild(true);
    } else if (this.changes >= this.settings.snapshotEvery || (timer && this.changes > 0)) {
      this.runBuild(false);
    }
  }

  private runBuild(compact: boolean): void {
    const build = startIndexBuild(this.buildRequest(compact ? null : this.meta));
    this.build = build;
    postponeMemoryRelease();
    const started = performance.now();
    let failed = false;
    this.buildDone = build.promise
      .then(async (meta) => {
        if (this.live.closed) return;
        if (meta.unchecked) this.log.warn({ dir: this.dir, err: meta.unchecked }, 'background build: the graph was not checked for unreachable nodes (a few may be missed by every search until the next build)');
        // With a tail, the built graph holds records the live one lacks: swap it in.
        if (compact || this.live.tail.size() > 0) await this.adopt(Promise.resolve(meta));
        else {
          this.live.assumeRemovals(meta.dead);
          this.commit(meta);
        }
        if (this.live.closed) return;
        try {
          this.onBuilt({ records: meta.count, seq: meta.seq, ms: Math.round(performance.now() - started), fromScratch: compact });
        } catch (e) {
          this.log.error({ dir: this.dir, err: (e as Error).message }, 'index-built listener failed');
        }
      })
      .catch((e: Error) => {
        failed = true;
        if (!this.live.closed) this.log.error({ dir: this.dir, err: e.message }, 'background snapshot failed; will retry');
      })
      .finally(() => {
        this.build = null;
        // After a failure (disk full, say) wait before building again rather than spin.
        if (!failed) this.catchUp();
        else if (!this.live.closed) setTimeout(() => this.catchUp(), BUILD_RETRY_MS).unref();
        // The last of a run of builds: what the load and the builds left can go back.
        if (!this.build) releaseMemorySoon();
      });
  }
}
