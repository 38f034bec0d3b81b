/** Temperature search and feedback reranking on a real port: reproducible samples, boosts bounded per user, isolation, bad input. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { client, errorCode, register, testServer } from '../support/server.js';

const DIM = 8;
/** Records on a circle in the first two dimensions: r0 at angle 0, each next 1° further from the query at angle 0. */
function circle(n: number) {
  return Array.from({ length: n }, (_, i) => {
    const v = new Array(DIM).fill(0);
    v[0] = Math.cos((i * Math.PI) / 180);
    v[1] = Math.sin((i * Math.PI) / 180);
    return { id: `r${i}`, vector: v, text: `record ${i}`, metadata: { even: i % 2 === 0 } };
  });
}
const Q = [1, 0, 0, 0, 0, 0, 0, 0];
/** A query 100.3° away (no ties) from Q: its neighbours are r90…r110, and Q's feedback is not similar enough to count. */
const FAR = [Math.cos((100.3 * Math.PI) / 180), Math.sin((100.3 * Math.PI) / 180), 0, 0, 0, 0, 0, 0];
const ids = (r: { body: { results: { id: string }[] } }) => r.body.results.map((h) => h.id);

describe('temperature and feedback over HTTP', () => {
  let api: ReturnType<typeof client>;
  let other: ReturnType<typeof client>;
  let readOnly: ReturnType<typeof client>;
  let url: string;

  before(async () => {
    const s = await testServer({ VECTRA_RATE_LIMIT: '100000' });
    url = s.url;
    const a = await register(url, 'a');
    api = client(url, a.key);
    other = client(url, (await register(url, 'b')).key);
    readOnly = client(url, (await api('POST', '/v1/keys', { name: 'ro', scopes: ['read'] })).body.apiKey);
    assert.equal((await api('POST', '/v1/collections', { name: 'c', model: 'none', dimension: DIM })).status, 201);
    assert.equal((await api('POST', '/v1/collections/c/records', { records: circle(120) })).status, 200);
  });

  it('temperature 0 is the plain ranking; a seed makes a sample reproducible and is returned', async () => {
    const plain = await api('POST', '/v1/collections/c/search', { vector: Q, k: 5 });
    const zero = await api('POST', '/v1/collections/c/search', { vector: Q, k: 5, temperature: 0 });
    assert.deepEqual(ids(zero), ids(plain));
    assert.equal(zero.body.seed, undefined);
    const a = await api('POST', '/v1/collections/c/search', { vector: Q, k: 5, temperature: 0.02, seed: 7 });
    assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.equal(a.body.seed, 7);
    assert.deepEqual(ids(await api('POST', '/v1/collections/c/search', { vector: Q, k: 5, temperature: 0.02, seed: 7 })), ids(a));
    // No seed: a random one, returned, that reproduces the answer.
    const r = await api('POST', '/v1/collections/c/search', { vector: Q, k: 5, temperature: 0.02 });
    assert.ok(Number.isInteger(r.body.seed));
    assert.deepEqual(ids(await api('POST', '/v1/collections/c/search', { vector: Q, k: 5, temperature: 0.02, seed: r.body.seed })), ids(r));
  });

  it('samples come from the candidates, differ across seeds, widen with temperature, and keep the filter', async () => {
    const pool = new Set(ids(await api('POST', '/v1/collections/c/search', { vector: Q, k: 20 })));
    const answers = new Set<string>();
    const seenHot = new Set<string>();
    for (let seed = 0; seed < 15; seed++) {
      const r = await api('POST', '/v1/collections/c/search', { vector: Q, k: 5, temperature: 0.01, candidates: 20, seed });
      for (const id of ids(r)) assert.ok(pool.has(id), `${id} outside the 20 candidates`);
      answers.add(ids(r).join());
      for (const id of ids(await api('POST', '/v1/collections/c/search', { vector: Q, k: 5, temperature: 10, candidates: 20, seed }))) seenHot.add(id);
    }
    assert.ok(answers.size > 1, 'every seed drew the same answer');
    assert.ok(seenHot.size >= 15, `a hot temperature reached ${seenHot.size} of 20 candidates`);
    const f = await api('POST', '/v1/collections/c/search', { vector: Q, k: 5, temperature: 1, seed: 3, filter: { even: true } });
    assert.ok(f.body.results.every((h: { metadata: { even: boolean } }) => h.metadata.even));
    // Keyword and hybrid modes sample too.
    const kw = await api('POST', '/v1/collections/c/search', { text: 'record', mode: 'keyword', k: 3, temperature: 1, seed: 1 });
    assert.equal(kw.status, 200, JSON.stringify(kw.body));
    assert.equal(kw.body.results.length, 3);
  });

  it('a recorded sampled search keeps the seed it was drawn with: its replay draws the same', async () => {
    assert.equal((await api('PUT', '/v1/collections/c/recording', { enabled: true })).status, 200);
    const r = await api('POST', '/v1/collections/c/search', { vector: Q, k: 5, temperature: 0.05, return: 'id' });
    const list = await api('GET', '/v1/collections/c/searches?limit=1&vectors=true');
    const recorded = list.body.searches[0];
    assert.equal(recorded.request.seed, r.body.seed);
    const replay = await api('POST', `/v1/collections/c/searches/${recorded.id}/replay`, {});
    assert.equal(replay.status, 200, JSON.stringify(replay.body));
    assert.equal(replay.body.unchanged, true, JSON.stringify(replay.body.diff));
    assert.equal((await api('PUT', '/v1/collections/c/recording', { enabled: false })).status, 200);
  });

  it('temperature refuses what it cannot combine with, and out-of-range values', async () => {
    for (const body of [
      { vector: Q, temperature: 1, rerank: { type: 'mmr' } },
      { vector: Q, temperature: 1, group: { by: 'document' } },
      { vector: Q, temperature: -1 },
      { vector: Q, temperature: 101 },
      { vector: Q, temperature: 1, seed: -4 },
    ]) {
      const r = await api('POST', '/v1/collections/c/search', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.ok(errorCode(r));
    }
  });

  it('feedback lifts what users chose for the same query, each user once, and leaves other queries alone', async () => {
    const before = ids(await api('POST', '/v1/collections/c/search', { vector: Q, k: 10 }));
    assert.equal(before[6], 'r6');
    const noVotes = await api('POST', '/v1/collections/c/search', { vector: Q, k: 10, rerank: { type: 'feedback' } });
    assert.deepEqual(ids(noVotes), before);
    // One user bookmarking r6 fifty times counts once.
    for (let i = 0; i < 50; i++) assert.equal((await api('POST', '/v1/collections/c/feedback', { vector: Q, id: 'r6', signal: 'bookmark', user: 'noisy' })).status, 204);
    const one = await api('POST', '/v1/collections/c/search', { vector: Q, k: 10, rerank: { type: 'feedback' } });
    const hit = one.body.results.find((h: { id: string }) => h.id === 'r6');
    assert.ok(Math.abs(hit.scores.feedback - Math.tanh(1 / 3) / 2) < 1e-9, JSON.stringify(hit));
    // Two more users: r6 now leads.
    for (const user of ['u1', 'u2']) assert.equal((await api('POST', '/v1/collections/c/feedback', { vector: Q, id: 'r6', signal: 'click', user })).status, 204);
    const three = await api('POST', '/v1/collections/c/search', { vector: Q, k: 10, rerank: { type: 'feedback' } });
    assert.equal(ids(three)[0], 'r6');
    assert.ok(Math.abs(three.body.results[0].scores.feedback - Math.tanh(2 / 3) * 0.75) < 1e-9);
    // weight 0: relevance only.
    assert.deepEqual(ids(await api('POST', '/v1/collections/c/search', { vector: Q, k: 10, rerank: { type: 'feedback', weight: 0 } })), before);
    // An unrelated query is not touched.
    const far = await api('POST', '/v1/collections/c/search', { vector: FAR, k: 10 });
    assert.deepEqual(ids(await api('POST', '/v1/collections/c/search', { vector: FAR, k: 10, rerank: { type: 'feedback' } })), ids(far));
    // Skips push a result down.
    for (const user of ['s1', 's2', 's3']) await api('POST', '/v1/collections/c/feedback', { vector: Q, id: 'r0', signal: 'skip', user });
    const skipped = await api('POST', '/v1/collections/c/search', { vector: Q, k: 10, rerank: { type: 'feedback' } });
    // r0 (the most relevant) falls behind r1, out of the top 10 even: three skips, −0.5 each.
    const at = ids(skipped).indexOf('r0');
    assert.ok(at === -1 || at > ids(skipped).indexOf('r1'), ids(skipped).join());
  });

  it('text queries key feedback by their text (keyword mode, no model)', async () => {
    const r = await api('POST', '/v1/collections/c/search', { text: 'record', mode: 'keyword', k: 5 });
    const last = ids(r)[4];
    for (const user of ['a', 'b', 'c', 'd']) assert.equal((await api('POST', '/v1/collections/c/feedback', { query: '  Record ', id: last, signal: 'dwell', value: 60, user })).status, 204);
    const fb = await api('POST', '/v1/collections/c/search', { text: 'record', mode: 'keyword', k: 5, rerank: { type: 'feedback' } });
    assert.equal(fb.status, 200, JSON.stringify(fb.body));
    assert.equal(ids(fb)[0], last);
  });

  it('bad feedback is a clear 4xx; read-only keys cannot give it; other tenants cannot reach it', async () => {
    const cases: [unknown, number, string][] = [
      [{ vector: Q, id: 'nope', signal: 'click' }, 404, 'RECORD_NOT_FOUND'],
      [{ vector: Q, id: 'r1', signal: 'click', value: 3 }, 400, 'INVALID_ARGUMENT'],
      [{ id: 'r1', signal: 'click' }, 400, 'INVALID_ARGUMENT'],
      [{ vector: Q, query: 'x', id: 'r1', signal: 'click' }, 400, 'INVALID_ARGUMENT'],
      [{ vector: Q, id: 'r1', signal: 'like' }, 400, ''],
      [{ vector: [1, 2], id: 'r1', signal: 'click' }, 400, 'DIMENSION_MISMATCH'],
    ];
    for (const [body, status, code] of cases) {
      const r = await api('POST', '/v1/collections/c/feedback', body);
      assert.equal(r.status, status, `${JSON.stringify(body)} → ${JSON.stringify(r.body)}`);
      if (code) assert.equal(errorCode(r), code);
    }
    assert.equal((await readOnly('POST', '/v1/collections/c/feedback', { vector: Q, id: 'r1', signal: 'click' })).status, 403);
    assert.equal((await other('POST', '/v1/collections/c/feedback', { vector: Q, id: 'r1', signal: 'click' })).status, 404);
    // Tenant B's own "c" sees none of A's feedback.
    assert.equal((await other('POST', '/v1/collections', { name: 'c', model: 'none', dimension: DIM })).status, 201);
    await other('POST', '/v1/collections/c/records', { records: circle(20) });
    const b = await other('POST', '/v1/collections/c/search', { vector: Q, k: 10, rerank: { type: 'feedback' } });
    assert.ok(b.body.results.every((h: { scores: { feedback: number } }) => h.scores.feedback === 0));
  });

  it('a collection dropped and created again starts with no feedback', async () => {
    await api('POST', '/v1/collections', { name: 'd', model: 'none', dimension: DIM });
    await api('POST', '/v1/collections/d/records', { records: circle(20) });
    for (const user of ['a', 'b', 'c']) await api('POST', '/v1/collections/d/feedback', { vector: Q, id: 'r9', signal: 'bookmark', user });
    assert.equal(ids(await api('POST', '/v1/collections/d/search', { vector: Q, k: 3, rerank: { type: 'feedback' } }))[0], 'r9');
    assert.equal((await api('DELETE', '/v1/collections/d')).status, 204);
    await api('POST', '/v1/collections', { name: 'd', model: 'none', dimension: DIM });
    await api('POST', '/v1/collections/d/records', { records: circle(20) });
    assert.equal(ids(await api('POST', '/v1/collections/d/search', { vector: Q, k: 3, rerank: { type: 'feedback' } }))[0], 'r0');
  });
});
