/** The projection (2-D map) and index advice routes on a real port: known structure, determinism, recall that real searches confirm, isolation, bad input. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { client, register, testServer } from '../support/server.js';
import { gaussianCloud, plantedClusters } from '../support/planted.js';

type Api = ReturnType<typeof client>;
type Point = { id: string; x: number; y: number; cluster?: number };

async function twoTenants(): Promise<{ api: Api; other: Api }> {
  const s = await testServer({ VECTRA_RATE_LIMIT: '100000' });
  return { api: client(s.url, (await register(s.url, 'a')).key), other: client(s.url, (await register(s.url, 'b')).key) };
}

async function load(api: Api, name: string, vectors: Float32Array[], body: Record<string, unknown> = {}): Promise<void> {
  const created = await api('POST', '/v1/collections', { name, model: 'none', dimension: vectors[0].length, ...body });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  for (let i = 0; i < vectors.length; i += 500) {
    const records = vectors.slice(i, i + 500).map((v, j) => ({ id: `r${i + j}`, vector: [...v] }));
    assert.equal((await api('POST', `/v1/collections/${name}/records`, { records })).status, 200);
  }
  // Searched records not yet in the graph are ranked exactly: wait for the graph to hold them all.
  for (let i = 0; i < 600; i++) {
    const c = await api('GET', `/v1/collections/${name}`);
    if (!c.body.unindexed) return;
    await new Promise((res) => setTimeout(res, 50));
  }
  assert.fail(`${name} was not indexed in 30 s`);
}

/** The share of points whose own cluster's 2-D centroid is the nearest one. */
function separated(points: Point[], label: (id: string) => number): number {
  const sums = new Map<number, { x: number; y: number; n: number }>();
  for (const p of points) {
    const s = sums.get(label(p.id)) ?? { x: 0, y: 0, n: 0 };
    sums.set(label(p.id), { x: s.x + p.x, y: s.y + p.y, n: s.n + 1 });
  }
  const centres = [...sums].map(([l, s]) => ({ l, x: s.x / s.n, y: s.y / s.n }));
  let ok = 0;
  for (const p of points) {
    const nearest = centres.reduce((a, b) => (Math.hypot(b.x - p.x, b.y - p.y) < Math.hypot(a.x - p.x, a.y - p.y) ? b : a));
    if (nearest.l === label(p.id)) ok++;
  }
  return ok / points.length;
}

