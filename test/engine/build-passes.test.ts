/**
 * A background build in passes (snapshot.ts, buildSnapshot): it replays the store a range at a
 * time, catches up with what was written while it ran, and publishes its graph between passes.
 * The oracle is SQLite: after each publish and at the end, the graph must hold every record
 * its seq covers with its latest vector, and no deleted one.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Collection, FlatIndex } from '../../src/engine/index.js';
import { indexFingerprint, resolveConfig } from '../../src/engine/collection-config.js';
import { blobToVector, RecordStore } from '../../src/engine/record-store.js';
import { buildSnapshot, CATCH_UP_MIN, createIndex, PASS_RECORDS, type SnapshotMeta } from '../../src/engine/snapshot.js';
import { prepareRecord } from '../../src/engine/validation.js';
import { normalized } from '../../src/vector/math.js';
import { glove, row } from '../support/glove.js';
import { memoryLogger, tempDir } from '../support/tmp.js';

const g = glove();
const config = resolveConfig({ dimension: 100 });

/**
 * Whether the snapshot `meta` holds exactly what SQLite says about the records it covers.
 * `unfound`: how many of them may be missed by a search for their own vector (a published
 * graph is relinked only at the build's end: 3 in 10,000 were seen).
 */
function checkSnapshot(dir: string, store: RecordStore, meta: SnapshotMeta, unfound: number): void {
  const index = createIndex(config, 1);
  index.load(join(dir, meta.file));
  const covered = [...store.changedSince(0, meta.seq)];
  // Besides them, only older versions of records changed or deleted since (replaying from its seq removes those).
  const later = [...[...store.changedSince(meta.seq)].map((r) => r.label), ...store.tombstonesSince(meta.seq)];
  assert.equal(index.size(), covered.length + later.filter((l) => index.has(l)).length, `seq ${meta.seq}: size`);
  // Every record with no change after the snapshot is in it, with its latest vector.
  const v = new Float32Array(covered.length * 100);
  covered.forEach((r, i) => v.set(normalized(blobToVector(r.vector)), i * 100));
  const found = index.searchMany(v, 1, 64);
  const wrong = covered.filter((r, i) => found[i].labels[0] !== r.label && found[i].distances[0] > 2e-3);
  assert.ok(wrong.length <= unfound, `seq ${meta.seq}: ${wrong.length} covered records not found by their own vector`);
  for (const label of store.tombstonesSince(0, meta.seq)) assert.ok(!index.has(label), `deleted label ${label} is in the snapshot at ${meta.seq}`);
  assert.ok(meta.maxLabel! >= Math.max(0, ...covered.map((r) => r.label)), 'maxLabel covers every label in it');
}

describe('background builds in passes', () => {
  it('replays a range at a time, publishes between passes and catches up with writes made meanwhile', () => {
    const dir = tempDir();
    const file = join(dir, 'records.db');
    const writer = new RecordStore(file);
    writer.initConfig(config);
    const write = (from: number, to: number, shift = 0) =>
      writer.upsert(Array.from({ length: to - from }, (_, k) => prepareRecord({ id: `w${from + k}`, vector: row(g, from + k + shift) }, 100, 'r')));
    write(0, 25_000);
    const published: SnapshotMeta[] = [];
    const meta = buildSnapshot({ dir, dbFile: file, config, fingerprint: indexFingerprint(config), base: null, buildThreads: 2, publishes: true }, (m) => {
      published.push(m);
      checkSnapshot(dir, writer, m, m.count / 1000);
      // Writes while the build runs: updates of records it has and has not reached, deletes, new ones.
      if (published.length === 1) {
        write(0, 1_000, 30_000);
        write(20_000, 21_000, 31_000);
        writer.deleteLabels([5, 6, 7, 24_000].map((l) => l + 1));
        write(25_000, 27_500);
      }
    });
    // 25,000 records in 10,000-record passes: the first publish after the first pass (10,000 ≥ a quarter of its graph).
    assert.ok(published.length >= 1, 'published between passes');
    assert.equal(published[0].count, PASS_RECORDS);
    for (let i = 1; i < published.length; i++) assert.ok(published[i].seq > published[i - 1].seq);
    // Caught up: fewer than CATCH_UP_MIN changes left, here none (nothing was written after the first publish).
    assert.ok(writer.pendingSince(meta.seq) < CATCH_UP_MIN);
    assert.equal(meta.seq, writer.currentSeq());
    assert.equal(meta.count, 27_500 - 4);
    checkSnapshot(dir, writer, meta, 2);
    writer.close();
  });

  it('a collection adopts a long build while it runs: the tail shrinks before the build ends, answers stay exact', async () => {
    let builds = 0;
    const c = await Collection.create(join(tempDir(), 'c'), { dimension: 100 }, { logger: memoryLogger(), deferIndexing: true, buildThreads: 2, onIndexBuilt: () => builds++ });
    const n = 25_000;
    c.upsert(Array.from({ length: n }, (_, i) => ({ id: `w${i}`, vector: row(g, i) })));
    const seen = new Set<number>();
    const done = c.indexed();
    let finished = false;
    void done.then(() => (finished = true));
    while (!finished) {
      const { unindexed } = c.stats();
      seen.add(unindexed);
      // While the graph holds some and the tail the rest, every record is still found by its own vector, exactly once.
      if (unindexed > 0 && unindexed < n && builds === 0) {
        for (const i of [0, 9_999, 10_000, 24_999]) {
          const hits = c.search({ vector: row(g, i), k: 3, include: 'id', ef: 64 }).hits;
          assert.equal(hits[0].id, `w${i}`);
          assert.equal(new Set(hits.map((h) => h.id)).size, hits.length, 'no record twice');
        }
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    await done;
    assert.ok([...seen].some((u) => u > 0 && u < n), `the tail shrank while the first build ran (seen ${[...seen].sort((a, b) => b - a).join(', ')})`);
    assert.equal(c.stats().indexSize, n);
    const exact = new FlatIndex(100, 'cosine');
    exact.add(Array.from({ length: n }, (_, i) => i), Float32Array.from(Array.from({ length: n }, (_, i) => Array.from(normalized(Float32Array.from(row(g, i))))).flat()));
    let hits = 0;
    for (let q = 0; q < 50; q++) {
      const v = row(g, 40_000 + q * 7);
      const truth = new Set(exact.search(normalized(Float32Array.from(v)), 10).labels.map((l) => `w${l}`));
      hits += c.search({ vector: v, k: 10, include: 'id', ef: 200 }).hits.filter((h) => truth.has(h.id)).length;
    }
    assert.ok(hits / 500 >= 0.95, `recall@10 ${hits / 500}`);
    await c.close();
  });
});
