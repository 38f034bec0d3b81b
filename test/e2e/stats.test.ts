/**
 * Who sees which figures (issue 17, item 9). Server-wide figures (/metrics) are the
 * operator's: open when the server is bound to loopback, otherwise behind the admin token.
 * A tenant sees its own figures at GET /v1/stats — its collections, records, bytes and
 * requests — and nothing that would let it detect another tenant.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';
import { call, client, errorCode, register, testServer } from '../support/server.js';

const TOKEN = 'metrics-admin-token-0123456789';

describe('who may scrape /metrics', () => {
  it('open by default on loopback, the admin token anywhere else; VECTRA_METRICS overrides either way', () => {
    const metrics = (env: Record<string, string>) => loadConfig({ VECTRA_DATA_DIR: '/tmp/unused', ...env }).metrics;
    for (const host of ['127.0.0.1', '127.8.9.10', 'localhost', '::1']) assert.equal(metrics({ HOST: host }), 'open', host);
    for (const host of ['0.0.0.0', '::', '10.1.2.3', 'vectra.example.com']) assert.equal(metrics({ HOST: host }), 'admin', host);
    assert.equal(metrics({ HOST: '0.0.0.0', VECTRA_METRICS: 'open' }), 'open');
    assert.equal(metrics({ HOST: '127.0.0.1', VECTRA_METRICS: 'admin' }), 'admin');
    assert.throws(() => metrics({ VECTRA_METRICS: 'public' }), (e: Error) => e instanceof ConfigError && e.message === 'VECTRA_METRICS=public: expected "open" or "admin"');
  });

  it('bound to 0.0.0.0: 401 without the admin token (a tenant key is not it), 200 with it as X-Admin-Token or Bearer', async () => {
    const s = await testServer({ HOST: '0.0.0.0', VECTRA_ADMIN_TOKEN: TOKEN });
    const url = s.url.replace('0.0.0.0', '127.0.0.1');
    const anyone = await call(url, 'GET', '/metrics');
    assert.equal(anyone.status, 401);
    assert.equal(errorCode(anyone), 'ADMIN_TOKEN_REQUIRED');
    assert.equal(anyone.body.error.message, '/metrics on this server needs the admin token: send "X-Admin-Token: <VECTRA_ADMIN_TOKEN>" (or "Authorization: Bearer <VECTRA_ADMIN_TOKEN>")');
    const reg = await call(url, 'POST', '/v1/auth/register', { body: { name: 'acme' }, headers: { 'x-admin-token': TOKEN } });
    assert.equal(reg.status, 201);
    assert.equal((await call(url, 'GET', '/metrics', { key: reg.body.apiKey })).status, 401);
    assert.equal((await call(url, 'GET', '/metrics', { headers: { 'x-admin-token': `${TOKEN}x` } })).status, 401);
    const withHeader = await call(url, 'GET', '/metrics', { headers: { 'x-admin-token': TOKEN } });
    assert.equal(withHeader.status, 200);
    assert.match(withHeader.body, /vectra_tenants 1/);
    assert.ok(withHeader.headers.get('x-ratelimit-limit'), 'closed, it is rate limited per client like registration');
    const bearer = await call(url, 'GET', '/metrics', { key: TOKEN });
    assert.equal(bearer.status, 200);
    assert.match(bearer.body, /vectra_http_requests_total/);
    await s.close();
  });

  it('bound to 0.0.0.0 without an admin token: closed, saying what to configure', async () => {
    const s = await testServer({ HOST: '0.0.0.0' });
    const r = await call(s.url.replace('0.0.0.0', '127.0.0.1'), 'GET', '/metrics');
    assert.equal(r.status, 401);
    assert.equal(r.body.error.message, '/metrics is closed on this server (it is not bound to loopback and VECTRA_ADMIN_TOKEN is not set); set VECTRA_ADMIN_TOKEN (then send it as X-Admin-Token or Authorization: Bearer), or VECTRA_METRICS=open');
    await s.close();
  });

  it('on loopback: open to a scraper with no credentials, not rate limited', async () => {
    const s = await testServer();
    const r = await call(s.url, 'GET', '/metrics');
    assert.equal(r.status, 200);
    assert.match(r.body, /vectra_records/);
    assert.equal(r.headers.get('x-ratelimit-limit'), null);
    await s.close();
  });
});

describe('GET /v1/stats: a tenant sees its own figures only', () => {
  it("counts A's collections, records, bytes and requests for A, and nothing of A's for B", async () => {
    const s = await testServer({ VECTRA_RATE_LIMIT: '100000' });
    const a = client(s.url, (await register(s.url, 'a')).key);
    const bKey = (await register(s.url, 'b')).key;
    const b = client(s.url, bKey);
    const bBefore = (await b('GET', '/v1/stats')).body;
    assert.deepEqual({ ...bBefore, since: undefined }, {
      collections: 0, records: 0, diskBytes: 0, indexBytes: 0, since: undefined,
      requests: { total: 0, errors: 0, latency: { sumSeconds: 0, buckets: bBefore.requests.latency.buckets.map((x: { le: number }) => ({ le: x.le, count: 0 })) } },
    });
    assert.equal(bBefore.requests.latency.buckets.at(-1).le, 5);
    assert.ok(!Number.isNaN(Date.parse(bBefore.since)));

    assert.equal((await a('POST', '/v1/collections', { name: 'one', model: 'none', dimension: 3 })).status, 201);
    assert.equal((await a('POST', '/v1/collections', { name: 'two', model: 'none', dimension: 2, index: { type: 'flat' } })).status, 201);
    assert.equal((await a('POST', '/v1/collections/one/records', { records: [{ id: 'x', vector: [1, 2, 3] }, { id: 'y', vector: [3, 2, 1] }] })).status, 200);
    assert.equal((await a('POST', '/v1/collections/two/records', { records: [{ id: 'z', vector: [1, 0] }] })).status, 200);
    assert.equal((await a('GET', '/v1/collections/nope')).status, 404); // one error
    const aStats = (await a('GET', '/v1/stats')).body;
    assert.equal(aStats.collections, 2);
    assert.equal(aStats.records, 3);
    const disk = (await a('GET', '/v1/collections')).body.collections.reduce((t: number, c: { diskBytes: number }) => t + c.diskBytes, 0);
    assert.ok(aStats.diskBytes > 0 && Math.abs(aStats.diskBytes - disk) / disk < 0.5, `${aStats.diskBytes} vs ${disk}`);
    assert.ok(aStats.indexBytes > 0);
    assert.equal(aStats.requests.total, 5, "A's five requests (registration has no key; /v1/stats is not counted)");
    assert.equal(aStats.requests.errors, 1);
    assert.ok(aStats.requests.latency.buckets.every((x: { count: number }, i: number, all: { count: number }[]) => x.count <= 5 && (i === 0 || all[i - 1].count <= x.count)), 'cumulative');
    assert.ok(aStats.requests.latency.sumSeconds > 0);

    // B: the same as before A did anything, apart from B's own requests.
    const bAfter = (await b('GET', '/v1/stats')).body;
    assert.deepEqual(bAfter, bBefore);
    assert.equal((await b('GET', '/v1/collections')).status, 200);
    assert.equal((await b('GET', '/v1/stats')).body.requests.total, 1);
    // A request without a valid key is nobody's.
    assert.equal((await call(s.url, 'GET', '/v1/collections', { key: `vk_${'x'.repeat(43)}` })).status, 401);
    assert.equal((await b('GET', '/v1/stats')).body.requests.total, 1);
    assert.equal((await a('GET', '/v1/stats')).body.requests.total, 6, 'its five, and its listing of collections above');
    await s.close();
  });

  it('needs a key with the read scope; a refused request still counts as its tenant\'s error', async () => {
    const s = await testServer();
    const { key } = await register(s.url);
    const api = client(s.url, key);
    const writer = (await api('POST', '/v1/keys', { name: 'w', scopes: ['write'] })).body.apiKey;
    assert.equal((await call(s.url, 'GET', '/v1/stats')).status, 401);
    const refused = await call(s.url, 'GET', '/v1/stats', { key: writer });
    assert.equal(refused.status, 403);
    assert.equal(errorCode(refused), 'INSUFFICIENT_SCOPE');
    const mine = (await api('GET', '/v1/stats')).body.requests;
    assert.deepEqual([mine.total, mine.errors], [1, 0], 'the key creation counts; /v1/stats calls, even refused ones, do not');
    assert.equal((await call(s.url, 'GET', '/v1/keys', { key: writer })).status, 403);
    const after = (await api('GET', '/v1/stats')).body.requests;
    assert.deepEqual([after.total, after.errors], [2, 1]);
    await s.close();
  });
});
