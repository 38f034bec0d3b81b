/**
 * The vector index is a cache of SQLite: a missing, truncated or corrupted snapshot is
 * rebuilt (with a log line, never an error) and search answers do not change; deletes are
 * compacted out; writes after the last snapshot are replayed.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Collection, type CollectionOptions } from '../../src/engine/index.js';
import { forEachBatch, readSnapshotMeta } from '../../src/engine/snapshot.js';
import { resolveConfig } from '../../src/engine/collection-config.js';
import { dataset, glove, row } from '../support/glove.js';
import { memoryLogger, tempDir } from '../support/tmp.js';

const N = 3000;

async function build(dir: string, opts: CollectionOptions) {
  const c = await Collection.create(dir, { dimension: 100 }, opts);
  const g = glove();
  const { base } = dataset(N, 1);
  c.upsert(base.map((w) => ({ id: g.words[w], vector: row(g, w), metadata: { w } })));
  await c.close();
}

function answers(c: Collection): string[][] {
  const { queries } = dataset(N, 40);
  return queries.map((q) => c.search({ vector: row(glove(), q), k: 10, include: 'id' }).hits.map((h) => h.id));
}

const damage: [string, (dir: string) => void][] = [
  ['deleted index file', (dir) => unlinkSync(join(dir, readSnapshotMeta(dir)!.file))],
  ['truncated index file', (dir) => truncateSync(join(dir, readSnapshotMeta(dir)!.file), 1000)],
  ['bytes flipped in the index file', (dir) => {
    const path = join(dir, readSnapshotMeta(dir)!.file);
    const buf = readFileSync(path);
    for (let i = 5000; i < 6000; i++) buf[i] ^= 0xff;
    writeFileSync(path, buf);
  }],
  ['garbage snapshot.json', (dir) => writeFileSync(join(dir, 'snapshot.json'), '{"format": 1, "file": 3')],
  ['deleted snapshot.json', (dir) => unlinkSync(join(dir, 'snapshot.json'))],
];

describe('snapshot recovery', () => {
  for (const [name, hurt] of damage) {
    for (const where of ['main thread', 'worker'] as const) {
      it(`${name}: rebuilt from SQLite on the ${where}, answers unchanged`, async () => {
        const dir = join(tempDir(), 'c');
        const logger = memoryLogger();
        // syncReplayLimit decides whether the rebuild runs inline or in a worker thread.
        // One insert thread makes builds deterministic, so the rebuilt graph is the same graph
        // and "answers unchanged" can be asserted exactly (multi-threaded builds differ run to run).
        const opts = { logger, syncReplayLimit: where === "worker" ? 10 : 100000, insertThreads: 1 };
        await build(dir, opts);
        const c1 = await Collection.open(dir, opts);
        const before = answers(c1);
        await c1.discard();
        assert.equal(logger.lines.filter((l) => l.level === 'warn').length, 0, 'a good snapshot loads silently');

        hurt(dir);
        const c2 = await Collection.open(dir, opts);
        assert.deepEqual(answers(c2), before);
        assert.equal(c2.stats().indexSize, N);
        const warn = logger.lines.find((l) => l.level === 'warn');
        assert.ok(warn && /rebuilding it from SQLite/.test(warn.msg), 'the rebuild is logged');
        await c2.discard();
        // The rebuilt index was saved: the next open loads it without a warning.
        logger.lines.length = 0;
        const c3 = await Collection.open(dir, opts);
        assert.deepEqual(answers(c3), before);
        assert.equal(logger.lines.length, 0);
        await c3.close();
      });
    }
  }

  it('replays writes and deletes made after the last snapshot', async () => {
    const dir = join(tempDir(), 'c');
    const logger = memoryLogger();
    await build(dir, { logger });
    const c = await Collection.open(dir, { logger });
    const g = glove();
    c.upsert([{ id: 'new-one', vector: row(g, 200000) }]);
    c.delete([g.words[0]]);
    await c.discard(); // like a crash: no snapshot at close
    const c2 = await Collection.open(dir, { logger });
    assert.equal(c2.search({ vector: row(g, 200000), k: 1, include: 'id' }).hits[0].id, 'new-one');
    assert.notEqual(c2.search({ vector: row(g, 0), k: 1, include: 'id' }).hits[0].id, g.words[0]);
    assert.equal(c2.stats().indexSize, N);
    await c2.close();
  });

  it('background snapshots follow writes; compaction gives memory and disk back', async () => {
    const dir = join(tempDir(), 'c');
    const logger = memoryLogger();
    const g = glove();
    const c = await Collection.create(dir, { dimension: 100 }, { logger, snapshotEvery: 1000 });
    const { base } = dataset(8000, 1);
    c.upsert(base.map((w) => ({ id: g.words[w], vector: row(g, w), metadata: { w } })));
    // Generous caps: a busy machine builds slowly; these wait for an outcome, they time nothing.
    for (let i = 0; i < 1200 && c.stats().snapshotSeq === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(c.stats().snapshotSeq, 8000, 'a worker wrote a snapshot covering the batch (8,000 changes)');
    const fullBytes = readSnapshotMeta(dir)!.bytes;

    assert.equal(c.deleteWhere({ w: { $gte: 2000 } }), 6000);
    // 6,000 removed entries against 2,000 live ones: the graph is rebuilt (at once, being small)
    // and a background snapshot replaces the old one.
    for (let i = 0; i < 1200 && (c.stats().deadEntries > 0 || readSnapshotMeta(dir)!.bytes >= fullBytes / 2); i++) await new Promise((r) => setTimeout(r, 50));
    const s = c.stats();
    assert.equal(s.deadEntries, 0);
    assert.equal(s.indexSize, 2000);
    assert.ok(readSnapshotMeta(dir)!.bytes < fullBytes / 2, 'the compacted snapshot is smaller on disk');
    assert.ok(statSync(join(dir, readSnapshotMeta(dir)!.file)).size < fullBytes / 2);
    const hit = c.search({ vector: row(g, 5), k: 1, include: 'id' }).hits[0];
    assert.equal(hit.id, g.words[5]);
    assert.equal(c.search({ vector: row(g, 5000), k: 10, include: 'id' }).hits.every((h) => g.words.indexOf(h.id) < 2000), true);
    await c.close();
  });
});

describe('forEachBatch', () => {
  const config = resolveConfig({ dimension: 2, metric: 'cosine' });
  const rowOf = (label: number, v: number[]) => ({ label, vector: Buffer.from(Float32Array.from(v).buffer) });

  it('gives batches of at most `batch` rows, their vectors prepared for the metric, in order', () => {
    const rows = Array.from({ length: 7 }, (_, i) => rowOf(i + 1, [3 * (i + 1), 4 * (i + 1)]));
    const seen: { labels: number[]; vectors: number[] }[] = [];
    forEachBatch(config, rows, undefined, (labels, vectors) => seen.push({ labels: [...labels], vectors: Array.from(vectors) }), 3);
    assert.deepEqual(seen.map((b) => b.labels), [[1, 2, 3], [4, 5, 6], [7]]);
    for (const b of seen) for (let i = 0; i < b.vectors.length; i += 2) {
      assert.ok(Math.abs(b.vectors[i] - 0.6) < 1e-6 && Math.abs(b.vectors[i + 1] - 0.8) < 1e-6, 'unit length (cosine)');
    }
  });

  it('allocates no more than an array of rows needs (a few relinked rows cost no full batch)', () => {
    const sizes: number[] = [];
    forEachBatch(config, [rowOf(1, [1, 0]), rowOf(2, [0, 1])], undefined, (_, vectors) => sizes.push(vectors.buffer.byteLength));
    assert.deepEqual(sizes, [2 * 2 * 4]);
  });

  it('refuses a stored vector of the wrong length rather than misalign the batch', () => {
    const rows = [rowOf(1, [1, 0]), rowOf(2, [1, 0, 0]), rowOf(3, [0, 1])];
    assert.throws(() => forEachBatch(config, rows, undefined, () => undefined, 8), (e: Error & { code?: string }) => e.code === 'INTERNAL' && /record 2: a stored vector of 3 numbers/.test(e.message));
  });
});
