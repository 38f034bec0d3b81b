/**
 * The change feed's retention in PostgreSQL, on a real PostgreSQL server (Debian's, started here
 * on loopback). The runner alone: the count and age rules of the embedded mode, bounded batches,
 * one node at a time (the advisory lock). Then two `vectra serve` nodes: a reader behind the
 * retention gets 410 CHANGES_EXPIRED as in the embedded mode, and a node whose replica fell
 * behind it (stopped while the changes it needed were let go) loads the collection whole again:
 * records deleted meanwhile are gone from it too.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { changesExpired, prepareRecord } from '../../src/engine/index.js';
import { migrate, openPool, type Pool } from '../../src/cluster/pg.js';
import { RecordLog } from '../../src/cluster/record-log.js';
import { ChangeRetentionRunner, RETENTION_LOCK } from '../../src/cluster/retention.js';
import { serveProcess, type ServerProcess } from '../support/process.js';
import { call, client, errorCode, register } from '../support/server.js';
import { startPostgres, type Postgres } from '../support/services.js';
import { tempDir } from '../support/tmp.js';
import { until } from '../support/until.js';

const DIM = 4;
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
const vec = (i: number) => [1, (i % 7) + 1, (i % 5) + 1, i + 1];

describe('change retention in PostgreSQL: the runner', () => {
  let pg: Postgres;
  let pool: Pool;
  let log: RecordLog;

  /** A collection row and `n` changes (upserts of ids p0…), in writes of 100. */
  async function collection(name: string, n: number, prefix = 'p'): Promise<void> {
    await pool.query(`INSERT INTO collections (tenant_id, name, instance, config, created_at) VALUES ('t', $1, 'i', '{}', 0) ON CONFLICT DO NOTHING`, [name]);
    for (let i = 0; i < n; i += 100) {
      const recs = Array.from({ length: Math.min(100, n - i) }, (_, j) => prepareRecord({ id: `${prefix}${i + j}`, vector: vec(i + j) }, DIM, 'r'));
      await log.write('t', name, recs, []);
    }
  }

  async function kept(name: string): Promise<{ floor: number; min: number; count: number }> {
    const f = await pool.query('SELECT changes_floor FROM collections WHERE tenant_id = $1 AND name = $2', ['t', name]);
    const c = await pool.query('SELECT min(seq) AS min, count(*) AS count FROM changes WHERE tenant_id = $1 AND collection = $2', ['t', name]);
    return { floor: Number(f.rows[0].changes_floor), min: Number(c.rows[0].min), count: Number(c.rows[0].count) };
  }

  before(async () => {
    pg = await startPostgres();
    pool = openPool(pg.url, () => undefined);
    await migrate(pool);
    log = new RecordLog(pool);
  });

  after(async () => {
    await pool.end();
    await pg.stop();
  });

  it('lets go of the changes beyond the newest minCount, in batches of at most `batch`, moving the floor with them', async () => {
    await collection('count', 400);
    const runner = new ChangeRetentionRunner(pool, { minAgeMs: 0, minCount: 100 }, silent, 50);
    assert.deepEqual(await runner.runOnce(), { deleted: 300, batches: 6 });
    assert.deepEqual(await kept('count'), { floor: 300, min: 301, count: 100 });
    // Nothing more is due.
    assert.deepEqual(await runner.runOnce(), { deleted: 0, batches: 0 });
    // The floor is what readers compare with (read after their page).
    const page = await log.changesAfter('t', 'count', 0, 10);
    assert.equal(page.floor, 300);
    assert.equal(page.changes[0].seq, 301);
  });

  it('keeps every change younger than minAgeMs, however many: the cut stops at the first young one', async () => {
    await collection('age', 200, 'a');
    await new Promise((r) => setTimeout(r, 30));
    const mid = Date.now();
    await new Promise((r) => setTimeout(r, 30));
    await collection('age', 200, 'b');
    const hour = 3600_000;
    const runner = new ChangeRetentionRunner(pool, { minAgeMs: hour, minCount: 100 }, silent, 1000);
    // All younger than an hour: nothing goes.
    assert.deepEqual(await runner.runOnce(), { deleted: 0, batches: 0 });
    assert.equal((await kept('age')).count, 400);
    // An hour after `mid`: the first 200 are older, the next 200 not (though only 100 need be kept).
    const run = await runner.runOnce(mid + hour);
    assert.deepEqual(run, { deleted: 200, batches: 1 });
    assert.deepEqual(await kept('age'), { floor: 200, min: 201, count: 200 });
  });

  it('runs on one node at a time: while another holds the lock, a run is skipped (null)', async () => {
    await collection('lock', 300);
    const other = await pool.connect();
    try {
      await other.query('SELECT pg_advisory_lock($1)', [RETENTION_LOCK]);
      const runner = new ChangeRetentionRunner(pool, { minAgeMs: 0, minCount: 100 }, silent);
      assert.equal(await runner.runOnce(), null);
      assert.equal((await kept('lock')).count, 300);
      await other.query('SELECT pg_advisory_unlock($1)', [RETENTION_LOCK]);
      // Released: the run is made (here, every collection's due changes: this one's 200 among them).
      assert.notEqual(await runner.runOnce(), null);
      assert.deepEqual(await kept('lock'), { floor: 200, min: 201, count: 100 });
    } finally {
      other.release();
    }
  });
});

