/**
 * The dashboard's Insights page in a real browser against a real server, on planted data: 400
 * short texts on five clearly different topics embedded by the built-in model (the first 200
 * writes on coffee, freight, medicine and programming; the last 200 on gardening and
 * programming: a drift), plus 12 exact duplicates. The map shows one point per record; pointing
 * at one shows that record; the clusters list appears, its nearest records drawn in their
 * cluster's colour on the map; the health verdict names the duplicates; drift (first half of the
 * seqs against the second, the page's default) is "drifted". An empty collection gets a
 * message. Screenshots at desktop and phone width (VECTRA_DOCS_IMAGES=1 also writes
 * docs/insights.png, the picture in docs/insights.md).
 */
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { mulberry32 } from '../../src/random.js';
import { ensureDashboardBuilt, fitsPhone as fitsPhoneOn, launchBrowser, noChromium, shot, signInAndOpen, type Browser } from '../support/browser.js';
import { REPO_ROOT } from '../support/glove.js';
import { call, register, testServer } from '../support/server.js';

const TOPICS: Record<string, string[]> = {
  coffee: ['espresso', 'coffee', 'latte', 'barista', 'cappuccino', 'beans', 'roast', 'mug', 'brew', 'caffeine', 'milk', 'cafe'],
  freight: ['truck', 'diesel', 'freight', 'highway', 'trailer', 'cargo', 'driver', 'engine', 'haul', 'shipment', 'logistics', 'fuel'],
  medicine: ['nurse', 'clinic', 'patient', 'hospital', 'doctor', 'surgery', 'medicine', 'vaccine', 'diagnosis', 'therapy', 'fever', 'pharmacy'],
  programming: ['python', 'compiler', 'debugger', 'software', 'code', 'programmer', 'algorithm', 'function', 'database', 'server', 'bug', 'kernel'],
  gardening: ['garden', 'tomato', 'soil', 'seeds', 'compost', 'flowers', 'harvest', 'orchard', 'planting', 'vegetables', 'weeds', 'shovel'],
};
/** Write order: the first 200 over four topics, the last 200 over two (one of them new). */
const FIRST = ['coffee', 'freight', 'medicine', 'programming'];
const LAST = ['gardening', 'programming'];
const DUPLICATES = 12;

let url: string;
let key: string;
let browser: Browser;
let page: Page;
const texts = new Map<string, string>();
const topicOf = new Map<string, string>();

const api = (method: string, path: string, body?: unknown) => call(url, method, path, { key, body });

function plantedRecords(): { id: string; text: string; metadata: { topic: string } }[] {
  const rng = mulberry32(23);
  const out: { id: string; text: string; metadata: { topic: string } }[] = [];
  const sentence = (topic: string) => Array.from({ length: 6 }, () => TOPICS[topic][Math.floor(rng() * TOPICS[topic].length)]).join(' ');
  for (let i = 0; i < 400; i++) {
    const topic = i < 200 ? FIRST[i % FIRST.length] : LAST[i % LAST.length];
    out.push({ id: `${topic}-${i}`, text: sentence(topic), metadata: { topic } });
  }
  for (let i = 0; i < DUPLICATES; i++) out.push({ id: `dup-${i}`, text: out[i * 7].text, metadata: { topic: out[i * 7].metadata.topic } });
  return out;
}

/** Fill the drift form's four seq bounds, compare, and wait for `verdict`. */
async function compare(bounds: [string, string, string, string], verdict: string): Promise<void> {
  for (const [i, label] of ['Baseline from (seq)', 'Baseline to (seq)', 'Window from (seq)', 'Window to (seq)'].entries()) await page.getByLabel(label).fill(bounds[i]);
  await page.getByRole('button', { name: 'Compare' }).click();
  await page.waitForFunction((v) => document.querySelector('[data-testid="drift-verdict"]')?.textContent === v, verdict, { timeout: 30_000 });
}

/** At phone width the page, its cards and charts fit the screen: nothing scrolls sideways. */
const fitsPhone = (name: string) => fitsPhoneOn(page, name, 'the Insights page', ['.card']);

