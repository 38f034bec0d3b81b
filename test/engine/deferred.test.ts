/**
 * Deferred indexing: large writes are acknowledged once SQLite has them and join the graph
 * in the background. Until then every search must still see them (exactly) — the exact
 * index is the oracle — and updates, deletes, filters and restarts must agree with it.
 */
import assert from 'node:assert/strict';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Collection, FlatIndex, SYNC_INDEX_LIMIT } from '../../src/engine/index.js';
import { resolveConfig } from '../../src/engine/collection-config.js';
import { LiveIndex } from '../../src/engine/live-index.js';
import { blobToVector, RecordStore } from '../../src/engine/record-store.js';
import { createIndex, FEW } from '../../src/engine/snapshot.js';
import { prepareRecord } from '../../src/engine/validation.js';
import { normalized } from '../../src/vector/math.js';

const seqOf = (store: RecordStore) => store.currentSeq();
import { glove, row } from '../support/glove.js';
import { memoryLogger, tempDir } from '../support/tmp.js';

const opts = { logger: memoryLogger(), deferIndexing: true };
const g = glove();
const N = 6000;
const records = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => ({ id: `w${from + k}`, vector: row(g, from + k), metadata: { even: (from + k) % 2 === 0 } }));
const queries = Array.from({ length: 40 }, (_, i) => row(g, 20000 + i * 37));

/** The exact top-10 ids over the given records. */
function truth(ids: string[], vectors: number[][], q: number[], keep: (i: number) => boolean = () => true): string[] {
  // FlatIndex takes vectors as the index sees them: unit length for cosine.
  const flat = new FlatIndex(100, 'cosine');
  const labels = ids.map((_, i) => i).filter(keep);
  flat.add(labels, Float32Array.from(labels.flatMap((i) => Array.from(normalized(Float32Array.from(vectors[i]))))));
  return flat.search(normalized(Float32Array.from(q)), 10).labels.map((l) => ids[l]);
}

const ids = (c: Collection, q: number[], filter?: Record<string, unknown>) => c.search({ vector: q, k: 10, include: 'id', filter }).hits.map((h) => h.id);

