import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Collection, Database } from '../../src/engine/index.js';
import { HTTP_STATUS } from '../../src/api/error-codes.js';
import { resolveConfig } from '../../src/engine/collection-config.js';
import { VectraError } from '../../src/errors.js';
import { memoryLogger, tempDir } from '../support/tmp.js';

const quiet = { logger: memoryLogger() };

function code(c: string) {
  return (e: unknown) => e instanceof VectraError && e.code === c;
}

describe('default storage', () => {
  it('a cosine graph keeps f16 and answers exact scores; dot, l2 and flat keep f32', async () => {
    assert.equal(resolveConfig({ dimension: 3 }).storage, 'f16');
    assert.equal(resolveConfig({ dimension: 3, metric: 'dot' }).storage, 'f32');
    assert.equal(resolveConfig({ dimension: 3, metric: 'l2' }).storage, 'f32');
    assert.equal(resolveConfig({ dimension: 3, index: { type: 'flat' } }).storage, 'f32');
    assert.equal(resolveConfig({ dimension: 3, storage: 'f32' }).storage, 'f32');
    const c = await Collection.create(join(tempDir(), 'c'), { dimension: 3 }, quiet);
    c.upsert([
      { id: 'a', vector: [0.1234567, 0.7654321, 0.3333333] },
      { id: 'b', vector: [0.3, 0.2, 0.1] },
    ]);
    // Rescored from the f32 vectors: the score is the exact cosine, not f16's rounding of it.
    const hits = c.search({ vector: [0.3, 0.2, 0.1], k: 2 }).hits;
    const dot = 0.1234567 * 0.3 + 0.7654321 * 0.2 + 0.3333333 * 0.1;
    const exact = dot / Math.hypot(0.1234567, 0.7654321, 0.3333333) / Math.hypot(0.3, 0.2, 0.1);
    assert.equal(hits[0].id, 'b');
    assert.ok(Math.abs(hits[0].score - 1) < 1e-6, `self ${hits[0].score}`);
    assert.ok(Math.abs(hits[1].score - exact) < 1e-6, `${hits[1].score} vs ${exact}`);
  });
});