describe('insights: projection over HTTP', () => {
  let api: Api;
  let other: Api;
  const planted = plantedClusters(3, 150, 50, 5);
  const label = (id: string) => planted.labels[Number(id.slice(1))];

  before(async () => {
    ({ api, other } = await twoTenants());
    await load(api, 'map', planted.vectors, { metric: 'l2' });
    await load(api, 'mapcos', planted.vectors, { metric: 'cosine' });
  });

  for (const method of ['pca', 'umap'] as const) {
    it(`${method}: planted clusters in 50-d stay apart in 2-D (each point nearest its own cluster's centre), on l2 and cosine collections`, async () => {
      for (const name of ['map', 'mapcos']) {
        const r = await api('GET', `/v1/collections/${name}/projection?method=${method}`);
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.equal(r.body.method, method);
        assert.equal(r.body.sample, 450);
        assert.equal(r.body.points.length, 450);
        assert.equal(new Set(r.body.points.map((p: Point) => p.id)).size, 450);
        assert.ok(r.body.points.every((p: Point) => Number.isFinite(p.x) && Number.isFinite(p.y) && p.cluster === undefined));
        const share = separated(r.body.points, label);
        assert.ok(share >= 0.99, `${name} ${method}: ${share}`);
        if (name === 'mapcos') assert.match(r.body.details, /unit vectors/);
        if (method === 'pca') {
          const [a, b] = r.body.explainedVariance;
          // Three clusters: their centres span a plane that holds nearly all the variance.
          assert.ok(a > 0.3 && b > 0.2 && a >= b && a + b > 0.9, JSON.stringify(r.body.explainedVariance));
        } else assert.equal(r.body.explainedVariance, undefined);
      }
    });
  }

  it('the same seed gives the same points; another seed another sample', async () => {
    const a = await api('GET', '/v1/collections/map/projection?method=umap&sample=200&seed=7');
    const b = await api('GET', '/v1/collections/map/projection?method=umap&sample=200&seed=7');
    assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.deepEqual(b.body, a.body);
    const c = await api('GET', '/v1/collections/map/projection?method=umap&sample=200&seed=8');
    assert.notDeepEqual(c.body.points.map((p: Point) => p.id), a.body.points.map((p: Point) => p.id));
    const p1 = await api('GET', '/v1/collections/map/projection?sample=300&seed=3');
    assert.deepEqual((await api('GET', '/v1/collections/map/projection?sample=300&seed=3')).body, p1.body);
  });

  it('clusters=3 and clusters=auto colour the points by the planted groups', async () => {
    for (const q of ['clusters=3', 'clusters=auto']) {
      const r = await api('GET', `/v1/collections/map/projection?${q}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.clusters.k, 3, JSON.stringify(r.body.clusters));
      assert.deepEqual(r.body.clusters.sizes, [150, 150, 150]);
      // Each k-means cluster is exactly one planted group.
      const owners = new Map<number, Set<number>>();
      for (const p of r.body.points as Point[]) owners.set(p.cluster!, (owners.get(p.cluster!) ?? new Set()).add(label(p.id)));
      assert.deepEqual([...owners.values()].map((s) => s.size), [1, 1, 1]);
      if (q === 'clusters=auto') assert.match(r.body.clusters.method, /silhouette/);
    }
  });

  it('bad input is 400 with a message; another tenant gets 404', async () => {
    for (const q of ['method=tsne', 'sample=2', 'sample=20000', 'method=umap&sample=6000', 'clusters=1', 'clusters=500', 'clusters=many', 'seed=-1', 'extra=1']) {
      const r = await api('GET', `/v1/collections/map/projection?${q}`);
      assert.equal(r.status, 400, `${q}: ${JSON.stringify(r.body)}`);
      assert.ok(r.body.error.message.length > 0);
    }
    assert.equal((await api('GET', '/v1/collections/map/projection?method=tsne')).body.error.code, 'INVALID_ARGUMENT');
    assert.equal((await other('GET', '/v1/collections/map/projection')).status, 404);
    assert.equal((await api('GET', '/v1/collections/nothing/projection')).status, 404);
    await load(api, 'two', planted.vectors.slice(0, 2));
    const few = await api('GET', '/v1/collections/two/projection');
    assert.equal(few.status, 400);
    assert.match(few.body.error.message, /at least 3/);
  });
});

/** Recall@10 of real searches at `ef` against the exact top 10 (the test's own brute force over `base`). */
async function measuredRecall(api: Api, name: string, base: Float32Array[], queries: Float32Array[], ef: number | null, cosine: boolean): Promise<number> {
  const norm = (v: Float32Array) => Math.hypot(...v);
  const score = (q: Float32Array, v: Float32Array) => {
    let s = 0;
    for (let j = 0; j < q.length; j++) s += q[j] * v[j];
    return cosine ? s / (norm(q) * norm(v)) : s;
  };
  let hits = 0;
  for (const q of queries) {
    const exact = new Set(base.map((v, i) => [score(q, v), i] as const).sort((a, b) => b[0] - a[0]).slice(0, 10).map(([, i]) => `r${i}`));
    const r = await api('POST', `/v1/collections/${name}/search`, { vector: [...q], k: 10, return: 'id', ...(ef === null ? {} : { ef }) });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    hits += r.body.results.filter((h: { id: string }) => exact.has(h.id)).length;
  }
  return hits / (10 * queries.length);
}

describe('insights: index advice over HTTP', () => {
  let api: Api;
  let other: Api;
  // 3000 vectors of a 24-d Gaussian: hard enough that a graph needs breadth to find the exact 10.
  const base = gaussianCloud(3000, 24, 31);
  const queries = gaussianCloud(150, 24, 32);

  before(async () => {
    ({ api, other } = await twoTenants());
    await load(api, 'adv', base);
    await load(api, 'tiny', base.slice(0, 300));
  });

  it('measures each candidate on the sample, and real searches at the ef it reports reach the recall it reports', async () => {
    const r = await api('GET', '/v1/collections/adv/advice?sample=2800&queries=200');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const a = r.body;
    assert.equal(a.collection.count, 3000);
    assert.equal(a.sample.vectors, 2800);
    assert.equal(a.sample.queries, 200);
    assert.equal(a.sample.queriesFrom, 'held-out sampled vectors');
    assert.deepEqual(a.candidates.map((c: { index: string; storage: string }) => `${c.index} ${c.storage}`), ['flat f32', 'hnsw f32', 'hnsw f16', 'hnsw i8', 'flat binary']);
    const exact = a.candidates[0];
    assert.equal(exact.recallAt[0].recall, 1);
    assert.equal(exact.bytesPerVector, 24 * 4);
    // Recall rises with ef, and the smallest low breadth misses some neighbours (so the ladder means something).
    const f32 = a.candidates[1];
    assert.ok(f32.recallAt[0].recall < 0.99, JSON.stringify(f32.recallAt));
    for (const c of a.candidates) {
      const rs = c.recallAt.map((p: { recall: number }) => p.recall);
      assert.ok(rs.every((x: number, i: number) => i === 0 || x >= rs[i - 1] - 0.01), `${c.storage}: ${rs}`);
    }
    assert.equal(a.candidates[4].bytesPerVector, 3); // 24 sign bits
    // The independent check: collections built with each candidate's settings, searched over HTTP at its efFor95,
    // scored against this test's own brute force on fresh queries: recall agrees with the advice's within 0.04.
    for (const c of a.candidates.slice(1)) {
      assert.ok(c.efFor95 !== null, JSON.stringify(c));
      const claimed = c.recallAt.find((p: { ef: number }) => p.ef === c.efFor95).recall;
      const name = `check-${c.index}-${c.storage}`;
      await load(api, name, base, { storage: c.storage, index: { type: c.index } });
      const real = await measuredRecall(api, name, base, queries, c.efFor95, true);
      assert.ok(Math.abs(real - claimed) <= 0.04 && real >= 0.91, `${name}: advice said ${claimed} at ef ${c.efFor95}, real searches ${real}`);
    }
    // The recommendation is one of the candidates that reached 0.95, with its reasons and the extrapolation stated.
    const rec = a.recommendation;
    const chosen = a.candidates.find((c: { index: string; storage: string }) => c.index === rec.index && c.storage === rec.storage);
    assert.ok(chosen && chosen.efFor95 !== null && rec.expectedRecall >= 0.95);
    assert.equal(rec.estimatedBytes, rec.bytesPerVector * 3000);
    assert.ok(a.reasons.some((x: string) => /extrapolated/.test(x) && /3,000 × 24/.test(x)), JSON.stringify(a.reasons));
    assert.match(a.method, /accounting, not a process measurement/);
    assert.ok(a.notMeasured.some((n: { storage: string }) => n.storage === 'pq'));
  });

  it("with searches recorded, recall is measured on the collection's own queries (fewer than 20: held-out vectors)", async () => {
    await load(api, 'logged', base);
    assert.equal((await api('PUT', '/v1/collections/logged/recording', { enabled: true })).status, 200);
    for (const q of queries.slice(0, 10)) assert.equal((await api('POST', '/v1/collections/logged/search', { vector: [...q], k: 10, return: 'id' })).status, 200);
    const few = await api('GET', '/v1/collections/logged/advice?sample=2000&queries=100');
    assert.equal(few.status, 200, JSON.stringify(few.body));
    assert.equal(few.body.sample.queriesFrom, 'held-out sampled vectors');
    for (const q of queries.slice(10, 40)) assert.equal((await api('POST', '/v1/collections/logged/search', { vector: [...q], k: 10, return: 'id' })).status, 200);
    // Keyword searches have no vector: not part of the mix.
    assert.equal((await api('POST', '/v1/collections/logged/search', { text: 'anything', mode: 'keyword', return: 'id' })).status, 200);
    const logged = await api('GET', '/v1/collections/logged/advice?sample=2000&queries=100');
    assert.equal(logged.status, 200, JSON.stringify(logged.body));
    assert.equal(logged.body.sample.queriesFrom, 'recorded searches');
    assert.equal(logged.body.sample.queries, 40);
    // `queries` caps how many recorded ones are used.
    const capped = await api('GET', '/v1/collections/logged/advice?sample=2000&queries=25');
    assert.equal(capped.body.sample.queries, 25);
  });

  it('a collection under 1000 records is told to use exact search, with the reason', async () => {
    const r = await api('GET', '/v1/collections/tiny/advice');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.recommendation.index, 'flat');
    assert.equal(r.body.recommendation.storage, 'f32');
    assert.equal(r.body.recommendation.expectedRecall, 1);
    assert.deepEqual(r.body.recommendation.config, { index: { type: 'flat' }, storage: 'f32' });
    assert.match(r.body.reasons[0], /300 records: an exact scan/);
  });

  it('bad input is 400; an empty collection is 400; another tenant gets 404', async () => {
    for (const q of ['sample=5', 'sample=50000', 'queries=1', 'queries=5000', 'seed=x', 'ef=3']) {
      const r = await api('GET', `/v1/collections/adv/advice?${q}`);
      assert.equal(r.status, 400, `${q}: ${JSON.stringify(r.body)}`);
    }
    assert.equal((await api('POST', '/v1/collections', { name: 'empty', model: 'none', dimension: 4 })).status, 201);
    const empty = await api('GET', '/v1/collections/empty/advice');
    assert.equal(empty.status, 400);
    assert.match(empty.body.error.message, /empty/);
    assert.equal((await other('GET', '/v1/collections/adv/advice')).status, 404);
    assert.equal((await other('GET', '/v1/collections/tiny/advice')).status, 404);
  });
});
