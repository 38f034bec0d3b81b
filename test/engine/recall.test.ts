/**
 * Recall of the HNSW index against the exact index, on real GloVe 100-d word vectors
 * (20k in the index, held-out words as queries), for every metric and storage type.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { Collection, type Metric, type StorageType } from '../../src/engine/index.js';
import { gloveFixture, hitIds, row } from '../support/glove.js';
import { memoryLogger, tempDir } from '../support/tmp.js';

const N = 20000;
const K = 10;
const quiet = { logger: memoryLogger() };

describe('HNSW recall@10 vs the exact index on 20k GloVe vectors, default settings', () => {
  const data = gloveFixture(N, 200, K);
  const { g, queries, recall } = data;
  const truth = new Map<Metric, string[][]>();
  before(() => {
    for (const m of ['cosine', 'dot', 'l2'] as Metric[]) truth.set(m, data.truth(m));
  });

  const cases: [Metric, StorageType, number][] = [
    ['cosine', 'f32', 0.95],
    ['cosine', 'f16', 0.95],
    ['cosine', 'i8', 0.95],
    ['dot', 'f32', 0.95],
    ['dot', 'f16', 0.95],
    ['l2', 'f32', 0.95],
    ['l2', 'f16', 0.95],
  ];
  for (const [metric, storage, floor] of cases) {
    it(`${metric} ${storage}: recall ≥ ${floor}`, async () => {
      const c = await Collection.create(join(tempDir(), 'c'), { dimension: 100, metric, storage }, quiet);
      data.fill(c, (w) => ({ bucket: w % 100, even: w % 2 === 0 }));
      const got = queries.map((q) => hitIds(c.search({ vector: row(g, q), k: K, include: 'id' })));
      const r = recall(got, truth.get(metric)!);
      console.log(`# recall@10 ${metric} ${storage} = ${r.toFixed(4)}`);
      assert.ok(r >= floor, `recall ${r} < ${floor}`);
      // The engine's own exact path agrees with the oracle.
      const exact = queries.slice(0, 20).map((q) => hitIds(c.search({ vector: row(g, q), k: K, exact: true, include: 'id' })));
      assert.equal(recall(exact, truth.get(metric)!.slice(0, 20)), 1);
      await c.close();
    });
  }
});

describe('filtered search on 20k GloVe vectors', () => {
  const data = gloveFixture(N, 100, K);
  const { g, base, queries } = data;
  let c: Collection;
  before(async () => {
    c = await Collection.create(join(tempDir(), 'c'), { dimension: 100 }, quiet);
    c.upsert(data.records(base, (w) => ({ bucket: w % 100, even: w % 2 === 0, tenth: w % 10, rare: w < 15 })));
  });

  const filters: [string, Record<string, unknown>, string][] = [
    ['selective (1%)', { bucket: 7 }, 'exact-filtered'],
    ['selective compound', { $and: [{ bucket: { $in: [1, 2] } }, { even: true }] }, 'exact-filtered'],
    ['broad (50%)', { even: true }, 'hnsw-filtered'],
    ['broad (10%)', { tenth: 3 }, 'hnsw-filtered'],
    ['broad negation (90%)', { tenth: { $ne: 3 } }, 'hnsw-filtered'],
  ];
  for (const [name, filter, plan] of filters) {
    it(`${name}: plans ${plan} and matches exact filtered search`, () => {
      let hits = 0;
      let total = 0;
      for (const q of queries) {
        const vector = row(g, q);
        const got = c.search({ vector, k: K, filter, include: 'id' });
        const want = c.search({ vector, k: K, filter, include: 'id', exact: true });
        assert.equal(got.plan, plan);
        assert.equal(got.hits.length, K);
        const w = new Set(want.hits.map((h) => h.id));
        hits += got.hits.filter((h) => w.has(h.id)).length;
        total += K;
        if (plan === 'exact-filtered') assert.deepEqual(got.hits, want.hits);
      }
      console.log(`# filtered recall ${name} = ${(hits / total).toFixed(4)}`);
      assert.ok(hits / total >= 0.95, `filtered recall ${hits / total}`);
    });
  }

  it('returns k results whenever k matching records exist, and all of them when fewer', () => {
    const vector = row(g, queries[0]);
    assert.equal(c.search({ vector, k: 10, filter: { rare: true } }).hits.length, 10);
    assert.equal(c.search({ vector, k: 20, filter: { rare: true } }).hits.length, 15);
    assert.equal(c.search({ vector, k: 10, filter: { bucket: 1000 } }).hits.length, 0);
    // Broad filter, but the nearest neighbours all fail it: widening must still find k.
    const nearest = c.search({ vector, k: 50, include: 'id' }).hits.map((h) => h.id);
    const r = c.search({ vector, k: 10, filter: { $and: [{ even: true }, { $not: { $or: [{ bucket: { $in: [0, 2] } }] } }] } });
    assert.equal(r.hits.length, 10);
    assert.ok(nearest.length === 50);
  });
});

describe('batched search (concurrent queries run as one multi-threaded batch)', () => {
  const data = gloveFixture(5000, 100, K);
  const { g, base, queries } = data;
  for (const storage of ['f32', 'i8'] as StorageType[]) {
    it(`${storage}: answers exactly what one-at-a-time search answers`, async () => {
      const c = await Collection.create(join(tempDir(), 'c'), { dimension: 100, storage }, quiet);
      const all = data.records(base, (w) => ({ w }));
      // Odd batch sizes, so the index grows inside and between batches.
      for (let i = 0, n = 1; i < all.length; i += n, n = n * 3 + 1) c.upsert(all.slice(i, i + n));
      const reqs = queries.map((q, i) => ({ vector: row(g, q), k: 1 + (i % 12), ef: i % 3 === 0 ? 40 : undefined, include: (i % 2 ? 'id' : 'payload') as 'id' | 'payload' }));
      const one = reqs.map((r) => c.search(r));
      const batched = await Promise.all(reqs.map((r) => c.searchBatched(r)));
      assert.deepEqual(batched, one);
      // Filtered and exact requests take their usual paths.
      const f = await c.searchBatched({ vector: row(g, queries[0]), k: 5, filter: { w: { $lt: 100 } } });
      assert.deepEqual(f, c.search({ vector: row(g, queries[0]), k: 5, filter: { w: { $lt: 100 } } }));
      await assert.rejects(c.searchBatched({ vector: [1, 2], k: 5 }), /dimension|100/);
      const pending = c.searchBatched({ vector: row(g, queries[0]), k: 5 });
      await c.close();
      await assert.rejects(pending, (e: Error & { code?: string }) => e.code === 'COLLECTION_CLOSED');
    });
  }
});
