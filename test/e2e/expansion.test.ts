/** Query expansion (`expand` on a search) on a real port: each strategy, the filter honoured, `return`, and the 4xx cases. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { client, errorCode, register, testServer } from '../support/server.js';

let api: ReturnType<typeof client>;
let other: ReturnType<typeof client>;

const RECORDS = [
  { id: 'dealer', text: 'A used vehicle dealership with a large lot', metadata: { kind: 'road' } },
  { id: 'freight', text: 'The truck carried freight across the state', metadata: { kind: 'road' } },
  { id: 'garage', text: 'The mechanic fixed the engine and replaced a tyre', metadata: { kind: 'road' } },
  { id: 'tacos', text: 'A food truck selling tacos downtown', metadata: { kind: 'food' } },
  { id: 'market', text: 'Fresh apples and bananas at the fruit market', metadata: { kind: 'food' } },
  { id: 'bakery', text: 'A bakery selling bread and cakes', metadata: { kind: 'food' } },
  { id: 'fish', text: 'The restaurant serves pasta and grilled fish', metadata: { kind: 'food' } },
  { id: 'symphony', text: 'The orchestra played a symphony by Mozart', metadata: { kind: 'music' } },
  { id: 'jazz', text: 'She plays guitar and piano in a jazz band', metadata: { kind: 'music' } },
];
const KIND = new Map(RECORDS.map((r) => [r.id, r.metadata.kind]));

/** Planted 2-d unit vectors: the query at 0°, three close hits at 10–14°, y at −20°, z at +30° (on the close hits' side). */
const at = (deg: number) => [Math.cos((deg * Math.PI) / 180), Math.sin((deg * Math.PI) / 180)];
const ANGLES: Record<string, number> = { a1: 10, a2: 12, a3: 14, y: -20, z: 30 };

before(async () => {
  const url = (await testServer({ VECTRA_RATE_LIMIT: '1000000' })).url;
  api = client(url, (await register(url, 'a')).key);
  other = client(url, (await register(url, 'b')).key);
  assert.equal((await api('POST', '/v1/collections', { name: 'things' })).status, 201);
  assert.equal((await api('POST', '/v1/collections/things/records', { records: RECORDS })).status, 200);
  assert.equal((await api('POST', '/v1/collections', { name: 'planted', model: 'none', dimension: 2 })).status, 201);
  const planted = Object.entries(ANGLES).map(([id, deg]) => ({ id, vector: at(deg), metadata: { side: deg < 0 ? 'below' : 'above' } }));
  assert.equal((await api('POST', '/v1/collections/planted/records', { records: planted })).status, 200);
});

const search = (body: Record<string, unknown>, name = 'things') => api('POST', `/v1/collections/${name}/search`, body);
const ids = (r: { body: { results: { id: string }[] } }) => r.body.results.map((h) => h.id);

