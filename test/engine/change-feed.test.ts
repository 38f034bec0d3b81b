/**
 * The change feed (issue 19): every upserted or deleted record takes its own sequence number
 * in the write's transaction, the feed pages through them in order across reopen, and the
 * retention lets changes go only when both its age and its count allow, after which a reader
 * asking for them gets CHANGES_EXPIRED with the oldest seq kept.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { Collection, type ChangeBatch } from '../../src/engine/index.js';
import { DB_FILE } from '../../src/engine/collection.js';
import { VectraError } from '../../src/errors.js';
import { memoryLogger, tempDir } from '../support/tmp.js';

const quiet = { logger: memoryLogger() };
const v = (x: number) => [x, 1, 2];

function expired(oldest: number) {
  return (e: unknown) => e instanceof VectraError && e.code === 'CHANGES_EXPIRED' && e.details?.oldestSeq === oldest;
}

describe('change feed', () => {
  it('gives each change its own seq, in write order; a record twice in a batch is one change', async () => {
    const batches: ChangeBatch[] = [];
    const c = await Collection.create(join(tempDir(), 'c'), { dimension: 3 }, { ...quiet, onChange: (b) => batches.push(b) });
    assert.equal(c.upsert([{ id: 'a', vector: v(1) }, { id: 'b', vector: v(2) }, { id: 'a', vector: v(3) }]).seq, 2);
    assert.equal(c.delete(['b', 'nope']), 1);
    assert.equal(c.seq, 3);
    assert.equal(c.delete(['nope']), 0);
    assert.equal(c.seq, 3, 'a delete that deletes nothing is no change');
    const page = c.changes(0, 10);
    assert.deepEqual(page.changes.map((x) => [x.seq, x.op, x.id]), [[1, 'upsert', 'b'], [2, 'upsert', 'a'], [3, 'delete', 'b']]);
    assert.equal(page.nextSince, 3);
    assert.equal(page.latestSeq, 3);
    assert.deepEqual(batches.map((b) => [b.op, b.ids, b.fromSeq, b.seq]), [['upsert', ['b', 'a'], 1, 2], ['delete', ['b'], 3, 3]]);
    // The record as it is now: the last version of a, nothing for deleted b.
    const withRecords = c.changes(0, 10, { includeRecord: true }).changes;
    assert.equal(withRecords[0].record, null);
    assert.deepEqual(c.get('a', { includeVector: true })?.vector, v(3));
    assert.equal(withRecords[1].record?.id, 'a');
    await c.close();
  });

  it('pages resume from nextSince across a reopen, and raw rows group a write by tx', async () => {
    const dir = join(tempDir(), 'c');
    let c = await Collection.create(dir, { dimension: 3 }, quiet);
    c.upsert(Array.from({ length: 25 }, (_, i) => ({ id: `r${i}`, vector: v(i) })));
    c.deleteWhere({ never: { $exists: false } });
    await c.close();
    c = await Collection.open(dir, quiet);
    const seen: number[] = [];
    for (let since = 0; ; ) {
      const p = c.changes(since, 7);
      if (p.changes.length === 0) break;
      seen.push(...p.changes.map((x) => x.seq));
      since = p.nextSince;
    }
    assert.deepEqual(seen, Array.from({ length: 50 }, (_, i) => i + 1));
    const log = c.changeLog(0, 100).changes;
    assert.deepEqual(new Set(log.slice(0, 25).map((r) => r.tx)), new Set([1]));
    assert.deepEqual(new Set(log.slice(25).map((r) => r.tx)), new Set([26]));
    await c.close();
  });

  it('refuses a since that is not a seq, or ahead of the latest', async () => {
    const c = await Collection.create(join(tempDir(), 'c'), { dimension: 3 }, quiet);
    c.upsert([{ id: 'a', vector: v(1) }]);
    assert.throws(() => c.changes(-1), (e: unknown) => e instanceof VectraError && e.code === 'INVALID_ARGUMENT');
    assert.throws(() => c.changes(1.5), (e: unknown) => e instanceof VectraError && e.code === 'INVALID_ARGUMENT');
    assert.throws(() => c.changes(2), /ahead of the collection's latest seq 1/);
    assert.throws(() => c.changes(0, 0), /limit/);
    assert.deepEqual(c.changes(1).changes, []);
    await c.close();
  });

  it('keeps what either the age or the count keeps; older asks answer CHANGES_EXPIRED with the oldest seq', async () => {
    const dir = join(tempDir(), 'c');
    // Keep the 5,000 newest changes, or those of the last hour.
    let c = await Collection.create(dir, { dimension: 3 }, { ...quiet, changeRetention: { minAgeMs: 3600_000, minCount: 5000 } });
    for (let b = 0; b < 3; b++) c.upsert(Array.from({ length: 4000 }, (_, i) => ({ id: `r${b}-${i}`, vector: v(i) })));
    // All are younger than an hour: nothing goes, whatever the count.
    assert.equal(c.changes(0, 1).changes[0].seq, 1);
    await c.close();
    // Backdate the first 8,000 changes by two hours, as if written then.
    const db = new Database(join(dir, DB_FILE));
    db.prepare('UPDATE changes SET at = at - 7200000 WHERE seq <= 8000').run();
    db.close();
    c = await Collection.open(dir, { ...quiet, changeRetention: { minAgeMs: 3600_000, minCount: 5000 } });
    c.upsert(Array.from({ length: 4096 }, (_, i) => ({ id: `s${i}`, vector: v(i) })));
    // 16,096 changes; the count keeps 11,097 on, the age keeps 8,001 on: the larger set stays.
    assert.equal(c.changes(8000, 1).changes[0].seq, 8001);
    assert.throws(() => c.changes(0), expired(8001));
    assert.throws(() => c.changes(7999), expired(8001));
    await c.close();
    c = await Collection.open(dir, quiet);
    assert.throws(() => c.changes(100), expired(8001), 'the floor survives a reopen');
    await c.close();
  });

  it('a lowered retention is applied 50,000 changes at a time; a prune that fails never fails the write', async () => {
    const dir = join(tempDir(), 'c');
    const flat = { dimension: 3, index: { type: 'flat' as const } };
    let c = await Collection.create(dir, flat, quiet);
    for (let b = 0; b < 30; b++) c.upsert(Array.from({ length: 4000 }, (_, i) => ({ id: `r${b}-${i}`, vector: v(i) })));
    await c.close();
    // 120,000 changes; now keep only the newest 100, whatever their age.
    const tight = { ...quiet, changeRetention: { minAgeMs: 0, minCount: 100 } };
    c = await Collection.open(dir, tight);
    const write = (tag: string) => c.upsert(Array.from({ length: 4096 }, (_, i) => ({ id: `${tag}-${i}`, vector: v(i) })));
    write('a');
    assert.throws(() => c.changes(49_999), expired(50_001), 'one look lets 50,000 go');
    write('b');
    assert.throws(() => c.changes(99_999), expired(100_001));
    write('c');
    const oldest = c.changes(c.seq - 100, 1).changes[0].seq;
    assert.equal(oldest, c.seq - 99);
    await c.close();

    // A prune that fails (as on a full disk): the write still answers, is searchable, and is in the feed.
    const db = new Database(join(dir, DB_FILE));
    db.exec("CREATE TRIGGER no_prune BEFORE DELETE ON changes BEGIN SELECT RAISE(ABORT, 'simulated I/O error'); END");
    db.close();
    const log = memoryLogger();
    c = await Collection.open(dir, { ...tight, logger: log });
    const before = c.seq;
    const res = c.upsert(Array.from({ length: 4096 }, (_, i) => ({ id: `d-${i}`, vector: [1, i, 2] })));
    assert.equal(res.seq, before + 4096);
    assert.equal(c.get('d-7')?.id, 'd-7');
    assert.equal(c.search({ vector: [1, 7, 2], k: 1, include: 'id' }).hits[0].id, 'd-7');
    assert.equal(c.changes(c.seq - 1).changes[0].id, 'd-4095');
    assert.ok(log.lines.some((l: { msg: string }) => /retention not applied/.test(l.msg)), JSON.stringify(log.lines.slice(-3)));
    await c.close();
  });

  it('a collection made before the feed starts its feed at its current seq', async () => {
    const dir = join(tempDir(), 'c');
    let c = await Collection.create(dir, { dimension: 3 }, quiet);
    c.upsert([{ id: 'a', vector: v(1) }, { id: 'b', vector: v(2) }]);
    await c.close();
    const db = new Database(join(dir, DB_FILE));
    db.exec("DROP TABLE changes; DELETE FROM settings WHERE key = 'changes_floor'");
    db.close();
    c = await Collection.open(dir, quiet);
    assert.throws(() => c.changes(0), expired(3));
    c.upsert([{ id: 'c', vector: v(3) }]);
    assert.deepEqual(c.changes(2).changes.map((x) => x.id), ['c']);
    await c.close();
  });

  it('for any sequence of writes, the feed replayed onto an empty map gives the stored records', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.record({ up: fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 5 }) }),
            fc.record({ del: fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 3 }) }),
          ),
          { maxLength: 20 },
        ),
        async (ops) => {
          const c = await Collection.create(join(tempDir(), 'c'), { dimension: 3, index: { type: 'flat' } }, quiet);
          for (const op of ops) {
            if ('up' in op) c.upsert(op.up.map((i) => ({ id: `r${i}`, vector: v(i + 1) })));
            else c.delete(op.del.map((i) => `r${i}`));
          }
          const live = new Set<string>();
          let last = 0;
          for (const ch of c.changes(0, 10000).changes) {
            assert.equal(ch.seq, last + 1, 'no gap');
            last = ch.seq;
            if (ch.op === 'upsert') live.add(ch.id);
            else live.delete(ch.id);
          }
          assert.equal(last, c.seq);
          assert.deepEqual([...live].sort(), c.list({ limit: 100 }).records.map((r) => r.id).sort());
          await c.discard();
        },
      ),
      { numRuns: 40 },
    );
  });
});
