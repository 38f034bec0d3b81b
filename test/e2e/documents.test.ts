/** Documents over HTTP: chunked into linked records, replaced, deleted, and search grouped by document. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { client, errorCode, register, testServer } from '../support/server.js';

let server: Awaited<ReturnType<typeof testServer>>;
let api: ReturnType<typeof client>;

const TRAINS = ['# Trains', 'Trains run on rails between stations.', '## Steam', 'Steam locomotives burn coal to boil water; the steam drives the pistons.', '## Electric', 'Electric trains draw power from overhead lines or a third rail.', '## High speed', 'High speed trains reach 300 km/h on dedicated lines.'].join('\n\n');
const CATS = ['# Cats', 'Cats are small domestic felines.', '## Care', 'Feed cats twice a day and keep fresh water near their bowl.', '## Play', 'Cats love chasing toys and climbing shelves.'].join('\n\n');

before(async () => {
  server = await testServer({ VECTRA_RATE_LIMIT: '1000000' });
  api = client(server.url, (await register(server.url)).key);
  await api('POST', '/v1/collections', { name: 'kb' });
});
after(() => server?.close());

describe('documents', () => {
  it('a Markdown document becomes ordered chunk records "<id>#<n>" with its metadata and sections', async () => {
    const r = await api('POST', '/v1/collections/kb/documents', { id: 'trains', text: TRAINS, format: 'markdown', metadata: { topic: 'transport' }, chunk: { size: 120, overlap: 20 } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.chunks, 4);
    assert.deepEqual(r.body.ids, ['trains#0', 'trains#1', 'trains#2', 'trains#3']);
    const doc = (await api('GET', '/v1/collections/kb/documents/trains')).body;
    assert.deepEqual(doc.metadata, { topic: 'transport' });
    assert.deepEqual(doc.chunks.map((c: { section: string }) => c.section), ['Trains', 'Trains › Steam', 'Trains › Electric', 'Trains › High speed']);
    const rec = (await api('GET', '/v1/collections/kb/records/trains#1'.replace('#', '%23'))).body;
    assert.deepEqual(rec.metadata, { topic: 'transport', _document: 'trains', _chunk: 1, _chunks: 4, _section: 'Trains › Steam' });
    assert.equal((await api('POST', '/v1/collections/kb/documents', { id: 'cats', text: CATS, format: 'markdown', chunk: { size: 120 } })).status, 200);
  });

  it('search grouped by document: one result per document with its best chunks', async () => {
    const r = await api('POST', '/v1/collections/kb/search', { text: 'trains on electric lines and rails', mode: 'hybrid', k: 2, group: { by: 'document', size: 2 } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.results.length, 2);
    assert.deepEqual(r.body.results.map((h: { document: string }) => h.document), ['trains', 'cats']);
    const first = r.body.results[0];
    assert.equal(first.chunks.length, 2);
    assert.equal(first.id, first.chunks[0].id);
    assert.ok(first.chunks.every((c: { id: string }) => c.id.startsWith('trains#')));
    assert.ok(first.chunks[0].score >= first.chunks[1].score);
    const ids = await api('POST', '/v1/collections/kb/search', { text: 'feeding a cat', k: 1, group: { by: 'document' }, return: 'id' });
    assert.equal(ids.body.results[0].document, 'cats');
    assert.equal(ids.body.results[0].text, undefined);
    const filtered = await api('POST', '/v1/collections/kb/search', { text: 'engines', k: 5, filter: { topic: 'transport' }, group: { by: 'document', size: 1 } });
    assert.deepEqual(filtered.body.results.map((h: { document: string }) => h.document), ['trains']);
  });

  it('a new version replaces the old chunks; delete removes them all', async () => {
    const before = (await api('GET', '/v1/collections/kb')).body.count;
    const r = await api('POST', '/v1/collections/kb/documents', { id: 'trains', text: 'Trains are fast.', metadata: { topic: 'transport' } });
    assert.equal(r.body.chunks, 1);
    assert.equal((await api('GET', '/v1/collections/kb')).body.count, before - 3);
    assert.equal((await api('GET', '/v1/collections/kb/records/trains%232')).status, 404);
    const d = await api('DELETE', '/v1/collections/kb/documents/trains');
    assert.deepEqual(d.body, { deleted: 1 });
    assert.equal((await api('GET', '/v1/collections/kb/documents/trains')).status, 404);
    assert.equal((await api('DELETE', '/v1/collections/kb/documents/trains')).status, 404);
  });

  it('clear 4xx for what cannot be a document', async () => {
    const bad = [
      { text: 'x', metadata: { _document: 'mine' } },
      { id: 'a#b', text: 'x' },
      { text: 'x', chunk: { size: 200, overlap: 150 } },
      { text: 'x', chunk: { size: 10 } },
      { text: '' },
    ];
    for (const body of bad) {
      const r = await api('POST', '/v1/collections/kb/documents', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.ok(errorCode(r));
    }
    await api('POST', '/v1/collections', { name: 'raw', model: 'none', dimension: 2 });
    assert.equal((await api('POST', '/v1/collections/raw/documents', { text: 'hello' })).status, 400);
    assert.equal((await api('POST', '/v1/collections/kb/search', { text: 'x', group: { by: 'document' }, rerank: { type: 'mmr' } })).status, 400);
  });
});