describe('collection records', () => {
  it('upserts, gets, updates by id, and counts', async () => {
    const c = await Collection.create(join(tempDir(), 'c'), { dimension: 3 }, quiet);
    const r = c.upsert([
      { id: 'a', vector: [1, 0, 0], text: 'alpha', metadata: { n: 1 } },
      { vector: [0, 1, 0] },
    ]);
    assert.equal(r.ids[0], 'a');
    assert.match(r.ids[1], /^[0-9a-f-]{36}$/, 'a missing id is generated');
    assert.equal(r.inserted, 2);
    assert.equal(c.count(), 2);
    const a = c.get('a', { includeVector: true })!;
    assert.deepEqual([a.id, a.text, a.metadata, a.vector], ['a', 'alpha', { n: 1 }, [1, 0, 0]]);
    assert.equal(c.get('a')!.vector, undefined, 'vector only on request');

    const u = c.upsert([{ id: 'a', vector: [0, 0, 1], text: 'beta', metadata: { n: 2 } }]);
    assert.deepEqual([u.inserted, u.updated], [0, 1]);
    assert.equal(c.count(), 2);
    const a2 = c.get('a', { includeVector: true })!;
    assert.deepEqual([a2.text, a2.metadata, a2.vector], ['beta', { n: 2 }, [0, 0, 1]]);
    assert.equal(a2.createdAt, a.createdAt);
    // The index follows the update: the old vector no longer finds it first.
    assert.equal(c.search({ vector: [0, 0, 1], k: 1 }).hits[0].id, 'a');
    assert.notEqual(c.search({ vector: [1, 0, 0], k: 1 }).hits[0].id, 'a');
    assert.equal(c.get('nope'), null);
    await c.close();
  });

  it('a batch with one bad record stores nothing, and the error names the record', async () => {
    const c = await Collection.create(join(tempDir(), 'c'), { dimension: 2 }, quiet);
    c.upsert([{ id: 'keep', vector: [1, 1] }]);
    const bad = [
      [{ id: 'x', vector: [1, 2] }, { id: 'y', vector: [1, 2, 3] }],
      [{ id: 'x', vector: [1, 2] }, { id: 'y', vector: [1, Number.NaN] }],
      [{ id: 'x', vector: [1, 2] }, { id: 'y', vector: [1, 1e39] }],
      [{ id: 'x', vector: [1, 2] }, { id: 'y', vector: 'not base64!' }],
      [{ id: 'x', vector: [1, 2] }, { id: 'y', vector: 42 }],
      [{ id: 'x', vector: [1, 2] }, { id: '', vector: [1, 2] }],
      [{ id: 'x', vector: [1, 2] }, { id: 'y', vector: [1, 2], metadata: { 'a.b': 1 } }],
      [{ id: 'x', vector: [1, 2] }, { id: 'y', vector: [1, 2], metadata: [1] }],
    ];
    const expected = [
      'records[1].vector has 3 dimensions but the collection expects 2',
      'records[1].vector[1] is null; every component must be a finite number',
      'records[1].vector[1] = 1e+39 is outside the float32 range',
      'records[1].vector is a string but not standard base64',
      'records[1].vector must be an array of 2 numbers',
      'records[1].id: id must be a string of 1 to 256 characters',
      'records[1].metadata: key "a.b" is not allowed',
      'records[1].metadata: metadata must be a JSON object',
    ];
    for (const [i, batch] of bad.entries()) {
      assert.throws(() => c.upsert(batch as never), (e: unknown) => e instanceof VectraError && HTTP_STATUS[e.code] === 400 && e.message.startsWith(expected[i]), expected[i]);
    }
    assert.equal(c.count(), 1);
    assert.equal(c.get('x'), null);
    await c.close();
  });

  it('deletes by id and by filter; the index forgets them', async () => {
    const c = await Collection.create(join(tempDir(), 'c'), { dimension: 2, metric: 'l2' }, quiet);
    c.upsert(Array.from({ length: 50 }, (_, i) => ({ id: `r${i}`, vector: [i, 0], metadata: { even: i % 2 === 0, i } })));
    assert.equal(c.delete(['r0', 'r1', 'missing']), 2);
    assert.equal(c.deleteWhere({ even: true, i: { $lt: 10 } }), 4);
    assert.equal(c.count(), 44);
    assert.deepEqual(c.search({ vector: [0, 0], k: 3, include: 'id' }).hits.map((h) => h.id), ['r3', 'r5', 'r7']);
    assert.throws(() => c.deleteWhere({}), code('INVALID_FILTER'));
    assert.equal(c.count({ even: false }), 25 - 1);
    await c.close();
  });

  it('lists records by id with a cursor, optionally filtered', async () => {
    const c = await Collection.create(join(tempDir(), 'c'), { dimension: 1 }, quiet);
    c.upsert(Array.from({ length: 25 }, (_, i) => ({ id: `id${String(i).padStart(2, '0')}`, vector: [1], metadata: { g: i % 3 } })));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = c.list({ limit: 10, cursor });
      seen.push(...page.records.map((r) => r.id));
      cursor = page.nextCursor;
    } while (cursor);
    assert.equal(seen.length, 25);
    assert.deepEqual(seen, [...seen].sort());
    const g0 = c.list({ limit: 100, filter: { g: 0 } });
    assert.equal(g0.records.length, 9);
    assert.equal(g0.nextCursor, null);
    assert.throws(() => c.list({ cursor: 'garbage!' }), code('INVALID_CURSOR'));
    assert.throws(() => c.list({ limit: 0 }), code('INVALID_ARGUMENT'));
    // `from`: inclusive, by the caller's own id (present or not).
    assert.deepEqual(c.list({ limit: 3, from: 'id10' }).records.map((r) => r.id), ['id10', 'id11', 'id12']);
    assert.deepEqual(c.list({ limit: 2, from: 'id105' }).records.map((r) => r.id), ['id11', 'id12']);
    assert.deepEqual(c.list({ limit: 2, from: 'id10', filter: { g: 0 } }).records.map((r) => r.id), ['id12', 'id15']);
    assert.throws(() => c.list({ from: 'id10', cursor: g0.nextCursor ?? 'x' }), code('INVALID_ARGUMENT'));
    await c.close();
  });

  it('filters by record id ($ids) in every plan: exact, graph-filtered, count, list and delete', async () => {
    const c = await Collection.create(join(tempDir(), 'c'), { dimension: 2, metric: 'l2' }, quiet);
    c.upsert(Array.from({ length: 3000 }, (_, i) => ({ id: `r${i}`, vector: [i, 0], metadata: { even: i % 2 === 0 } })));
    const few = c.search({ vector: [0, 0], k: 3, filter: { $ids: ['r7', 'r2', 'r2999', 'nope'] }, include: 'id' });
    assert.equal(few.plan, 'exact-filtered');
    assert.deepEqual(few.hits.map((h) => h.id), ['r2', 'r7', 'r2999']);
    // Most records pass: the graph is walked with the predicate, which reads the id.
    const many = c.search({ vector: [0, 0], k: 3, filter: { $not: { $ids: ['r0', 'r1'] } }, include: 'id' });
    assert.equal(many.plan, 'hnsw-filtered');
    assert.deepEqual(many.hits.map((h) => h.id), ['r2', 'r3', 'r4']);
    assert.equal(c.count({ $ids: ['r1', 'r2', 'x'], even: true }), 1);
    assert.deepEqual(c.list({ filter: { $or: [{ $ids: ['r5'] }, { $ids: ['r50'] }] } }).records.map((r) => r.id), ['r5', 'r50']);
    assert.equal(c.deleteWhere({ $ids: ['r1', 'r3'] }), 2);
    assert.equal(c.count(), 2998);
    await c.close();
  });

  it('scores: cosine similarity, dot product, Euclidean distance', async () => {
    const dir = tempDir();
    for (const [metric, want] of [['cosine', 0.6], ['dot', 6], ['l2', Math.sqrt(17)]] as const) {
      const c = await Collection.create(join(dir, metric), { dimension: 2, metric }, quiet);
      c.upsert([{ id: 'a', vector: [3, 4] }]);
      for (const exact of [false, true]) {
        const hit = c.search({ vector: [2, 0], k: 1, exact }).hits[0];
        assert.ok(Math.abs(hit.score - want) < 1e-5, `${metric} exact=${exact}: ${hit.score} vs ${want}`);
      }
      await c.close();
    }
  });

  it('rejects bad configs and bad queries with clear errors', async () => {
    const dir = tempDir();
    const configs: [object, RegExp][] = [
      [{ dimension: 0 }, /dimension must be an integer from 1/],
      [{ dimension: 2.5 }, /dimension must be an integer/],
      [{ dimension: 4, metric: 'hamming' }, /metric must be one of cosine, dot, l2/],
      [{ dimension: 4, storage: 'i8', metric: 'l2' }, /storage "i8" needs metric "cosine"/],
      [{ dimension: 4, index: { type: 'flat', m: 8 } }, /index.m applies only to index type "hnsw"/],
      [{ dimension: 4, index: { type: 'hnsw', m: 1 } }, /index.m must be an integer from 2 to 128/],
    ];
    for (const [cfg, msg] of configs) {
      await assert.rejects(Collection.create(join(dir, 'x'), cfg as never, quiet), (e: unknown) => code('INVALID_COLLECTION_CONFIG')(e) && msg.test((e as Error).message));
    }
    const c = await Collection.create(join(dir, 'ok'), { dimension: 2 }, quiet);
    assert.throws(() => c.search({ vector: [1], k: 1 }), code('DIMENSION_MISMATCH'));
    assert.throws(() => c.search({ vector: [1, 0], k: 0 }), code('INVALID_ARGUMENT'));
    assert.throws(() => c.search({ vector: [1, 0], k: 10001 }), code('INVALID_ARGUMENT'));
    assert.throws(() => c.search({ vector: [1, 0], k: 1, filter: { a: { $foo: 1 } } }), code('INVALID_FILTER'));
    assert.deepEqual(c.search({ vector: [1, 0], k: 5 }).hits, [], 'empty collection answers no hits');
    await c.close();
  });
});