describe('deferred indexing', () => {
  it('a large write is searchable at once (exactly) and joins the graph in the background', async () => {
    const c = await Collection.create(join(tempDir(), 'c'), { dimension: 100 }, opts);
    const all = records(0, N);
    c.upsert(all);
    assert.ok(c.stats().unindexed > SYNC_INDEX_LIMIT, 'the write went to the tail');
    const vecs = all.map((r) => r.vector);
    const names = all.map((r) => r.id);
    // Before the graph has them: the answers are the exact ones.
    for (const q of queries) assert.deepEqual(ids(c, q), truth(names, vecs, q));
    const batched = await Promise.all(queries.map((q) => c.searchBatched({ vector: q, k: 10, include: 'id' })));
    batched.forEach((r, i) => assert.deepEqual(r.hits.map((h) => h.id), truth(names, vecs, queries[i])));
    for (const q of queries.slice(0, 10)) assert.deepEqual(ids(c, q, { even: true }), truth(names, vecs, q, (i) => i % 2 === 0));

    await c.indexed();
    const s = c.stats();
    assert.equal(s.unindexed, 0);
    assert.equal(s.indexSize, N);
    assert.ok(s.snapshotSeq > 0, 'the background build is also the snapshot');
    // Now from the graph: recall against the exact answers.
    let hits = 0;
    for (const q of queries) {
      const t = new Set(truth(names, vecs, q));
      hits += ids(c, q).filter((id) => t.has(id)).length;
    }
    assert.ok(hits / (queries.length * 10) >= 0.95, `recall ${hits / (queries.length * 10)}`);
    assert.equal(c.search({ vector: queries[0], k: 10 }).plan, 'hnsw');
    await c.close();
  });

  it('updates, deletes and small writes while records wait: never a stale or missing answer', async () => {
    const c = await Collection.create(join(tempDir(), 'c'), { dimension: 100 }, opts);
    c.upsert(records(0, 3000));
    await c.indexed();
    // A large update moves records out of the graph into the tail with their new vectors.
    const moved = Array.from({ length: 400 }, (_, k) => ({ id: `w${k}`, vector: row(g, 10000 + k) }));
    c.upsert(moved);
    assert.ok(c.stats().unindexed >= 400);
    c.upsert([{ id: 'small', vector: row(g, 15000) }]); // joins the tail too, after a large write
    c.delete(['w1', 'w2000']);
    const state = new Map(records(0, 3000).map((r) => [r.id, r.vector]));
    for (const m of moved) state.set(m.id, m.vector);
    state.set('small', row(g, 15000));
    state.delete('w1');
    state.delete('w2000');
    const names = [...state.keys()];
    const vecs = [...state.values()];
    const check = () => {
      for (const q of [...queries.slice(0, 10), row(g, 10005), row(g, 5), row(g, 15000)]) assert.deepEqual(ids(c, q), truth(names, vecs, q));
    };
    check();
    await c.indexed();
    assert.equal(c.stats().indexSize, state.size);
    assert.equal(ids(c, row(g, 10005))[0], 'w5', 'the new vector is found');
    assert.ok(!ids(c, row(g, 1)).includes('w1'), 'a deleted record stays deleted');
    await c.close();
  });

  it('a build adopted while newer writes wait carries them from the tail, exactly as SQLite has them', () => {
    const dir = tempDir();
    const store = new RecordStore(join(dir, 'records.db'));
    const config = resolveConfig({ dimension: 100 });
    const live = new LiveIndex(dir, config, store, { insertThreads: 1, deferIndexing: true }, memoryLogger());
    const write = (rs: { id: string; vector: number[] }[]) => live.upserted(store.upsert(rs.map((r, i) => prepareRecord(r, 100, `records[${i}]`))));
    write(records(0, 3000));
    assert.equal(live.tail.size(), 3000);
    // A background build read SQLite here…
    const built = seqOf(store);
    const maxLabel = store.maxLabel();
    const graph = createIndex(config, 1);
    const rows = [...store.changedSince(0)];
    graph.add(rows.map((r) => r.label), Float32Array.from(rows.flatMap((r) => Array.from(normalized(blobToVector(r.vector))))));
    // …while these were written: new records, updates of waiting ones and of ones it has, deletes.
    write(records(3000, 4000));
    write([...Array.from({ length: 100 }, (_, k) => ({ id: `w${3500 + k}`, vector: row(g, 20000 + k) })), { id: 'w10', vector: row(g, 21000) }]);
    live.deleted(store.deleteLabels(['w3700', 'w20'].map((id) => store.labelOf(id)!)).deleted);
    // Labels given after the build (maxLabel) are not looked up in its graph; older ones are.
    live.adopt(graph, built, 0, maxLabel);
    // The oracle: what SQLite says was written after the build, prepared for the metric.
    const expected = new Map([...store.changedSince(built)].map((r) => [r.label, normalized(blobToVector(r.vector))]));
    assert.equal(expected.size, 1000 - 1 + 1);
    assert.deepEqual(new Set(live.tail.labels()), new Set(expected.keys()));
    for (const [label, v] of expected) assert.deepEqual(live.tail.vectorOf(label), v, `label ${label}`);
    const w10 = store.labelOf('w10')!;
    assert.ok(!graph.has(w10), 'an updated record leaves the graph until the next build');
    store.close();
  });

  it('the records written after a seq, read a batch at a time or through the seq index, are changedSince’s (the plain walk): label for label, byte for byte', () => {
    const dir = tempDir();
    const store = new RecordStore(join(dir, 'records.db'));
    const d = 6;
    // Vectors whose float32 bytes hold zeros (1.0 is 00 00 80 3f), exact zeros and negatives.
    const vec = (i: number) => Array.from({ length: d }, (_, j) => [1, 0, -2.5, i + j / 8, 1e-30, -0][(i + j) % 6]);
    const put = (from: number, to: number) => store.upsert(Array.from({ length: to - from }, (_, k) => prepareRecord({ id: `r${from + k}`, vector: vec(from + k) }, d, 'r')));
    put(0, 500);
    const seq = seqOf(store);
    put(500, 1500);
    put(100, 130); // updates of older records: written after seq too
    store.deleteLabels(['r600', 'r601', 'r5'].map((id) => store.labelOf(id)!));
    const oracle = [...store.changedSince(seq)];
    assert.equal(oracle.length, 1000 - 2 + 30);
    const throughIndex = [...store.changedSince(seq, true)];
    assert.deepEqual(throughIndex.map((r) => r.label), oracle.map((r) => r.label), 'through the seq index: labels');
    assert.ok(Buffer.concat(throughIndex.map((r) => r.vector)).equals(Buffer.concat(oracle.map((r) => r.vector))), 'through the seq index: vectors');
    for (const batch of [1, 7, 1028, 4096]) {
      const labels: number[] = [];
      const bytes: Buffer[] = [];
      for (const b of store.changedBatchesSince(seq, batch)) {
        assert.ok(b.labels.length <= batch);
        assert.equal(b.vectors.length, b.labels.length * d);
        labels.push(...b.labels);
        bytes.push(Buffer.from(b.vectors.buffer, b.vectors.byteOffset, b.vectors.byteLength));
      }
      assert.deepEqual(labels, oracle.map((r) => r.label), `batch ${batch}: labels`);
      assert.ok(Buffer.concat(bytes).equals(Buffer.concat(oracle.map((r) => r.vector))), `batch ${batch}: vectors`);
    }
    assert.deepEqual([...store.changedBatchesSince(seqOf(store), 10)], [], 'nothing written since the last seq');
    assert.deepEqual([...store.changedSince(seqOf(store), true)], [], 'nothing written since the last seq (through the index)');
    store.close();
  });

  /**
   * `snapshotted` records in a graph as the snapshot, then records `snapshotted..to` and an
   * update of `updated` written after it and w20 deleted; a new live index over that store, as
   * Collection.open makes one, adopts the graph. Checks the tail holds exactly what SQLite has
   * after the snapshot and the graph lost the updated and the deleted record.
   */
  function openWithWaiting(snapshotted: number, to: number, updated: string): { waiting: number; count: number; throughSeqIndex: boolean } {
    const dir = tempDir();
    const store = new RecordStore(join(dir, 'records.db'));
    const config = resolveConfig({ dimension: 100 });
    for (let i = 0; i < snapshotted; i += 1000) store.upsert(records(i, Math.min(snapshotted, i + 1000)).map((r, k) => prepareRecord(r, 100, `records[${k}]`)));
    const snapshotSeq = seqOf(store);
    const graph = createIndex(config, 1);
    const rows = [...store.changedSince(0)];
    graph.add(rows.map((r) => r.label), Float32Array.from(rows.flatMap((r) => Array.from(normalized(blobToVector(r.vector))))));
    store.upsert([...records(snapshotted, to), { id: updated, vector: row(g, 21000) }].map((r, k) => prepareRecord(r, 100, `records[${k}]`)));
    store.deleteLabels([store.labelOf('w20')!]);
    const live = new LiveIndex(dir, config, store, { insertThreads: 1, deferIndexing: true }, memoryLogger());
    // Which read the opening took: through the seq index (changedSince with `few`) or the walk.
    let throughSeqIndex = false;
    const changedSince = store.changedSince.bind(store);
    store.changedSince = (seq: number, few = false) => {
      throughSeqIndex ||= few;
      return changedSince(seq, few);
    };
    live.adopt(graph, snapshotSeq, 0, snapshotted);
    store.changedSince = changedSince;
    const expected = new Map([...store.changedSince(snapshotSeq)].map((r) => [r.label, normalized(blobToVector(r.vector))]));
    assert.deepEqual(live.tail.labels(), [...expected.keys()]);
    for (const [label, v] of expected) assert.deepEqual(live.tail.vectorOf(label), v, `label ${label}`);
    assert.ok(!graph.has(store.labelOf(updated)!), 'the updated record left the graph');
    assert.equal(graph.size(), snapshotted - 2, 'the updated and the deleted record left the graph');
    store.close();
    return { waiting: expected.size, count: live.count, throughSeqIndex };
  }

  it('opening with records waiting fills the tail with exactly what SQLite has after the snapshot', () => {
    const { waiting, throughSeqIndex } = openWithWaiting(4000, 9000, 'w10');
    assert.equal(waiting, 5001);
    assert.equal(throughSeqIndex, false, 'many waiting: the batched walk');
  });

  it('opening with few records waiting (read through the seq index) fills the tail with exactly them', () => {
    const { waiting, count, throughSeqIndex } = openWithWaiting(5000, 5300, 'w7');
    assert.equal(waiting, 301);
    // More than SYNC_INDEX_LIMIT (fewer would go into the graph at opening), under 1/FEW of all.
    assert.ok(waiting > SYNC_INDEX_LIMIT && waiting * FEW < count, `${waiting} of ${count} waiting`);
    assert.equal(throughSeqIndex, true, 'few waiting: through the seq index');
  });

  it('opening reads wide vectors in batches under SQLite’s size limit, and a snapshot followed by deletions only leaves an empty tail', () => {
    const dir = tempDir();
    const store = new RecordStore(join(dir, 'records.db'));
    const d = 8192; // 32 KB a vector: 512 a batch
    const config = resolveConfig({ dimension: d });
    const wide = (i: number) => Array.from({ length: d }, (_, j) => Math.sin(i * 31 + j));
    store.upsert(Array.from({ length: 600 }, (_, i) => prepareRecord({ id: `x${i}`, vector: wide(i) }, d, 'r')));
    const live = new LiveIndex(dir, config, store, { insertThreads: 1, deferIndexing: true }, memoryLogger());
    live.adopt(createIndex(config, 1), 0, 0);
    assert.equal(live.tail.size(), 600);
    for (const i of [0, 511, 512, 599]) assert.deepEqual(live.tail.vectorOf(store.labelOf(`x${i}`)!), normalized(Float32Array.from(wide(i))), `x${i}`);
    store.close();

    const dir2 = tempDir();
    const store2 = new RecordStore(join(dir2, 'records.db'));
    const config2 = resolveConfig({ dimension: 100 });
    store2.upsert(records(0, 1000).map((r, k) => prepareRecord(r, 100, `records[${k}]`)));
    const seq = seqOf(store2);
    const graph = createIndex(config2, 1);
    const rows = [...store2.changedSince(0)];
    graph.add(rows.map((r) => r.label), Float32Array.from(rows.flatMap((r) => Array.from(normalized(blobToVector(r.vector))))));
    store2.deleteLabels(Array.from({ length: 900 }, (_, i) => store2.labelOf(`w${i}`)!));
    const live2 = new LiveIndex(dir2, config2, store2, { insertThreads: 1, deferIndexing: true }, memoryLogger());
    live2.adopt(graph, seq, 0);
    assert.equal(live2.tail.size(), 0);
    assert.equal(live2.index.size(), 100, 'the deleted records left the graph (rebuilt at once: a small graph worn by removals)');
    store2.close();
  });

  it('closing with records still waiting loses nothing: the next open catches up from SQLite', async () => {
    const dir = join(tempDir(), 'c');
    const c = await Collection.create(dir, { dimension: 100 }, opts);
    c.upsert(records(0, 2000));
    await c.indexed();
    c.upsert(records(2000, 4000));
    await c.close(); // the tail was never built into a snapshot
    const again = await Collection.open(dir, opts);
    assert.equal(again.count(), 4000);
    const all = records(0, 4000);
    for (const q of queries.slice(0, 10)) assert.deepEqual(ids(again, q), truth(all.map((r) => r.id), all.map((r) => r.vector), q));
    await again.indexed();
    assert.equal(again.stats().indexSize, 4000);
    await again.close();
    // Without deferral (the engine's default) the same files open with a complete graph.
    const plain = await Collection.open(dir, { logger: memoryLogger() });
    assert.equal(plain.stats().unindexed, 0);
    assert.equal(plain.stats().indexSize, 4000);
    await plain.close();
  });

  it('small writes and flat collections are indexed at once, as without deferral', async () => {
    const c = await Collection.create(join(tempDir(), 'c'), { dimension: 100 }, opts);
    c.upsert(records(0, SYNC_INDEX_LIMIT));
    assert.equal(c.stats().unindexed, 0);
    assert.equal(c.stats().indexSize, SYNC_INDEX_LIMIT);
    await c.close();
    const f = await Collection.create(join(tempDir(), 'f'), { dimension: 100, index: { type: 'flat' } }, opts);
    f.upsert(records(0, 1000));
    assert.equal(f.stats().unindexed, 0);
    await f.close();
  });

  it('opening never waits for the graph: a missing or lagging snapshot leaves the rest in the tail, answered exactly at once', async () => {
    const dir = join(tempDir(), 'c');
    const c = await Collection.create(dir, { dimension: 100 }, opts);
    c.upsert(records(0, 3000));
    await c.indexed();
    c.upsert(records(3000, 5000));
    await c.close(); // the snapshot covers 3,000; 2,000 wait
    const all = records(0, 5000);
    const check = (col: Collection) => {
      for (const q of queries.slice(0, 10)) assert.deepEqual(ids(col, q), truth(all.map((r) => r.id), all.map((r) => r.vector), q));
    };
    let again = await Collection.open(dir, opts);
    assert.equal(again.stats().unindexed, 2000, 'what the snapshot lacks waits in the tail');
    assert.equal(again.stats().indexSize, 3000);
    check(again);
    await again.discard(); // no save: the snapshot stays behind
    // No usable snapshot at all (deleted, as after a crash before the first): everything waits.
    for (const f of readdirSync(dir)) if (f.startsWith('index-') || f === 'snapshot.json') rmSync(join(dir, f));
    again = await Collection.open(dir, opts);
    assert.equal(again.stats().unindexed, 5000);
    assert.equal(again.stats().indexSize, 0);
    check(again);
    await again.indexed();
    assert.equal(again.stats().unindexed, 0);
    assert.equal(again.stats().indexSize, 5000);
    assert.ok(again.stats().snapshotSeq > 0, 'the background build wrote the snapshot');
    await again.close();
  });
});

