/**
 * Metadata keys named `__proto__`, `constructor` and `prototype` are data (issue 17): stored and
 * answered as given by every way in (JSON body, NDJSON stream, import job, documents), filtered
 * by own keys (never through Object.prototype), listed, and harmless to query parsing. A JSON
 * body with `__proto__` used to be 400 INVALID_JSON ("not valid JSON", although it was) while
 * the same record as an NDJSON line was stored.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { testTenant, type client } from '../support/server.js';

let url: string;
let key: string;
let api: ReturnType<typeof client>;

/** Sent as text: JSON.stringify of an object literal would drop "__proto__" (it sets the prototype). */
const METADATA = '{"__proto__": {"x": 1}, "constructor": {"prototype": 2}, "prototype": "p", "wage": 14, "o": {"__proto__": 5}}';
const expected = JSON.parse(METADATA) as Record<string, unknown>;

before(async () => {
  ({ url, key, api } = await testTenant({ VECTRA_RATE_LIMIT: '1000000' }));
  assert.equal((await api('POST', '/v1/collections', { name: 'jobs' })).status, 201);
  const plain = await api('POST', '/v1/collections/jobs/records', { records: [{ id: 'plain', text: 'barista job paying hourly', metadata: { wage: 12 } }] });
  assert.equal(plain.status, 200);
});

const json = { 'content-type': 'application/json' };
const ndjson = (lines: string[]) => ({ method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' }, body: `${lines.join('\n')}\n` });

describe('metadata keys named like JavaScript internals', () => {
  it('a JSON body stores them as given and reads them back, by id and in lists', async () => {
    const r = await api('POST', '/v1/collections/jobs/records', undefined, { raw: `{"records": [{"id": "json", "text": "warehouse job paying hourly", "metadata": ${METADATA}}]}`, headers: json });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const got = await api('GET', '/v1/collections/jobs/records/json');
    assert.deepEqual(got.body.metadata, expected);
    assert.ok(Object.hasOwn(got.body.metadata, '__proto__'), 'an own key in the answer');
    const listed = await api('GET', '/v1/collections/jobs/records');
    assert.deepEqual(listed.body.records.find((x: { id: string }) => x.id === 'json').metadata, expected);
  });

  it('an NDJSON stream and an import job store the same', async () => {
    const line = `{"id": "ND", "text": "forklift job paying hourly", "metadata": ${METADATA}}`;
    const res = await fetch(`${url}/v1/collections/jobs/records/stream`, ndjson([line.replace('ND', 'stream')]));
    assert.equal(res.status, 200);
    assert.match(await res.text(), /\{"done":true,"lines":1,"upserted":1,"errors":0\}/);
    const created = await fetch(`${url}/v1/collections/jobs/imports`, ndjson([line.replace('ND', 'import')]));
    assert.equal(created.status, 202);
    const id = ((await created.json()) as { id: string }).id;
    for (let t = Date.now(); (await api('GET', `/v1/jobs/${id}`)).body.status !== 'done'; ) {
      assert.ok(Date.now() - t < 30_000, 'import job stuck');
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const rec of ['stream', 'import']) assert.deepEqual((await api('GET', `/v1/collections/jobs/records/${rec}`)).body.metadata, expected, rec);
  });

  it('documents copy them to every chunk and give them back', async () => {
    const r = await api('POST', '/v1/collections/jobs/documents', undefined, { raw: `{"id": "doc", "text": "A guide to hourly jobs.", "metadata": ${METADATA}}`, headers: json });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual((await api('GET', '/v1/collections/jobs/documents/doc')).body.metadata, expected);
  });

  it('filters match own keys only: "constructor" exists on the records that have it, not on every record', async () => {
    const ids = async (filter: unknown) =>
      ((await api('GET', `/v1/collections/jobs/records?filter=${encodeURIComponent(JSON.stringify(filter))}`)).body.records as { id: string }[]).map((x) => x.id).sort();
    const withKeys = ['doc#0', 'import', 'json', 'stream'];
    assert.deepEqual(await ids({ constructor: { $exists: true } }), withKeys);
    assert.deepEqual(await ids({ constructor: { $exists: false } }), ['plain']);
    assert.deepEqual(await ids({ toString: { $exists: true } }), []);
    assert.deepEqual(await ids({ 'constructor.prototype': 2 }), withKeys);
    assert.deepEqual(await ids({ 'o.__proto__': { $gte: 5 } }), withKeys);
    // A filter written as JSON text with "__proto__" in it, in a search body.
    const s = await api('POST', '/v1/collections/jobs/search', undefined, { raw: '{"text": "job", "k": 10, "return": "id", "filter": {"__proto__": {"x": 1}}}', headers: json });
    assert.equal(s.status, 200, JSON.stringify(s.body));
    assert.deepEqual(s.body.results.map((h: { id: string }) => h.id).sort(), withKeys);
  });

  it('query parsing over a collection with such fields answers (it was a 500: the alias lookup read Object.prototype)', async () => {
    assert.equal((await api('POST', '/v1/collections/jobs/records', undefined, { raw: '{"records": [{"id": "num", "text": "cook", "metadata": {"constructor": 3, "__proto__": 4}}]}', headers: json })).status, 200);
    const r = await api('POST', '/v1/collections/jobs/search', { text: 'hourly wage at least 13', parse: true, return: 'id' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.parsed.filter, { wage: { $gte: 13 } });
    assert.deepEqual(r.body.results.map((h: { id: string }) => h.id).sort(), ['doc#0', 'import', 'json', 'stream']);
    const aliased = await api('POST', '/v1/collections/jobs/search', undefined, { raw: '{"text": "jobs with a score of at least 4", "parse": {"aliases": {"__proto__": ["score"]}}, "return": "id"}', headers: json });
    assert.equal(aliased.status, 200, JSON.stringify(aliased.body));
    assert.deepEqual(aliased.body.parsed.filter, JSON.parse('{"__proto__": {"$gte": 4}}'));
    assert.deepEqual(aliased.body.results.map((h: { id: string }) => h.id), ['num']);
  });
});
