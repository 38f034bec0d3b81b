/**
 * Text that is not UTF-8 is refused where it comes in, saying where (issue 17): JSON bodies of
 * every route, query strings, NDJSON streams and import jobs line by line. It used to be
 * decoded into U+FFFD and stored (a tenant named "��" was created).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { errorCode, testTenant, type client } from '../support/server.js';

let url: string;
let key: string;
let api: ReturnType<typeof client>;

before(async () => {
  ({ url, key, api } = await testTenant({ VECTRA_RATE_LIMIT: '1000000' }));
  assert.equal((await api('POST', '/v1/collections', { name: 'docs' })).status, 201);
  assert.equal((await api('POST', '/v1/collections', { name: 'vec', model: 'none', dimension: 3 })).status, 201);
});

/** JSON text as a Latin-1 client sends it: "é" is the single byte 0xE9, not UTF-8. */
const latin1 = (json: string) => Buffer.from(json, 'latin1');
const json = { 'content-type': 'application/json' };

describe('JSON bodies that are not UTF-8', () => {
  const requests: [string, string, string][] = [
    ['POST', '/v1/auth/register', '{"name": "café"}'],
    ['POST', '/v1/keys', '{"name": "clé", "scopes": ["read"]}'],
    ['POST', '/v1/collections', '{"name": "x", "model": "glové"}'],
    ['POST', '/v1/collections/docs/records', '{"records": [{"id": "r1", "text": "café au lait"}]}'],
    ['POST', '/v1/collections/docs/records', '{"records": [{"id": "r1", "text": "ok", "metadata": {"city": "Zürich"}}]}'],
    ['POST', '/v1/collections/docs/records/delete', '{"ids": ["é"]}'],
    ['POST', '/v1/collections/docs/search', '{"text": "café"}'],
    ['POST', '/v1/collections/docs/search', '{"text": "coffee", "filter": {"city": "Zürich"}}'],
    ['POST', '/v1/collections/docs/documents', '{"id": "d1", "text": "Un café, s\'il vous plaît."}'],
    ['POST', '/v1/embed', '{"texts": ["café"]}'],
    ['POST', '/v1/embeddings', '{"input": "café", "model": "glove-100d-v2"}'],
  ];
  for (const [method, path, text] of requests) {
    it(`${method} ${path} ${text} → 400 INVALID_ENCODING at the bad byte`, async () => {
      const r = await api(method, path, undefined, { raw: latin1(text), headers: json });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(errorCode(r), 'INVALID_ENCODING');
      const at = Buffer.from(text, 'latin1').findIndex((b) => b >= 0x80);
      assert.equal(r.body.error.message, `the request body is not valid UTF-8 (byte 0x${Buffer.from(text, 'latin1')[at].toString(16)} at offset ${at}); JSON must be sent as UTF-8`);
    });
  }

  it('nothing was stored, and the same text in UTF-8 is stored exactly', async () => {
    assert.equal((await api('GET', '/v1/collections/docs/records/r1')).status, 404);
    assert.equal((await api('GET', '/v1/collections/docs/documents/d1')).status, 404);
    const r = await api('POST', '/v1/collections/docs/records', undefined, { raw: Buffer.from('{"records": [{"id": "r1", "text": "café au lait ☕ 😀", "metadata": {"city": "Zürich"}}]}'), headers: json });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const got = (await api('GET', '/v1/collections/docs/records/r1')).body;
    assert.equal(got.text, 'café au lait ☕ 😀');
    assert.deepEqual(got.metadata, { city: 'Zürich' });
  });

  it('a registration with a bad name creates no tenant: the refusal comes before the handler', async () => {
    const r = await api('POST', '/v1/auth/register', undefined, { raw: Buffer.from([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), headers: json });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.message, 'the request body is not valid UTF-8 (byte 0xff at offset 9); JSON must be sent as UTF-8');
    assert.equal(r.body.apiKey, undefined);
  });
});

