/** The Insights page against a stand-in API answering with fixtures: map, clusters (direct and as a job), health, drift, errors, empty collections. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { renderSignedIn } from '../test-render';
import { Insights } from './Insights';
import { alignClusters, clusterColour, driftBody, driftDefaults, type Clustering, type Drift, type Health, type Projection } from '../lib/insights';

const COLL = { name: 'jobs', model: 'none', dimension: 16, metric: 'cosine', index: { type: 'flat' }, storage: 'f32', bytesPerVector: 64, createdAt: '2026-01-01T00:00:00Z', count: 600 };
const EMPTY = { ...COLL, name: 'fresh', count: 0 };

const CLUSTERS: Clustering = {
  k: 3,
  method: "k-means (Lloyd's iterations) with k-means++ seeding (seed 42); k chosen by the best mean silhouette over k=2..10",
  total: 600,
  sample: 600,
  silhouettes: [
    { k: 2, silhouette: 0.41 },
    { k: 3, silhouette: 0.72 },
    { k: 4, silhouette: 0.55 },
  ],
  clusters: [
    { id: 1, size: 300, nearest: ['r1', 'r4'], terms: ['espresso', 'barista'] },
    { id: 0, size: 200, nearest: ['r0', 'r3'], terms: ['diesel', 'truck'] },
    { id: 2, size: 100, nearest: ['r2', 'r5'], terms: [] },
  ],
};

/** The projection numbers its clusters its own way: its 0 is the list's 1, its 1 the list's 0 (the nearest records say so). */
const POINTS: Projection = {
  method: 'pca',
  details: 'PCA (ml-pca) of 6 randomly sampled unit vectors (cosine collection)',
  total: 600,
  sample: 6,
  seed: 42,
  explainedVariance: [0.61, 0.3],
  clusters: { k: 3, method: "k-means (Lloyd's iterations) with k-means++ seeding on the 6 projected vectors", sizes: [2, 2, 2] },
  points: [
    { id: 'r0', x: -1, y: 0, cluster: 1 },
    { id: 'r1', x: 0, y: 1, cluster: 0 },
    { id: 'r2', x: 1, y: 0, cluster: 2 },
    { id: 'r3', x: -1.2, y: 0.1, cluster: 1 },
    { id: 'r4', x: 0.1, y: 1.1, cluster: 0 },
    { id: 'r5', x: 1.1, y: -0.1, cluster: 2 },
  ],
};

const HEALTH: Health = {
  verdict: 'warning',
  reasons: ['12.5 % of vectors have a near-duplicate (cosine ≥ 0.99)', '1 of 16 dimensions is dead (constant)'],
  sample: { size: 600, of: 600, method: 'all 600 records' },
  norms: { min: 7.9, max: 21.4, mean: 12.8, std: 2.1, p1: 8.6, p50: 12.7, p99: 19.9, zero: 0 },
  duplicates: { threshold: 0.99, groups: 40, vectors: 75, fraction: 0.125, examples: [['dup0', 'r1'], ['dup1', 'r2', 'r9']], method: 'nearest neighbours' },
  outliers: { count: 2, fraction: 0.0033, threshold: 3.5, examples: [{ id: 'r222', z: 9.1, distance: 1.62 }, { id: 'r17', z: 4.2, distance: 0.9 }], method: 'robust z' },
  deadDimensions: [15],
  anisotropy: 0.04,
};

const DRIFT: Drift = {
  verdict: 'drifted',
  pValue: 2.1e-13,
  method: 'two-sample Kolmogorov–Smirnov on each of the 16 dimensions, p-values adjusted by Benjamini–Hochberg',
  centroidShift: { cosineDistance: 0.31, l2: 0.74, relative: 0.19 },
  dimensions: [
    { dimension: 1, ks: 0.29, pValue: 6.6e-15, adjusted: 2.1e-13 },
    { dimension: 0, ks: 0.05, pValue: 0.2, adjusted: 0.5 },
  ],
  tests: 16,
  baseline: { records: 300, sampled: 300 },
  window: { records: 300, sampled: 300 },
};

