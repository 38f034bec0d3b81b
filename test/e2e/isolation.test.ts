/**
 * Tenant isolation: tenant B, using tenant A's collection names, record ids and key ids on
 * every route, gets 404 (never 403, never A's data), and A's data is unchanged. Path tricks
 * in names and ids do not escape the tenant.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { client, errorCode, register, testServer } from '../support/server.js';

let a: ReturnType<typeof client>;
let b: ReturnType<typeof client>;
let aKeyId: string;
let dataDir: string;
let tenantA: string;
let tenantB: string;

async function snapshotOfA() {
  const c = await a('GET', '/v1/collections/secret');
  const r = await a('GET', '/v1/collections/secret/records/doc-1?includeVector=true');
  const l = await a('GET', '/v1/collections/secret/records');
  const k = await a('GET', '/v1/keys');
  return JSON.stringify([c.body.count, r.body, l.body, k.body.keys.map((x: { id: string; revokedAt: unknown }) => [x.id, x.revokedAt])]);
}

before(async () => {
  const s = await testServer({ VECTRA_RATE_LIMIT: '100000' });
  dataDir = s.dataDir;
  const ra = await register(s.url, 'a');
  const rb = await register(s.url, 'b');
  tenantA = ra.tenantId;
  tenantB = rb.tenantId;
  a = client(s.url, ra.key);
  b = client(s.url, rb.key);
  await a('POST', '/v1/collections', { name: 'secret' });
  await a('POST', '/v1/collections/secret/records', { records: [{ id: 'doc-1', text: 'the launch code is 0000', metadata: { owner: 'a' } }, { id: 'doc-2', text: 'payroll', metadata: { owner: 'a' } }] });
  aKeyId = (await a('GET', '/v1/keys')).body.keys[0].id;
});

describe('cross-tenant matrix', () => {
  const routes: [string, string, unknown?][] = [
    ['GET', '/v1/collections/secret'],
    ['DELETE', '/v1/collections/secret'],
    ['POST', '/v1/collections/secret/records', { records: [{ id: 'doc-1', text: 'overwritten' }] }],
    ['GET', '/v1/collections/secret/records'],
    ['GET', '/v1/collections/secret/records/doc-1'],
    ['DELETE', '/v1/collections/secret/records/doc-1'],
    ['POST', '/v1/collections/secret/records/delete', { ids: ['doc-1'] }],
    ['POST', '/v1/collections/secret/records/delete', { filter: { owner: 'a' } }],
    ['POST', '/v1/collections/secret/search', { text: 'launch code' }],
    ['POST', '/v1/collections/secret/search', { vector: Array(100).fill(0.1), return: 'id' }],
  ];
  for (const [method, path, body] of routes) {
    it(`${method} ${path} as another tenant → 404, A unchanged`, async () => {
      const before = await snapshotOfA();
      const r = await b(method, path, body);
      assert.equal(r.status, 404, JSON.stringify(r.body));
      assert.equal(errorCode(r), 'COLLECTION_NOT_FOUND');
      assert.doesNotMatch(JSON.stringify(r.body), /launch|payroll|doc-1|owner/);
      assert.equal(await snapshotOfA(), before);
    });
  }

  it("revoking another tenant's key id → 404, and A's key keeps working", async () => {
    const r = await b('DELETE', `/v1/keys/${aKeyId}`);
    assert.equal(r.status, 404);
    assert.equal(errorCode(r), 'KEY_NOT_FOUND');
    assert.equal((await a('GET', '/v1/collections')).status, 200);
  });

  it('lists and counts reveal nothing: B sees no collections, no keys of A, empty metrics per tenant', async () => {
    assert.deepEqual((await b('GET', '/v1/collections')).body, { collections: [] });
    const keys = (await b('GET', '/v1/keys')).body.keys.map((k: { id: string }) => k.id);
    assert.ok(!keys.includes(aKeyId));
  });

  it('the same collection name in two tenants is two collections (no 409 leaks existence)', async () => {
    const r = await b('POST', '/v1/collections', { name: 'secret' });
    assert.equal(r.status, 201);
    assert.equal(r.body.count, 0);
    await b('POST', '/v1/collections/secret/records', { records: [{ id: 'doc-1', text: 'b data', metadata: { owner: 'b' } }] });
    assert.equal((await a('GET', '/v1/collections/secret/records/doc-1')).body.metadata.owner, 'a');
    assert.equal((await b('GET', '/v1/collections/secret/records/doc-1')).body.metadata.owner, 'b');
    const s = await b('POST', '/v1/collections/secret/search', { text: 'launch code payroll', k: 10 });
    assert.deepEqual(s.body.results.map((x: { id: string }) => x.id), ['doc-1']);
    assert.equal(s.body.results[0].text, 'b data');
    await b('DELETE', '/v1/collections/secret');
    assert.equal((await a('GET', '/v1/collections/secret')).body.count, 2);
  });

  it('path tricks in names and ids stay inside the tenant', async () => {
    // (Plain . and .. segments, even percent-encoded, are resolved by the client before sending.)
    for (const name of ['..%2Fsecret', `..%2F${tenantA}%2Fsecret`, 'secret%00', 'a%2Fb', '%252e%252e', '..%5Csecret', '.hidden']) {
      const r = await b('GET', `/v1/collections/${name}`);
      assert.ok([400, 404].includes(r.status), `${name}: ${r.status}`);
      assert.doesNotMatch(JSON.stringify(r.body), /launch|payroll|doc-1/);
      const c = await b('POST', '/v1/collections', { name: decodeURIComponent(name) });
      assert.equal(c.status, 400, `creating ${name}`);
    }
    for (const id of ['..%2F..%2Fsystem.db', '%2E%2E', 'doc-1%00']) {
      const r = await b('GET', `/v1/collections/secret/records/${id}`);
      assert.equal(r.status, 404);
    }
    // On disk, each tenant's files are under its own directory only.
    assert.deepEqual(readdirSync(join(dataDir, 'tenants')).sort(), [tenantA, tenantB].sort());
    assert.deepEqual(readdirSync(join(dataDir, 'tenants', tenantA)), ['secret']);
  });
});
