/** The insights routes on a real port: clustering (direct and as a job), isolation, bad input. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { adjustedRand } from '../../src/services/insights/math.js';
import { client, register, testServer } from '../support/server.js';
import { gaussianCloud, plantedClusters } from '../support/planted.js';

const WORDS = [['espresso', 'barista', 'latte'], ['diesel', 'truck', 'freight'], ['nurse', 'clinic', 'patient'], ['python', 'compiler', 'debugger']];

async function plantedCollection(api: ReturnType<typeof client>, name: string, dim = 16) {
  const p = plantedClusters(4, 150, dim, 11, 1);
  assert.equal((await api('POST', '/v1/collections', { name, model: 'none', dimension: dim })).status, 201);
  const records = p.vectors.map((v, i) => ({ id: `r${i}`, vector: [...v], text: `${WORDS[p.labels[i]].join(' ')} job ${i}`, metadata: { group: p.labels[i], half: i % 2 } }));
  for (let i = 0; i < records.length; i += 500) assert.equal((await api('POST', `/v1/collections/${name}/records`, { records: records.slice(i, i + 500) })).status, 200);
  return p;
}

/** A server (with `env`) and two tenants: A's client, B's client. */
async function twoTenants(env: Record<string, string> = {}) {
  const s = await testServer({ VECTRA_RATE_LIMIT: '100000', ...env });
  return { api: client(s.url, (await register(s.url, 'a')).key), other: client(s.url, (await register(s.url, 'b')).key) };
}

describe('insights over HTTP', () => {
  let api: ReturnType<typeof client>;
  let other: ReturnType<typeof client>;
  let planted: ReturnType<typeof plantedClusters>;

  before(async () => {
    ({ api, other } = await twoTenants());
    planted = await plantedCollection(api, 'jobs');
  });

  it('POST …/clusters with k: the planted groups, their sizes, nearest records and words', async () => {
    const r = await api('POST', '/v1/collections/jobs/clusters', { k: 4 });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.k, 4);
    assert.equal(r.body.total, 600);
    assert.match(r.body.method, /k-means\+\+/);
    assert.deepEqual(r.body.clusters.map((c: { size: number }) => c.size), [150, 150, 150, 150]);
    for (const c of r.body.clusters) {
      assert.equal(c.nearest.length, 5);
      const groups = new Set(c.nearest.map((id: string) => planted.labels[Number(id.slice(1))]));
      assert.equal(groups.size, 1);
      const words = WORDS[[...groups][0] as number];
      assert.ok(c.terms.length > 0 && c.terms.every((t: string) => words.includes(t)), `${c.terms} vs ${words}`);
    }
    // Same body, same seed: the same answer.
    assert.deepEqual((await api('POST', '/v1/collections/jobs/clusters', { k: 4 })).body, r.body);
  });

  it('without k: chosen by silhouette (4), stated in method; a filter clusters only what it selects', async () => {
    const r = await api('POST', '/v1/collections/jobs/clusters', {});
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.k, 4);
    assert.match(r.body.method, /silhouette over k=2\.\.10/);
    assert.equal(r.body.silhouettes.length, 9);
    const f = await api('POST', '/v1/collections/jobs/clusters', { k: 2, filter: { group: { $in: [0, 1] } } });
    assert.equal(f.status, 200, JSON.stringify(f.body));
    assert.equal(f.body.total, 300);
    assert.deepEqual(f.body.clusters.map((c: { size: number }) => c.size), [150, 150]);
  });

  it('bad input: 400 with a message; another tenant: 404', async () => {
    for (const body of [{ k: 1 }, { k: 101 }, { k: 2.5 }, { sample: 5 }, { sample: 1_000_000 }, { filter: { $bad: 1 } }, { k: 3, extra: 1 }]) {
      const r = await api('POST', '/v1/collections/jobs/clusters', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.ok(r.body.error.message.length > 0);
    }
    const few = await api('POST', '/v1/collections/jobs/clusters', { k: 5, filter: { group: 99 } });
    assert.equal(few.status, 400);
    assert.match(few.body.error.message, /the filter selects 0 records/);
    assert.equal((await other('POST', '/v1/collections/jobs/clusters', { k: 2 })).status, 404);
  });
});

