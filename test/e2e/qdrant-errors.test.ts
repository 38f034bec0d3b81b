/**
 * What the Qdrant-compatible subset does not support is refused with a 4xx in Qdrant's error
 * shape (`{"status": {"error": "Wrong input: …"}, "time"}`) naming the field, never quietly
 * dropped; missing collections and points are Qdrant's 404s; keys are checked as everywhere.
 * Through the official client where it can send the request, raw HTTP otherwise.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { QdrantClient } from '@qdrant/js-client-rest';
import { call, register, testServer } from '../support/server.js';

let url: string;
let key: string;
let qdrant: QdrantClient;

before(async () => {
  url = (await testServer({ VECTRA_RATE_LIMIT: '1000000', VECTRA_MAX_BATCH: '100' })).url;
  ({ key } = await register(url, 'errors'));
  qdrant = new QdrantClient({ url, prefix: '/qdrant', apiKey: key, checkCompatibility: false });
  await qdrant.createCollection('c', { vectors: { size: 4, distance: 'Cosine' } });
  await qdrant.upsert('c', { points: [{ id: 1, vector: [1, 0, 0, 0], payload: { city: 'Paris', tags: ['a'] } }] });
});

async function raw(method: string, path: string, body?: unknown, headers: Record<string, string> = { 'api-key': key }) {
  return call(url, method, `/qdrant${path}`, { body, headers });
}

/** Qdrant's error envelope, its status, and Vectra's code in the header. */
function assertQdrantError(r: { status: number; body: any; headers: Headers }, status: number, includes: string[], what: string): void {
  assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`);
  assert.deepEqual(Object.keys(r.body).sort(), ['status', 'time'], `${what}: the envelope`);
  assert.equal(typeof r.body.time, 'number');
  assert.equal(typeof r.body.status.error, 'string');
  for (const s of includes) assert.ok(r.body.status.error.includes(s), `${what}: ${JSON.stringify(r.body.status.error)} should mention ${JSON.stringify(s)}`);
  assert.ok(r.headers.get('x-vectra-error-code'), `${what}: Vectra's code in x-vectra-error-code`);
}

const v = [1, 0, 0, 0];
const filterCase = (filter: unknown) => ({ query: v, filter });

