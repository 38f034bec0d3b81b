/**
 * Qdrant's official client (@qdrant/js-client-rest), unchanged, against a real Vectra server
 * under /qdrant: collections, 10,000 points with payloads upserted in batches (list and batch
 * forms, numeric and UUID ids), filtered searches equal to Vectra's own API on the same data
 * (same ids, order and scores) and to a naive evaluator of Qdrant's filter rules, scroll through
 * everything by offsets, count, payload updates, delete by filter, the query API (by vector, by
 * point id, with MMR), and scores for each distance.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { QdrantClient } from '@qdrant/js-client-rest';
import { client, register, testServer } from '../support/server.js';
import { pointSet, qdrantMatches, type Point } from '../support/qdrant.js';
import { vectorFor } from '../support/vectors.js';

const N = 10_000;
const DIM = 32;
const NAME = 'points';

let qdrant: QdrantClient;
let v1: ReturnType<typeof client>;
let points: Point[];
let base = '';
let apiKey = '';
const warnings: string[] = [];

/** Vectra's string id of a Qdrant id. */
const vid = (id: number | string) => String(id);

before(async () => {
  const s = await testServer({ VECTRA_RATE_LIMIT: '1000000' });
  const { key } = await register(s.url, 'qdrant-user');
  [base, apiKey] = [s.url, key];
  v1 = client(s.url, key);
  const warn = console.warn;
  console.warn = (...args: unknown[]) => void warnings.push(args.join(' '));
  try {
    // checkCompatibility on: the client asks GET /qdrant for the version.
    qdrant = new QdrantClient({ url: s.url, prefix: '/qdrant', apiKey: key });
    await qdrant.api().root({});
  } finally {
    console.warn = warn;
  }
  points = pointSet(N, DIM);
});