describe('insights: a large clustering runs as a job', () => {
  it('over VECTRA_INSIGHTS_JOB_THRESHOLD: 202 {job}, then the job holds the clustering; another tenant cannot see it', async () => {
    const { api, other } = await twoTenants({ VECTRA_INSIGHTS_JOB_THRESHOLD: '100' });
    const planted = await plantedCollection(api, 'big');
    const r = await api('POST', '/v1/collections/big/clusters', { k: 4 });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal(r.body.job.type, 'clusters');
    let job = r.body.job;
    for (let i = 0; i < 200 && (job.status === 'queued' || job.status === 'running'); i++) {
      await new Promise((res) => setTimeout(res, 50));
      job = (await api('GET', `/v1/jobs/${job.id}`)).body;
    }
    assert.equal(job.status, 'done', JSON.stringify(job));
    assert.equal(job.result.k, 4);
    assert.equal(job.done, job.total);
    const sizes = job.result.clusters.map((c: { size: number }) => c.size);
    assert.deepEqual(sizes, [150, 150, 150, 150]);
    const labels = new Map<string, number>();
    job.result.clusters.forEach((c: { id: number; nearest: string[] }) => c.nearest.forEach((id) => labels.set(id, c.id)));
    const ids = [...labels.keys()];
    assert.equal(adjustedRand(ids.map((id) => planted.labels[Number(id.slice(1))]), ids.map((id) => labels.get(id)!)), 1);
    assert.equal((await other('GET', `/v1/jobs/${job.id}`)).status, 404);
    assert.ok((await api('GET', '/v1/jobs')).body.jobs.some((j: { id: string }) => j.id === job.id));
  });
});

describe('insights: embedding health over HTTP', () => {
  let api: ReturnType<typeof client>;
  let other: ReturnType<typeof client>;
  before(async () => {
    ({ api, other } = await twoTenants());
  });

  it('a clean collection is healthy; one with planted duplicates, outliers and a dead dimension is not, and says why', async () => {
    await plantedCollection(api, 'clean');
    const clean = await api('GET', '/v1/collections/clean/health');
    assert.equal(clean.status, 200, JSON.stringify(clean.body));
    assert.equal(clean.body.verdict, 'healthy', JSON.stringify(clean.body.reasons));
    assert.deepEqual(clean.body.deadDimensions, []);
    assert.ok(clean.body.duplicates.fraction < 0.02, JSON.stringify(clean.body.duplicates)); // a natural close pair or two
    assert.equal(clean.body.sample.size, 600);

    const p = plantedClusters(4, 150, 16, 11, 1);
    const vectors = p.vectors.map((v) => [...v]);
    for (const v of vectors) v[15] = 0.5; // a dead dimension
    const outliers = [3, 50, 101, 222, 404];
    for (const i of outliers) vectors[i] = vectors[i].map((x, j) => (j === 15 ? 0.5 : -x * 3));
    const records = vectors.map((v, i) => ({ id: `r${i}`, vector: v }));
    // 40 near-copies of 40 records (cosine ≈ 1): 80 vectors with a near-duplicate.
    for (let i = 0; i < 40; i++) records.push({ id: `dup${i}`, vector: vectors[i * 7 + 1].map((x) => x * 1.001) });
    assert.equal((await api('POST', '/v1/collections', { name: 'messy', model: 'none', dimension: 16 })).status, 201);
    assert.equal((await api('POST', '/v1/collections/messy/records', { records })).status, 200);
    const r = await api('GET', '/v1/collections/messy/health');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.verdict, 'warning');
    assert.deepEqual(r.body.deadDimensions, [15]);
    assert.ok(r.body.duplicates.groups >= 40 && r.body.duplicates.groups <= 42, JSON.stringify(r.body.duplicates));
    assert.ok(r.body.duplicates.vectors >= 80 && r.body.duplicates.vectors <= 84);
    assert.ok(r.body.duplicates.examples[0].some((id: string) => id.startsWith('dup')));
    const flagged = r.body.outliers.examples.map((o: { id: string }) => o.id);
    for (const i of outliers) assert.ok(flagged.includes(`r${i}`), `r${i} not among ${flagged}`);
    assert.match(r.body.outliers.method, /5th nearest neighbour/);
    assert.ok(r.body.reasons.some((x: string) => /near-duplicate/.test(x)) && r.body.reasons.some((x: string) => /dead/.test(x)), JSON.stringify(r.body.reasons));
    assert.ok(r.body.anisotropy < 0.5);

    // A sample: stated, and smaller.
    const s = await api('GET', '/v1/collections/messy/health?sample=100&seed=3');
    assert.equal(s.status, 200, JSON.stringify(s.body));
    assert.equal(s.body.sample.size, 100);
    assert.equal(s.body.sample.of, 640);
    assert.match(s.body.sample.method, /random sample of 100 of 640/);
  });

  it('bad input: 400; an empty collection: 400 saying so; another tenant: 404', async () => {
    assert.equal((await api('GET', '/v1/collections/clean/health?sample=5')).status, 400);
    assert.equal((await api('GET', '/v1/collections/clean/health?sample=abc')).status, 400);
    assert.equal((await api('POST', '/v1/collections', { name: 'empty', model: 'none', dimension: 4 })).status, 201);
    const e = await api('GET', '/v1/collections/empty/health');
    assert.equal(e.status, 400);
    assert.match(e.body.error.message, /has 0 records/);
    assert.equal((await other('GET', '/v1/collections/clean/health')).status, 404);
  });
});