/** [what, method, path, body, status, words the message must contain] */
const REFUSED: [string, string, string, unknown, number, string[]][] = [
  // filters
  ['full-text match', 'POST', '/collections/c/points/query', filterCase({ must: [{ key: 'city', match: { text: 'Par' } }] }), 400, ['filter.must[0].match.text', 'not supported']],
  ['text_any', 'POST', '/collections/c/points/count', { filter: { should: [{ key: 'city', match: { text_any: 'a b' } }] } }, 400, ['filter.should[0].match.text_any', 'not supported']],
  ['phrase', 'POST', '/collections/c/points/scroll', { filter: { must_not: [{ key: 'city', match: { phrase: 'a b' } }] } }, 400, ['filter.must_not[0].match.phrase']],
  ['prefix', 'POST', '/collections/c/points/query', filterCase({ must: { key: 'city', match: { prefix: 'P' } } }), 400, ['filter.must[0].match.prefix']],
  ['geo', 'POST', '/collections/c/points/query', filterCase({ must: [{ key: 'loc', geo_radius: { center: { lat: 0, lon: 0 }, radius: 10 } }] }), 400, ['filter.must[0].geo_radius', 'geo conditions']],
  ['values_count', 'POST', '/collections/c/points/query', filterCase({ must: [{ key: 'tags', values_count: { gt: 1 } }] }), 400, ['values_count']],
  ['nested', 'POST', '/collections/c/points/query', filterCase({ must: [{ nested: { key: 'items', filter: { must: [] } } }] }), 400, ['filter.must[0].nested']],
  ['array path', 'POST', '/collections/c/points/query', filterCase({ must: [{ key: 'items[].x', match: { value: 1 } }] }), 400, ['filter.must[0].key', 'array paths']],
  ['float match value', 'POST', '/collections/c/points/query', filterCase({ must: [{ key: 'p', match: { value: 1.5 } }] }), 400, ['filter.must[0].match.value', 'integer']],
  ['mixed any', 'POST', '/collections/c/points/query', filterCase({ must: [{ key: 'p', match: { any: ['a', 1] } }] }), 400, ['filter.must[0].match.any']],
  ['two conditions in one', 'POST', '/collections/c/points/query', filterCase({ must: [{ key: 'p', match: { value: 1 }, range: { gt: 0 } }] }), 400, ['filter.must[0]', 'match, range']],
  ['unknown filter field', 'POST', '/collections/c/points/query', filterCase({ maybe: [] }), 400, ['filter.maybe']],
  ['huge min_should', 'POST', '/collections/c/points/query', filterCase({ min_should: { min_count: 8, conditions: Array.from({ length: 16 }, (_, i) => ({ key: `f${i}`, match: { value: i } })) } }), 400, ['filter.min_should', 'combinations']],
  ['bad datetime', 'POST', '/collections/c/points/query', filterCase({ must: [{ key: 'd', range: { gt: 'yesterday' } }] }), 400, ['filter.must[0].range.gt', 'RFC 3339']],
  ['bad has_id', 'POST', '/collections/c/points/query', filterCase({ must: [{ has_id: ['not-a-uuid'] }] }), 400, ['filter.must[0].has_id[0]', 'point id']],
  // collections
  ['Manhattan', 'PUT', '/collections/m', { vectors: { size: 4, distance: 'Manhattan' } }, 400, ['vectors.distance', 'Manhattan']],
  ['named vectors', 'PUT', '/collections/m', { vectors: { image: { size: 4, distance: 'Cosine' } } }, 400, ['vectors', 'named vectors']],
  ['sparse vectors', 'PUT', '/collections/m', { vectors: { size: 4, distance: 'Cosine' }, sparse_vectors: { s: {} } }, 400, ['sparse_vectors']],
  ['multivectors', 'PUT', '/collections/m', { vectors: { size: 4, distance: 'Cosine', multivector_config: { comparator: 'max_sim' } } }, 400, ['vectors.multivector_config']],
  ['uint8', 'PUT', '/collections/m', { vectors: { size: 4, distance: 'Cosine', datatype: 'uint8' } }, 400, ['vectors.datatype']],
  ['product quantization', 'PUT', '/collections/m', { vectors: { size: 4, distance: 'Cosine' }, quantization_config: { product: { compression: 'x4' } } }, 400, ['quantization_config']],
  ['custom sharding', 'PUT', '/collections/m', { vectors: { size: 4, distance: 'Cosine' }, sharding_method: 'custom' }, 400, ['sharding_method']],
  ['no vectors', 'PUT', '/collections/m', {}, 400, ['vectors']],
  ['a typo in vectors', 'PUT', '/collections/m', { vectors: { size: 4, distance: 'Cosine', on_disc: true } }, 400, ['vectors.on_disc', 'unknown field']],
  ['a typo in hnsw_config', 'PUT', '/collections/m', { vectors: { size: 4, distance: 'Cosine' }, hnsw_config: { ef_construction: 100 } }, 400, ['hnsw_config.ef_construction', 'unknown field']],
  ['a name Vectra does not take', 'PUT', '/collections/my.collection', { vectors: { size: 4, distance: 'Cosine' } }, 400, ['collection name "my.collection"', 'A–Z']],
  ['an HNSW setting out of range', 'PUT', '/collections/m', { vectors: { size: 4, distance: 'Cosine' }, hnsw_config: { m: 1000 } }, 400, ['hnsw_config.m must be an integer']],
  // points
  ['named vector in a point', 'PUT', '/collections/c/points', { points: [{ id: 2, vector: { image: [1, 0, 0, 0] } }] }, 400, ['points[0].vector', 'named vectors']],
  ['multivector in a point', 'PUT', '/collections/c/points', { points: [{ id: 2, vector: [[1, 0, 0, 0]] }] }, 400, ['points[0].vector', 'multivectors']],
  ['negative id', 'PUT', '/collections/c/points', { points: [{ id: -1, vector: v }] }, 400, ['points[0].id', 'not a valid point id']],
  ['fractional id', 'PUT', '/collections/c/points', { points: [{ id: 1.5, vector: v }] }, 400, ['points[0].id']],
  ['string id that is not a UUID', 'PUT', '/collections/c/points', { points: [{ id: 'doc-1', vector: v }] }, 400, ['points[0].id']],
  ['digits as a string', 'PUT', '/collections/c/points', { batch: { ids: ['42'], vectors: [v] } }, 400, ['batch.ids[0]']],
  ['an id past 2^53', 'PUT', '/collections/c/points', { points: [{ id: 2 ** 60, vector: v }] }, 400, ['points[0].id', '2^53']],
  ['wrong dimension', 'PUT', '/collections/c/points', { points: [{ id: 3, vector: [1, 0, 0] }] }, 400, ['points[0].vector', '3 dimensions']],
  ['payload key with a dot', 'PUT', '/collections/c/points', { points: [{ id: 3, vector: v, payload: { 'a.b': 1 } }] }, 400, ['points[0].payload']],
  ['update_filter', 'PUT', '/collections/c/points', { points: [{ id: 3, vector: v }], update_filter: { must: [] } }, 400, ['update_filter']],
  ['shard_key', 'PUT', '/collections/c/points', { points: [{ id: 3, vector: v }], shard_key: 'eu' }, 400, ['shard_key']],
  ['points and batch', 'PUT', '/collections/c/points', { points: [], batch: { ids: [], vectors: [] } }, 400, ['exactly one of']],
  ['over VECTRA_MAX_BATCH', 'PUT', '/collections/c/points', { batch: { ids: Array.from({ length: 101 }, (_, i) => i), vectors: Array.from({ length: 101 }, () => v) } }, 400, ['at most 100 points']],
  ['unknown point field', 'PUT', '/collections/c/points', { points: [{ id: 3, vector: v, vectors: v }] }, 400, ['points[0].vectors', 'unknown field']],
  ['unknown body field', 'POST', '/collections/c/points/query', { query: v, limitt: 3 }, 400, ['limitt', 'unknown field']],
  ['order_by', 'POST', '/collections/c/points/scroll', { order_by: 'price' }, 400, ['order_by']],
  ['named with_vector', 'POST', '/collections/c/points', { ids: [1], with_vector: ['image'] }, 400, ['with_vector', 'named vectors']],
  ['delete_vectors in a batch', 'POST', '/collections/c/points/batch', { operations: [{ delete_vectors: { points: [1], vector: [''] } }] }, 400, ['operations[0].delete_vectors']],
  ['unknown field in a batch operation', 'POST', '/collections/c/points/batch', { operations: [{ upsert: { points: [], extra: 1 } }] }, 400, ['operations[0].upsert.extra']],
  ['both points and filter to delete', 'POST', '/collections/c/points/delete', { points: [1], filter: {} }, 400, ['"points" or "filter"']],
  // query and search
  ['prefetch', 'POST', '/collections/c/points/query', { prefetch: [{ query: v }], query: { fusion: 'rrf' } }, 400, ['prefetch']],
  ['recommend', 'POST', '/collections/c/points/query', { query: { recommend: { positive: [1] } } }, 400, ['query.recommend', 'recommend queries']],
  ['fusion', 'POST', '/collections/c/points/query', { query: { fusion: 'rrf' } }, 400, ['query.fusion']],
  ['order_by query', 'POST', '/collections/c/points/query', { query: { order_by: 'price' } }, 400, ['query.order_by']],
  ['sparse query', 'POST', '/collections/c/points/query', { query: { indices: [1], values: [0.5] } }, 400, ['query.indices', 'sparse']],
  ['inference query', 'POST', '/collections/c/points/query', { query: { text: 'hello', model: 'bm25' } }, 400, ['query.text', 'inference']],
  ['using a named vector', 'POST', '/collections/c/points/query', { query: v, using: 'image' }, 400, ['using']],
  ['lookup_from', 'POST', '/collections/c/points/query', { query: 1, lookup_from: { collection: 'other' } }, 400, ['lookup_from']],
  ['no query', 'POST', '/collections/c/points/query', { limit: 3 }, 400, ['query', 'required']],
  ['named search vector', 'POST', '/collections/c/points/search', { vector: { name: 'image', vector: v }, limit: 1 }, 400, ['vector', 'named']],
  ['search without limit', 'POST', '/collections/c/points/search', { vector: v }, 400, ['limit']],
  ['limit past VECTRA_MAX_K', 'POST', '/collections/c/points/query', { query: v, limit: 900, offset: 200 }, 400, ['limit + offset', 'VECTRA_MAX_K']],
  ['unknown search param', 'POST', '/collections/c/points/query', { query: v, params: { ef: 10 } }, 400, ['params.ef']],
  ['unknown field in a batch search', 'POST', '/collections/c/points/query/batch', { searches: [{ query: v }, { query: v, top: 1 }] }, 400, ['searches[1].top']],
  // not found
  ['a missing collection', 'POST', '/collections/nope/points/count', {}, 404, ['Not found: Collection `nope` doesn\'t exist!']],
  ['a missing collection (info)', 'GET', '/collections/nope', undefined, 404, ['Not found: Collection `nope` doesn\'t exist!']],
  ['a missing point', 'GET', '/collections/c/points/77', undefined, 404, ['Not found: Point with id 77 does not exists!']],
  ['query near a missing point', 'POST', '/collections/c/points/query', { query: 77 }, 404, ['Not found: No point with id 77 found']],
  ['a route Vectra does not serve', 'POST', '/collections/c/snapshots', {}, 404, ['no route POST /qdrant/collections/c/snapshots']],
  ['a Qdrant route Vectra does not serve (recommend)', 'POST', '/collections/c/points/recommend', { positive: [1] }, 404, ['no route']],
];

