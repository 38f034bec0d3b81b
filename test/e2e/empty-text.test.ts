/**
 * A record text with nothing to embed is refused, as an empty search text is (issue 17): "",
 * whitespace, or text the model turns into a zero vector (punctuation alone for the built-in
 * model). Such records used to be stored with a zero vector that scores 0 against every query
 * and can never be found.
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
});

const NOTHING = [
  ['', /records\[1\]: "text" is empty: there is nothing to embed; send text with words, or a "vector"/],
  ['  \n\t ', /records\[1\]: "text" is only whitespace: there is nothing to embed/],
  ['?!… —', /records\[1\]: model "glove-100d-v2" finds nothing to embed in "text" \(no word it knows: punctuation or symbols alone\?\), so its vector would be all zeros, which no search can find/],
] as const;

describe('record texts with nothing to embed', () => {
  for (const [text, message] of NOTHING) {
    it(`${JSON.stringify(text)} in a batch: 400 INVALID_RECORD naming the record; the batch is not stored`, async () => {
      const r = await api('POST', '/v1/collections/docs/records', { records: [{ id: 'ok', text: 'a fine text' }, { id: 'bad', text }] });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(errorCode(r), 'INVALID_RECORD');
      assert.match(r.body.error.message, message);
      assert.equal((await api('GET', '/v1/collections/docs')).body.count, 0, 'atomic: nothing stored');
    });
  }

  it('with a vector, any text is stored as given (the vector is what is searched)', async () => {
    assert.equal((await api('POST', '/v1/collections', { name: 'raw', model: 'none', dimension: 2 })).status, 201);
    const r = await api('POST', '/v1/collections/raw/records', { records: [{ id: 'v', text: '', vector: [1, 0] }] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal((await api('GET', '/v1/collections/raw/records/v')).body.text, '');
  });

  it('NDJSON lines and import jobs fail such lines one by one, storing the rest', async () => {
    const lines = [{ id: 'n1', text: 'coffee' }, { id: 'n2', text: '' }, { id: 'n3', text: '   ' }, { id: 'n4', text: '!!!' }, { id: 'n5', text: 'tea' }].map((l) => JSON.stringify(l));
    const res = await fetch(`${url}/v1/collections/docs/records/stream`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' }, body: lines.join('\n') });
    const answer = (await res.text()).trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(answer.map((a) => a.id ?? a.error?.code), ['n1', 'INVALID_RECORD', 'INVALID_RECORD', 'INVALID_RECORD', 'n5', undefined]);
    assert.match(answer[1].error.message, /^line 2: "text" is empty/);
    assert.match(answer[2].error.message, /^line 3: "text" is only whitespace/);
    assert.match(answer[3].error.message, /^line 4: model "glove-100d-v2" finds nothing to embed/);
    const job = await fetch(`${url}/v1/collections/docs/imports`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' }, body: lines.join('\n').replace(/"n(\d)"/g, '"j$1"') });
    const id = ((await job.json()) as { id: string }).id;
    let view;
    for (let t = Date.now(); (view = (await api('GET', `/v1/jobs/${id}`)).body).status !== 'done'; ) {
      assert.ok(Date.now() - t < 30_000, JSON.stringify(view));
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(view.errorSamples.map((e: { line: number; error: { code: string } }) => [e.line, e.error.code]), [[2, 'INVALID_RECORD'], [3, 'INVALID_RECORD'], [4, 'INVALID_RECORD']]);
    const stored = (await api('GET', '/v1/collections/docs/records')).body.records.map((r: { id: string }) => r.id);
    assert.deepEqual(stored, ['j1', 'j5', 'n1', 'n5']);
  });
});

describe('search texts with nothing to embed', () => {
  it('dense search refuses them like an empty text; keyword and hybrid take any text', async () => {
    for (const text of ['   ', '?!…']) {
      const r = await api('POST', '/v1/collections/docs/search', { text });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(errorCode(r), 'INVALID_ARGUMENT');
      assert.match(r.body.error.message, /"text" has nothing model "glove-100d-v2" can embed/);
      for (const mode of ['keyword', 'hybrid']) assert.equal((await api('POST', '/v1/collections/docs/search', { text, mode })).status, 200, mode);
    }
    assert.equal(errorCode(await api('POST', '/v1/collections/docs/search', { text: '' })), 'INVALID_ARGUMENT');
  });
});
