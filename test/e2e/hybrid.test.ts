/** Keyword, hybrid and MMR search over HTTP: what a caller sees, and that no text breaks it. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { client, errorCode, register, testServer } from '../support/server.js';
import { JOBS } from '../support/job-ads.js';

let api: ReturnType<typeof client>;

before(async () => {
  const url = (await testServer({ VECTRA_RATE_LIMIT: '1000000' })).url;
  api = client(url, (await register(url)).key);
  assert.equal((await api('POST', '/v1/collections', { name: 'jobs' })).status, 201);
  assert.equal((await api('POST', '/v1/collections/jobs/records', { records: JOBS })).status, 200);
});

const search = (body: Record<string, unknown>) => api('POST', '/v1/collections/jobs/search', body);

describe('keyword search over HTTP', () => {
  it('BM25 over the record text, with highlights and filters', async () => {
    const r = await search({ text: 'forklift', mode: 'keyword', highlight: true });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.plan, 'keyword');
    assert.deepEqual(new Set(r.body.results.map((h: { id: string }) => h.id)), new Set(['warehouse', 'forklift']));
    assert.equal(r.body.results[0].id, 'forklift', 'the shorter text with the word ranks first');
    assert.match(r.body.results[0].highlight, /<mark>Forklift<\/mark>/);
    const f = await search({ text: 'forklift', mode: 'keyword', filter: { city: 'Austin' }, return: 'id' });
    assert.deepEqual(f.body.results.map((h: { id: string }) => h.id), ['warehouse']);
    assert.equal(f.body.results[0].text, undefined);
  });

  it('a bad filter in hybrid mode is a 400, and the server lives on', async () => {
    // Regression: the keyword side threw before Promise.all had a handler on the dense side,
    // whose later rejection went unhandled and ended the process.
    const r = await search({ text: 'forklift', mode: 'hybrid', filter: { $bogus: 1 } });
    assert.equal(r.status, 400);
    assert.equal(errorCode(r), 'INVALID_FILTER');
    await new Promise((res) => setTimeout(res, 200));
    assert.equal((await search({ text: 'forklift', mode: 'hybrid' })).status, 200);
  });

  it('bad combinations get a 400 saying what to change', async () => {
    for (const body of [
      { vector: new Array(100).fill(0.1), mode: 'keyword' },
      { text: 'x', vector: new Array(100).fill(0.1), mode: 'keyword' },
      { text: 'x', fusion: 'rrf' },
      { text: 'x', mode: 'hybrid', fusion: { type: 'weighted', alpha: 2 } },
      { text: 'x', mode: 'hybrid', fusion: { type: 'rrf', weights: { dense: -1 } } },
      { text: 'x', mode: 'hybrid', fusion: 'borda' },
      { text: 'x', k: 20, candidates: 10, rerank: { type: 'mmr' } },
      { text: 'x', rerank: { type: 'mmr', lambda: 1.5 } },
      { text: 'x', rerank: { type: 'mmr' }, candidates: 5000 },
      { text: 'x', k: 300, rerank: { type: 'cross-encoder', model: 'ms-marco-MiniLM-L-6-v2' } },
    ]) {
      const r = await search(body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.ok(errorCode(r), JSON.stringify(r.body));
    }
  });

  it('any text is a valid query in keyword and hybrid mode (property, real server)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 300 }), fc.constantFrom('"', 'NOT', 'a AND (b', '*', 'NEAR(x y)', '🦊', '\\', "'")), fc.constantFrom('keyword', 'hybrid'), async (text, mode) => {
        const r = await search({ text, mode, k: 3 });
        assert.equal(r.status, 200, `${JSON.stringify(text)} → ${JSON.stringify(r.body)}`);
      }),
      { numRuns: 150 },
    );
  });
});

describe('hybrid search over HTTP', () => {
  it('RRF by default: the fused score is Σ 1/(60 + rank), with each side\'s score and rank', async () => {
    const r = await search({ text: 'forklift job paying per hour', mode: 'hybrid', k: 6 });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.plan, 'hybrid');
    assert.deepEqual(r.body.plans, { dense: 'hnsw', keyword: 'keyword' });
    const results = r.body.results as { id: string; score: number; ranks: { dense?: number; keyword?: number }; scores: { dense?: number; keyword?: number } }[];
    assert.equal(results[0].id, 'warehouse', 'first on both sides');
    for (const h of results) {
      const expected = (h.ranks.dense ? 1 / (60 + h.ranks.dense) : 0) + (h.ranks.keyword ? 1 / (60 + h.ranks.keyword) : 0);
      assert.ok(Math.abs(h.score - expected) < 1e-12, JSON.stringify(h));
      assert.equal(h.ranks.dense !== undefined, h.scores.dense !== undefined);
      assert.equal(h.ranks.keyword !== undefined, h.scores.keyword !== undefined);
    }
    for (let i = 1; i < results.length; i++) assert.ok(results[i - 1].score >= results[i].score);
    // The cat shares no word: it can only come from the dense side.
    const cat = results.find((h) => h.id === 'cat');
    if (cat) assert.equal(cat.ranks.keyword, undefined);
  });

  it('filters apply to both sides', async () => {
    const r = await search({ text: 'forklift job', mode: 'hybrid', filter: { city: 'Boston' } });
    assert.ok(r.body.results.length > 0);
    for (const h of r.body.results) assert.equal(h.metadata.city, 'Boston');
  });

  it('weighted fusion: alpha 1 is the dense order, alpha 0 puts keyword matches first', async () => {
    const dense = await search({ text: 'forklift shift', k: 6, return: 'id' });
    const a1 = await search({ text: 'forklift shift', mode: 'hybrid', k: 6, fusion: { type: 'weighted', alpha: 1 }, return: 'id' });
    assert.deepEqual(a1.body.results.map((h: { id: string }) => h.id), dense.body.results.map((h: { id: string }) => h.id));
    const a0 = await search({ text: 'forklift shift', mode: 'hybrid', k: 6, fusion: { type: 'weighted', alpha: 0 }, return: 'id' });
    assert.deepEqual(a0.body.results.slice(0, 2).map((h: { id: string }) => h.id), ['forklift', 'warehouse']);
  });

  it('takes a vector for the dense side when given (collections without a model)', async () => {
    assert.equal((await api('POST', '/v1/collections', { name: 'raw', model: 'none', dimension: 2 })).status, 201);
    await api('POST', '/v1/collections/raw/records', { records: [{ id: 'p', vector: [1, 0], text: 'red apple' }, { id: 'q', vector: [0, 1], text: 'green pear' }] });
    const r = await api('POST', '/v1/collections/raw/search', { text: 'pear', vector: [1, 0], mode: 'hybrid' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const byId = Object.fromEntries(r.body.results.map((h: { id: string; ranks: object }) => [h.id, h.ranks]));
    assert.deepEqual(byId, { p: { dense: 1 }, q: { dense: 2, keyword: 1 } });
    const noVector = await api('POST', '/v1/collections/raw/search', { text: 'pear', mode: 'hybrid' });
    assert.equal(noVector.status, 400);
  });
});

describe('MMR reranking', () => {
  it('trades a near-duplicate for a different hit', async () => {
    assert.equal((await api('POST', '/v1/collections', { name: 'news' })).status, 201);
    await api('POST', '/v1/collections/news/records', {
      records: [
        { id: 'rate1', text: 'The central bank raised interest rates by a quarter point' },
        { id: 'rate2', text: 'The central bank raised its interest rates by a quarter point' },
        { id: 'rate3', text: 'Central bank raises interest rates a quarter point' },
        { id: 'jobs', text: 'Unemployment fell as the economy added jobs' },
        { id: 'cat', text: 'The cat sat on the mat' },
      ],
    });
    const plain = await api('POST', '/v1/collections/news/search', { text: 'central bank interest rates and the economy', k: 3, return: 'id' });
    assert.deepEqual(plain.body.results.map((h: { id: string }) => h.id).sort(), ['rate1', 'rate2', 'rate3']);
    const diverse = await api('POST', '/v1/collections/news/search', { text: 'central bank interest rates and the economy', k: 3, rerank: { type: 'mmr', lambda: 0.5 } });
    assert.equal(diverse.status, 200, JSON.stringify(diverse.body));
    const got = diverse.body.results.map((h: { id: string }) => h.id);
    assert.ok(got[0].startsWith('rate'));
    assert.ok(got.includes('jobs'), `expected the different story among ${got}`);
    assert.ok(diverse.body.results[0].text, 'objects by default');
    // lambda 1 is the plain order.
    const same = await api('POST', '/v1/collections/news/search', { text: 'central bank interest rates and the economy', k: 3, rerank: { type: 'mmr', lambda: 1 }, return: 'id' });
    assert.deepEqual(same.body.results.map((h: { id: string }) => h.id), plain.body.results.map((h: { id: string }) => h.id));
  });

  it('keeps each hit\'s relevance score and rank, and says where MMR put it (scores need not descend)', async () => {
    const query = 'central bank interest rates and the economy';
    const relevance = (await api('POST', '/v1/collections/news/search', { text: query, k: 5, return: 'id' })).body.results as { id: string; score: number }[];
    const r = await api('POST', '/v1/collections/news/search', { text: query, k: 4, rerank: { type: 'mmr', lambda: 0.5 }, return: 'id' });
    const hits = r.body.results as { id: string; score: number; ranks: { dense: number; mmr: number } }[];
    hits.forEach((h, i) => {
      assert.equal(h.ranks.mmr, i + 1, 'results come in MMR order');
      const at = relevance.findIndex((x) => x.id === h.id);
      assert.equal(h.ranks.dense, at + 1, `${h.id}: its rank by relevance`);
      assert.ok(Math.abs(h.score - relevance[at].score) < 1e-6, `${h.id}: score stays the relevance`);
    });
    assert.ok(hits.some((h, i) => i > 0 && h.score > hits[i - 1].score), `the diverse pick comes after a less similar one: ${JSON.stringify(hits)}`);
    // Keyword and hybrid candidates keep their own ranks too.
    const kw = await api('POST', '/v1/collections/news/search', { text: 'interest rates economy', mode: 'keyword', k: 2, rerank: { type: 'mmr' }, return: 'id' });
    assert.deepEqual(kw.body.results.map((h: { ranks: { mmr: number } }) => h.ranks.mmr), [1, 2]);
    for (const h of kw.body.results) assert.equal(typeof h.ranks.keyword, 'number');
    const hy = await api('POST', '/v1/collections/news/search', { text: query, mode: 'hybrid', k: 3, rerank: { type: 'mmr' } });
    assert.equal(hy.status, 200, JSON.stringify(hy.body));
    for (const [i, h] of hy.body.results.entries()) {
      assert.equal(h.ranks.mmr, i + 1);
      assert.ok(h.ranks.dense !== undefined || h.ranks.keyword !== undefined, JSON.stringify(h));
    }
    // Without rerank nothing changes: no ranks on plain dense hits.
    assert.equal((relevance[0] as { ranks?: unknown }).ranks, undefined);
  });
});

describe('query understanding over HTTP', () => {
  it('the seeds\' example: "Hourly wage not less than $13" filters on wage and searches the rest', async () => {
    assert.equal((await api('POST', '/v1/collections', { name: 'work' })).status, 201);
    await api('POST', '/v1/collections/work/records', {
      records: [
        { id: 'warehouse', text: 'Warehouse job paying $15 per hour', metadata: { wage: 15, posted: '2024-05-02' } },
        { id: 'cook', text: 'Line cook, $12 an hour', metadata: { wage: 12, posted: '2024-02-10' } },
        { id: 'engineer', text: 'Senior engineer, annual salary 150k', metadata: { salary: 150000, posted: '2023-11-20' } },
        { id: 'cashier', text: 'Cashier, $13 hourly', metadata: { wage: 13, posted: '2024-03-15' } },
      ],
    });
    const r = await api('POST', '/v1/collections/work/search', { text: 'Hourly wage not less than $13', parse: true });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.parsed.filter, { wage: { $gte: 13 } });
    assert.equal(r.body.parsed.query, 'Hourly wage');
    assert.deepEqual(r.body.parsed.constraints, [{ text: 'not less than $13', field: 'wage', filter: { wage: { $gte: 13 } } }]);
    assert.deepEqual(r.body.results.map((h: { id: string }) => h.id).sort(), ['cashier', 'warehouse']);

    // Dates, with the caller's own filter kept, in hybrid mode.
    const d = await api('POST', '/v1/collections/work/search', { text: 'jobs posted after February 2024', parse: true, mode: 'hybrid', filter: { wage: { $lt: 14 } } });
    assert.equal(d.status, 200, JSON.stringify(d.body));
    assert.deepEqual(d.body.parsed.filter, { posted: { $gte: '2024-03' } });
    assert.deepEqual(d.body.results.map((h: { id: string }) => h.id), ['cashier']);

    // Aliases, and what could not be applied is reported and left in the query.
    const a = await api('POST', '/v1/collections/work/search', { text: 'gigs with pay of at least 14, rated over 4', parse: { aliases: { wage: ['pay'] } }, return: 'id' });
    assert.deepEqual(a.body.parsed.filter, { wage: { $gte: 14 } });
    assert.equal(a.body.parsed.unmatched.length, 1);
    assert.match(a.body.parsed.query, /rated over 4/);
    assert.deepEqual(a.body.results.map((h: { id: string }) => h.id), ['warehouse']);
    assert.equal((await api('POST', '/v1/collections/work/search', { vector: new Array(100).fill(0.1), parse: true })).status, 400);
  });
});