interface Options {
  collections?: unknown[];
  health?: [number, unknown];
  clusters?: [number, unknown];
  projection?: [number, unknown];
  jobs?: unknown[];
  latestSeq?: number;
}

/** fetch answered by route; every call kept (method, path with query, body). */
function fakeApi(o: Options = {}) {
  const calls: { method: string; path: string; body?: unknown }[] = [];
  const jobs = [...(o.jobs ?? [])];
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const url = new URL(String(input), 'http://dash.test');
    const method = init?.method ?? 'GET';
    const body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
    calls.push({ method, path: url.pathname + url.search, body });
    const json = (status: number, b?: unknown) => new Response(b === undefined ? null : JSON.stringify(b), { status, headers: { 'content-type': 'application/json' } });
    const p = url.pathname;
    if (p === '/v1/collections') return json(200, { collections: o.collections ?? [COLL, EMPTY] });
    if (p === '/v1/collections/jobs/clusters') return json(...(o.clusters ?? [200, CLUSTERS]));
    if (p === '/v1/collections/jobs/projection') return json(...(o.projection ?? [200, POINTS]));
    if (p === '/v1/collections/jobs/health') return json(...(o.health ?? [200, HEALTH]));
    if (p === '/v1/collections/jobs/changes') return json(200, { changes: [], nextSince: 0, latestSeq: o.latestSeq ?? 600 });
    if (p === '/v1/collections/jobs/drift') return json(200, DRIFT);
    if (p.startsWith('/v1/collections/jobs/records/')) {
      const id = decodeURIComponent(p.split('/').pop()!);
      return json(200, { id, text: `the text of ${id}`, metadata: { group: id }, updatedAt: '2026-01-01T00:00:00Z' });
    }
    if (p.startsWith('/v1/jobs/')) return json(200, jobs.length > 1 ? jobs.shift() : jobs[0]);
    return json(404, { error: { code: 'NOT_FOUND', message: `no route ${method} ${p}` } });
  });
  return calls;
}

const page = (path = '/insights?collection=jobs') => renderSignedIn(path, '/insights', <Insights />);
const section = (name: string) => screen.getByRole('region', { name });
/** The section once the collection list has loaded and it is shown. */
const sectionShown = (name: string) => screen.findByRole('region', { name });

afterEach(() => {
  vi.restoreAllMocks();
});

