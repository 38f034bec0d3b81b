/**
 * Graph builds on every core: a multi-threaded usearch build can leave nodes that no link
 * leads to, so no search returns them; graph-reach.ts finds them by traversing the links of
 * the saved graph, and relinkUnreachable re-inserts them single-threaded. The traversal is
 * checked against usearch itself (a node whose incoming links are cut from the file is not
 * found by any search of the loaded graph); the exact index is the oracle for recall.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Collection, FlatIndex } from '../../src/engine/index.js';
import { resolveConfig } from '../../src/engine/collection-config.js';
import { listAt, readSavedGraph, unreachableLabels } from '../../src/engine/graph-reach.js';
import { HnswIndex } from '../../src/engine/hnsw-index.js';
import { buildThreadsFor, FEW, readSnapshotMeta, relinkUnreachable } from '../../src/engine/snapshot.js';
import type { Metric } from '../../src/engine/types.js';
import { prepareVector } from '../../src/vector/math.js';
import { dataset, glove, row } from '../support/glove.js';
import { memoryLogger, tempDir } from '../support/tmp.js';

const g = glove();

function prepared(metric: Metric, n: number): Float32Array {
  const vectors = new Float32Array(n * g.dim);
  for (let i = 0; i < n; i++) vectors.set(prepareVector(metric, g.vectors.subarray(i * g.dim, (i + 1) * g.dim)), i * g.dim);
  return vectors;
}

function build(storage: 'f32' | 'f16', n: number, threads: number): { index: HnswIndex; vectors: Float32Array; config: ReturnType<typeof resolveConfig> } {
  const config = resolveConfig({ dimension: g.dim, storage });
  const vectors = prepared('cosine', n);
  const index = new HnswIndex(config, threads);
  for (let s = 0; s < n; s += 4096) {
    const to = Math.min(n, s + 4096);
    index.add(Array.from({ length: to - s }, (_, k) => s + k), vectors.subarray(s * g.dim, to * g.dim));
  }
  return { index, vectors, config };
}

/** The stored rows of these labels (GloVe row = label), as RecordStore.vectors gives them. */
const store = {
  vectors: (labels: number[]) => labels.map((l) => ({ label: l, vector: Buffer.from(g.vectors.buffer, g.vectors.byteOffset + l * g.dim * 4, g.dim * 4) })),
};

function recall(index: HnswIndex, vectors: Float32Array, n: number, ef: number): number {
  const { queries } = dataset(n, 100);
  const exact = new FlatIndex(g.dim, 'cosine');
  exact.add(Array.from({ length: n }, (_, i) => i), vectors);
  let hits = 0;
  for (const q of queries) {
    const v = prepareVector('cosine', Float32Array.from(row(g, q)));
    const truth = new Set(exact.search(v, 10).labels);
    hits += index.search(v, 10, ef).labels.filter((l) => truth.has(l)).length;
  }
  return hits / (queries.length * 10);
}

/** Cut every link to the nodes of `labels` out of the usearch file at `path`. */
function cutIncomingLinks(path: string, labels: number[]): void {
  const graph = readSavedGraph(path)!;
  const file = readFileSync(path);
  const slots = new Set<number>();
  for (let s = 0; s < graph.size; s++) if (labels.includes(Number(graph.view.getBigUint64(graph.offsets[s], true)))) slots.add(s);
  assert.equal(slots.size, labels.length);
  assert.ok(!slots.has(graph.entry), 'the entry point keeps its links');
  let cut = 0;
  for (let s = 0; s < graph.size; s++) {
    for (let level = 0; level <= graph.levels[s]; level++) {
      const list = graph.start + listAt(graph, s, level);
      const count = file.readUInt32LE(list);
      const kept = Array.from({ length: count }, (_, j) => file.readUInt32LE(list + 4 + 4 * j)).filter((t) => !slots.has(t));
      cut += count - kept.length;
      file.writeUInt32LE(kept.length, list);
      kept.forEach((t, j) => file.writeUInt32LE(t, list + 4 + 4 * j));
    }
  }
  assert.ok(cut >= labels.length, `cut ${cut} links`);
  writeFileSync(path, file);
}

describe('graph reachability (the links of a saved usearch graph)', () => {
  it('reads every node of a saved graph, and a single-threaded build leaves none unreachable', () => {
    const dir = tempDir();
    const { index } = build('f16', 3000, 1);
    const path = join(dir, 'g.usearch');
    index.save(path);
    const graph = readSavedGraph(path)!;
    assert.equal(graph.size, 3000);
    const keys = Array.from({ length: graph.size }, (_, s) => Number(graph.view.getBigUint64(graph.offsets[s], true))).sort((a, b) => a - b);
    assert.deepEqual(keys, Array.from({ length: 3000 }, (_, i) => i));
    assert.deepEqual(unreachableLabels(path), []);
    assert.deepEqual(index.unreachable(dir), []);
  });

  it('a node whose incoming links are cut is reported, no search finds it, and relinking brings it back', () => {
    const dir = tempDir();
    const { index, vectors, config } = build('f16', 3000, 1);
    const path = join(dir, 'g.usearch');
    index.save(path);
    const saved = readSavedGraph(path)!;
    const entryLabel = Number(saved.view.getBigUint64(saved.offsets[saved.entry], true));
    const victims = [17, 1234, 2999].filter((l) => l !== entryLabel);
    cutIncomingLinks(path, victims);
    assert.deepEqual(unreachableLabels(path).sort((a, b) => a - b), victims);

    const cut = new HnswIndex(config, 1);
    cut.load(path);
    assert.equal(cut.size(), 3000);
    for (const l of victims) {
      const found = cut.search(vectors.subarray(l * g.dim, (l + 1) * g.dim), 100, 3000).labels;
      assert.ok(!found.includes(l), `usearch found ${l} although no link leads to it`);
    }

    assert.deepEqual(relinkUnreachable(cut, config, store, dir), { removed: victims.length });
    assert.deepEqual(cut.unreachable(dir), []);
    assert.equal(cut.size(), 3000);
    for (const l of victims) assert.ok(cut.search(vectors.subarray(l * g.dim, (l + 1) * g.dim), 4, 64).labels.includes(l), `${l} found after relinking`);
  });

  it('refuses a file it does not recognise instead of guessing', () => {
    const dir = tempDir();
    const { index } = build('f32', 500, 1);
    const path = join(dir, 'g.usearch');
    index.save(path);
    const file = readFileSync(path);
    writeFileSync(join(dir, 'short'), file.subarray(0, file.length - 7));
    assert.throws(() => unreachableLabels(join(dir, 'short')), /ends at|takes/);
    const wrong = Buffer.from(file);
    wrong.write('xsearch', 8 + 500 * g.dim * 4, 'latin1');
    writeFileSync(join(dir, 'wrong'), wrong);
    assert.throws(() => unreachableLabels(join(dir, 'wrong')), /not a usearch 2.x file/);
  });
});

