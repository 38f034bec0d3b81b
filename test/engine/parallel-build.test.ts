/**
 * Graph builds on every core: a multi-threaded usearch build can leave nodes that no search
 * returns; relinkUnreachable finds them by self-search and re-inserts them single-threaded.
 * The exact index is the oracle for recall; self-search is the oracle for reachability.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Collection, FlatIndex } from '../../src/engine/index.js';
import { resolveConfig } from '../../src/engine/collection-config.js';
import { HnswIndex } from '../../src/engine/hnsw-index.js';
import { relinkUnreachable } from '../../src/engine/snapshot.js';
import { prepareVector } from '../../src/vector/math.js';
import { dataset, glove, row } from '../support/glove.js';
import { memoryLogger, tempDir } from '../support/tmp.js';

const g = glove();

/** Nodes whose own vector does not find them (k 1 at `ef`), a duplicate at distance ~0 aside. */
function unfound(index: HnswIndex, vectors: Float32Array, n: number, ef: number): number[] {
  // Four hits: vectors that round to the same f16 vector (the default storage) tie.
  const found = index.searchMany(vectors.subarray(0, n * g.dim), 4, ef);
  return found.flatMap((r, i) => (r.labels.includes(i) || Math.abs(r.distances[3] ?? 1) <= 1.2e-3 ? [] : [i]));
}

describe('multi-threaded graph builds', () => {
  it('relinking leaves every node findable by its own vector, and recall matches the exact oracle', () => {
    const n = 40000;
    // f32: with f16 (the default) a relinked node stayed unfound at ef 32 in 2 of 4 builds
    // ("compulsive", whose nearest word is at distance 0.16); the next test covers f16.
    const config = resolveConfig({ dimension: g.dim, storage: 'f32' });
    const vectors = new Float32Array(n * g.dim);
    for (let i = 0; i < n; i++) vectors.set(prepareVector('cosine', g.vectors.subarray(i * g.dim, (i + 1) * g.dim)), i * g.dim);
    const index = new HnswIndex(config, 2);
    for (let s = 0; s < n; s += 4096) {
      const to = Math.min(n, s + 4096);
      index.add(Array.from({ length: to - s }, (_, k) => s + k), vectors.subarray(s * g.dim, to * g.dim));
    }
    const before = unfound(index, vectors, n, 32);
    const rows = (function* () {
      for (let i = 0; i < n; i++) yield { label: i, vector: Buffer.from(g.vectors.buffer, g.vectors.byteOffset + i * g.dim * 4, g.dim * 4) };
    })();
    const removed = relinkUnreachable(index, config, rows);
    assert.equal(removed, before.length, 'every node the check missed was relinked');
    assert.equal(index.size(), n);
    assert.deepEqual(unfound(index, vectors, n, 32), [], `still unfound after relinking ${before.length}`);

    const { queries } = dataset(n, 100);
    const exact = new FlatIndex(g.dim, 'cosine');
    exact.add(Array.from({ length: n }, (_, i) => i), vectors);
    let hits = 0;
    for (const q of queries) {
      const v = prepareVector('cosine', Float32Array.from(row(g, q)));
      const truth = new Set(exact.search(v, 10).labels);
      hits += index.search(v, 10, 200).labels.filter((l) => truth.has(l)).length;
    }
    assert.ok(hits / (queries.length * 10) >= 0.95, `recall@10 ${hits / (queries.length * 10)}`);
  });

  it('a collection built in the background on two threads finds every record by its own vector', async () => {
    const n = 8000;
    const c = await Collection.create(join(tempDir(), 'c'), { dimension: g.dim }, { logger: memoryLogger(), deferIndexing: true, buildThreads: 2 });
    c.upsert(Array.from({ length: n }, (_, i) => ({ id: `w${i}`, vector: row(g, i) })));
    assert.ok(c.stats().unindexed > 0, 'the write waits for a background build');
    await c.indexed();
    assert.equal(c.stats().unindexed, 0);
    assert.equal(c.stats().indexSize, n);
    let missing = 0;
    for (let i = 0; i < n; i++) {
      const hits = c.search({ vector: row(g, i), k: 1, include: 'id', ef: 32 }).hits;
      if (hits[0]?.id !== `w${i}` && (hits[0]?.score ?? 0) < 1 - 1e-6) missing++;
    }
    assert.equal(missing, 0);
    await c.close();
  });

  it('dot-product collections build on one thread (self-search cannot check them)', async () => {
    const c = await Collection.create(join(tempDir(), 'd'), { dimension: g.dim, metric: 'dot' }, { logger: memoryLogger(), deferIndexing: true, buildThreads: 2 });
    c.upsert(Array.from({ length: 2000 }, (_, i) => ({ id: `w${i}`, vector: row(g, i) })));
    await c.indexed();
    assert.equal(c.stats().indexSize, 2000);
    await c.close();
  });
});
