/**
 * The chat's semantic cache in Redis, on real parts: a PostgreSQL server and a Redis server
 * (Debian's, started here on loopback) and three `vectra serve` processes sharing both. A
 * question answered on one node is answered from the cache on the others; a write through any
 * node invalidates on every node; tenants never meet; Redis stopped, chat answers uncached and
 * the cache is shared again when Redis returns. The store itself (RedisSemanticCache) against
 * the same Redis: tenant prefixes, the bound per tenant, the age limit, a hung server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis as RedisClient } from 'ioredis';
import { RedisSemanticCache, tenantPrefix } from '../../src/cluster/chat-cache.js';
import { COMMAND_TIMEOUT_MS, SharedRedis } from '../../src/cluster/redis.js';
import { serveProcess, type ServerProcess } from '../support/process.js';
import { call, client, register } from '../support/server.js';
import { startPostgres, startRedis, type Postgres, type Redis } from '../support/services.js';
import { tempDir } from '../support/tmp.js';
import { until } from '../support/until.js';

const DOCS = [
  { id: 'espresso', title: 'Espresso machine manual', text: '# Espresso machine\n## Cleaning\nDescale the espresso machine every month with citric acid. Rinse the water tank afterwards.\n## Warranty\nThe warranty covers the pump for two years. Damage from limescale is not covered.' },
  { id: 'bike', title: 'City bike sheet', text: '# City bike\nThe city bike has seven gears and a hub dynamo. Its frame is aluminium and weighs twelve kilograms.\n## Price\nThe bike costs 649 euros, with a lock included.' },
];
const DESCALE = 'How often should I descale the espresso machine?';
const WEIGHT = 'How much does the bike weigh?';
/** A chat must answer within this while Redis is down (nothing waits for it; the rest is a loaded 2-core machine's slack). */
const BOUND_MS = 3000;

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('scale-out: the chat\'s semantic cache in Redis, shared by three nodes', () => {
  let pg: Postgres;
  let redis: Redis;
  const nodes: ServerProcess[] = [];
  const tenants: Record<'a' | 'b', { key: string; tenantId: string }> = {} as never;

  async function ask(i: number, who: 'a' | 'b', question: string) {
    const t0 = performance.now();
    const r = await call(nodes[i].url, 'POST', '/v1/chat', { key: tenants[who].key, body: { collection: 'kb', messages: [{ role: 'user', content: question }] } });
    assert.equal(r.status, 200, `node ${i + 1}: ${JSON.stringify(r.body)}`);
    return { ...r.body, ms: performance.now() - t0 } as { answer: string; cached: boolean; citations: { id: string }[]; ms: number };
  }

  async function metric(i: number, name: string): Promise<number> {
    const text = (await call(nodes[i].url, 'GET', '/metrics')).body as string;
    const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
    assert.ok(m, `${name} is exported`);
    return Number(m[1]);
  }

  /** Wait until every node's replica of the tenant's kb has applied everything committed (a strong search). */
  async function current(who: 'a' | 'b'): Promise<void> {
    for (const n of nodes) {
      const r = await client(n.url, tenants[who].key)('POST', '/v1/collections/kb/search', { text: 'espresso', k: 1, consistency: 'strong' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
  }

  /** The tenant's kb with the documents, through node `i`, applied on every node. */
  async function load(who: 'a' | 'b', i: number): Promise<void> {
    const api = client(nodes[i].url, tenants[who].key);
    assert.equal((await api('POST', '/v1/collections', { name: 'kb' })).status, 201);
    for (const d of DOCS) {
      const r = await api('POST', '/v1/collections/kb/documents', { id: d.id, text: d.text, format: 'markdown', metadata: { title: d.title } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
    // The collection reaches the other nodes through PostgreSQL's catalog, then their replicas apply it.
    for (const n of nodes) await until('kb on every node', async () => (await client(n.url, tenants[who].key)('GET', '/v1/collections/kb')).status === 200);
    await current(who);
  }

  let env: Record<string, string>;

  before(async () => {
    [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
    env = { VECTRA_DATABASE_URL: pg.url, VECTRA_REDIS_URL: redis.url, VECTRA_RATE_LIMIT: '1000000' };
    nodes.push(...(await Promise.all([0, 1, 2].map(() => serveProcess(tempDir('vectra-node-'), env)))));
    tenants.a = await register(nodes[0].url, 'cache-a');
    tenants.b = await register(nodes[0].url, 'cache-b');
    for (const n of nodes) for (const k of [tenants.a.key, tenants.b.key]) await until('keys on every node', async () => (await call(n.url, 'GET', '/v1/collections', { key: k })).status === 200);
  });

  after(async () => {
    await Promise.all(nodes.map((n) => n.stop().catch(() => undefined)));
    await Promise.all([pg.stop(), redis.stop()]);
  });

  it('a question answered on node 1 is answered from the cache on nodes 2 and 3, the same answer', async () => {
    await load('a', 0);
    const first = await ask(0, 'a', DESCALE);
    assert.equal(first.cached, false);
    assert.match(first.answer, /every month/);
    const hits = await metric(1, 'vectra_chat_cache_hits');
    for (const i of [1, 2]) {
      const again = await ask(i, 'a', DESCALE);
      assert.equal(again.cached, true, `node ${i + 1}`);
      assert.equal(again.answer, first.answer);
      assert.deepEqual(again.citations, first.citations);
    }
    assert.equal(await metric(1, 'vectra_chat_cache_hits'), hits + 1, 'node 2 counts its hit');
    // The entries are shared in Redis: no node counts them as its own.
    assert.doesNotMatch((await call(nodes[1].url, 'GET', '/metrics')).body as string, /^vectra_chat_cache_entries /m);
  });

  it('a write through node 3 invalidates on every node: no node answers the old answer once it has applied the write', async () => {
    const api = client(nodes[2].url, tenants.a.key);
    const w = await api('POST', '/v1/collections/kb/documents', { id: 'espresso', text: DOCS[0].text.replace('every month', 'every week'), format: 'markdown', metadata: { title: DOCS[0].title } });
    assert.equal(w.status, 200, JSON.stringify(w.body));
    await current('a');
    const fresh = await ask(0, 'a', DESCALE);
    assert.equal(fresh.cached, false, 'the old answer is not served after the write');
    assert.match(fresh.answer, /every week/);
    for (const i of [1, 2]) {
      const r = await ask(i, 'a', DESCALE);
      assert.match(r.answer, /every week/, `node ${i + 1}: ${r.answer}`);
      assert.equal(r.cached, true, `node ${i + 1} is served node 1's answer of the new state`);
    }
  });

  it('a node started on an empty data directory (its replica loaded whole, its local seqs unlike the others\') is served their answers: the key names PostgreSQL\'s seq', async () => {
    await nodes[2].stop();
    nodes[2] = await serveProcess(tempDir('vectra-node-'), env);
    await current('a');
    const r = await ask(2, 'a', DESCALE);
    assert.match(r.answer, /every week/);
    assert.equal(r.cached, true);
  });

  it('tenants never meet: another tenant\'s identical question over identical documents is its own miss, and every key names its tenant', async () => {
    await load('b', 1);
    const b1 = await ask(2, 'b', WEIGHT);
    assert.equal(b1.cached, false);
    assert.match(b1.answer, /twelve kilograms/);
    // Tenant a had not asked it; now a asks it: a miss for a, though b's answer is in Redis.
    assert.equal((await ask(0, 'a', WEIGHT)).cached, false);
    assert.equal((await ask(1, 'b', WEIGHT)).cached, true);
    const r = new RedisClient(redis.url);
    try {
      const keys = await r.keys('vectra:chat:*');
      assert.ok(keys.length > 0);
      for (const k of keys) assert.ok(k.startsWith(tenantPrefix(tenants.a.tenantId)) || k.startsWith(tenantPrefix(tenants.b.tenantId)), k);
      // a: two questions (the descale answer of each state and the weight one); b: one.
      assert.equal(await r.zcard(`${tenantPrefix(tenants.a.tenantId)}lru`), 3);
      assert.equal(await r.zcard(`${tenantPrefix(tenants.b.tenantId)}lru`), 1);
    } finally {
      r.disconnect();
    }
  });

  it('Redis stopped: chat answers on every node, uncached and without waiting; when Redis returns, answers are shared again', async (t) => {
    await redis.stop();
    await until('Redis down on every node', async () => (await Promise.all([0, 1, 2].map((i) => metric(i, 'vectra_cluster_redis_up')))).every((v) => v === 0), 5000);
    const lookups = await metric(0, 'vectra_chat_cache_lookups');
    const down = [];
    // Asked twice on node 1: no node-local cache takes Redis's place.
    for (const i of [0, 1, 0, 2]) down.push(await ask(i, 'a', DESCALE));
    assert.deepEqual(down.map((d) => d.cached), [false, false, false, false]);
    for (const d of down) assert.match(d.answer, /every week/);
    const slowest = Math.max(...down.map((d) => d.ms));
    assert.ok(slowest < BOUND_MS, `slowest chat ${Math.round(slowest)} ms`);
    assert.equal(await metric(0, 'vectra_chat_cache_lookups'), lookups + 2, 'node 1 still counts its lookups (misses)');

    await redis.start();
    const ms = await until('Redis up on every node', async () => (await Promise.all([0, 1, 2].map((i) => metric(i, 'vectra_cluster_redis_up')))).every((v) => v === 1), 10_000);
    t.diagnostic(`Redis stopped: slowest of ${down.length} chats ${Math.round(slowest)} ms; back in use on the three nodes ${Math.round(ms)} ms after it started`);
    // A restarted Redis (no persistence) is empty: one miss, then hits on the other nodes.
    assert.equal((await ask(1, 'a', DESCALE)).cached, false);
    assert.equal((await ask(2, 'a', DESCALE)).cached, true);
    assert.equal((await ask(0, 'a', DESCALE)).cached, true);
  });
});

describe('the Redis store of the semantic cache', () => {
  let redis: Redis;
  let shared: SharedRedis;
  let raw: RedisClient;
  const v = (...xs: number[]) => Float32Array.from(xs);

  before(async () => {
    redis = await startRedis();
    shared = new SharedRedis(redis.url, silent);
    raw = new RedisClient(redis.url);
    await until('connected', async () => shared.up);
  });

  after(async () => {
    redis.resume();
    raw.disconnect();
    await shared.close();
    await redis.stop();
  });

  it('answers a close question in the same state for the same tenant only: the same state of another tenant is a miss', async () => {
    const c = new RedisSemanticCache<string>(shared, { threshold: 0.95, ttlMs: 60_000, maxEntries: 10 });
    await c.set('t1', 's1', v(1, 0, 0), 'A');
    assert.equal(await c.get('t1', 's1', v(1, 0.1, 0)), 'A', 'cosine 0.995');
    assert.equal(await c.get('t1', 's1', v(1, 0.5, 0)), null, 'cosine 0.894');
    assert.equal(await c.get('t1', 's2', v(1, 0, 0)), null, 'another state');
    assert.equal(await c.get('t2', 's1', v(1, 0, 0)), null, 'another tenant, the same state and vector');
    assert.equal(await c.get('t1', 's1', v(0, 0, 0)), null, 'a zero vector matches nothing');
    assert.deepEqual([c.hits, c.misses], [1, 4]);
    for (const k of await raw.keys('vectra:chat:*')) assert.ok(k.startsWith(tenantPrefix('t1')), k);
  });

  it('keeps at most maxEntries per tenant (least recently used first out) and never serves an answer older than the TTL', async () => {
    const c = new RedisSemanticCache<string>(shared, { threshold: 0.99, ttlMs: 5000, maxEntries: 2 });
    const now = Date.now();
    await c.set('t3', 's', v(1, 0), 'x', now);
    await c.set('t3', 's', v(0, 1), 'y', now + 1);
    assert.equal(await c.get('t3', 's', v(1, 0), now + 2), 'x', 'x used: y is now the least recent');
    await c.set('t3', 's', v(1, 1), 'z', now + 3);
    assert.equal(await raw.zcard(`${tenantPrefix('t3')}lru`), 2);
    assert.equal(await c.get('t3', 's', v(0, 1), now + 4), null, 'y went');
    assert.equal(await c.get('t3', 's', v(1, 0), now + 4), 'x');
    assert.equal(await c.get('t3', 's', v(1, 0), now + 5001), null, 'past its TTL');
    // Other tenants' bounds are their own.
    await c.set('t4', 's', v(1, 0), 'w', now);
    assert.equal(await c.get('t3', 's', v(1, 1), now + 5), 'z');
    // Everything expires in Redis too (PEXPIRE ttl on each addition).
    assert.ok((await raw.pttl(`${tenantPrefix('t3')}lru`)) <= 5000);
  });

  it('Redis hung: a lookup is a miss and an answer is not stored, each within the command timeout; Redis is not asked again until it answers', async () => {
    const c = new RedisSemanticCache<string>(shared, { threshold: 0.95, ttlMs: 60_000, maxEntries: 10 });
    await c.set('t5', 's', v(1, 0), 'kept');
    redis.pause();
    try {
      let t0 = performance.now();
      assert.equal(await c.get('t5', 's', v(1, 0)), null);
      const first = performance.now() - t0;
      assert.ok(first < COMMAND_TIMEOUT_MS + 500, `first lookup ${Math.round(first)} ms`);
      assert.equal(shared.up, false);
      t0 = performance.now();
      await c.set('t5', 's', v(0, 1), 'lost');
      assert.equal(await c.get('t5', 's', v(1, 0)), null);
      const next = performance.now() - t0;
      assert.ok(next < 50, `while down, not asked: ${Math.round(next)} ms`);
    } finally {
      redis.resume();
    }
    await until('up again', async () => shared.up, 5000);
    assert.equal(await c.get('t5', 's', v(1, 0)), 'kept');
    assert.equal(await c.get('t5', 's', v(0, 1)), null, 'the answer offered while Redis hung was not stored');
  });
});
