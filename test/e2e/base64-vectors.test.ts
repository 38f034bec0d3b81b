/**
 * Vectors as base64 of little-endian float32s (issue 18), as OpenAI's embeddings API returns
 * them with `encoding_format: "base64"`: accepted on upsert (JSON and NDJSON) and search, the
 * same as the numbers they encode; anything else about them is a clear 400.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { glove, row } from '../support/glove.js';
import { call, errorCode, testTenant, type client } from '../support/server.js';

let url: string;
let key: string;
let api: ReturnType<typeof client>;
const g = glove();
const b64 = (v: ArrayLike<number>) => Buffer.from(Float32Array.from(v).buffer).toString('base64');

before(async () => {
  ({ url, key, api } = await testTenant({ VECTRA_RATE_LIMIT: '1000000' }));
  assert.equal((await api('POST', '/v1/collections', { name: 'g', model: 'none', dimension: 100 })).status, 201);
  assert.equal((await api('POST', '/v1/collections', { name: 'n', model: 'none', dimension: 100 })).status, 201);
});

describe('base64 vectors', () => {
  it('upsert and search take base64 and answer exactly as for the numbers', async () => {
    const ids = Array.from({ length: 300 }, (_, i) => i);
    let r = await api('POST', '/v1/collections/g/records', { records: ids.map((i) => ({ id: `w${i}`, vector: b64(row(g, i)) })) });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    r = await api('POST', '/v1/collections/n/records', { records: ids.map((i) => ({ id: `w${i}`, vector: row(g, i) })) });
    assert.equal(r.status, 200);
    const stored = await api('GET', '/v1/collections/g/records/w7?includeVector=true');
    assert.deepEqual(stored.body.vector, Array.from(Float32Array.from(row(g, 7))));
    for (const q of [1000, 2000, 3000]) {
      const byNumbers = await api('POST', '/v1/collections/n/search', { vector: row(g, q), k: 10 });
      const byBase64 = await api('POST', '/v1/collections/g/search', { vector: b64(row(g, q)), k: 10 });
      const exact = await api('POST', '/v1/collections/g/search', { vector: b64(row(g, q)), k: 10, exact: true });
      assert.equal(byBase64.status, 200, JSON.stringify(byBase64.body));
      assert.deepEqual(byBase64.body.results.map((h: { id: string; score: number }) => [h.id, h.score]), byNumbers.body.results.map((h: { id: string; score: number }) => [h.id, h.score]));
      assert.deepEqual(exact.body.results.map((h: { id: string }) => h.id), byNumbers.body.results.map((h: { id: string }) => h.id));
    }
  });

  it('NDJSON lines take base64 vectors', async () => {
    const body = [0, 1, 2].map((i) => JSON.stringify({ id: `s${i}`, vector: b64(row(g, 400 + i)) })).join('\n');
    const r = await call(url, 'POST', '/v1/collections/g/records/stream', { key, raw: body, headers: { 'content-type': 'application/x-ndjson' } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const got = await api('GET', '/v1/collections/g/records/s1?includeVector=true');
    assert.deepEqual(got.body.vector, Array.from(Float32Array.from(row(g, 401))));
  });

  it('an embedding from /v1/embeddings with encoding_format base64 searches as its numbers do', async () => {
    assert.equal((await api('POST', '/v1/collections', { name: 't' })).status, 201);
    await api('POST', '/v1/collections/t/records', { records: [{ id: 'a', text: 'coffee and tea' }, { id: 'b', text: 'trains and buses' }] });
    const model = (await api('GET', '/v1/collections/t')).body.model;
    const e = await api('POST', '/v1/embeddings', { model, input: 'a cup of espresso', encoding_format: 'base64' });
    assert.equal(e.status, 200, JSON.stringify(e.body));
    const byVector = await api('POST', '/v1/collections/t/search', { vector: e.body.data[0].embedding, k: 2 });
    const byText = await api('POST', '/v1/collections/t/search', { text: 'a cup of espresso', k: 2 });
    assert.deepEqual(byVector.body.results.map((h: { id: string }) => h.id), byText.body.results.map((h: { id: string }) => h.id));
  });

  it('a vector that is neither numbers nor a string: 400 naming both forms', async () => {
    const r = await api('POST', '/v1/collections/g/search', { vector: 5, k: 3 });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.message, 'body.vector must be array or string');
  });

  const bad: [string, string, string, RegExp][] = [
    ['not base64', '!!!!not-base64!!!!', 'INVALID_VECTOR', /not standard base64/],
    ['too few floats', b64(row(g, 1).slice(0, 99)), 'DIMENSION_MISMATCH', /has 99 dimensions \(396 bytes of base64 float32\) but the collection expects 100/],
    ['not whole floats', Buffer.alloc(402).toString('base64'), 'INVALID_VECTOR', /decodes to 402 bytes, not a whole number of float32s/],
    ['NaN inside', b64([...row(g, 1).slice(0, 50), Number.NaN, ...row(g, 1).slice(51)]), 'INVALID_VECTOR', /vector\[50\] is NaN|every component must be a finite number/],
  ];
  for (const [what, vector, code, message] of bad) {
    it(`${what}: 400 ${code} on upsert and on search; nothing stored`, async () => {
      const before = (await api('GET', '/v1/collections/g')).body.count;
      const up = await api('POST', '/v1/collections/g/records', { records: [{ id: 'fine', vector: row(g, 5) }, { id: 'bad', vector }] });
      assert.equal(up.status, 400, JSON.stringify(up.body));
      assert.equal(errorCode(up), code);
      assert.match(up.body.error.message, message);
      assert.equal((await api('GET', '/v1/collections/g')).body.count, before);
      const s = await api('POST', '/v1/collections/g/search', { vector, k: 3 });
      assert.equal(s.status, 400, JSON.stringify(s.body));
      assert.equal(errorCode(s), code);
    });
  }
});
