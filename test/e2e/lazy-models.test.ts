/**
 * Models load when first needed: a server that is only sent vectors never starts the
 * embedding workers (nor loads the word vectors); creating a collection that embeds text
 * starts them; a restart loads the models its collections use before it reports ready.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { client, register, testServer } from '../support/server.js';

async function embedWorkers(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = /^vectra_embed_workers (\d+)$/m.exec(text);
  assert.ok(line, 'the metric vectra_embed_workers is exported');
  return Number(line[1]);
}

describe('models load lazily', () => {
  it('vectors only: no embedding workers; a text collection starts them; a restart warms them before ready', async () => {
    const s1 = await testServer();
    const { key } = await register(s1.url);
    const api = client(s1.url, key);
    assert.equal(await embedWorkers(s1.url), 0);

    assert.equal((await api('POST', '/v1/collections', { name: 'vecs', model: 'none', dimension: 3 })).status, 201);
    const records = Array.from({ length: 300 }, (_, i) => ({ id: `v${i}`, vector: [1, i, i % 7] }));
    assert.equal((await api('POST', '/v1/collections/vecs/records', { records })).status, 200);
    const hits = await api('POST', '/v1/collections/vecs/search', { vector: [1, 5, 5], k: 3, return: 'id' });
    assert.equal(hits.status, 200);
    assert.equal(hits.body.results.length, 3);
    assert.equal(await embedWorkers(s1.url), 0, 'vector-only work must not start the embedding workers');

    assert.equal((await api('POST', '/v1/collections', { name: 'notes' })).status, 201);
    assert.equal((await api('POST', '/v1/collections/notes/records', { records: [{ id: 'a', text: 'trains run on rails' }, { id: 'b', text: 'cats chase mice' }] })).status, 200);
    const found = await api('POST', '/v1/collections/notes/search', { text: 'railway trains', k: 1, return: 'id' });
    assert.deepEqual(found.body.results.map((r: { id: string }) => r.id), ['a']);
    assert.ok((await embedWorkers(s1.url)) > 0);
    await s1.close();

    // testServer resolves after `ready`: the collection's model must already be warm then.
    const s2 = await testServer({}, s1.dataDir);
    assert.ok((await embedWorkers(s2.url)) > 0, 'a restart loads the models existing collections use before ready');
  });
});
