/**
 * Placement's arithmetic (src/cluster/placement.ts) without servers: the owners rendezvous
 * hashing gives, how evenly they spread, and what moves when a node leaves or joins. The node
 * table is handed in through a pool that answers Placement's two reads; the servers' side is
 * test/cluster/placement.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Placement, type NodeAddress } from '../../src/cluster/placement.js';
import type { Pool } from '../../src/cluster/pg.js';
import { loadConfig } from '../../src/config.js';

function placement(self: string, others: string[], replicas: number): Promise<Placement> {
  const pool = {
    query: async (sql: string) => ({
      rows: sql.includes(' AS now') ? [{ now: '1000000' }] : sql.includes('FROM nodes WHERE heartbeat_at') ? others.map((id) => ({ id, url: `http://${id}`, heartbeat_at: '999999' })) : [],
    }),
  } as unknown as Pool;
  const p = new Placement(pool, { id: self, url: `http://${self}` }, replicas);
  return p.refresh().then(() => p);
}

const ids = (nodes: NodeAddress[]) => nodes.map((n) => n.id);
const COLLECTIONS = Array.from({ length: 2000 }, (_, i) => `c${i}`);

describe('placement: rendezvous hashing over the live nodes', () => {
  it('every node computes the same R distinct owners, spread evenly', async () => {
    const nodes = ['a', 'b', 'c', 'd', 'e'];
    const views = await Promise.all(nodes.map((n) => placement(n, nodes.filter((x) => x !== n), 2)));
    const load = new Map(nodes.map((n) => [n, 0]));
    for (const c of COLLECTIONS) {
      const owners = ids(views[0].owners('t1', c));
      assert.equal(new Set(owners).size, 2);
      for (const v of views.slice(1)) assert.deepEqual(ids(v.owners('t1', c)), owners);
      for (const o of owners) load.set(o, load.get(o)! + 1);
    }
    // 2 × 2000 / 5 = 800 each; binomial spread ~±25 (σ), so ±120 is ~5σ.
    for (const [n, count] of load) assert.ok(count > 680 && count < 920, `${n} owns ${count}`);
    // The tenant is part of the key: another tenant's collection of the same name may sit elsewhere.
    assert.ok(COLLECTIONS.some((c) => ids(views[0].owners('t1', c)).join() !== ids(views[0].owners('t2', c)).join()));
  });

  it('a node leaving moves only what it owned; a node joining takes only what it wins', async () => {
    const before = await placement('a', ['b', 'c', 'd'], 1);
    const without = await placement('a', ['b', 'c'], 1);
    const joined = await placement('a', ['b', 'c', 'd', 'e'], 1);
    let moved = 0;
    let taken = 0;
    for (const c of COLLECTIONS) {
      const was = ids(before.owners('t', c))[0];
      const now = ids(without.owners('t', c))[0];
      if (was !== 'd') assert.equal(now, was, `${c} moved from ${was} though d left`);
      else moved++;
      const then = ids(joined.owners('t', c))[0];
      if (then !== was) {
        assert.equal(then, 'e', `${c} moved from ${was} to ${then}, not to the joining node`);
        taken++;
      }
    }
    // About a quarter each way (1/N).
    assert.ok(moved > 400 && moved < 600, `moved ${moved}`);
    assert.ok(taken > 300 && taken < 500, `taken ${taken}`);
  });

  it('fewer live nodes than R: every live node owns every collection', async () => {
    const p = await placement('a', ['b'], 3);
    assert.deepEqual(ids(p.owners('t', 'x')).sort(), ['a', 'b']);
    assert.ok(p.owns('t', 'x'));
  });
});

describe('placement: configuration', () => {
  const base = { VECTRA_DATA_DIR: '/tmp/vectra-config-test' };
  it('VECTRA_REPLICAS and VECTRA_ADVERTISE_URL are checked', () => {
    assert.throws(() => loadConfig({ ...base, VECTRA_REPLICAS: '2' }), /VECTRA_REPLICAS is for the scale-out mode/);
    const db = { ...base, VECTRA_DATABASE_URL: 'postgres://x@127.0.0.1/v' };
    assert.throws(() => loadConfig({ ...db, VECTRA_REPLICAS: '0' }), /VECTRA_REPLICAS=0: expected an integer from 1 to 64/);
    assert.throws(() => loadConfig({ ...db, VECTRA_REPLICAS: '2', VECTRA_ADVERTISE_URL: 'node1:8080' }), /VECTRA_ADVERTISE_URL=node1:8080: expected http\(s\):\/\/host:port/);
    const ok = loadConfig({ ...db, VECTRA_REPLICAS: '2', VECTRA_ADVERTISE_URL: 'http://node1:8080/' });
    assert.equal(ok.replicas, 2);
    assert.equal(ok.advertiseUrl, 'http://node1:8080');
    assert.equal(loadConfig(db).replicas, null);
  });
});