describe('unsupported and invalid requests answer Qdrant\'s error shape, naming what to change', () => {
  for (const [what, method, path, body, status, words] of REFUSED) {
    it(`${what} → ${status}`, async () => {
      assertQdrantError(await raw(method, path, body), status, [status === 404 ? 'Not found: ' : 'Wrong input: ', ...words], what);
    });
  }

  it('nothing was written by the refused requests', async () => {
    assert.deepEqual(await qdrant.count('c'), { count: 1 });
    assert.deepEqual(await qdrant.collectionExists('m'), { exists: false });
  });

  it('the official client surfaces them as ApiError with Qdrant\'s body', async () => {
    await assert.rejects(qdrant.query('c', { query: v, filter: { must: [{ key: 'city', match: { text: 'Par' } }] } }), (e: any) => e.status === 400 && /filter\.must\[0\]\.match\.text/.test(e.data.status.error));
    await assert.rejects(qdrant.getCollection('nope'), (e: any) => e.status === 404 && e.data.status.error === "Not found: Collection `nope` doesn't exist!");
    await assert.rejects(qdrant.createCollection('m', { vectors: { size: 4, distance: 'Manhattan' } }), (e: any) => e.status === 400);
  });
});

describe('keys under /qdrant', () => {
  it('no key: 401; a read-only key writing: 403; a revoked key: 401 — in Qdrant\'s shape', async () => {
    assertQdrantError(await raw('GET', '/collections', undefined, {}), 401, ['Unauthorized: ', 'api-key'], 'no key');
    const readOnly = await call(url, 'POST', '/v1/keys', { key, body: { name: 'ro', scopes: ['read'] } });
    const ro = readOnly.body.apiKey as string;
    assert.equal((await raw('GET', '/collections', undefined, { 'api-key': ro })).status, 200);
    assertQdrantError(await raw('PUT', '/collections/c/points', { points: [{ id: 9, vector: v }] }, { 'api-key': ro }), 403, ['Forbidden: ', '"write" scope'], 'read-only key writing');
    assertQdrantError(await raw('PUT', '/collections/x', { vectors: { size: 4, distance: 'Dot' } }, { 'api-key': ro }), 403, ['Forbidden: '], 'read-only key creating a collection');
    await call(url, 'DELETE', `/v1/keys/${readOnly.body.id}`, { key });
    assertQdrantError(await raw('GET', '/collections', undefined, { 'api-key': ro }), 401, ['Unauthorized: '], 'revoked');
    // Bearer works too, as in Qdrant.
    assert.equal((await raw('GET', '/collections', undefined, { authorization: `Bearer ${key}` })).status, 200);
    // The version and health probes are public, as in Qdrant.
    assert.equal((await raw('GET', '/', undefined, {})).body.version, '1.19.0');
    assert.equal((await raw('GET', '/healthz', undefined, {})).status, 200);
  });

  it('the /qdrant routes stay out of Vectra\'s own OpenAPI document (their contract is Qdrant\'s)', async () => {
    const doc = await call(url, 'GET', '/openapi.json');
    assert.equal(doc.status, 200);
    const paths = Object.keys(doc.body.paths);
    assert.ok(paths.some((p) => p.startsWith('/v1/')));
    assert.deepEqual(paths.filter((p) => p.startsWith('/qdrant')), []);
  });

  it('a field index is accepted and changes nothing (Vectra indexes every payload field); a bad type is refused', async () => {
    const r = await qdrant.createPayloadIndex('c', { field_name: 'city', field_schema: 'keyword', wait: true });
    assert.equal(r.status, 'completed');
    assert.equal((await qdrant.deletePayloadIndex('c', 'city')).status, 'completed');
    assertQdrantError(await raw('PUT', '/collections/c/index', { field_name: 'city', field_schema: 'vector' }), 400, ['field_schema'], 'bad index type');
    assertQdrantError(await raw('PUT', '/collections/nope/index', { field_name: 'city', field_schema: 'keyword' }), 404, ['Collection `nope`'], 'missing collection');
  });
});