describe('the official Qdrant client against /qdrant', () => {
  it('passes its compatibility check (GET /qdrant answers a version it accepts)', async () => {
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(warnings.filter((w) => !w.includes('unsecure connection')), []);
    const root = await qdrant.api().root({});
    assert.equal(root.data.version, '1.19.0');
  });

  it('creates a collection; get, exists and list show it; creating it again is 409', async () => {
    assert.equal(await qdrant.createCollection(NAME, { vectors: { size: DIM, distance: 'Cosine' }, hnsw_config: { m: 16, ef_construct: 128 }, optimizers_config: { indexing_threshold: 0 } }), true);
    assert.deepEqual(await qdrant.collectionExists(NAME), { exists: true });
    assert.deepEqual(await qdrant.collectionExists('missing'), { exists: false });
    assert.ok((await qdrant.getCollections()).collections.some((c) => c.name === NAME));
    const info = await qdrant.getCollection(NAME);
    assert.deepEqual([info.status, info.points_count, info.config.params.vectors], ['green', 0, { size: DIM, distance: 'Cosine', datatype: 'float16' }]);
    assert.equal(info.config.hnsw_config.ef_construct, 128);
    // Vectra's side: a collection without a text model, of that dimension.
    const mine = await v1('GET', `/v1/collections/${NAME}`);
    assert.deepEqual([mine.body.model, mine.body.dimension, mine.body.metric], ['none', DIM, 'cosine']);
    await assert.rejects(qdrant.createCollection(NAME, { vectors: { size: DIM, distance: 'Cosine' } }), (e: any) => e.status === 409 && e.data.status.error === `Wrong input: Collection \`${NAME}\` already exists!`);
  });

  it(`upserts ${N} points with payloads in batches of 1,000 (list and batch forms), and counts them`, async () => {
    const started = performance.now();
    for (let i = 0; i < N; i += 1000) {
      const chunk = points.slice(i, i + 1000);
      const r = i % 2000 === 0
        ? await qdrant.upsert(NAME, { wait: true, points: chunk })
        : await qdrant.upsert(NAME, { wait: true, batch: { ids: chunk.map((p) => p.id), vectors: chunk.map((p) => p.vector), payloads: chunk.map((p) => p.payload) } });
      assert.equal(r.status, 'completed');
    }
    process.stdout.write(`# qdrant client: ${N} points upserted in ${Math.round(performance.now() - started)} ms\n`);
    assert.deepEqual(await qdrant.count(NAME, { exact: true }), { count: N });
    assert.equal((await qdrant.getCollection(NAME)).points_count, N);
  });

  it('gives ids back in the form they were given: integers as numbers, UUIDs as strings', async () => {
    const [num, uuid] = [points[7], points[N - 3]];
    const got = await qdrant.retrieve(NAME, { ids: [num.id, String(uuid.id).toUpperCase(), 999_999_999], with_vector: true });
    assert.deepEqual(got.map((p) => p.id), [num.id, uuid.id]);
    assert.equal(typeof got[0].id, 'number');
    assert.deepEqual(got[0].payload, num.payload);
    // Cosine: the vector comes back unit length, as Qdrant stores it.
    const norm = Math.hypot(...num.vector);
    got[0].vector!.forEach((x, i) => assert.ok(Math.abs((x as number) - num.vector[i] / norm) < 1e-6));
    const one = await qdrant.api().getPoint({ collection_name: NAME, id: uuid.id });
    assert.deepEqual([one.data.result!.id, one.data.result!.payload], [uuid.id, uuid.payload]);
    // Vectra's own API sees the same records under string ids.
    assert.equal((await v1('GET', `/v1/collections/${NAME}/records/${num.id}`)).body.metadata.city, num.payload.city);
  });

  /** Each case: a Qdrant filter and the same condition written by hand in Vectra's language. */
  const CASES: [string, Record<string, unknown>, Record<string, unknown>][] = [
    ['match value', { must: [{ key: 'city', match: { value: 'Paris' } }] }, { city: 'Paris' }],
    ['range', { must: [{ key: 'price', range: { gte: 100, lt: 400 } }] }, { price: { $gte: 100, $lt: 400 } }],
    ['float range', { must: [{ key: 'rating', range: { gt: 2.5 } }] }, { rating: { $gt: 2.5 } }],
    ['should', { should: [{ key: 'city', match: { value: 'Rome' } }, { key: 'city', match: { value: 'Oslo' } }] }, { $or: [{ city: 'Rome' }, { city: 'Oslo' }] }],
    ['match any on an array field', { must: [{ key: 'tags', match: { any: ['gold', 'cyan'] } }] }, { tags: { $in: ['gold', 'cyan'] } }],
    ['must_not', { must_not: [{ key: 'tags', match: { value: 'red' } }, { key: 'info.active', match: { value: true } }] }, { $not: { $or: [{ tags: 'red' }, { 'info.active': true }] } }],
    ['nested keys', { must: [{ key: 'info.level', match: { value: 2 } }, { key: 'info.active', match: { value: true } }] }, { 'info.level': 2, 'info.active': true }],
    ['match except', { must: [{ key: 'city', match: { except: ['Paris', 'Rome'] } }] }, { city: { $exists: true, $nin: ['Paris', 'Rome'] } }],
    ['is_empty', { must: [{ is_empty: { key: 'note' } }] }, { $or: [{ note: { $exists: false } }, { note: null }] }],
    ['is_null', { must: [{ is_null: { key: 'note' } }] }, { note: null }],
    ['min_should', { min_should: { min_count: 2, conditions: [{ key: 'city', match: { value: 'Berlin' } }, { key: 'info.level', match: { value: 1 } }, { key: 'price', range: { lt: 300 } }] } }, { $or: [{ city: 'Berlin', 'info.level': 1 }, { city: 'Berlin', price: { $lt: 300 } }, { 'info.level': 1, price: { $lt: 300 } }] }],
    ['nested filter', { must: [{ should: [{ key: 'city', match: { value: 'Madrid' } }, { key: 'price', range: { gte: 900 } }] }], must_not: [{ key: 'info.level', match: { any: [0, 3] } }] }, { $or: [{ city: 'Madrid' }, { price: { $gte: 900 } }], $not: { 'info.level': { $in: [0, 3] } } }],
    ['datetime range', { must: [{ key: 'day', range: { gte: '2024-01-10T00:00:00Z', lt: '2024-01-12T00:00:00Z' } }] }, { day: { $gte: '2024-01-10T00:00:00Z', $lt: '2024-01-12T00:00:00Z' } }],
  ];
  const hasIdCase = () => {
    const ids = [points[1].id, points[2].id, points[N - 1].id, points[N - 2].id, points[4000].id];
    return ['has_id', { must: [{ has_id: ids }] }, { $ids: ids.map(vid) }] as const;
  };

  it('filtered counts equal a naive evaluation of Qdrant\'s filter rules', async () => {
    for (const [what, filter] of [...CASES, hasIdCase()]) {
      const want = points.filter((p) => qdrantMatches(filter, p.payload, p.id)).length;
      assert.ok(want > 0 && want < N, `${what}: the case selects some, not all (${want})`);
      assert.deepEqual(await qdrant.count(NAME, { filter, exact: true }), { count: want }, what);
    }
  });

  it('filtered searches (query and search routes) equal Vectra\'s own API on the same data: same ids, order and scores', async () => {
    for (const [what, filter, vectra] of [...CASES, hasIdCase()]) {
      for (const seed of ['q1', 'q2']) {
        const vector = vectorFor(seed, DIM);
        for (const exact of [false, true]) {
          const mine = await v1('POST', `/v1/collections/${NAME}/search`, { vector, k: 10, filter: vectra, exact, return: 'object' });
          assert.equal(mine.status, 200, JSON.stringify(mine.body));
          const q = await qdrant.query(NAME, { query: vector, filter, limit: 10, with_payload: true, params: { exact } });
          assert.deepEqual(q.points.map((p) => vid(p.id)), mine.body.results.map((r: { id: string }) => r.id), `${what} (${seed}, exact ${exact})`);
          q.points.forEach((p, i) => {
            assert.ok(Math.abs(p.score - mine.body.results[i].score) < 1e-9, `${what}: score`);
            assert.deepEqual(p.payload, mine.body.results[i].metadata);
            assert.ok(qdrantMatches(filter, p.payload!, p.id), `${what}: ${p.id} passes the filter by Qdrant's rules`);
          });
          // The older POST /points/search route, as LangChain and older clients call it.
          const old = await fetchJson(`/collections/${NAME}/points/search`, { vector, filter, limit: 10, params: { exact } });
          assert.deepEqual(old.result.map((p: { id: number | string; score: number }) => [vid(p.id), p.score]), q.points.map((p) => [vid(p.id), p.score]));
        }
      }
    }
  });

  it('search options: offset, score_threshold, with_payload include/exclude, with_vector, batch', async () => {
    const vector = vectorFor('q3', DIM);
    const top = await qdrant.query(NAME, { query: vector, limit: 20 });
    assert.equal(top.points.length, 20);
    assert.ok(top.points.every((p, i) => i === 0 || p.score <= top.points[i - 1].score), 'cosine: best (largest) first');
    assert.ok(top.points.every((p) => p.payload === undefined && p.vector === undefined), 'query: no payload or vector unless asked');
    const page2 = await qdrant.query(NAME, { query: vector, limit: 10, offset: 10 });
    assert.deepEqual(page2.points.map((p) => p.id), top.points.slice(10).map((p) => p.id));
    const t = top.points[5].score;
    const above = await qdrant.query(NAME, { query: vector, limit: 20, score_threshold: t });
    assert.deepEqual(above.points.map((p) => p.id), top.points.slice(0, 5).map((p) => p.id), 'strictly better than the threshold');
    const inc = await qdrant.query(NAME, { query: vector, limit: 3, with_payload: ['city', 'info.level'] });
    for (const p of inc.points) assert.deepEqual(Object.keys(p.payload!).sort(), ['city', 'info']);
    assert.deepEqual(Object.keys(inc.points[0].payload!.info as object), ['level']);
    const exc = await qdrant.query(NAME, { query: vector, limit: 3, with_payload: { exclude: ['tags', 'info.active'] }, with_vector: true });
    for (const p of exc.points) {
      assert.ok(!('tags' in p.payload!) && 'city' in p.payload! && !('active' in (p.payload!.info as object)));
      assert.equal((p.vector as number[]).length, DIM);
    }
    const batch = await qdrant.queryBatch(NAME, { searches: [{ query: vector, limit: 2 }, { query: vectorFor('q4', DIM), limit: 3, filter: { must: [{ key: 'city', match: { value: 'Oslo' } }] } }] });
    assert.deepEqual(batch.map((b) => b.points.length), [2, 3]);
    const old = await fetchJson(`/collections/${NAME}/points/search/batch`, { searches: [{ vector, limit: 2, with_payload: true }, { vector, top: 1 }] });
    assert.deepEqual(old.result.map((r: unknown[]) => r.length), [2, 1]);
    assert.ok(old.result[0][0].payload.city);
  });

  it('query by a point id searches near that point and leaves it out; MMR with diversity 0 keeps the plain order', async () => {
    const p = points[42];
    const byId = await qdrant.query(NAME, { query: p.id, limit: 5 });
    const byVector = await qdrant.query(NAME, { query: p.vector, limit: 6 });
    assert.equal(byVector.points[0].id, p.id);
    assert.deepEqual(byId.points.map((x) => x.id), byVector.points.slice(1).map((x) => x.id));
    const plain = await qdrant.query(NAME, { query: p.vector, limit: 5 });
    const mmr0 = await qdrant.query(NAME, { query: { nearest: p.vector, mmr: { diversity: 0, candidates_limit: 50 } }, limit: 5 });
    assert.deepEqual(mmr0.points.map((x) => x.id), plain.points.map((x) => x.id));
    const mmr = await qdrant.query(NAME, { query: { nearest: p.vector, mmr: { diversity: 0.9, candidates_limit: 50 } }, limit: 5, with_payload: true });
    assert.equal(mmr.points.length, 5);
    assert.equal(mmr.points[0].id, p.id, 'the most relevant is picked first');
    assert.notDeepEqual(mmr.points.map((x) => x.id), plain.points.map((x) => x.id), 'diversity changes the picks');
  });

  it('scrolls through every point with next_page_offset, each once, ids in their own form', async () => {
    const seen: (number | string)[] = [];
    let offset: number | string | null | undefined;
    let pages = 0;
    do {
      const page = await qdrant.scroll(NAME, { limit: 750, offset: offset ?? undefined, with_payload: false });
      seen.push(...page.points.map((p) => p.id));
      offset = page.next_page_offset as number | string | null;
      pages++;
    } while (offset !== null && offset !== undefined);
    assert.equal(pages, Math.ceil(N / 750));
    assert.equal(seen.length, N);
    assert.equal(new Set(seen).size, N);
    assert.deepEqual(new Set(seen), new Set(points.map((p) => p.id)));
    // A filtered scroll, with payloads: only matching points.
    const berlin = await qdrant.scroll(NAME, { filter: { must: [{ key: 'city', match: { value: 'Berlin' } }] }, limit: 10_000 });
    assert.equal(berlin.points.length, points.filter((p) => p.payload.city === 'Berlin').length);
    assert.equal(berlin.next_page_offset, null);
    assert.ok(berlin.points.every((p) => p.payload!.city === 'Berlin'));
  });

  it('sets, overwrites and deletes payload keys, by ids and by filter', async () => {
    const [a, b] = [points[10], points[N - 10]];
    await qdrant.setPayload(NAME, { wait: true, points: [a.id, b.id], payload: { flag: 'on', city: 'Nowhere' } });
    let got = await qdrant.retrieve(NAME, { ids: [a.id, b.id] });
    assert.deepEqual(got.map((p) => [p.payload!.flag, p.payload!.city, p.payload!.price]), [['on', 'Nowhere', a.payload.price], ['on', 'Nowhere', b.payload.price]]);
    await qdrant.setPayload(NAME, { points: [a.id], payload: { depth: 2 }, key: 'info' });
    assert.deepEqual((await qdrant.retrieve(NAME, { ids: [a.id] }))[0].payload!.info, { ...(a.payload.info as object), depth: 2 });
    await qdrant.deletePayload(NAME, { points: [a.id], keys: ['flag', 'info.depth'] });
    got = await qdrant.retrieve(NAME, { ids: [a.id], with_vector: true });
    assert.ok(!('flag' in got[0].payload!));
    assert.deepEqual(got[0].payload!.info, a.payload.info);
    await qdrant.overwritePayload(NAME, { points: [b.id], payload: { only: true } });
    assert.deepEqual((await qdrant.retrieve(NAME, { ids: [b.id] }))[0].payload, { only: true });
    // By filter: every Oslo point gets a flag; the vector is kept.
    const oslo = points.filter((p) => p.payload.city === 'Oslo').length;
    await qdrant.setPayload(NAME, { filter: { must: [{ key: 'city', match: { value: 'Oslo' } }] }, payload: { nordic: true } });
    assert.equal((await qdrant.count(NAME, { filter: { must: [{ key: 'nordic', match: { value: true } }] } })).count, oslo);
    const near = await qdrant.query(NAME, { query: a.vector, limit: 1 });
    assert.equal(near.points[0].id, a.id, 'the vector is unchanged by payload updates');
    await qdrant.clearPayload(NAME, { points: [b.id] });
    assert.deepEqual((await qdrant.retrieve(NAME, { ids: [b.id] }))[0].payload, {});
  });

  it('deletes by ids and by filter; counts follow', async () => {
    const filter = { must: [{ key: 'city', match: { value: 'Rome' } }] };
    // As the payload updates above left them (one Rome point lost its city).
    const rome = (await qdrant.count(NAME, { filter })).count;
    assert.equal(rome, points.filter((p) => p.payload.city === 'Rome').length - 1);
    const r = await qdrant.delete(NAME, { wait: true, filter });
    assert.equal(r.status, 'completed');
    assert.equal((await qdrant.count(NAME, { filter })).count, 0);
    assert.equal((await qdrant.count(NAME)).count, N - rome);
    const keep = points.find((p) => p.payload.city !== 'Rome')!;
    await qdrant.delete(NAME, { points: [keep.id] });
    assert.deepEqual(await qdrant.retrieve(NAME, { ids: [keep.id] }), []);
    assert.equal((await qdrant.count(NAME)).count, N - rome - 1);
    await assert.rejects(qdrant.api().getPoint({ collection_name: NAME, id: keep.id }), (e: any) => e.status === 404 && e.data.status.error === `Not found: Point with id ${keep.id} does not exists!`);
  });

  it('scores as Qdrant gives them: Dot is the inner product, Euclid the distance (ascending), with thresholds', async () => {
    const data = [
      { id: 1, vector: [1, 0, 0], payload: {} },
      { id: 2, vector: [2, 2, 0], payload: {} },
      { id: 3, vector: [0, 0, -3], payload: {} },
    ];
    for (const [name, distance] of [['dots', 'Dot'], ['dists', 'Euclid']] as const) {
      await qdrant.createCollection(name, { vectors: { size: 3, distance } });
      await qdrant.upsert(name, { points: data });
    }
    const q = [1, 1, 0];
    const dots = await qdrant.query('dots', { query: q, limit: 3 });
    assert.deepEqual(dots.points.map((p) => [p.id, p.score]), [[2, 4], [1, 1], [3, 0]]);
    const dists = await qdrant.query('dists', { query: q, limit: 3 });
    assert.deepEqual(dists.points.map((p) => p.id), [1, 2, 3]);
    [1, Math.SQRT2, Math.sqrt(11)].forEach((d, i) => assert.ok(Math.abs(dists.points[i].score - d) < 1e-6));
    const close = await qdrant.query('dists', { query: q, limit: 3, score_threshold: 2 });
    assert.deepEqual(close.points.map((p) => p.id), [1, 2], 'Euclid: closer than the threshold');
    assert.equal((await qdrant.getCollection('dists')).config.params.vectors && (await qdrant.getCollection('dists')).config.params.vectors!.distance, 'Euclid');
    assert.equal(await qdrant.deleteCollection('dots'), true);
    assert.equal(await qdrant.deleteCollection('dots'), false, 'a collection that is not there: false, as Qdrant answers');
  });

  it('a collection made by Vectra\'s API with a text model is searchable through Qdrant by vector', async () => {
    assert.equal((await v1('POST', '/v1/collections', { name: 'texts' })).status, 201);
    assert.equal((await v1('POST', '/v1/collections/texts/records', { records: [{ id: 'a', text: 'the cat sat on the mat', metadata: { kind: 'pet' } }, { id: 'b', text: 'interest rates rose again', metadata: { kind: 'money' } }] })).status, 200);
    const info = await qdrant.getCollection('texts');
    const dim = info.config.params.vectors!.size as number;
    const cat = await v1('GET', '/v1/collections/texts/records/a?includeVector=true');
    const hits = await qdrant.query('texts', { query: cat.body.vector, limit: 2, with_payload: true, filter: { must: [{ key: 'kind', match: { any: ['pet', 'money'] } }] } });
    assert.equal(cat.body.vector.length, dim);
    assert.deepEqual(hits.points.map((p) => [p.id, p.payload]), [['a', { kind: 'pet' }], ['b', { kind: 'money' }]], 'ids that are not Qdrant ids come back as stored');
  });
});

/** A raw call under /qdrant: routes the 1.19 client no longer has (POST /points/search). */
async function fetchJson(path: string, body: unknown): Promise<any> {
  const res = await fetch(`${base}/qdrant${path}`, { method: 'POST', headers: { 'api-key': apiKey, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = await res.json();
  assert.equal(res.status, 200, JSON.stringify(json));
  return json;
}