describe('database of collections', () => {
  it('creates, lists, reopens, refuses duplicates and drops with its files', async () => {
    const root = tempDir();
    const db = Database.open(root, quiet);
    await db.ready;
    const c = await db.create('docs', { dimension: 2 });
    c.upsert([{ id: 'a', vector: [1, 0], metadata: { k: 'v' } }]);
    await assert.rejects(db.create('docs', { dimension: 2 }), code('COLLECTION_EXISTS'));
    await assert.rejects(db.create('../evil', { dimension: 2 }), code('INVALID_ARGUMENT'));
    await assert.rejects(db.create('a/b', { dimension: 2 }), code('INVALID_ARGUMENT'));
    await assert.rejects(db.create('x', { dimension: -1 }), code('INVALID_COLLECTION_CONFIG'));
    assert.deepEqual(db.names(), ['docs'], 'a failed create leaves nothing behind');
    // A config the caller got wrong is the caller's error, answered to it: not logged as a
    // collection that failed to open (found by test/reliability/fuzz.test.ts).
    assert.deepEqual(quiet.logger.lines.filter((l) => l.level === 'error'), []);
    assert.deepEqual(readdirSync(root), ['docs']);
    await db.close();

    const db2 = Database.open(root, quiet);
    await db2.ready;
    assert.deepEqual(db2.get('docs').get('a')!.metadata, { k: 'v' });
    assert.throws(() => db2.get('nope'), code('COLLECTION_NOT_FOUND'));
    await db2.drop('docs');
    assert.equal(existsSync(join(root, 'docs')), false);
    assert.deepEqual(readdirSync(root), []);
    assert.throws(() => c.search({ vector: [1, 0], k: 1 }), code('COLLECTION_CLOSED'));
    await db2.close();
  });

  it('a create of a name being dropped waits for the drop (found by the fuzzer: ENOTEMPTY, a 500)', async () => {
    const root = tempDir();
    const db = Database.open(root, { ...quiet, deferIndexing: true });
    await db.ready;
    for (let round = 0; round < 5; round++) {
      const c = await db.create('txt', { dimension: 32 });
      // A write large enough for a background build: closing the collection waits for it.
      c.upsert(Array.from({ length: 3000 }, (_, i) => ({ id: `r${i}`, vector: Array.from({ length: 32 }, (_, j) => Math.sin(i * 32 + j)) })));
      const dropped = db.drop('txt');
      const again = db.create('txt', { dimension: 32 });
      const twice = db.create('txt', { dimension: 32 });
      // While the drop closes the old one, the name is neither loading nor there: a 404, not a 503.
      assert.throws(() => db.get('txt'), code('COLLECTION_NOT_FOUND'));
      await dropped;
      await assert.rejects(twice, code('COLLECTION_EXISTS'));
      const fresh = await again;
      assert.equal(fresh.count(), 0, `round ${round}: the new collection starts empty`);
      fresh.upsert([{ id: 'new', vector: Array.from({ length: 32 }, () => 1) }]);
      assert.equal(fresh.count(), 1);
      await db.drop('txt');
    }
    assert.deepEqual(readdirSync(root), []);
    await db.close();
  });
});