describe('Insights page', () => {
  it('shows the health verdict and its reasons first, and the figures as charts', async () => {
    fakeApi();
    page();
    const verdict = await screen.findByTestId('health-verdict');
    expect(verdict.textContent).toBe('warning');
    expect(verdict.className).toContain('verdict-warn');
    const reasons = within(screen.getByRole('list', { name: 'Reasons' })).getAllByRole('listitem').map((li) => li.textContent);
    expect(reasons).toEqual(HEALTH.reasons);
    const health = section('Health');
    // Norms as a picture whose label carries the figures; the dead dimension red among 16 cells.
    expect(within(health).getByRole('img', { name: /median 12\.7, 99th percentile 19\.9/ })).toBeTruthy();
    const dims = within(health).getByRole('img', { name: '16 dimensions, 1 dead: 15' });
    expect(dims.querySelectorAll('rect')).toHaveLength(16);
    expect(dims.querySelectorAll('rect[data-dead]')).toHaveLength(1);
    expect(within(health).getByText('12.5 % (75 vectors, 40 groups)')).toBeTruthy();
    expect(within(health).getByRole('list', { name: 'Largest duplicate groups' }).textContent).toContain('dup1r2r9');
    expect([...health.querySelectorAll('[data-outlier]')].map((li) => li.getAttribute('data-outlier'))).toEqual(['r222', 'r17']);
  });

  it('lists the clusters largest first with their words and sizes, each in the colour its points have on the map (renamed by their nearest records)', async () => {
    const calls = fakeApi();
    page();
    const list = await screen.findByRole('list', { name: 'Clusters, largest first' });
    const items = [...list.querySelectorAll('li[data-cluster]')];
    expect(items.map((li) => [li.getAttribute('data-cluster'), li.getAttribute('data-size')])).toEqual([
      ['1', '300'],
      ['0', '200'],
      ['2', '100'],
    ]);
    expect(items[0].textContent).toContain('espresso');
    expect(items[2].textContent).toContain('no distinctive words');
    // Auto k: no k in the body; the map then asks for the clustering's k.
    expect(calls.find((c) => c.path === '/v1/collections/jobs/clusters')!.body).toEqual({});
    await waitFor(() => expect(document.querySelectorAll('svg.map circle[data-id]')).toHaveLength(6));
    expect(calls.find((c) => c.path.startsWith('/v1/collections/jobs/projection'))!.path).toBe('/v1/collections/jobs/projection?method=pca&sample=1000&clusters=3');
    const colours = new Set<string>();
    for (const li of items) {
      const id = Number(li.getAttribute('data-cluster'));
      const swatch = li.querySelector('.swatch rect')!.getAttribute('fill')!;
      expect(swatch).toBe(clusterColour(id));
      colours.add(swatch);
      const dots = [...document.querySelectorAll(`svg.map circle[data-cluster="${id}"]`)];
      // The map's points of this cluster are exactly its nearest records (the projection's other number notwithstanding).
      expect(dots.map((d) => d.getAttribute('data-id')).sort()).toEqual(CLUSTERS.clusters.find((c) => c.id === id)!.nearest);
      for (const d of dots) expect(d.getAttribute('fill')).toBe(swatch);
    }
    expect(colours.size).toBe(3);
    // The chosen k's silhouette is marked.
    expect(screen.getByText('k=3').closest('li')!.className).toBe('chosen');
  });

  it('hovering a point shows its record (id, text, metadata), fetched once', async () => {
    const calls = fakeApi();
    page();
    await waitFor(() => expect(document.querySelectorAll('svg.map circle[data-id]')).toHaveLength(6));
    expect(screen.getByText(/Point at a dot/)).toBeTruthy();
    fireEvent.pointerOver(document.querySelector('svg.map circle[data-id="r4"]')!);
    const card = await screen.findByTestId('map-record');
    expect(within(card).getByTestId('map-record-id').textContent).toBe('r4');
    await within(card).findByText('the text of r4');
    expect(card.textContent).toContain('cluster 1');
    expect(card.textContent).toContain('{"group":"r4"}');
    // The hovered point is ringed and labelled on the map.
    expect(document.querySelector('.map-selected text')!.textContent).toBe('r4');
    // A nearest record picked in the cluster list shows the same way; back to r4 needs no second fetch.
    fireEvent.click(within(section('Clusters')).getByRole('button', { name: 'r0' }));
    await within(card).findByText('the text of r0');
    fireEvent.pointerOver(document.querySelector('svg.map circle[data-id="r4"]')!);
    await within(card).findByText('the text of r4');
    expect(calls.filter((c) => c.path === '/v1/collections/jobs/records/r4')).toHaveLength(1);
  });

  it('switching to UMAP asks the projection again with method=umap', async () => {
    const calls = fakeApi();
    page();
    await waitFor(() => expect(document.querySelectorAll('svg.map circle[data-id]')).toHaveLength(6));
    fireEvent.change(within(section('Map')).getByLabelText('Projection'), { target: { value: 'umap' } });
    fireEvent.change(within(section('Map')).getByLabelText('Points'), { target: { value: '2000' } });
    await waitFor(() => expect(calls.some((c) => c.path === '/v1/collections/jobs/projection?method=umap&sample=2000&clusters=3')).toBe(true));
  });

  it('follows a clustering that runs as a job, then shows its result', async () => {
    const base = { id: 'job_1', type: 'clusters', collection: 'jobs', total: 600, upserted: 0, errors: 0, errorSamples: [], rate: null, etaSeconds: null, error: null, createdAt: '2026-01-01T00:00:00Z', startedAt: null, finishedAt: null };
    const calls = fakeApi({ clusters: [202, { job: { ...base, status: 'queued', done: 0 } }], jobs: [{ ...base, status: 'running', done: 300 }, { ...base, status: 'done', done: 600, result: CLUSTERS }] });
    page();
    const list = await screen.findByRole('list', { name: 'Clusters, largest first' }, { timeout: 3000 });
    expect(list.querySelectorAll('li[data-cluster]')).toHaveLength(3);
    expect(calls.filter((c) => c.path === '/v1/jobs/job_1').length).toBeGreaterThanOrEqual(2);
  });

  it('a failed clustering job shows its error; the map is drawn uncoloured', async () => {
    const base = { id: 'job_2', type: 'clusters', collection: 'jobs', total: 600, done: 0, upserted: 0, errors: 0, errorSamples: [], rate: null, etaSeconds: null, createdAt: '2026-01-01T00:00:00Z', startedAt: null, finishedAt: null };
    const calls = fakeApi({ clusters: [202, { job: { ...base, status: 'queued', error: null } }], jobs: [{ ...base, status: 'failed', error: { code: 'INTERNAL', message: 'the clustering ran out of memory' } }] });
    page();
    const alert = await within(await sectionShown('Clusters')).findByRole('alert');
    expect(alert.textContent).toBe('INTERNAL the clustering ran out of memory');
    await waitFor(() => expect(document.querySelectorAll('svg.map circle[data-id]')).toHaveLength(6));
    expect(calls.find((c) => c.path.startsWith('/v1/collections/jobs/projection'))!.path).toBe('/v1/collections/jobs/projection?method=pca&sample=1000');
  });

  it("shows each analysis's error in its own place, the others unaffected", async () => {
    fakeApi({ health: [400, { error: { code: 'INVALID_ARGUMENT', message: 'collection "jobs" has 1 record; a health check needs at least 2' } }], projection: [404, { error: { code: 'NOT_FOUND', message: 'no route GET /v1/collections/jobs/projection' } }] });
    page();
    const healthAlert = await within(await sectionShown('Health')).findByRole('alert');
    expect(healthAlert.textContent).toContain('INVALID_ARGUMENT');
    expect(healthAlert.textContent).toContain('a health check needs at least 2');
    expect(await within(section('Map')).findByRole('alert')).toBeTruthy();
    expect(document.querySelector('svg.map')).toBeNull();
    expect(await screen.findByRole('list', { name: 'Clusters, largest first' })).toBeTruthy();
  });

  it('an empty collection gets a clear message and no analysis is asked for', async () => {
    const calls = fakeApi();
    page('/insights?collection=fresh');
    expect((await screen.findByTestId('insights-empty')).textContent).toContain('“fresh” has no records yet');
    expect(calls.filter((c) => /clusters|health|drift|projection|changes/.test(c.path))).toEqual([]);
  });

  it('no collection at all, or one that does not exist, says so', async () => {
    fakeApi({ collections: [] });
    const { unmount } = page('/insights');
    expect((await screen.findByText(/No collections yet/)).textContent).toContain('create one');
    unmount();
    vi.restoreAllMocks();
    fakeApi();
    page('/insights?collection=gone');
    expect((await screen.findByRole('alert')).textContent).toBe('There is no collection “gone”.');
  });

  it('a projection without points (no vectors) says so instead of drawing an empty map', async () => {
    fakeApi({ projection: [200, { ...POINTS, sample: 0, points: [], clusters: undefined }] });
    page();
    expect(await screen.findByText('No vectors to place on the map.')).toBeTruthy();
    expect(document.querySelector('svg.map')).toBeNull();
  });

  it('normalised vectors (one length) are said in words, not drawn as a degenerate box', async () => {
    fakeApi({ health: [200, { ...HEALTH, norms: { min: 1, max: 1, mean: 1, std: 0, p1: 1, p50: 1, p99: 1, zero: 0 } }] });
    page();
    expect((await screen.findByTestId('norms-flat')).textContent).toBe('Every vector has length 1 (normalised).');
    expect(within(section('Health')).queryByText(/Box: 1st–99th/)).toBeNull();
  });

  it('drift compares the first half of the seqs with the second by default, and charts the KS tests against the threshold', async () => {
    const calls = fakeApi({ latestSeq: 600 });
    page();
    const verdict = await screen.findByTestId('drift-verdict');
    expect(verdict.textContent).toBe('drifted');
    expect(calls.find((c) => c.path === '/v1/collections/jobs/drift')!.body).toEqual({ baseline: { fromSeq: 1, toSeq: 300 }, window: { fromSeq: 301, toSeq: 600 } });
    expect(screen.getByTestId('drift-p').textContent).toBe('2.1e-13');
    const rows = [...section('Drift').querySelectorAll('li[data-test]')];
    expect(rows.map((r) => [r.getAttribute('data-test'), r.getAttribute('data-drifting')])).toEqual([
      ['dim 1', 'true'],
      ['dim 0', 'false'],
    ]);
    // Each row's bar carries the KS floor mark at the same place.
    const marks = rows.map((r) => r.querySelector('line.bar-mark')!.getAttribute('x1'));
    expect(new Set(marks).size).toBe(1);
    // A bound that is not a seq is refused by the page, with no request.
    const before = calls.filter((c) => c.path.endsWith('/drift')).length;
    fireEvent.change(within(section('Drift')).getByLabelText('Window from (seq)'), { target: { value: 'soon' } });
    fireEvent.click(within(section('Drift')).getByRole('button', { name: 'Compare' }));
    expect((await within(section('Drift')).findByRole('alert')).textContent).toBe('Window: "from" must be a seq, a whole number ≥ 0 (got "soon")');
    expect(calls.filter((c) => c.path.endsWith('/drift')).length).toBe(before);
  });

  it('drift does not run by itself on too few writes', async () => {
    const calls = fakeApi({ latestSeq: 30 });
    page();
    expect(await within(await sectionShown('Drift')).findByText(/too few to compare/)).toBeTruthy();
    await screen.findByTestId('health-verdict');
    expect(calls.some((c) => c.path.endsWith('/drift'))).toBe(false);
  });
});