describe('fuzzing the /qdrant routes', () => {
  it('valid bodies broken at random (odd values anywhere, fields dropped or added): never a 5xx, always Qdrant\'s envelope', async () => {
    const valid: [string, string, Record<string, unknown>][] = [
      ['PUT', '/collections/fz', { vectors: { size: 4, distance: 'Dot' }, hnsw_config: { m: 8 } }],
      ['PUT', '/collections/c/points', { points: [{ id: 5, vector: v, payload: { a: 1 } }] }],
      ['PUT', '/collections/c/points', { batch: { ids: [6], vectors: [v], payloads: [{ a: 2 }] } }],
      ['POST', '/collections/c/points', { ids: [1, 5], with_payload: ['a'], with_vector: true }],
      ['POST', '/collections/c/points/delete', { points: [6] }],
      ['POST', '/collections/c/points/payload', { points: [5], payload: { b: 1 }, key: 'x' }],
      ['PUT', '/collections/c/points/payload', { filter: { must: [{ key: 'a', match: { value: 1 } }] }, payload: { a: 1 } }],
      ['POST', '/collections/c/points/payload/delete', { points: [5], keys: ['b'] }],
      ['PUT', '/collections/c/points/vectors', { points: [{ id: 5, vector: v }] }],
      ['POST', '/collections/c/points/batch', { operations: [{ upsert: { points: [{ id: 8, vector: v }] } }, { delete: { points: [8] } }] }],
      ['POST', '/collections/c/points/scroll', { limit: 3, offset: 1, filter: { should: [{ has_id: [1] }] }, with_payload: { exclude: ['a'] } }],
      ['POST', '/collections/c/points/count', { filter: { must_not: [{ is_empty: { key: 'a' } }] } }],
      ['POST', '/collections/c/points/search', { vector: v, limit: 3, offset: 1, score_threshold: 0, params: { hnsw_ef: 16 } }],
      ['POST', '/collections/c/points/query', { query: { nearest: v, mmr: { diversity: 0.3 } }, limit: 3, filter: { min_should: { min_count: 1, conditions: [{ key: 'a', range: { gt: 0 } }] } } }],
      ['POST', '/collections/c/points/query/batch', { searches: [{ query: 1 }, { query: v, using: '' }] }],
    ];
    const odd = fc.oneof(
      fc.constantFrom(null, true, -1, 0, 1.5, 2 ** 64, -(2 ** 63), '', '\u0000', '\ud800', 'NaN', '1e309', [], {}, [[]], [null], { key: null }, '00000000-0000-0000-0000-000000000000'),
      fc.string({ maxLength: 8 }),
      fc.jsonValue({ maxDepth: 3 }),
    );
    /** A copy of `x` with the value at one place (or a new field) replaced, or a field dropped; `pick(n)` chooses in [0, n). */
    const mutate = (x: unknown, pick: (n: number) => number, value: unknown): unknown => {
      if (typeof x !== 'object' || x === null) return value;
      const copy: any = Array.isArray(x) ? [...x] : { ...x };
      const keys = Object.keys(copy);
      const roll = pick(10);
      if (roll === 0 || keys.length === 0) copy[Array.isArray(copy) ? copy.length : `f${pick(3)}`] = value;
      else if (roll === 1) delete copy[keys[pick(keys.length)]];
      else {
        const k = keys[pick(keys.length)];
        copy[k] = pick(3) === 0 ? value : mutate(copy[k], pick, value);
      }
      return copy;
    };
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat(valid.length - 1), odd, fc.array(fc.nat(), { minLength: 24, maxLength: 24 }), async (i, value, choices) => {
        const [method, path, body] = valid[i];
        let at = 0;
        const broken = mutate(body, (n) => choices[at++ % choices.length] % n, value);
        const r = await raw(method, path, broken);
        sent++;
        assert.ok(r.status < 500, `${method} ${path} ${JSON.stringify(broken)} → ${r.status} ${JSON.stringify(r.body)}`);
        if (r.status >= 400) assertQdrantError(r, r.status, [], `${method} ${path} ${JSON.stringify(broken)}`);
        else assert.equal(r.body.status, 'ok');
      }),
      { numRuns: 600, seed: 22 },
    );
    process.stdout.write(`# qdrant fuzz: ${sent} broken requests, none a 5xx, every error in Qdrant's envelope\n`);
  });
});