describe('change retention in PostgreSQL: two nodes', () => {
  let pg: Postgres;
  const nodes: ServerProcess[] = [];
  const dirs = [tempDir('vectra-node-'), tempDir('vectra-node-')];
  let env: Record<string, string>;
  let key: string;
  const api = (i: number) => client(nodes[i].url, key);

  async function ids(i: number): Promise<Set<string>> {
    const out = new Set<string>();
    let cursor: string | null = null;
    do {
      const r = await api(i)('GET', `/v1/collections/docs/records?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      for (const rec of r.body.records) out.add(rec.id);
      cursor = r.body.nextCursor;
    } while (cursor);
    return out;
  }

  before(async () => {
    pg = await startPostgres();
    // The embedded mode's variables: changes kept while younger than 0 s or among the newest 100.
    env = { VECTRA_DATABASE_URL: pg.url, VECTRA_RATE_LIMIT: '1000000', VECTRA_CHANGES_RETENTION_SECONDS: '0', VECTRA_CHANGES_RETENTION_COUNT: '100' };
    nodes.push(...(await Promise.all(dirs.map((d) => serveProcess(d, env)))));
    key = (await register(nodes[0].url, 'retention')).key;
    await until('key on node 2', async () => (await api(1)('GET', '/v1/collections')).status === 200);
  });

  after(async () => {
    await Promise.all(nodes.map((n) => n.stop().catch(() => undefined)));
    await pg.stop();
  });

  it('a reader behind the retention gets 410 CHANGES_EXPIRED with the oldest seq kept, as in the embedded mode; a node whose replica fell behind it loads the collection whole again', async () => {
    assert.equal((await api(0)('POST', '/v1/collections', { name: 'docs', model: 'none', dimension: DIM })).status, 201);
    const first = await api(0)('POST', '/v1/collections/docs/records', { records: Array.from({ length: 150 }, (_, i) => ({ id: `r${i}`, vector: vec(i) })) });
    assert.equal(first.body.seq, 150);
    assert.equal((await api(1)('POST', '/v1/collections/docs/search', { vector: vec(0), k: 1, consistency: 'strong' })).status, 200);
    // Node 2 stops at seq 150; meanwhile 50 records are deleted and 150 written (seq 350): the
    // retention keeps 251…350, so the 50 deletes node 2 needs are let go.
    await nodes[1].stop();
    const del = await api(0)('POST', '/v1/collections/docs/records/delete', { ids: Array.from({ length: 50 }, (_, i) => `r${i}`) });
    assert.equal(del.status, 200, JSON.stringify(del.body));
    assert.equal(del.body.seq, 200);
    const more = await api(0)('POST', '/v1/collections/docs/records', { records: Array.from({ length: 150 }, (_, i) => ({ id: `x${i}`, vector: vec(i) })) });
    assert.equal(more.body.seq, 350);
    // A node applies the retention every 10 s.
    await until('the retention applied', async () => (await api(0)('GET', '/v1/collections/docs/changes?since=0')).status === 410, 30_000);
    const expired = await api(0)('GET', '/v1/collections/docs/changes?since=100');
    assert.equal(expired.status, 410);
    assert.equal(errorCode(expired), 'CHANGES_EXPIRED');
    assert.equal(expired.body.error.oldestSeq, 251);
    assert.equal(expired.body.error.message, changesExpired(100, 251).message, 'the embedded mode\'s words');
    // The stream refuses it before it starts, as in the embedded mode.
    const stream = await call(nodes[0].url, 'GET', '/v1/collections/docs/changes/stream?since=100', { key });
    assert.equal(stream.status, 410);
    // From the floor on, the feed is whole.
    const kept = await api(0)('GET', '/v1/collections/docs/changes?since=250&limit=1000');
    assert.equal(kept.status, 200);
    assert.deepEqual([kept.body.changes.length, kept.body.changes[0].seq, kept.body.latestSeq], [100, 251, 350]);

    // Node 2 again, on its data directory (cursor at 150, behind the floor 250).
    nodes[1] = await serveProcess(dirs[1], env);
    const want = await ids(0);
    assert.equal(want.size, 250);
    assert.ok(!want.has('r0') && want.has('r50') && want.has('x149'));
    assert.deepEqual(await ids(1), want, 'node 2 holds exactly what PostgreSQL does: the records deleted in the changes let go are gone');
    assert.match(nodes[1].output(), /behind the change feed retention/);
    // And it follows the feed from there.
    const w = await api(1)('POST', '/v1/collections/docs/records/delete', { ids: ['x0'] });
    assert.equal(w.body.seq, 351);
    assert.ok(!(await ids(1)).has('x0'));
    assert.equal((await api(1)('GET', '/v1/collections/docs/changes?since=250')).status, 200);
  });
});
