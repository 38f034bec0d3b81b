/**
 * usearch 2.25.3 cannot take unlimited removals (see `maxRemovals` in src/engine/hnsw-index.ts):
 * its key table fills with tombstones until `remove` misses keys it holds, and reloading a file
 * with many removed nodes overflows a buffer in its JS `load`. The fuzz run found the first (an
 * index rebuild per occurrence, and a 500); the first workaround tried found the second (the
 * server died with malloc_consolidate()). Here: the raw library reaching the first bug, and a
 * small collection churned through both limits without either.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type * as Usearch from 'usearch';
import { Collection } from '../../src/engine/index.js';
import { maxRemovals } from '../../src/engine/hnsw-index.js';
import { mulberry32 } from '../../src/random.js';
import { memoryLogger, tempDir } from '../support/tmp.js';

const { Index } = createRequire(import.meta.url)('usearch') as typeof Usearch;
const D = 4;

describe('HNSW under many removals (usearch limits)', () => {
  it('raw usearch 2.25.3: after enough deletes and inserts, remove misses a key it holds (the upstream bug)', () => {
    const idx = new Index({ dimensions: D, metric: 'ip', quantization: 'f32', connectivity: 16, expansion_add: 64, expansion_search: 1, multi: false } as unknown as Usearch.IndexConfig);
    const random = mulberry32(7);
    const v = () => Float32Array.from({ length: D }, () => random() - 0.5);
    // Growing adds get 2 threads so the index keeps a search context per core, as HnswIndex does.
    const add = (k: number) => idx.add(BigInt(k), v(), idx.size() + 1 >= idx.capacity() ? 2 : 1);
    const live: number[] = [];
    let next = 1;
    let missed: number | null = null;
    for (let step = 0; step < 20_000 && missed === null; step++) {
      if (live.length < 60 && (live.length < 20 || random() < 0.4)) {
        add(next);
        live.push(next++);
        continue;
      }
      const at = Math.floor(random() * live.length);
      const key = live[at];
      if ((idx.remove(BigInt(key)) as number) !== 1) missed = key;
      else if (random() < 0.5) live.splice(at, 1);
      else add(key);
    }
    // If this fails after a usearch upgrade, the bug may be fixed upstream: maxRemovals can relax.
    assert.notEqual(missed, null, 'usearch removed every key it held');
    assert.equal(idx.contains(BigInt(missed!)), true, 'the key it failed to remove is still there');
  });

  it('the limit: max(40 − live, live / 4) removals, none when nothing is live', () => {
    assert.deepEqual([0, 1, 10, 30, 100, 1000, 100_000].map(maxRemovals), [0, 39, 30, 10, 25, 250, 25_000]);
  });

  it('every record deleted, then reopened: the process survives and the collection is empty and usable', async () => {
    // Before the limit was 0 for an empty graph, this reopen aborted the process in malloc().
    for (const storage of ['f32', 'f16'] as const) {
      const dir = join(tempDir(), 'c');
      let c = await Collection.create(dir, { dimension: D, storage }, { logger: memoryLogger() });
      c.upsert(Array.from({ length: 25 }, (_, i) => ({ id: `r${i}`, vector: [i, 1, 2, 3] })));
      c.deleteWhere({ gone: { $exists: false } });
      await c.close();
      c = await Collection.open(dir, { logger: memoryLogger() });
      assert.equal(c.count(), 0);
      c.upsert([{ id: 'again', vector: [1, 2, 3, 4] }]);
      assert.deepEqual(c.search({ vector: [1, 2, 3, 4], k: 3, include: 'id' }).hits.map((h) => h.id), ['again']);
      await c.close();
    }
  });

  it('reopened after a crash that left many rewrites to replay: a small graph worn past the limit is rebuilt at once, every record found', async () => {
    // The document crash test found it: replaying 105 rewrites onto a snapshot of 35 records
    // left a graph of 35 records and over 100 removed entries serving searches that missed
    // records it held, until a write or the snapshot timer compacted it.
    const dir = join(tempDir(), 'c');
    const vec = (i: number, ver: number) => [Math.sin(i * 7 + ver), Math.cos(i * 3 + ver), Math.sin(i + ver * 5), 1];
    let c = await Collection.create(dir, { dimension: D }, { logger: memoryLogger() });
    c.upsert(Array.from({ length: 35 }, (_, i) => ({ id: `r${i}`, vector: vec(i, 0) })));
    await c.close();
    c = await Collection.open(dir, { logger: memoryLogger(), snapshotEvery: 1_000_000 });
    for (let ver = 1; ver <= 3; ver++) c.upsert(Array.from({ length: 35 }, (_, i) => ({ id: `r${i}`, vector: vec(i, ver) })));
    await c.discard(); // as a crash: no snapshot saved, SQLite has every write
    c = await Collection.open(dir, { logger: memoryLogger() });
    assert.equal(c.stats().deadEntries, 0, 'rebuilt on open, not served worn');
    for (let i = 0; i < 35; i++) assert.equal(c.search({ vector: vec(i, 3), k: 1, include: 'id' }).hits[0]?.id, `r${i}`);
    await c.close();
  });

  it('a small collection churned by upserts and deletes, reopened along the way: never loses a key, never logs an error', async () => {
    const log = memoryLogger();
    const dir = join(tempDir(), 'c');
    let c = await Collection.create(dir, { dimension: D }, { logger: log, snapshotEvery: 200 });
    const random = mulberry32(11);
    const v = () => Array.from({ length: D }, () => random() - 0.5);
    const live = new Set<string>();
    let next = 0;
    for (let step = 0; step < 3000; step++) {
      const r = random();
      if (r < 0.45) {
        // 1–4 records, new or existing ids, as an API client sends them.
        const ids = Array.from({ length: 1 + Math.floor(random() * 4) }, () => (live.size > 20 && random() < 0.6 ? [...live][Math.floor(random() * live.size)] : `r${next++}`));
        c.upsert(ids.map((id) => ({ id, vector: v() })));
        ids.forEach((id) => live.add(id));
      } else if (r < 0.75 && live.size > 20) {
        const ids = [...live].filter(() => random() < 0.1);
        c.delete(ids);
        ids.forEach((id) => live.delete(id));
      } else {
        const hits = c.search({ vector: v(), k: 5, include: 'id' }).hits;
        assert.equal(hits.length, Math.min(5, live.size));
      }
      if (step % 1000 === 999) {
        // Reopen: loads whatever snapshot the collection saved (with its removed entries).
        await c.close();
        c = await Collection.open(dir, { logger: log, snapshotEvery: 200 });
      }
      // Let background snapshot and compaction jobs finish now and then.
      if (step % 100 === 99) await new Promise((res) => setTimeout(res, 20));
    }
    assert.equal(c.count(), live.size);
    assert.equal(c.stats().indexSize, live.size);
    for (const id of live) assert.ok(c.get(id), `${id} is missing`);
    const exact = c.search({ vector: v(), k: 10, exact: true, include: 'id' }).hits.map((h) => h.id);
    assert.ok(exact.every((id) => live.has(id)));
    await c.close();
    const errors = log.lines.filter((l) => l.level === 'error');
    assert.deepEqual(errors.map((e) => `${e.msg}: ${JSON.stringify(e.obj)}`), []);
  });
});
