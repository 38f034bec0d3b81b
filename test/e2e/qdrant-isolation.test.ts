/**
 * Tenants through /qdrant are isolated exactly as through /v1: tenant B, with the official
 * client and A's collection names and point ids on every route, gets Qdrant's "not found"
 * answers (404, or `exists: false` / `false` where Qdrant answers so for any missing
 * collection), never A's data, and changes nothing of A's; B's collection of the same name is
 * B's own. (Scopes, key forms and rate limits per key: test/reliability/security.test.ts.)
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { QdrantClient } from '@qdrant/js-client-rest';
import { call, register, testServer } from '../support/server.js';
import { uuidFor } from '../support/qdrant.js';

let url: string;
let a: QdrantClient;
let b: QdrantClient;
let keyB: string;
const SECRET_ID = uuidFor('secret');

const clientFor = (key: string) => new QdrantClient({ url, prefix: '/qdrant', apiKey: key, checkCompatibility: false });

async function snapshotOfA(): Promise<string> {
  const info = await a.getCollection('secret');
  const page = await a.scroll('secret', { limit: 100, with_vector: true });
  return JSON.stringify([info.points_count, page]);
}

before(async () => {
  url = (await testServer({ VECTRA_RATE_LIMIT: '1000000' })).url;
  const ra = await register(url, 'alpha');
  const rb = await register(url, 'bravo');
  keyB = rb.key;
  a = clientFor(ra.key);
  b = clientFor(rb.key);
  await a.createCollection('secret', { vectors: { size: 4, distance: 'Dot' } });
  await a.upsert('secret', { points: [{ id: 7, vector: [1, 0, 0, 0], payload: { code: 'launch-code-0000' } }, { id: SECRET_ID, vector: [0, 1, 0, 0], payload: { code: 'launch-code-0000', owner: 'alpha' } }] });
});

describe('cross-tenant through /qdrant', () => {
  const v = [1, 0, 0, 0];
  const filter = { must: [{ key: 'code', match: { value: 'launch-code-0000' } }] };
  const attempts: [string, () => Promise<unknown>][] = [
    ['getCollection', () => b.getCollection('secret')],
    ['upsert', () => b.upsert('secret', { points: [{ id: 7, vector: v, payload: { code: 'mallory' } }] })],
    ['retrieve', () => b.retrieve('secret', { ids: [7, SECRET_ID] })],
    ['getPoint', () => b.api().getPoint({ collection_name: 'secret', id: 7 })],
    ['scroll', () => b.scroll('secret', { limit: 10 })],
    ['count', () => b.count('secret', { filter })],
    ['query', () => b.query('secret', { query: v, with_payload: true })],
    ['query by A\'s point id', () => b.query('secret', { query: SECRET_ID })],
    ['queryBatch', () => b.queryBatch('secret', { searches: [{ query: v }] })],
    ['delete by ids', () => b.delete('secret', { points: [7] })],
    ['delete by filter', () => b.delete('secret', { filter })],
    ['setPayload', () => b.setPayload('secret', { points: [7], payload: { code: 'mallory' } })],
    ['overwritePayload', () => b.overwritePayload('secret', { filter, payload: {} })],
    ['deletePayload', () => b.deletePayload('secret', { points: [7], keys: ['code'] })],
    ['clearPayload', () => b.clearPayload('secret', { points: [7] })],
    ['updateVectors', () => b.updateVectors('secret', { points: [{ id: 7, vector: v }] })],
    ['batchUpdate', () => b.batchUpdate('secret', { operations: [{ delete: { points: [7] } }] })],
    ['createPayloadIndex', () => b.createPayloadIndex('secret', { field_name: 'code', field_schema: 'keyword' })],
  ];
  for (const [what, attempt] of attempts) {
    it(`${what} on A's collection as B → 404, nothing of A's, A unchanged`, async () => {
      const before = await snapshotOfA();
      await assert.rejects(attempt(), (e: any) => {
        assert.equal(e.status, 404, `${what}: ${JSON.stringify(e.data)}`);
        assert.equal(e.data.status.error, "Not found: Collection `secret` doesn't exist!");
        return true;
      });
      assert.equal(await snapshotOfA(), before);
    });
  }

  it('the search route (not in the 1.19 client) too', async () => {
    const r = await call(url, 'POST', '/qdrant/collections/secret/points/search', { headers: { 'api-key': keyB }, body: { vector: v, limit: 5, with_payload: true } });
    assert.equal(r.status, 404);
    assert.doesNotMatch(JSON.stringify(r.body), /launch|alpha/);
  });

  it('exists and delete answer as for any missing collection (no error, nothing to tell apart)', async () => {
    assert.deepEqual(await b.collectionExists('secret'), { exists: false });
    assert.deepEqual(await b.collectionExists('never-made'), { exists: false });
    const before = await snapshotOfA();
    assert.equal(await b.deleteCollection('secret'), false);
    assert.equal(await snapshotOfA(), before);
  });

  it("B's listing shows none of A's; B's collection of the same name is B's own, and A's is untouched", async () => {
    assert.deepEqual((await b.getCollections()).collections, []);
    const before = await snapshotOfA();
    await b.createCollection('secret', { vectors: { size: 4, distance: 'Dot' } });
    await b.upsert('secret', { points: [{ id: 7, vector: [0, 0, 1, 0], payload: { owner: 'bravo' } }] });
    const mine = await b.scroll('secret', { limit: 10, with_vector: true });
    assert.deepEqual(mine.points, [{ id: 7, payload: { owner: 'bravo' }, vector: [0, 0, 1, 0] }]);
    assert.equal((await b.count('secret', { filter })).count, 0);
    assert.deepEqual(await b.retrieve('secret', { ids: [SECRET_ID] }), []);
    const near = await b.query('secret', { query: [0, 1, 0, 0], limit: 10, with_payload: true });
    assert.doesNotMatch(JSON.stringify(near), /launch|alpha/);
    assert.equal(await snapshotOfA(), before);
    assert.deepEqual((await a.retrieve('secret', { ids: [7] }))[0].payload, { code: 'launch-code-0000' });
  });
});