describe('insights: drift over HTTP', () => {
  let api: ReturnType<typeof client>;
  let other: ReturnType<typeof client>;
  let t1: string;
  let t2: string;
  const drift = (body: unknown) => api('POST', '/v1/collections/feed/drift', body);

  before(async () => {
    ({ api, other } = await twoTenants());
    assert.equal((await api('POST', '/v1/collections', { name: 'feed', model: 'none', dimension: 16, metric: 'l2' })).status, 201);
    const put = async (vs: Float32Array[], prefix: string) =>
      assert.equal((await api('POST', '/v1/collections/feed/records', { records: vs.map((v, i) => ({ id: `${prefix}${i}`, vector: [...v] })) })).status, 200);
    const pause = () => new Promise((r) => setTimeout(r, 30));
    await put(gaussianCloud(300, 16, 1), 'base'); // seq 1–300
    await pause();
    t1 = new Date().toISOString();
    await pause();
    await put(gaussianCloud(300, 16, 2), 'same'); // seq 301–600: the same distribution
    await pause();
    t2 = new Date().toISOString();
    await pause();
    await put(gaussianCloud(300, 16, 3, 0.5, 2), 'moved'); // seq 601–900: shifted on dimensions 0 and 1
  });

  it('by seq: the same distribution is stable, the shifted one drifted, naming the dimensions', async () => {
    const stable = await drift({ baseline: { toSeq: 300 }, window: { fromSeq: 301, toSeq: 600 } });
    assert.equal(stable.status, 200, JSON.stringify(stable.body));
    assert.equal(stable.body.verdict, 'stable');
    assert.deepEqual(stable.body.baseline, { records: 300, sampled: 300 });
    const moved = await drift({ baseline: { fromSeq: 1, toSeq: 300 }, window: { fromSeq: 601 } });
    assert.equal(moved.status, 200);
    assert.equal(moved.body.verdict, 'drifted');
    assert.ok(moved.body.pValue < 1e-4);
    assert.deepEqual(moved.body.dimensions.slice(0, 2).map((d: { dimension: number }) => d.dimension).sort(), [0, 1]);
    assert.ok(moved.body.centroidShift.l2 > stable.body.centroidShift.l2);
    assert.equal(moved.body.tests, 16);
  });

  it('by time: records last written before t1 vs after t2', async () => {
    const r = await drift({ baseline: { to: t1 }, window: { from: t2 } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.verdict, 'drifted');
    assert.equal(r.body.baseline.records, 300);
    assert.equal(r.body.window.records, 300);
    assert.equal((await drift({ baseline: { to: t1 }, window: { from: t1, to: t2 } })).body.verdict, 'stable');
  });

  it('empty or too small a side, no bounds, bad dates, reversed ranges: 400 that says which; another tenant: 404', async () => {
    const empty = await drift({ baseline: { toSeq: 300 }, window: { fromSeq: 5000 } });
    assert.equal(empty.status, 400);
    assert.match(empty.body.error.message, /the window selects 0 records; drift needs at least 20/);
    assert.match((await drift({ baseline: { toSeq: 300 }, window: { fromSeq: 890 } })).body.error.message, /the window selects 11 records/);
    assert.match((await drift({ baseline: {}, window: { fromSeq: 1 } })).body.error.message, /baseline: give at least one/);
    assert.match((await drift({ baseline: { from: 'yesterday' }, window: { fromSeq: 1 } })).body.error.message, /baseline\.from must be an ISO 8601/);
    assert.match((await drift({ baseline: { fromSeq: 9, toSeq: 3 }, window: { fromSeq: 1 } })).body.error.message, /fromSeq \(9\) is after toSeq \(3\)/);
    assert.equal((await drift({ baseline: { toSeq: 300 } })).status, 400);
    assert.equal((await drift({ baseline: { toSeq: 300 }, window: { fromSeq: 301 }, sample: 5 })).status, 400);
    assert.equal((await other('POST', '/v1/collections/feed/drift', { baseline: { toSeq: 300 }, window: { fromSeq: 301 } })).status, 404);
  });
});
