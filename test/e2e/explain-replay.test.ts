/**
 * Explain and replay on a real port: `explain: true` in every search mode (what ran, why, how
 * long, how many candidates), recording a collection's searches into a bounded ring that
 * survives a restart, and replaying one after writes and deletes: exactly the ids added and
 * removed. Bad input is a 4xx with a stable code; another tenant sees nothing (404).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { mulberry32 } from '../../src/random.js';
import { client, errorCode, register, testServer } from '../support/server.js';
import { JOBS } from '../support/job-ads.js';

type Api = ReturnType<typeof client>;
type Stage = { stage: string; side?: string; ms: number; candidates?: number };

const DIM = 24;
const N = 3000;
const rnd = mulberry32(3);
const vec = () => Array.from({ length: DIM }, () => rnd() * 2 - 1);
const QUERY = vec();

const stageNames = (e: { stages: Stage[] }) => e.stages.map((s) => (s.side ? `${s.side}.${s.stage}` : s.stage));
const ids = (r: { body: { results: { id: string }[] } }) => r.body.results.map((h) => h.id);

let server: Awaited<ReturnType<typeof testServer>>;
let url: string;
let dataDir: string;
let api: Api;
let other: Api;
let keyA: string;

before(async () => {
  server = await testServer({ VECTRA_RATE_LIMIT: '1000000' });
  ({ url, dataDir } = server);
  const a = await register(url, 'a');
  keyA = a.key;
  api = client(url, keyA);
  other = client(url, (await register(url, 'b')).key);
  assert.equal((await api('POST', '/v1/collections', { name: 'jobs' })).status, 201);
  assert.equal((await api('POST', '/v1/collections/jobs/records', { records: JOBS })).status, 200);
  assert.equal((await api('POST', '/v1/collections', { name: 'vec', model: 'none', dimension: DIM, storage: 'f32' })).status, 201);
  const records = Array.from({ length: N }, (_, i) => ({ id: `r${i}`, vector: vec(), metadata: { rare: i < 40, band: i % 5 < 2 } }));
  for (let i = 0; i < N; i += 1000) assert.equal((await api('POST', '/v1/collections/vec/records', { records: records.slice(i, i + 1000) })).status, 200);
  await indexed('vec');
});

/** Large writes join the graph in the background (deferred indexing): wait for it, so that plans are the graph's. */
async function indexed(name: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if ((await api('GET', `/v1/collections/${name}`)).body.unindexed === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${name} was not indexed in 30 s`);
}

describe('explain over HTTP', () => {
  it('dense by text: embed, graph walk, fetch; the reason, the graph\'s breadth and no visited count (not exposed)', async () => {
    const r = await api('POST', '/v1/collections/jobs/search', { text: 'forklift warehouse', k: 3, explain: true });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const e = r.body.explain;
    assert.equal(e.plan, r.body.plan);
    assert.equal(e.plan, 'hnsw');
    assert.match(e.reason, /no filter: a walk of the HNSW graph keeping \d+ candidates/);
    assert.deepEqual(stageNames(e).filter((s: string) => s !== 'rescore'), ['embed', 'graph', 'fetch']);
    assert.equal(e.graph.visited, null);
    assert.equal(e.graph.distances, null);
    assert.match(e.graph.note, /not exposed/);
    assert.equal(e.stages.at(-1).candidates, 3);
    const sum = e.stages.reduce((t: number, s: Stage) => t + s.ms, 0);
    assert.ok(e.total_ms >= sum - 0.01 && e.total_ms > 0, `${e.total_ms} vs ${sum}`);
    // The answer is the same without explain, and carries no explain.
    const plain = await api('POST', '/v1/collections/jobs/search', { text: 'forklift warehouse', k: 3 });
    assert.equal(plain.body.explain, undefined);
    assert.deepEqual(plain.body.results, r.body.results);
  });

  it('dense by vector with a selective and a broad filter: the plan, the selectivity estimate, the widening rounds', async () => {
    const sel = await api('POST', '/v1/collections/vec/search', { vector: QUERY, k: 5, filter: { rare: true }, explain: true, return: 'id' });
    assert.equal(sel.status, 200, JSON.stringify(sel.body));
    assert.equal(sel.body.explain.plan, 'exact-filtered');
    assert.deepEqual({ ...sel.body.explain.filter, rule: undefined }, { matches: 40, exact: true, threshold: 1000, total: N, selectivity: 40 / N, rule: undefined });
    assert.deepEqual(stageNames(sel.body.explain), ['filter', 'scan', 'fetch']);
    const broad = await api('POST', '/v1/collections/vec/search', { vector: QUERY, k: 5, filter: { band: true }, explain: true, return: 'id' });
    const e = broad.body.explain;
    assert.equal(e.plan, 'hnsw-filtered');
    assert.equal(e.filter.matches, 1001);
    assert.equal(e.filter.exact, false);
    assert.ok(e.rounds.length >= 2 && e.rounds.at(-1).passed >= 200, JSON.stringify(e.rounds));
    assert.equal(e.graph.searches, e.rounds.length);
    assert.deepEqual(stageNames(e), ['filter', 'graph', 'rescore', 'fetch']);
    const exact = await api('POST', '/v1/collections/vec/search', { vector: QUERY, k: 5, filter: { band: true }, exact: true, return: 'id' });
    assert.deepEqual(ids(broad), ids(exact));
  });

  it('keyword: BM25 stage, highlight; with a filter, applied in the same query', async () => {
    const r = await api('POST', '/v1/collections/jobs/search', { text: 'forklift', mode: 'keyword', highlight: true, filter: { city: 'Boston' }, explain: true });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(ids(r), ['forklift']);
    assert.equal(r.body.explain.plan, 'keyword');
    assert.match(r.body.explain.reason, /BM25 .*FTS5.*filter applied in the same SQL query/);
    assert.deepEqual(stageNames(r.body.explain), ['keyword', 'fetch', 'highlight']);
    assert.equal(r.body.explain.stages[0].candidates, 1);
  });

  it('hybrid: each side\'s plan and stages, then fusion', async () => {
    const r = await api('POST', '/v1/collections/jobs/search', { text: 'forklift operator', mode: 'hybrid', k: 3, explain: true });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const e = r.body.explain;
    assert.equal(e.plan, 'hybrid');
    assert.match(e.reason, /reciprocal rank fusion \(k 60\)/);
    assert.equal(e.sides.dense.plan, 'hnsw');
    assert.equal(e.sides.keyword.plan, 'keyword');
    const names = stageNames(e);
    for (const s of ['dense.embed', 'dense.graph', 'keyword.keyword', 'fusion', 'fetch']) assert.ok(names.includes(s), `${s} in ${names}`);
    assert.ok(names.indexOf('fusion') > names.indexOf('dense.graph') && names.indexOf('fusion') > names.indexOf('keyword.keyword'));
    assert.equal(e.stages.find((s: Stage) => s.stage === 'keyword').candidates, 2, 'two texts have "forklift", "operator"');
  });

  it('rerank, group and parse: their stages', async () => {
    const mmr = await api('POST', '/v1/collections/jobs/search', { text: 'hourly job', k: 3, rerank: { type: 'mmr' }, explain: true });
    assert.equal(mmr.status, 200, JSON.stringify(mmr.body));
    const rr = mmr.body.explain.stages.find((s: Stage) => s.stage === 'rerank');
    assert.equal(rr.candidates, 3);
    const grouped = await api('POST', '/v1/collections/jobs/search', { text: 'hourly job', k: 2, group: { by: 'document' }, explain: true });
    assert.equal(grouped.status, 200, JSON.stringify(grouped.body));
    assert.equal(grouped.body.explain.stages.at(-1).stage, 'group');
    assert.equal(grouped.body.explain.stages.at(-1).candidates, 2);
    const parsed = await api('POST', '/v1/collections/jobs/search', { text: 'jobs paying more than $14', parse: true, mode: 'keyword', explain: true });
    assert.equal(parsed.status, 200, JSON.stringify(parsed.body));
    assert.equal(parsed.body.explain.stages[0].stage, 'parse');
    assert.equal(parsed.body.explain.stages[0].candidates, parsed.body.parsed.constraints.length);
  });

  it('explain must be a boolean', async () => {
    const r = await api('POST', '/v1/collections/jobs/search', { text: 'x', explain: 'yes' });
    assert.equal(r.status, 400);
    assert.equal(errorCode(r), 'INVALID_ARGUMENT');
  });
});

describe('recording and replay over HTTP', () => {
  const body = { vector: QUERY, k: 5, return: 'id' };

  it('off by default; recording changes no answer; the listing is newest first, long vectors elided, ?vectors=true lists them', async () => {
    assert.deepEqual((await api('GET', '/v1/collections/vec/recording')).body, { enabled: false, size: 1000, recorded: 0, oldest: null, newest: null });
    await api('POST', '/v1/collections/vec/search', body);
    assert.deepEqual((await api('GET', '/v1/collections/vec/searches')).body, { searches: [] });
    const before = await api('POST', '/v1/collections/vec/search', body);
    const on = await api('PUT', '/v1/collections/vec/recording', { enabled: true, size: 50 });
    assert.equal(on.status, 200, JSON.stringify(on.body));
    assert.deepEqual({ ...on.body }, { enabled: true, size: 50, recorded: 0, oldest: null, newest: null });
    const during = await api('POST', '/v1/collections/vec/search', body);
    assert.deepEqual(during.body.results, before.body.results);
    assert.equal(during.body.explain, undefined);
    await api('POST', '/v1/collections/vec/search', { ...body, k: 3, filter: { band: true }, explain: true });
    const list = await api('GET', '/v1/collections/vec/searches');
    assert.equal(list.status, 200, JSON.stringify(list.body));
    const [newest, oldest] = list.body.searches;
    assert.equal(list.body.searches.length, 2);
    assert.ok(Number(newest.id) > Number(oldest.id));
    assert.deepEqual(newest.request, { k: 3, return: 'id', filter: { band: true } }, 'explain is not recorded; the vector is elided');
    assert.equal(newest.vectorElided, DIM);
    assert.equal(newest.plan, 'hnsw-filtered');
    assert.equal(newest.results.length, 3);
    assert.deepEqual(oldest.results, during.body.results);
    assert.ok(oldest.took_ms > 0);
    const full = await api('GET', '/v1/collections/vec/searches?limit=1&vectors=true');
    assert.equal(full.body.searches.length, 1);
    assert.deepEqual(full.body.searches[0].request.vector, Float32Array.from(QUERY).reduce((a: number[], x) => (a.push(x), a), []));
    const state = (await api('GET', '/v1/collections/vec/recording')).body;
    assert.equal(state.recorded, 2);
    assert.ok(state.oldest <= state.newest);
  });

  it('replay after writes and deletes: exactly the ids added and removed, the moves and the overlap; a replay is not recorded', async () => {
    const rec = await api('POST', '/v1/collections/vec/search', body);
    const then = ids(rec);
    const id = (await api('GET', '/v1/collections/vec/searches?limit=1')).body.searches[0].id;
    const unchanged = await api('POST', `/v1/collections/vec/searches/${id}/replay`, {});
    assert.equal(unchanged.status, 200, JSON.stringify(unchanged.body));
    assert.equal(unchanged.body.unchanged, true);
    assert.equal(unchanged.body.overlap, 1);
    // A record planted on the query (rank 1 from now on), and the 2nd of the recorded answer deleted.
    assert.equal((await api('POST', '/v1/collections/vec/records', { records: [{ id: 'planted', vector: QUERY }] })).status, 200);
    assert.equal((await api('DELETE', `/v1/collections/vec/records/${then[1]}`)).status, 204);
    const r = await api('POST', `/v1/collections/vec/searches/${id}/replay`, { explain: true });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.then.results.map((h: { id: string }) => h.id), then);
    assert.deepEqual(r.body.now.results.map((h: { id: string }) => h.id), ['planted', then[0], ...then.slice(2)]);
    assert.deepEqual(r.body.diff.added.map((h: { id: string; rank: number }) => [h.id, h.rank]), [['planted', 1]]);
    assert.deepEqual(r.body.diff.removed.map((h: { id: string; rank: number }) => [h.id, h.rank]), [[then[1], 2]]);
    assert.deepEqual(r.body.diff.moved, [{ id: then[0], from: 1, to: 2 }]);
    assert.deepEqual(r.body.diff.scoreChanges, []);
    assert.equal(r.body.overlap, 4 / 5);
    assert.equal(r.body.unchanged, false);
    assert.equal(r.body.vectorElided, DIM);
    assert.equal(r.body.now.explain.plan, 'hnsw');
    assert.equal((await api('GET', '/v1/collections/vec/searches?limit=1')).body.searches[0].id, id, 'replays are not recorded');
  });

  it('the ring keeps the latest `size`; a search it dropped is 404 SEARCH_NOT_FOUND', async () => {
    assert.equal((await api('PUT', '/v1/collections/vec/recording', { size: 3 })).body.recorded, 3);
    const first = (await api('GET', '/v1/collections/vec/searches?limit=3')).body.searches.at(-1).id;
    for (let k = 1; k <= 4; k++) await api('POST', '/v1/collections/vec/search', { ...body, k });
    const list = (await api('GET', '/v1/collections/vec/searches')).body.searches;
    assert.deepEqual(list.map((s: { request: { k: number } }) => s.request.k), [4, 3, 2]);
    const gone = await api('POST', `/v1/collections/vec/searches/${first}/replay`, {});
    assert.equal(gone.status, 404);
    assert.equal(errorCode(gone), 'SEARCH_NOT_FOUND');
  });

  it('bad input: 400 INVALID_ARGUMENT or 404 SEARCH_NOT_FOUND, with a message', async () => {
    for (const b of [{ size: 0 }, { size: 10_001 }, { size: 2.5 }, {}, { enabled: 'yes' }, { enabled: true, extra: 1 }]) {
      const r = await api('PUT', '/v1/collections/vec/recording', b);
      assert.equal(r.status, 400, JSON.stringify(b));
      assert.equal(errorCode(r), 'INVALID_ARGUMENT');
    }
    for (const q of ['?limit=0', '?limit=10001', '?limit=x', '?vectors=1']) assert.equal((await api('GET', `/v1/collections/vec/searches${q}`)).status, 400, q);
    for (const id of ['999999', '0', 'abc', '-1', '1e3']) {
      const r = await api('POST', `/v1/collections/vec/searches/${id}/replay`, {});
      assert.equal(r.status, 404, id);
      assert.equal(errorCode(r), 'SEARCH_NOT_FOUND');
      assert.match(r.body.error.message, /no recorded search/);
    }
    assert.equal(errorCode(await api('GET', '/v1/collections/nope/recording')), 'COLLECTION_NOT_FOUND');
  });

  it("another tenant cannot read, change, clear or replay A's recording: 404", async () => {
    const id = (await api('GET', '/v1/collections/vec/searches?limit=1')).body.searches[0].id;
    const before = (await api('GET', '/v1/collections/vec/searches')).body;
    for (const [method, path, b] of [
      ['GET', '/v1/collections/vec/recording'],
      ['PUT', '/v1/collections/vec/recording', { enabled: false }],
      ['GET', '/v1/collections/vec/searches'],
      ['DELETE', '/v1/collections/vec/searches'],
      ['POST', `/v1/collections/vec/searches/${id}/replay`, {}],
    ] as [string, string, unknown][]) {
      const r = await other(method, path, b);
      assert.equal(r.status, 404, `${method} ${path}`);
      assert.equal(errorCode(r), 'COLLECTION_NOT_FOUND');
    }
    // B's own collection of the same name: A's recorded search is not there.
    assert.equal((await other('POST', '/v1/collections', { name: 'vec', model: 'none', dimension: DIM })).status, 201);
    assert.equal(errorCode(await other('POST', `/v1/collections/vec/searches/${id}/replay`, {})), 'SEARCH_NOT_FOUND');
    assert.deepEqual((await other('GET', '/v1/collections/vec/searches')).body, { searches: [] });
    assert.deepEqual((await api('GET', '/v1/collections/vec/searches')).body, before);
    assert.equal((await api('GET', '/v1/collections/vec/recording')).body.enabled, true);
  });

  it('survives a restart (searches.db in the collection directory); DELETE …/searches forgets them; a dropped collection takes its recording', async () => {
    const before = (await api('GET', '/v1/collections/vec/searches')).body.searches;
    // Recorded just before the stop, still in memory: written at close.
    await api('POST', '/v1/collections/vec/search', { ...body, k: 7 });
    await server.close();
    const again = await testServer({ VECTRA_RATE_LIMIT: '1000000' }, dataDir);
    api = client(again.url, keyA);
    const after = (await api('GET', '/v1/collections/vec/searches')).body.searches;
    assert.equal(after[0].request.k, 7);
    assert.ok(Number(after[0].id) > Number(before[0].id));
    assert.deepEqual(after.slice(1), before.slice(0, 2), 'size 3: the new one pushed the oldest out');
    assert.deepEqual({ ...(await api('GET', '/v1/collections/vec/recording')).body, oldest: null, newest: null }, { enabled: true, size: 3, recorded: 3, oldest: null, newest: null });
    const replay = await api('POST', `/v1/collections/vec/searches/${after[0].id}/replay`, {});
    assert.equal(replay.status, 200, JSON.stringify(replay.body));
    assert.equal(replay.body.unchanged, true);
    assert.equal((await api('DELETE', '/v1/collections/vec/searches')).status, 204);
    assert.deepEqual((await api('GET', '/v1/collections/vec/searches')).body, { searches: [] });
    assert.equal((await api('GET', '/v1/collections/vec/recording')).body.enabled, true);
    await api('POST', '/v1/collections/vec/search', body);
    assert.equal((await api('GET', '/v1/collections/vec/recording')).body.recorded, 1);
    assert.equal((await api('DELETE', '/v1/collections/vec')).status, 204);
    assert.equal((await api('POST', '/v1/collections', { name: 'vec', model: 'none', dimension: DIM })).status, 201);
    assert.deepEqual((await api('GET', '/v1/collections/vec/recording')).body, { enabled: false, size: 1000, recorded: 0, oldest: null, newest: null });
  });
});
