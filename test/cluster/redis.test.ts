/**
 * The scale-out mode's Redis on real parts: a PostgreSQL server, a Redis server (Debian's,
 * started here on loopback) and two `vectra serve` processes sharing both. The rate limit is
 * one budget per key across the nodes (HTTP and WebSocket); with Redis hung or stopped,
 * requests go on answering within a bound and the limit is each node's own; when Redis
 * returns, the budget is shared again.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { serveProcess, type ServerProcess } from '../support/process.js';
import { call, errorCode, register } from '../support/server.js';
import { startPostgres, startRedis, type Postgres, type Redis } from '../support/services.js';
import { tempDir } from '../support/tmp.js';
import { until } from '../support/until.js';

/** Requests per minute per key. */
const N = 10;
/** A request must answer within this while Redis is hung or down (the command timeout is 250 ms; the rest is a loaded 2-core machine's slack). */
const BOUND_MS = 1500;
const HANG_MS = 5000;

describe('scale-out: rate limits in Redis, shared by two nodes', () => {
  let pg: Postgres;
  let redis: Redis;
  const nodes: ServerProcess[] = [];
  const keys: Record<string, string> = {};

  /** One request with `key` on node `i`: its status, error code, remaining budget and time taken. */
  async function hit(i: number, key: string) {
    const t0 = performance.now();
    // A request that hangs fails here, not at the test runner's timeout.
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`node ${i + 1}: no answer within ${HANG_MS} ms`)), HANG_MS)));
    const r = await Promise.race([call(nodes[i].url, 'GET', '/v1/collections', { key }), hung]).finally(() => clearTimeout(timer));
    const ms = performance.now() - t0;
    return { status: r.status, code: errorCode(r), body: r.body, remaining: r.headers.get('x-ratelimit-remaining'), retryAfter: r.headers.get('retry-after'), ms };
  }

  async function redisUp(i: number): Promise<number> {
    const text = (await call(nodes[i].url, 'GET', '/metrics')).body as string;
    const m = /^vectra_cluster_redis_up (\d)$/m.exec(text);
    assert.ok(m, 'vectra_cluster_redis_up is exported');
    return Number(m[1]);
  }

  before(async () => {
    [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
    const env = { VECTRA_DATABASE_URL: pg.url, VECTRA_REDIS_URL: redis.url, VECTRA_RATE_LIMIT: String(N) };
    nodes.push(...(await Promise.all([serveProcess(tempDir('vectra-node-'), env), serveProcess(tempDir('vectra-node-'), env)])));
    // One tenant per phase (each key its own budget); registration is limited per address, 5 of N here.
    for (const name of ['shared', 'hung', 'down', 'back', 'probe']) keys[name] = (await register(nodes[0].url, name)).key;
    // Keys reach node 2 through PostgreSQL; the probe key's first answer there says they all have.
    await until('keys on node 2', async () => (await hit(1, keys.probe)).status === 200);
  });

  after(async () => {
    await Promise.all(nodes.map((n) => n.stop().catch(() => undefined)));
    redis.resume();
    await Promise.all([pg.stop(), redis.stop()]);
  });

  it('N requests spread over both nodes use up the key\'s budget: the next is 429 on either node, over HTTP and the WebSocket', async () => {
    assert.equal(await redisUp(0), 1);
    assert.equal(await redisUp(1), 1);
    const key = keys.shared;
    // The socket's upgrade is a request of the key too (the first of the N).
    const ws = new WebSocket(`${nodes[1].url.replace(/^http/, 'ws')}/v1/ws`, { headers: { authorization: `Bearer ${key}` } });
    await new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));
    for (let i = 1; i < N; i++) {
      const r = await hit(i % 2, key);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      // One count across the nodes: each answer's remaining budget follows the previous one's, whichever node gave it.
      assert.equal(r.remaining, String(N - 1 - i), `request ${i + 1} on node ${(i % 2) + 1}`);
    }
    for (const i of [0, 1]) {
      const r = await hit(i, key);
      assert.equal(r.status, 429, `node ${i + 1}: ${JSON.stringify(r.body)}`);
      assert.equal(r.code, 'RATE_LIMITED');
      assert.match(r.body.error.message, new RegExp(`rate limit of ${N} requests per minute exceeded; retry in`));
      assert.ok(Number(r.retryAfter) > 0 && Number(r.retryAfter) <= 60, `retry-after ${r.retryAfter}`);
    }
    // The WebSocket search counts in the same budget (its check runs before the collection is looked up).
    const answer = new Promise<{ ok: boolean; error?: { code: string; status: number } }>((resolve) =>
      ws.on('message', (d) => {
        const m = JSON.parse(String(d));
        if (m.id === 1) resolve(m);
      }),
    );
    ws.send(JSON.stringify({ id: 1, action: 'search', collection: 'any', body: { vector: [1, 2, 3] } }));
    const a = await answer;
    assert.equal(a.ok, false);
    assert.equal(a.error?.code, 'RATE_LIMITED');
    assert.equal(a.error?.status, 429);
    ws.close();
    // The keys of other tenants are not touched.
    assert.equal((await hit(0, keys.hung)).remaining, String(N - 1));
  });

  it('Redis hung (SIGSTOP): requests answer within the bound, the limit is per node, the gauge says 0', async (t) => {
    redis.pause();
    try {
      const key = keys.hung;
      // hung's first request was made above (on node 1, counted in Redis and in node 1's own count).
      const times: number[] = [];
      const statuses: number[][] = [[], []];
      for (let n = 1; n < N; n++) {
        const r = await hit(0, key);
        times.push(r.ms);
        statuses[0].push(r.status);
      }
      for (let n = 0; n < N; n++) {
        const r = await hit(1, key);
        times.push(r.ms);
        statuses[1].push(r.status);
      }
      // Nothing failed: each node allowed its own N (2N in all, where Redis would have allowed N).
      assert.deepEqual(statuses, [Array(N - 1).fill(200), Array(N).fill(200)]);
      assert.ok(Math.max(...times) < BOUND_MS, `slowest request ${Math.round(Math.max(...times))} ms`);
      const slow = [...times].sort((a, b) => b - a).map(Math.round);
      t.diagnostic(`Redis hung: of ${times.length} requests the two slowest ${slow[0]} and ${slow[1]} ms (the first on each node: the command timeout), the rest at most ${slow[2]} ms`);
      const over = await hit(0, key);
      assert.equal(over.status, 429);
      assert.equal(over.code, 'RATE_LIMITED');
      assert.ok(over.ms < BOUND_MS);
      // Node 2 counts, through its health check, a hung server as down too.
      await until('gauge 0 on both nodes', async () => (await redisUp(0)) === 0 && (await redisUp(1)) === 0, 5000);
    } finally {
      redis.resume();
    }
    await until('gauge 1 again after SIGCONT', async () => (await redisUp(0)) === 1 && (await redisUp(1)) === 1, 5000);
  });

  it('Redis stopped: requests keep answering (no 500) within the bound; when it returns, the budget is shared again', async (t) => {
    await redis.stop();
    await until('gauge 0 on both nodes', async () => (await redisUp(0)) === 0 && (await redisUp(1)) === 0, 5000);
    const key = keys.down;
    const answers = [];
    for (let n = 0; n < N + 2; n++) answers.push(await hit(n % 2, key));
    // N + 2 requests, N/2 + 1 on each node: within each node's own budget.
    assert.deepEqual(answers.map((a) => a.status), Array(N + 2).fill(200), JSON.stringify(answers.filter((a) => a.status !== 200)));
    assert.ok(Math.max(...answers.map((a) => a.ms)) < BOUND_MS, `slowest request ${Math.round(Math.max(...answers.map((a) => a.ms)))} ms`);

    await redis.start();
    const ms = await until('gauge 1 on both nodes', async () => (await redisUp(0)) === 1 && (await redisUp(1)) === 1, 10_000);
    assert.ok(ms < 5000, `back in use ${Math.round(ms)} ms after Redis started`);
    t.diagnostic(`Redis stopped: slowest request ${Math.round(Math.max(...answers.map((a) => a.ms)))} ms; back in use on both nodes ${Math.round(ms)} ms after it started`);
    const back = keys.back;
    for (let i = 0; i < N; i++) {
      const r = await hit(i % 2, back);
      assert.equal(r.status, 200);
      assert.equal(r.remaining, String(N - 1 - i));
    }
    for (const i of [0, 1]) assert.equal((await hit(i, back)).code, 'RATE_LIMITED');
  });
});