describe('multi-threaded graph builds', () => {
  it('after relinking a 2-thread build every node is reachable, and recall matches the exact oracle', () => {
    const n = 40000;
    const { index, vectors, config } = build('f16', n, 2);
    const dir = tempDir();
    const before = index.unreachable(dir);
    // What the traversal reports is what usearch cannot find: not even at ef 2000.
    for (const l of before) assert.ok(!index.search(vectors.subarray(l * g.dim, (l + 1) * g.dim), 100, 2000).labels.includes(l), `${l} reported unreachable but found`);
    const relinked = relinkUnreachable(index, config, store, dir);
    assert.equal(relinked.unchecked, undefined);
    assert.ok(relinked.removed >= before.length, `${relinked.removed} removals for ${before.length} unreachable`);
    assert.deepEqual(index.unreachable(dir), []);
    assert.equal(index.size(), n);
    const r = recall(index, vectors, n, 200);
    assert.ok(r >= 0.95, `recall@10 ${r}`);
  });

  it('a collection built in the background on two threads leaves no node unreachable', async () => {
    const n = 8000;
    const dir = join(tempDir(), 'c');
    const c = await Collection.create(dir, { dimension: g.dim }, { logger: memoryLogger(), deferIndexing: true, buildThreads: 2 });
    c.upsert(Array.from({ length: n }, (_, i) => ({ id: `w${i}`, vector: row(g, i) })));
    assert.ok(c.stats().unindexed > 0, 'the write waits for a background build');
    await c.indexed();
    assert.equal(c.stats().unindexed, 0);
    assert.equal(c.stats().indexSize, n);
    await c.close();
    const meta = readSnapshotMeta(dir)!;
    assert.equal(meta.count, n);
    assert.deepEqual(unreachableLabels(join(dir, meta.file)), []);
    const again = await Collection.open(dir, { logger: memoryLogger() });
    let missing = 0;
    for (let i = 0; i < n; i += 7) {
      const hits = again.search({ vector: row(g, i), k: 10, include: 'id', ef: 200 }).hits;
      if (!hits.some((h) => h.id === `w${i}`)) missing++;
    }
    assert.equal(missing, 0);
    await again.close();
  });

  it('dot-product collections build on one thread: a one-thread dot graph already leaves nodes unreachable', async () => {
    // Under inner product, short vectors are rarely anyone's nearest neighbour: relinking them
    // cannot fix that for good, so no multi-threaded build (and its relinking) is used there.
    const n = 8000;
    const single = new HnswIndex(resolveConfig({ dimension: g.dim, metric: 'dot' }), 1);
    single.add(Array.from({ length: n }, (_, i) => i), prepared('dot', n));
    assert.ok(single.unreachable(tempDir()).length > 0, 'a one-thread dot-product graph of GloVe leaves some nodes unreachable');
    const c = await Collection.create(join(tempDir(), 'd'), { dimension: g.dim, metric: 'dot' }, { logger: memoryLogger(), deferIndexing: true, buildThreads: 2 });
    c.upsert(Array.from({ length: 2000 }, (_, i) => ({ id: `w${i}`, vector: row(g, i) })));
    await c.indexed();
    assert.equal(c.stats().indexSize, 2000);
    await c.close();
  });

  it('a build inserts on every thread it is given, except into dot-product graphs, flat indexes and catch-ups of few records', () => {
    const cosine = resolveConfig({ dimension: 8 });
    assert.equal(buildThreadsFor(cosine, 2, Infinity, 0), 2, 'from scratch');
    assert.equal(buildThreadsFor(cosine, 2, 1000, 1000 * FEW), 2, 'a catch-up of 1/FEW of the graph');
    assert.equal(buildThreadsFor(cosine, 2, 999, 1000 * FEW), 1, 'a catch-up of fewer');
    assert.equal(buildThreadsFor(resolveConfig({ dimension: 8, metric: 'dot' }), 2, Infinity, 0), 1, 'dot product');
    assert.equal(buildThreadsFor(resolveConfig({ dimension: 8, index: { type: 'flat' } }), 2, Infinity, 0), 1, 'flat');
  });

  it('a check that cannot run (no room for the scratch file, say) is reported, and the graph kept', () => {
    const { index, config } = build('f32', 2000, 2);
    const res = relinkUnreachable(index, config, store, join(tempDir(), 'missing', 'dir'));
    assert.equal(res.removed, 0);
    assert.match(res.unchecked ?? '', /./);
    assert.equal(index.size(), 2000);
  });
});
