/**
 * Collection.replace: upsert a set of records and delete the others a filter (or a list of ids)
 * names, in ONE transaction — how a document's new version replaces its chunks. Pinned: the
 * feed shows one write (one tx, upserts then deletes), listeners hear one upsert and one
 * delete, the deleted records are gone from get, list, count and every search, and a failure
 * before the commit leaves the old version whole, in SQLite and in the live index.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { Collection, type ChangeBatch, type CollectionOptions } from '../../src/engine/index.js';
import { DB_FILE } from '../../src/engine/collection.js';
import { VectraError } from '../../src/errors.js';
import { assertWhole, chunk, DIM, stored, version } from '../support/document-versions.js';
import { memoryLogger, tempDir } from '../support/tmp.js';

const quiet = { logger: memoryLogger() };

async function open(dir: string, opts: CollectionOptions = {}, create = false): Promise<Collection> {
  return create ? Collection.create(dir, { dimension: DIM, metric: 'cosine' }, { ...quiet, ...opts }) : Collection.open(dir, { ...quiet, ...opts });
}

describe('Collection.replace', () => {
  it('one write: upserts then deletes under one tx in the feed, one upsert and one delete announced, the others untouched', async () => {
    const batches: ChangeBatch[] = [];
    const c = await open(join(tempDir(), 'c'), { onChange: (b) => batches.push(b) }, true);
    c.upsert([...version('doc', 1, 6), ...version('other', 1, 3)]);
    batches.length = 0;
    const before = c.seq;
    const r = c.replace(version('doc', 2, 4), { filter: { _document: 'doc' } });
    assert.deepEqual([r.inserted, r.updated, r.deleted, r.seq], [0, 4, 2, before + 6]);
    assert.deepEqual(r.ids, ['doc#0', 'doc#1', 'doc#2', 'doc#3']);
    const log = c.changeLog(before, 100).changes;
    assert.deepEqual(log.map((x) => [x.op, x.id]), [['upsert', 'doc#0'], ['upsert', 'doc#1'], ['upsert', 'doc#2'], ['upsert', 'doc#3'], ['delete', 'doc#4'], ['delete', 'doc#5']]);
    assert.deepEqual(new Set(log.map((x) => x.tx)), new Set([before + 1]), 'one tx: the write is one transaction');
    assert.deepEqual(log.map((x) => x.seq), [1, 2, 3, 4, 5, 6].map((k) => before + k), 'a seq per change, no gap');
    assert.deepEqual(batches.map((b) => [b.op, b.ids, b.fromSeq, b.seq]), [
      ['upsert', ['doc#0', 'doc#1', 'doc#2', 'doc#3'], before + 1, before + 4],
      ['delete', ['doc#4', 'doc#5'], before + 5, before + 6],
    ]);
    assertWhole(c, 'doc', 2, 4, 'after the replace');
    assertWhole(c, 'other', 1, 3, 'another document');
    // A longer version: only upserts, one change each, no delete announced.
    batches.length = 0;
    const longer = c.replace(version('doc', 3, 7), { filter: { _document: 'doc' } });
    assert.deepEqual([longer.inserted, longer.updated, longer.deleted], [3, 4, 0]);
    assert.deepEqual(batches.map((b) => b.op), ['upsert']);
    assertWhole(c, 'doc', 3, 7, 'a longer version');
    await c.close();
  });

  it('by ids: deletes the listed ids not in the batch; unknown ids are ignored', async () => {
    const c = await open(join(tempDir(), 'c'), {}, true);
    c.upsert(version('doc', 1, 5));
    const r = c.replace([chunk('doc', 2, 0, 1)], { ids: ['doc#0', 'doc#3', 'doc#4', 'nope'] });
    assert.deepEqual([r.updated, r.deleted], [1, 2]);
    assert.deepEqual([...stored(c, 'doc')].sort(), [['doc#0', 2], ['doc#1', 1], ['doc#2', 1]]);
    assert.equal(c.get('doc#3'), null);
    await c.close();
  });

  it('refuses an empty filter and a bad record before writing anything', async () => {
    const c = await open(join(tempDir(), 'c'), {}, true);
    c.upsert(version('doc', 1, 3));
    const seq = c.seq;
    assert.throws(() => c.replace(version('doc', 2, 2), { filter: {} }), (e: unknown) => e instanceof VectraError && e.code === 'INVALID_FILTER');
    assert.throws(() => c.replace([...version('doc', 2, 1), { id: 'doc#1', vector: [1, 2] }], { filter: { _document: 'doc' } }), (e: unknown) => e instanceof VectraError && e.code === 'DIMENSION_MISMATCH');
    assert.equal(c.seq, seq);
    assertWhole(c, 'doc', 1, 3, 'after refusals');
    await c.close();
  });

  it('a failure before the commit (the deletes fail after the upserts ran) leaves the old version whole, in SQLite and in the index', async () => {
    const dir = join(tempDir(), 'c');
    const batches: ChangeBatch[] = [];
    let c = await open(dir, {}, true);
    c.upsert([...version('doc', 1, 6), ...version('other', 1, 2)]);
    await c.close();
    // Every delete of a record fails, as an I/O error would, inside the replace's transaction.
    let db = new Database(join(dir, DB_FILE));
    db.exec("CREATE TRIGGER no_delete BEFORE DELETE ON records BEGIN SELECT RAISE(ABORT, 'simulated I/O error'); END");
    db.close();
    c = await open(dir, { onChange: (b) => batches.push(b) });
    const seq = c.seq;
    assert.throws(() => c.replace(version('doc', 2, 3), { filter: { _document: 'doc' } }), /simulated I\/O error/);
    assert.equal(c.seq, seq, 'no seq taken');
    assert.deepEqual(c.changeLog(seq, 10).changes, [], 'nothing in the feed');
    assert.deepEqual(batches, [], 'nothing announced');
    assertWhole(c, 'doc', 1, 6, 'after the failed replace, live');
    // A shorter replace that deletes nothing is not affected by the trigger: the connection still works.
    c.replace(version('other', 2, 2), { filter: { _document: 'other' } });
    assertWhole(c, 'other', 2, 2, 'a replace that deletes nothing');
    await c.close();
    db = new Database(join(dir, DB_FILE));
    db.exec('DROP TRIGGER no_delete');
    db.close();
    c = await open(dir);
    assertWhole(c, 'doc', 1, 6, 'after the failed replace, reopened');
    c.replace(version('doc', 2, 3), { filter: { _document: 'doc' } });
    assertWhole(c, 'doc', 2, 3, 'the replace again, without the fault');
    await c.close();
    c = await open(dir);
    assertWhole(c, 'doc', 2, 3, 'reopened after the replace (snapshot and replay)');
    await c.discard();
  });

  it('with deferred indexing: a large replace waits in the tail, and its deletes leave neither the graph nor the tail holding them', async () => {
    const dir = join(tempDir(), 'c');
    let c = await open(dir, { deferIndexing: true }, true);
    c.upsert(version('doc', 1, 400));
    c.replace(version('doc', 2, 300), { filter: { _document: 'doc' } });
    assert.ok(c.stats().unindexed > 0, 'the replace waits in the tail');
    assertWhole(c, 'doc', 2, 300, 'in the tail');
    await c.indexed();
    assertWhole(c, 'doc', 2, 300, 'once indexed');
    c.replace(version('doc', 3, 20), { filter: { _document: 'doc' } });
    assertWhole(c, 'doc', 3, 20, 'a short version after a long one');
    await c.close();
    c = await open(dir);
    assertWhole(c, 'doc', 3, 20, 'reopened');
    await c.discard();
  });
});