describe('query strings that are not UTF-8', () => {
  it('a percent-encoded byte that is not UTF-8 is refused by parameter name, not read as literal text', async () => {
    // Before: fast-querystring left such a value undecoded, and `filter={"city":"%E9"}` filtered on the text "%E9".
    for (const [query, name] of [
      ['filter=%7B%22city%22%3A%22Z%FCrich%22%7D', 'filter'],
      ['filter={"city":"%E9"}', 'filter'],
      ['cursor=%FF', 'cursor'],
      ['limit=1&%FF=1', '%FF'],
      ['cursor=50%', 'cursor'],
    ]) {
      const r = await api('GET', `/v1/collections/docs/records?${query}`);
      assert.equal(r.status, 400, query);
      assert.equal(errorCode(r), 'INVALID_ENCODING', query);
      assert.match(r.body.error.message, new RegExp(`^the query parameter "${name}" is not valid percent-encoding of UTF-8`), query);
    }
  });

  it('percent-encoded UTF-8 still works', async () => {
    const r = await api('GET', `/v1/collections/docs/records?filter=${encodeURIComponent(JSON.stringify({ city: 'Zürich' }))}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.records.map((x: { id: string }) => x.id), ['r1']);
  });
});

describe('NDJSON that is not UTF-8', () => {
  const body = Buffer.concat([
    Buffer.from(`${JSON.stringify({ id: 's1', vector: [1, 2, 3], metadata: { city: 'Zürich' } })}\n`),
    latin1(`${JSON.stringify({ id: 's2', vector: [1, 2, 3], metadata: { city: 'Zürich' } })}\n`),
    Buffer.from(`${JSON.stringify({ id: 's3', vector: [1, 2, 3] })}\n`),
  ]);
  const badAt = latin1(JSON.stringify({ id: 's2', vector: [1, 2, 3], metadata: { city: 'Zürich' } })).indexOf(0xfc);

  it('a stream answers the bad line with INVALID_ENCODING and stores the others', async () => {
    const res = await fetch(`${url}/v1/collections/vec/records/stream`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' }, body });
    assert.equal(res.status, 200);
    const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines, [
      { line: 1, id: 's1' },
      { line: 2, error: { code: 'INVALID_ENCODING', message: `line 2 is not valid UTF-8 (byte 0xfc at offset ${badAt} of the line); send text encoded as UTF-8` } },
      { line: 3, id: 's3' },
      { done: true, lines: 3, upserted: 2, errors: 1 },
    ]);
    assert.equal((await api('GET', '/v1/collections/vec/records/s2')).status, 404);
    assert.deepEqual((await api('GET', '/v1/collections/vec/records/s1')).body.metadata, { city: 'Zürich' });
  });

  it('an import job reports the bad line in its samples and imports the others', async () => {
    await api('POST', '/v1/collections/vec/records/delete', { ids: ['s1', 's3'] });
    const created = await fetch(`${url}/v1/collections/vec/imports`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' }, body });
    assert.equal(created.status, 202);
    const id = ((await created.json()) as { id: string }).id;
    let job;
    for (let t = Date.now(); Date.now() - t < 30_000; await new Promise((r) => setTimeout(r, 20))) {
      job = (await api('GET', `/v1/jobs/${id}`)).body;
      if (job.status !== 'queued' && job.status !== 'running') break;
    }
    assert.equal(job.status, 'done', JSON.stringify(job));
    assert.deepEqual([job.upserted, job.errors], [2, 1]);
    assert.deepEqual(job.errorSamples, [{ line: 2, error: { code: 'INVALID_ENCODING', message: `line 2 is not valid UTF-8 (byte 0xfc at offset ${badAt} of the line); send text encoded as UTF-8` } }]);
    assert.equal((await api('GET', '/v1/collections/vec/records/s2')).status, 404);
    assert.equal((await api('GET', '/v1/collections/vec/records/s3')).status, 200);
  });
});