describe('expand "words"', () => {
  it('keyword: "car" matches no record; expanded with its nearest words it finds the vehicle and truck records', async () => {
    assert.deepEqual(ids(await search({ text: 'car', mode: 'keyword' })), []);
    const r = await search({ text: 'car', mode: 'keyword', expand: { strategy: 'words' } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const { expanded } = r.body;
    assert.equal(expanded.strategy, 'words');
    assert.equal(expanded.words[0].word, 'car');
    const added = expanded.words[0].neighbours.map((n: { word: string }) => n.word);
    assert.equal(added.length, 2, 'terms defaults to 2');
    assert.ok(added.includes('vehicle') || added.includes('truck'), added.join(' '));
    assert.equal(expanded.text, `car ${added.join(' ')}`);
    assert.ok(r.body.results.length > 0);
    for (const h of r.body.results) assert.ok(added.some((w: string) => h.text.toLowerCase().includes(w)), `${h.id}: ${h.text}`);
  });

  it('dense and hybrid: the road records first; the answer says the weight of the neighbours', async () => {
    for (const mode of ['dense', 'hybrid']) {
      const r = await search({ text: 'car', mode, k: 3, expand: { strategy: 'words', terms: 3 } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.results.length, 3);
      assert.equal(KIND.get(r.body.results[0].id), 'road', `${mode}: ${ids(r)}`);
      assert.equal(r.body.expanded.weight, 0.2);
      assert.equal(r.body.expanded.words[0].neighbours.length, 3);
    }
  });
});

describe('expand "prf"', () => {
  it('text: the query moves toward the first search\'s top hits (expanded.docs), then searches again', async () => {
    const plain = await search({ text: 'truck engine', k: 9, return: 'id' });
    const r = await search({ text: 'truck engine', k: 4, return: 'id', expand: { strategy: 'prf', docs: 3 } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.expanded, { strategy: 'prf', docs: ids(plain).slice(0, 3), weight: 0.5 });
    assert.equal(r.body.results.length, 4);
    assert.deepEqual(Object.keys(r.body.results[0]).sort(), ['id', 'score']);
  });

  it('vector: planted vectors — z, beyond the top hits, overtakes y, away from them', async () => {
    const plain = await search({ vector: at(0), k: 5, return: 'id' }, 'planted');
    assert.deepEqual(ids(plain), ['a1', 'a2', 'a3', 'y', 'z']);
    const r = await search({ vector: at(0), k: 5, return: 'id', expand: { strategy: 'prf', docs: 3 } }, 'planted');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(ids(r), ['a1', 'a2', 'a3', 'z', 'y']);
    assert.deepEqual(r.body.expanded.docs, ['a1', 'a2', 'a3']);
    // The feedback comes from inside the filter too.
    const f = await search({ vector: at(0), k: 5, filter: { side: 'below' }, expand: { strategy: 'prf' } }, 'planted');
    assert.deepEqual(ids(f), ['y']);
    assert.deepEqual(f.body.expanded.docs, ['y']);
  });

  it('nothing matches the filter: no results, no feedback', async () => {
    const r = await search({ text: 'truck', filter: { kind: 'nothing' }, expand: { strategy: 'prf' } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.results, []);
    assert.deepEqual(r.body.expanded.docs, []);
  });
});

describe('expand "multi"', () => {
  it('the text and its variants, each searched, fused by RRF', async () => {
    const r = await search({ text: 'car engine music', mode: 'hybrid', k: 5, expand: { strategy: 'multi', queries: 3 } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const { queries, words } = r.body.expanded;
    assert.equal(queries[0], 'car engine music');
    assert.equal(queries.length, 3);
    for (const q of queries.slice(1)) assert.ok(q.startsWith('car engine music ') && q.length > 'car engine music '.length, q);
    assert.ok(words.length >= 2);
    assert.equal(r.body.results.length, 5);
    assert.equal(new Set(ids(r)).size, 5);
    for (const h of r.body.results) assert.equal(h.text, RECORDS.find((x) => x.id === h.id)!.text);
    const scores = r.body.results.map((h: { score: number }) => h.score);
    assert.deepEqual(scores, [...scores].sort((a: number, b: number) => b - a));
  });
});

describe('expanded searches honour the filter, k and return', () => {
  const cases: [string, Record<string, unknown>][] = [];
  for (const mode of ['dense', 'hybrid', 'keyword']) {
    cases.push([mode, { strategy: 'words' }], [mode, { strategy: 'multi' }]);
    if (mode !== 'keyword') cases.push([mode, { strategy: 'prf' }]);
  }
  for (const [mode, expand] of cases) {
    it(`${expand.strategy} in ${mode} mode never returns a record outside the filter`, async () => {
      for (const text of ['car', 'truck engine', 'symphony orchestra']) {
        const r = await search({ text, mode, k: 4, filter: { kind: 'food' }, expand });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.equal(r.body.expanded.strategy, expand.strategy);
        assert.ok(r.body.results.length <= 4);
        for (const h of r.body.results) assert.equal(h.metadata.kind, 'food', `${text}: ${h.id}`);
        const idOnly = await search({ text, mode, k: 4, filter: { kind: 'food' }, expand, return: 'id' });
        assert.deepEqual(ids(idOnly), ids(r));
        for (const h of idOnly.body.results) assert.equal(h.metadata, undefined);
      }
    });
  }

  it('a truck for food: "car" expanded in keyword mode, filtered to food, finds the food truck', async () => {
    const r = await search({ text: 'car', mode: 'keyword', filter: { kind: 'food' }, expand: { strategy: 'words', terms: 3 } });
    assert.deepEqual(ids(r), ['tacos']);
  });
});

describe('expand: bad input', () => {
  it('unsupported combinations and out-of-range parameters are 400s saying what to change', async () => {
    const cases: [Record<string, unknown>, RegExp | null][] = [
      [{ text: 'car', mode: 'keyword', expand: { strategy: 'prf' } }, /mode "dense" or "hybrid"/],
      [{ vector: [0.1, 0.2], expand: { strategy: 'words' } }, /give "text"/],
      [{ vector: [0.1, 0.2], expand: { strategy: 'multi' } }, /give "text"/],
      [{ text: 'car', group: { by: 'document' }, expand: { strategy: 'words' } }, /"group"/],
      [{ text: 'car', rerank: { type: 'mmr' }, expand: { strategy: 'prf' } }, /"rerank"/],
      [{ text: 'car', expand: { strategy: 'synonyms' } }, null],
      [{ text: 'car', expand: { strategy: 'words', terms: 6 } }, null],
      [{ text: 'car', expand: { strategy: 'words', minSimilarity: 1.5 } }, null],
      [{ text: 'car', expand: { strategy: 'prf', docs: 0 } }, null],
      [{ text: 'car', expand: { strategy: 'prf', weight: 2 } }, null],
      [{ text: 'car', expand: { strategy: 'multi', queries: 1 } }, null],
      [{ text: 'car', expand: { strategy: 'multi', queries: 9 } }, null],
      [{ text: 'car', expand: { strategy: 'prf', terms: 2 } }, null],
      [{ text: 'car', expand: {} }, null],
    ];
    for (const [body, message] of cases) {
      const r = await search(body, body.vector ? 'planted' : 'things');
      assert.equal(r.status, 400, `${JSON.stringify(body)} → ${r.status} ${JSON.stringify(r.body)}`);
      assert.ok(errorCode(r), JSON.stringify(r.body));
      if (message) assert.match(r.body.error.message, message);
    }
  });

  it("another tenant's collection is 404, expanded or not", async () => {
    const r = await other('POST', '/v1/collections/things/search', { text: 'car', expand: { strategy: 'words' } });
    assert.equal(r.status, 404);
  });
});
