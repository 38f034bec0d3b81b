/**
 * The docs/api.md walkthrough against a real server on a real port, and every error code
 * the contract describes, shaped as {"error": {"code", "message"}}.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { HTTP_STATUS } from '../../src/api/error-codes.js';
import { errorHandler } from '../../src/api/errors.js';
import { storageError } from '../../src/engine/disk.js';
import { VectraError } from '../../src/errors.js';
import { client, errorCode, register, testServer, type Answer } from '../support/server.js';
import { tempDir } from '../support/tmp.js';

let url: string;
let api: ReturnType<typeof client>;

before(async () => {
  url = (await testServer({ VECTRA_RATE_LIMIT: '100000' })).url;
  api = client(url, (await register(url)).key);
});

function expectError(a: Answer, status: number, code: string) {
  assert.equal(a.status, status, JSON.stringify(a.body));
  assert.equal(errorCode(a), code, JSON.stringify(a.body));
}

describe('API walkthrough', () => {
  it('register → collection → upsert texts → search by text, by vector, returning ids, with a filter', async () => {
    const created = await api('POST', '/v1/collections', { name: 'jobs' });
    assert.equal(created.status, 201);
    assert.equal(created.body.model, 'glove-100d-v2');
    assert.equal(created.body.dimension, 100);
    assert.equal(created.body.metric, 'cosine');

    const up = await api('POST', '/v1/collections/jobs/records', {
      records: [
        { id: 'barista', text: 'barista at a coffee shop, $15 per hour', metadata: { city: 'Austin', wage: 15, tags: ['food'] } },
        { id: 'cook', text: 'line cook, twelve dollars an hour', metadata: { city: 'Boston', wage: 12, tags: ['food'] } },
        { id: 'engineer', text: 'software engineer, annual salary 150k', metadata: { city: 'Austin', wage: 75 } },
        { text: 'the cat sat on the mat', metadata: { city: 'Paris' } },
      ],
    });
    assert.equal(up.status, 200);
    assert.equal(up.body.upserted, 4);
    assert.deepEqual(up.body.ids.slice(0, 3), ['barista', 'cook', 'engineer']);
    assert.match(up.body.ids[3], /^[0-9a-f-]{36}$/);

    const s = await api('POST', '/v1/collections/jobs/search', { text: 'coffee barista job', k: 2 });
    assert.equal(s.status, 200);
    assert.equal(s.body.results[0].id, 'barista');
    assert.equal(s.body.results[0].metadata.city, 'Austin');
    assert.equal(typeof s.body.results[0].text, 'string');
    assert.ok(s.body.results[0].score <= 1 && s.body.results[0].score > s.body.results[1].score);
    assert.equal(typeof s.body.took_ms, 'number');

    const ids = await api('POST', '/v1/collections/jobs/search', { text: 'coffee barista job', k: 2, return: 'id' });
    assert.deepEqual(Object.keys(ids.body.results[0]).sort(), ['id', 'score']);

    const f = await api('POST', '/v1/collections/jobs/search', { text: 'hourly wage', k: 10, filter: { wage: { $gte: 13 }, city: 'Austin' } });
    assert.deepEqual(f.body.results.map((r: { id: string }) => r.id).sort(), ['barista', 'engineer']);
    const tags = await api('POST', '/v1/collections/jobs/search', { text: 'job', filter: { tags: 'food' }, return: 'id' });
    assert.deepEqual(tags.body.results.map((r: { id: string }) => r.id).sort(), ['barista', 'cook']);

    const rec = await api('GET', '/v1/collections/jobs/records/barista?includeVector=true');
    assert.equal(rec.status, 200);
    assert.equal(rec.body.vector.length, 100);
    const byVector = await api('POST', '/v1/collections/jobs/search', { vector: rec.body.vector, k: 1 });
    assert.equal(byVector.body.results[0].id, 'barista');
    assert.ok(Math.abs(byVector.body.results[0].score - 1) < 1e-5, 'cosine of a vector with itself is 1');

    const list = await api('GET', '/v1/collections/jobs/records?limit=3');
    assert.equal(list.body.records.length, 3);
    assert.ok(list.body.nextCursor);
    const rest = await api('GET', `/v1/collections/jobs/records?limit=3&cursor=${encodeURIComponent(list.body.nextCursor)}`);
    assert.equal(rest.body.records.length, 1);
    assert.equal(rest.body.nextCursor, null);
    const filtered = await api('GET', `/v1/collections/jobs/records?filter=${encodeURIComponent(JSON.stringify({ city: 'Austin' }))}`);
    assert.equal(filtered.body.records.length, 2);

    const desc = await api('GET', '/v1/collections/jobs');
    assert.equal(desc.body.count, 4);
    assert.ok(desc.body.diskBytes > 0);
    assert.equal((await api('GET', '/v1/collections')).body.collections.length, 1);

    const del = await api('DELETE', '/v1/collections/jobs/records/cook');
    assert.equal(del.status, 204);
    // Four upserts (seq 1–4), then this delete: seq 5, told by a header since a 204 has no body.
    assert.equal(del.headers.get('x-vectra-seq'), '5');
    expectError(await api('GET', '/v1/collections/jobs/records/cook'), 404, 'RECORD_NOT_FOUND');
    assert.deepEqual((await api('POST', '/v1/collections/jobs/records/delete', { filter: { city: 'Paris' } })).body, { deleted: 1, seq: 6 });
    assert.equal((await api('GET', '/v1/collections/jobs')).body.count, 2);

    assert.equal((await api('DELETE', '/v1/collections/jobs')).status, 204);
    expectError(await api('GET', '/v1/collections/jobs'), 404, 'COLLECTION_NOT_FOUND');
  });

  it('raw vectors: model "none", dot and l2 metrics, flat index, quantized storage', async () => {
    expectError(await api('POST', '/v1/collections', { name: 'raw', model: 'none' }), 400, 'INVALID_COLLECTION_CONFIG');
    // A dimension without a model meets the default model's: the answer points at "none".
    const noModel = await api('POST', '/v1/collections', { name: 'raw', dimension: 3 });
    expectError(noModel, 400, 'INVALID_COLLECTION_CONFIG');
    assert.equal(noModel.body.error.message, 'the default model "glove-100d-v2" makes 100-dimensional vectors; omit dimension or set it to 100; to store your own 3-dimensional vectors, add "model": "none"');
    const named = await api('POST', '/v1/collections', { name: 'raw', model: 'glove-100d-v2', dimension: 3 });
    assert.equal(named.body.error.message, 'model "glove-100d-v2" makes 100-dimensional vectors; omit dimension or set it to 100');
    for (const [name, extra] of [['l2', { metric: 'l2' }], ['flat', { index: { type: 'flat' } }], ['i8', { storage: 'i8' }], ['f16', { storage: 'f16', metric: 'dot' }], ['binary', { storage: 'binary' }]] as const) {
      const c = await api('POST', '/v1/collections', { name: `raw-${name}`, model: 'none', dimension: 3, ...extra });
      assert.equal(c.status, 201, JSON.stringify(c.body));
      await api('POST', `/v1/collections/raw-${name}/records`, { records: [{ id: 'x', vector: [1, 0, 0] }, { id: 'y', vector: [0, 1, 0] }] });
      const s = await api('POST', `/v1/collections/raw-${name}/search`, { vector: [0.9, 0.1, 0], k: 1 });
      assert.equal(s.body.results[0].id, 'x', name);
      expectError(await api('POST', `/v1/collections/raw-${name}/records`, { records: [{ id: 'z', text: 'no model here' }] }), 400, 'INVALID_RECORD');
      expectError(await api('POST', `/v1/collections/raw-${name}/search`, { text: 'no model here' }), 400, 'INVALID_ARGUMENT');
    }
  });

  it('storage "binary" and bytesPerVector in the collection view', async () => {
    const c = await api('POST', '/v1/collections', { name: 'bin', model: 'none', dimension: 100, storage: 'binary' });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    assert.deepEqual([c.body.storage, c.body.index, c.body.bytesPerVector], ['binary', { type: 'flat' }, 13]);
    const vectors = Array.from({ length: 50 }, (_, i) => Array.from({ length: 100 }, (_, j) => Math.sin(i * 7 + j * 3)));
    await api('POST', '/v1/collections/bin/records', { records: vectors.map((vector, i) => ({ id: `v${i}`, vector })) });
    const s = await api('POST', '/v1/collections/bin/search', { vector: vectors[17], k: 3 });
    assert.equal(s.body.plan, 'binary');
    assert.equal(s.body.results[0].id, 'v17');
    assert.ok(Math.abs(s.body.results[0].score - 1) < 1e-6, 'scores are exact (rescored)');
    const got = await api('GET', '/v1/collections/bin');
    assert.deepEqual([got.body.count, got.body.bytesPerVector], [50, 13]);
    for (const [storage, metric, bytes] of [['f32', 'cosine', 400], ['f16', 'l2', 200], ['i8', 'cosine', 100], ['binary', 'dot', 17]] as const) {
      const v = await api('POST', '/v1/collections', { name: `b-${storage}`, model: 'none', dimension: 100, storage, metric });
      assert.equal(v.body.bytesPerVector, bytes, storage);
    }
    expectError(await api('POST', '/v1/collections', { name: 'x', model: 'none', dimension: 8, storage: 'binary', metric: 'l2' }), 400, 'INVALID_COLLECTION_CONFIG');
    expectError(await api('POST', '/v1/collections', { name: 'x', model: 'none', dimension: 8, storage: 'binary', index: { type: 'hnsw' } }), 400, 'INVALID_COLLECTION_CONFIG');
    const int4 = await api('POST', '/v1/collections', { name: 'x', model: 'none', dimension: 8, storage: 'int4' });
    expectError(int4, 400, 'INVALID_ARGUMENT');
    assert.equal(int4.body.error.message, 'body.storage must be one of "f32", "f16", "i8", "binary", "pq"');
  });

  it('storage "pq": exact until trained, codebooks trained in the background, reported in the view', async () => {
    const c = await api('POST', '/v1/collections', { name: 'pqc', model: 'none', dimension: 100, storage: 'pq', pq: { m: 20 } });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    assert.deepEqual([c.body.storage, c.body.index, c.body.bytesPerVector, c.body.pq], ['pq', { type: 'flat' }, 20, { m: 20, bits: 8, trainedOn: 0 }]);
    const vectors = Array.from({ length: 4500 }, (_, i) => Array.from({ length: 100 }, (_, j) => Math.sin(i * 7 + j * 3) + Math.cos(i * (j + 1))));
    for (let i = 0; i < vectors.length; i += 500) {
      const w = await api('POST', '/v1/collections/pqc/records', { records: vectors.slice(i, i + 500).map((vector, j) => ({ id: `v${i + j}`, vector })) });
      assert.equal(w.status, 200, JSON.stringify(w.body));
    }
    // 4,500 ≥ 4,096 vectors: a background build trains the codebooks (liveness deadline, not a speed check).
    let view = (await api('GET', '/v1/collections/pqc')).body;
    for (const deadline = Date.now() + 60_000; view.pq.trainedOn === 0 && Date.now() < deadline; view = (await api('GET', '/v1/collections/pqc')).body) {
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.deepEqual([view.count, view.pq.trainedOn], [4500, 4500]);
    const s = await api('POST', '/v1/collections/pqc/search', { vector: vectors[1234], k: 3 });
    assert.equal(s.body.plan, 'pq');
    assert.equal(s.body.results[0].id, 'v1234');
    assert.ok(Math.abs(s.body.results[0].score - 1) < 1e-6, 'scores are exact (rescored)');
    expectError(await api('POST', '/v1/collections', { name: 'x', model: 'none', dimension: 100, storage: 'pq', pq: { m: 30 } }), 400, 'INVALID_COLLECTION_CONFIG');
    expectError(await api('POST', '/v1/collections', { name: 'x', model: 'none', dimension: 100, storage: 'pq', pq: { m: 25, extra: 1 } }), 400, 'INVALID_ARGUMENT');
  });

  it('models, embed and OpenAI-compatible embeddings', async () => {
    const m = await api('GET', '/v1/models');
    const listed = new Map(m.body.models.map((x: { id: string }) => [x.id, x]));
    assert.deepEqual(listed.get('glove-100d-v2'), { id: 'glove-100d-v2', dimension: 100, provider: 'builtin', description: (listed.get('glove-100d-v2') as { description: string }).description, default: true, available: true });
    assert.equal((listed.get('glove-100d-v1') as { default?: boolean }).default, undefined);
    for (const id of ['all-MiniLM-L6-v2', 'bge-small-en-v1.5', 'e5-small-v2', 'nomic-embed-text-v1.5']) assert.equal((listed.get(id) as { provider: string }).provider, 'onnx', id);
    assert.equal(m.body.models.filter((x: { default?: boolean }) => x.default).length, 1);
    const e = await api('POST', '/v1/embed', { texts: ['hello world', 'goodbye'] });
    assert.equal(e.body.vectors.length, 2);
    assert.equal(e.body.vectors[0].length, 100);
    const norm = Math.hypot(...e.body.vectors[0]);
    assert.ok(Math.abs(norm - 1) < 1e-5);
    const oa = await api('POST', '/v1/embeddings', { input: 'hello world', model: 'glove-100d-v2' });
    assert.equal(oa.body.object, 'list');
    assert.deepEqual(oa.body.data[0].embedding.map((x: number) => Math.fround(x)), e.body.vectors[0].map((x: number) => Math.fround(x)));
    const b64 = await api('POST', '/v1/embeddings', { input: ['hello world'], model: 'glove-100d-v2', encoding_format: 'base64' });
    const raw = Buffer.from(b64.body.data[0].embedding, 'base64');
    const decoded = Array.from(new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length)));
    assert.deepEqual(decoded, e.body.vectors[0].map((x: number) => Math.fround(x)));
    expectError(await api('POST', '/v1/embed', { texts: ['x'], model: 'gpt-9' }), 400, 'MODEL_NOT_FOUND');
    // OpenAI also takes token ids: say they are not supported, not "input must be string".
    for (const input of [[9906, 1917], [[9906, 1917], [12]], []]) {
      const t = await api('POST', '/v1/embeddings', { input, model: 'glove-100d-v2' });
      expectError(t, 400, 'INVALID_ARGUMENT');
      if (input.length > 0) assert.match(t.body.error.message, /^body\.input: token-id arrays are not supported .*send "input" as a string or an array of strings$/);
    }
    expectError(await api('POST', '/v1/embeddings', { input: ['ok', 3], model: 'glove-100d-v2' }), 400, 'INVALID_ARGUMENT');
  });

  it('operations endpoints', async () => {
    assert.deepEqual((await api('GET', '/health')).body, { status: 'ok' });
    assert.deepEqual((await api('GET', '/ready')).body, { status: 'ready' });
    const metrics = await api('GET', '/metrics');
    assert.match(metrics.body, /vectra_http_requests_total\{route="\/v1\/collections",method="POST",status="201"\}/);
    assert.match(metrics.body, /vectra_http_request_duration_seconds_bucket/);
    assert.match(metrics.body, /vectra_records \d+/);
    const spec = await api('GET', '/openapi.json');
    assert.equal(spec.body.openapi.slice(0, 2), '3.');
    for (const p of ['/v1/auth/register', '/v1/collections', '/v1/collections/{name}/search', '/v1/collections/{name}/records/{id}', '/v1/keys/{id}', '/v1/embeddings']) {
      assert.ok(spec.body.paths[p], `openapi documents ${p}`);
    }
    const docs = await fetch(`${url}/docs/`);
    assert.equal(docs.status, 200);
    assert.match(await docs.text(), /swagger/i);
  });
});

describe('every error is shaped per the contract', () => {
  it('400s: validation, bad JSON, wrong shapes, bad filters, bad vectors', async () => {
    await api('POST', '/v1/collections', { name: 'e', model: 'none', dimension: 2 });
    expectError(await api('POST', '/v1/collections', { name: 'bad name!' }), 400, 'INVALID_ARGUMENT');
    expectError(await api('POST', '/v1/collections', { name: 'x', dimension: 0, model: 'none' }), 400, 'INVALID_ARGUMENT');
    expectError(await api('POST', '/v1/collections', { name: 'x', metric: 'hamming' }), 400, 'INVALID_ARGUMENT');
    expectError(await api('POST', '/v1/collections', { name: 'x', model: 'nope' }), 400, 'MODEL_NOT_FOUND');
    expectError(await api('POST', '/v1/collections', { name: 'x', storage: 'i8', metric: 'l2' }), 400, 'INVALID_COLLECTION_CONFIG');
    expectError(await api('POST', '/v1/collections', { name: 'x', nmae: 'typo' }), 400, 'INVALID_ARGUMENT');
    expectError(await api('POST', '/v1/collections/e/records', {}, { raw: '{"records": [', headers: { 'content-type': 'application/json' } }), 400, 'INVALID_JSON');
    expectError(await api('POST', '/v1/collections/e/records', { records: [] }), 400, 'INVALID_ARGUMENT');
    const dim = await api('POST', '/v1/collections/e/records', { records: [{ id: 'a', vector: [1, 2] }, { id: 'b', vector: [1, 2, 3] }] });
    expectError(dim, 400, 'DIMENSION_MISMATCH');
    assert.match(dim.body.error.message, /records\[1\]/);
    assert.equal((await api('GET', '/v1/collections/e')).body.count, 0, 'the batch was atomic');
    const typ = await api('POST', '/v1/collections/e/records', { records: [{ id: 'a', vector: [1, 'x'] }] });
    expectError(typ, 400, 'INVALID_ARGUMENT');
    assert.match(typ.body.error.message, /records\.0\.vector\.1/);
    expectError(await api('POST', '/v1/collections/e/records', { records: [{ id: 'a', vector: [1, 1e39] }] }), 400, 'INVALID_VECTOR');
    expectError(await api('POST', '/v1/collections/e/search', { vector: [1, 0], text: 'both' }), 400, 'INVALID_ARGUMENT');
    expectError(await api('POST', '/v1/collections/e/search', { vector: [1, 0], k: 0 }), 400, 'INVALID_ARGUMENT');
    expectError(await api('POST', '/v1/collections/e/search', { vector: [1, 0], k: 1001 }), 400, 'INVALID_ARGUMENT');
    expectError(await api('POST', '/v1/collections/e/search', { vector: [1, 0, 0] }), 400, 'DIMENSION_MISMATCH');
    const bad = await api('POST', '/v1/collections/e/search', { vector: [1, 0], filter: { wage: { $gte: [13] } } });
    expectError(bad, 400, 'INVALID_FILTER');
    assert.match(bad.body.error.message, /filter\.wage\.\$gte/);
    let deep: Record<string, unknown> = { a: 1 };
    for (let i = 0; i < 30; i++) deep = { $not: deep };
    expectError(await api('POST', '/v1/collections/e/search', { vector: [1, 0], filter: deep }), 400, 'INVALID_FILTER');
    // Found by the fuzzer: a $in of 500+ values nested too deep for SQLite, and many of them
    // were more SQL parameters than it takes: both answered 500.
    await api('POST', '/v1/collections/e/records', { records: [{ id: 'in-1', vector: [1, 0], metadata: { c: 'c3' } }, { id: 'in-2', vector: [0, 1], metadata: { c: null } }, { id: 'in-3', vector: [0, 1], metadata: { c: 'zz' } }] });
    const many = Array.from({ length: 1024 }, (_, i) => (i === 2 ? null : i % 5 === 0 ? i : `c${i}`));
    const hits = await api('POST', '/v1/collections/e/search', { vector: [1, 0], k: 10, filter: { c: { $in: many } }, return: 'id' });
    assert.equal(hits.status, 200, JSON.stringify(hits.body));
    assert.deepEqual(hits.body.results.map((r: { id: string }) => r.id).sort(), ['in-1', 'in-2']);
    const deleted = await api('POST', '/v1/collections/e/records/delete', { filter: { $or: [{ c: { $in: many } }, { c: { $in: ['zz'] } }] } });
    assert.deepEqual([deleted.status, deleted.body.deleted], [200, 3]);
    const tooMany = { $or: Array.from({ length: 100 }, () => ({ c: { $in: many } })) };
    expectError(await api('POST', '/v1/collections/e/search', { vector: [1, 0], filter: tooMany }), 400, 'INVALID_FILTER');
    // Found by the fuzzer: an empty operand of $and/$or/$not was a 500 (SQL syntax error).
    for (const empty of [{ $and: [{}] }, { $or: [{}, {}] }, { $not: {} }]) {
      expectError(await api('POST', '/v1/collections/e/search', { vector: [1, 0], filter: empty }), 400, 'INVALID_FILTER');
      expectError(await api('POST', '/v1/collections/e/records/delete', { filter: empty }), 400, 'INVALID_FILTER');
      expectError(await api('GET', `/v1/collections/e/records?filter=${encodeURIComponent(JSON.stringify(empty))}`), 400, 'INVALID_FILTER');
    }
    expectError(await api('POST', '/v1/collections/e/search', { vector: [1, 0], mode: 'hybrid' }), 400, 'INVALID_ARGUMENT');
    expectError(await api('GET', '/v1/collections/e/records?cursor=zzz'), 400, 'INVALID_CURSOR');
    expectError(await api('GET', '/v1/collections/e/records?limit=abc'), 400, 'INVALID_ARGUMENT');
    expectError(await api('GET', '/v1/collections/e/records?filter=%7Bnot-json'), 400, 'INVALID_FILTER');
    expectError(await api('POST', '/v1/keys', { name: 'k', scopes: ['root'] }), 400, 'INVALID_ARGUMENT');
    expectError(await api('POST', '/v1/keys', { name: 'k', scopes: ['read'], expiresAt: '2001-01-01T00:00:00Z' }), 400, 'INVALID_ARGUMENT');
  });

  it('401, 403, 404, 405/404 routes, 409, 413, 415', async () => {
    expectError(await client(url)('GET', '/v1/collections'), 401, 'MISSING_API_KEY');
    expectError(await client(url, 'vk_short')('GET', '/v1/collections'), 401, 'INVALID_API_KEY');
    expectError(await client(url, `vk_${'a'.repeat(43)}`)('GET', '/v1/collections'), 401, 'INVALID_API_KEY');
    expectError(await client(url)('GET', '/v1/collections', undefined, { headers: { authorization: 'Basic abc' } }), 401, 'INVALID_API_KEY');
    const ro = await api('POST', '/v1/keys', { name: 'ro', scopes: ['read'] });
    expectError(await client(url, ro.body.apiKey)('POST', '/v1/collections', { name: 'nope' }), 403, 'INSUFFICIENT_SCOPE');
    expectError(await api('GET', '/v1/collections/none-such'), 404, 'COLLECTION_NOT_FOUND');
    expectError(await api('GET', '/v1/nothing'), 404, 'ROUTE_NOT_FOUND');
    expectError(await api('DELETE', '/v1/keys/00000000-0000-0000-0000-000000000000'), 404, 'KEY_NOT_FOUND');
    await api('POST', '/v1/collections', { name: 'dup', model: 'none', dimension: 2 });
    expectError(await api('POST', '/v1/collections', { name: 'dup', model: 'none', dimension: 2 }), 409, 'COLLECTION_EXISTS');
    expectError(await api('POST', '/v1/collections/dup/search', undefined, { raw: 'hello', headers: { 'content-type': 'text/plain' } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    const big = JSON.stringify({ records: [{ id: 'a', text: 'x'.repeat(40 * 1024 * 1024) }] });
    expectError(await api('POST', '/v1/collections/dup/records', undefined, { raw: big, headers: { 'content-type': 'application/json' } }), 413, 'PAYLOAD_TOO_LARGE');
  });

  // Found by the 100k fuzz run: a search racing a drop of its collection answered 503
  // COLLECTION_CLOSED. The race itself cannot be timed here, so the handler is called directly.
  it('a collection dropped under a running request: 404, as if the request came after the drop', () => {
    const sent: { status?: number; body?: unknown } = {};
    const reply = { code: (c: number) => ((sent.status = c), reply), type: () => reply, send: (b: unknown) => ((sent.body = b), reply) };
    const req = { log: { error: () => assert.fail('not an error to log'), warn: () => undefined } };
    errorHandler(tempDir())(new VectraError('COLLECTION_CLOSED', 'this collection has been closed or dropped') as never, req as never, reply as never);
    assert.equal(sent.status, 404);
    assert.equal((sent.body as { error: { code: string } }).error.code, 'COLLECTION_NOT_FOUND');
  });

  it('disk I/O errors are explained by the disk: a healthy one makes them STORAGE_IO_ERROR (503), not 500', () => {
    const dir = tempDir();
    assert.equal(storageError({ code: 'SQLITE_IOERR_WRITE' }, dir)?.code, 'STORAGE_IO_ERROR');
    assert.equal(HTTP_STATUS[storageError({ code: 'SQLITE_IOERR_WRITE' }, dir)!.code], 503);
    assert.equal(storageError({ code: 'SQLITE_IOERR_WRITE' }), null, 'without a directory to ask, not a storage error');
    assert.equal(storageError({ code: 'SQLITE_CANTOPEN' }, dir), null, 'a file that cannot be opened on a healthy disk is not the disk\'s fault');
    assert.equal(storageError({ code: 'EROFS' })?.code, 'STORAGE_READ_ONLY');
    assert.equal(HTTP_STATUS[storageError({ code: 'SQLITE_FULL' })!.code], 507);
    assert.deepEqual(readdirSync(dir), [], 'the probe write leaves nothing behind');
    // (A read-only and a full disk are tested for real in test/reliability/disk-faults.test.ts.)
  });

  // Found by the fuzzer (test/reliability/fuzz.test.ts): these came in Fastify's own body.
  it('errors raised before routing: bad percent-encoding, over-long path parts, oversized headers', async () => {
    for (const path of ['/v1/collections/%zz', '/v1/collections/%ff/records', '/v1/collections/%c0%ae%c0%ae/search', '/v1/collections/e/records/%']) {
      expectError(await api('GET', path), 400, 'INVALID_PATH');
    }
    expectError(await api('GET', `/v1/collections/e/records/${'x'.repeat(600)}`), 414, 'PATH_TOO_LONG');
    const huge = await api('GET', '/v1/collections', undefined, { headers: { 'x-filler': 'y'.repeat(70_000) } });
    expectError(huge, 431, 'HEADERS_TOO_LARGE');
    assert.equal((await api('GET', '/v1/collections')).status, 200, 'the server serves on');
  });
});