describe('cluster numbers on the map', () => {
  const pt = (id: string, cluster: number) => ({ id, x: 0, y: 0, cluster });
  it("follow the list's by majority of each cluster's nearest records; a cluster without votes keeps its number, or the next free one", () => {
    const points = [pt('a', 0), pt('b', 0), pt('c', 1), pt('d', 2), pt('e', 3)];
    const listed = [
      { id: 0, nearest: ['c', 'x'] },
      { id: 1, nearest: ['a', 'b', 'd'] },
      { id: 2, nearest: ['y'] },
    ];
    // Map 0 holds two of list 1's nearest; map 1 holds list 0's; map 2 (one vote for list 1, already matched) and map 3 have none left.
    expect(Object.fromEntries(alignClusters(points, listed))).toEqual({ 0: 1, 1: 0, 2: 2, 3: 3 });
    expect(Object.fromEntries(alignClusters(points, []))).toEqual({ 0: 0, 1: 1, 2: 2, 3: 3 });
  });
});

describe('drift form', () => {
  it('defaults split the seqs in halves; time bounds become ISO times; an empty side is refused', () => {
    expect(driftDefaults(101)).toEqual({ by: 'seq', baselineFrom: '1', baselineTo: '50', windowFrom: '51', windowTo: '101' });
    const t = driftBody({ by: 'time', baselineFrom: '', baselineTo: '2026-01-31T23:59:59', windowFrom: '2026-02-01T00:00', windowTo: '' });
    expect(t.error).toBeNull();
    expect(t.body!.baseline).toEqual({ to: new Date('2026-01-31T23:59:59').toISOString() });
    expect(t.body!.window).toEqual({ from: new Date('2026-02-01T00:00').toISOString() });
    expect(driftBody({ by: 'seq', baselineFrom: '', baselineTo: '', windowFrom: '3', windowTo: '' }).error).toBe('Baseline: give a start, an end or both');
  });
});