describe('dashboard Insights page in Chromium', { skip: noChromium }, () => {
  before(async () => {
    ensureDashboardBuilt();
    url = (await testServer({ VECTRA_RATE_LIMIT: '100000' })).url;
    key = (await register(url)).key;
    assert.equal((await api('POST', '/v1/collections', { name: 'topics' })).status, 201);
    assert.equal((await api('POST', '/v1/collections', { name: 'zz-empty' })).status, 201);
    const records = plantedRecords();
    for (const r of records) {
      texts.set(r.id, r.text);
      topicOf.set(r.id, r.metadata.topic);
    }
    for (let i = 0; i < records.length; i += 100) {
      const w = await api('POST', '/v1/collections/topics/records', { records: records.slice(i, i + 100) });
      assert.equal(w.status, 200, JSON.stringify(w.body));
    }
    browser = await launchBrowser();
    page = browser.page;
  });
  after(async () => {
    await browser?.context.close();
  });

  it('maps every record, shows the one pointed at, lists the clusters in the colours of the map', async () => {
    await signInAndOpen(page, url, key, 'Insights');
    // The first collection is chosen; the map waits for the clustering, then draws all 412 points.
    await page.getByRole('list', { name: 'Clusters, largest first' }).waitFor({ timeout: 30_000 });
    await page.waitForFunction(() => document.querySelectorAll('svg.map circle[data-id]').length > 0, null, { timeout: 60_000 });
    const dots = await page.locator('svg.map circle[data-id]').evaluateAll((cs) => cs.map((c) => ({ id: c.getAttribute('data-id')!, cluster: c.getAttribute('data-cluster'), fill: c.getAttribute('fill')! })));
    assert.equal(dots.length, 412);
    assert.deepEqual(new Set(dots.map((d) => d.id)), new Set(texts.keys()));
    assert.match((await page.getByTestId('map-count').textContent())!, /^412 points/);

    // The clusters: k chosen automatically; each cluster's nearest records are of one topic, and
    // are drawn on the map in the cluster's colour (the map and the list show the same clusters).
    const clusters = await page.locator('ol.clusters > li').evaluateAll((lis) =>
      lis.map((li) => ({ id: li.getAttribute('data-cluster')!, size: Number(li.getAttribute('data-size')), swatch: li.querySelector('.swatch rect')!.getAttribute('fill')!, nearest: [...li.querySelectorAll('.nearest button')].map((b) => b.textContent!) })),
    );
    assert.ok(clusters.length >= 4, `${clusters.length} clusters`);
    assert.equal(clusters.reduce((s, c) => s + c.size, 0), 412);
    const byId = new Map(dots.map((d) => [d.id, d]));
    for (const c of clusters) {
      assert.equal(new Set(c.nearest.map((id) => topicOf.get(id))).size, 1, `cluster ${c.id} nearest ${c.nearest}`);
      for (const id of c.nearest) {
        assert.equal(byId.get(id)!.cluster, c.id, `${id} is in cluster ${c.id} on the list`);
        assert.equal(byId.get(id)!.fill, c.swatch);
      }
    }
    assert.ok(new Set(clusters.map((c) => c.swatch)).size === clusters.length, 'one colour per cluster');

    // Point at a dot: the record there (the topmost element under the pointer) is shown, with its text.
    const target = page.locator('svg.map circle[data-id]').nth(100);
    const box = (await target.boundingBox())!;
    const [x, y] = [box.x + box.width / 2, box.y + box.height / 2];
    const under = await page.evaluate(([x, y]) => document.elementFromPoint(x, y)?.getAttribute('data-id') ?? null, [x, y]);
    assert.ok(under, 'a point is under the pointer');
    await page.mouse.move(x, y);
    const card = page.getByTestId('map-record');
    await card.getByText(texts.get(under)!).waitFor();
    assert.equal(await page.getByTestId('map-record-id').textContent(), under);
    assert.equal(await page.locator('.map-selected text').textContent(), under);
    await shot(page, 'insights-map');

    // UMAP instead of PCA: the same 412 records, laid out again, said so under the map.
    const details = page.locator('details.options', { hasText: 'How this map was made' });
    await page.getByLabel('Projection').selectOption('umap');
    await details.getByText(/^UMAP \(umap-js/).waitFor({ state: 'attached', timeout: 60_000 });
    assert.equal(await page.locator('svg.map circle[data-id]').count(), 412);
    await shot(page, 'insights-umap');
    await page.getByLabel('Projection').selectOption('pca');
    await details.getByText(/^PCA \(ml-pca\)/).waitFor({ state: 'attached', timeout: 60_000 });
  });

  it('shows the health verdict with the duplicates as its reason, and drift of the second half', async () => {
    const verdict = page.getByTestId('health-verdict');
    await verdict.waitFor({ timeout: 30_000 });
    assert.equal(await verdict.textContent(), 'warning');
    const reasons = await page.getByRole('list', { name: 'Reasons' }).textContent();
    assert.match(reasons!, /near-duplicate/);
    assert.ok((await page.locator('ul.groups li').count()) > 0, 'duplicate groups listed');

    const drift = page.getByTestId('drift-verdict');
    await drift.waitFor({ timeout: 30_000 });
    assert.equal(await drift.textContent(), 'drifted');
    // The default: the first half of the 412 seqs against the second.
    assert.equal(await page.getByLabel('Baseline to (seq)').inputValue(), '206');
    assert.equal(await page.getByLabel('Window from (seq)').inputValue(), '207');
    assert.ok((await page.locator('li[data-test][data-drifting="true"]').count()) > 0, 'some test is drifting');
    // The same collection split within the first 200 writes (all four topics in turn): stable.
    await compare(['1', '100', '101', '200'], 'stable');

    // Back to the default comparison for the pictures.
    await compare(['1', '206', '207', '412'], 'drifted');
    const path = await shot(page, 'insights');
    if (process.env.VECTRA_DOCS_IMAGES === '1') copyFileSync(path, join(REPO_ROOT, 'docs', 'insights.png'));
    await fitsPhone('insights');
    assert.deepEqual(browser.problems, []);
  });

  it('an empty collection: a message, not a crash', async () => {
    await page.getByLabel('Collection', { exact: true }).selectOption('zz-empty');
    await page.getByTestId('insights-empty').waitFor();
    assert.match((await page.getByTestId('insights-empty').textContent())!, /has no records yet/);
    assert.equal(await page.locator('svg.map').count(), 0);
    assert.deepEqual(browser.problems, []);
  });
});
