/**
 * The dashboard in a real browser (Debian's Chromium driven by playwright-core) against a
 * real server on a real port: register → create a collection → import a CSV → browse and
 * edit a record → search → models → create and revoke a key → metrics, asserting what the
 * page shows. Every page is saved as a screenshot, at 1280 px and at phone width, in
 * test-output/dashboard/.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { BUILT_DASHBOARD_DIR } from '../../src/config.js';
import { REPO_ROOT } from '../support/glove.js';
import { call, testServer } from '../support/server.js';
import { tempDir } from '../support/tmp.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OUT = join(REPO_ROOT, 'test-output', 'dashboard');
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };
// Without Chromium the test skips and says why, except in CI, where .ci/run installs it.
const skip = !existsSync(CHROMIUM) && process.env.CI !== 'true' ? `no Chromium at ${CHROMIUM} (apt-get install chromium)` : false;

let url: string;
let context: BrowserContext;
let page: Page;
const problems: string[] = [];

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(OUT, `${name}-${page.viewportSize()!.width === PHONE.width ? 'phone' : 'desktop'}.png`), fullPage: true });
}

/** Follow a nav link the way a person would, and wait for the page's heading. */
async function open(label: string, heading = label): Promise<void> {
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: label }).click();
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

describe('dashboard in Chromium', { skip }, () => {
  before(async () => {
    if (!existsSync(join(BUILT_DASHBOARD_DIR, 'index.html'))) execFileSync(process.execPath, [join(REPO_ROOT, 'node_modules/vite/bin/vite.js'), 'build', join(REPO_ROOT, 'web')], { stdio: 'inherit' });
    mkdirSync(OUT, { recursive: true });
    url = (await testServer({ VECTRA_RATE_LIMIT: '100000' })).url;
    context = await chromium.launchPersistentContext(tempDir('vectra-chromium-'), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: DESKTOP,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: url });
    page = context.pages()[0] ?? (await context.newPage());
    // CSP violations and script errors surface here; the test fails on any.
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
  });
  after(async () => {
    await context?.close();
  });

  let apiKey: string;

  it('registers: the new key is shown once with a warning, then the dashboard opens', async () => {
    await page.goto(url);
    await page.getByRole('heading', { name: 'Register' }).waitFor();
    await shot('signin');
    await page.getByLabel('Account name').fill('acme');
    await page.getByRole('button', { name: 'Register' }).click();
    const key = page.getByTestId('new-key');
    apiKey = (await key.textContent())!.trim();
    assert.match(apiKey, /^vk_[A-Za-z0-9]{43}$/);
    assert.match(await page.getByText('It is shown only once').textContent() ?? '', /shown only once/);
    await page.getByRole('button', { name: 'Copy key' }).click();
    await page.getByText('Copied.').waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), apiKey);
    await shot('register-key');
    await page.getByRole('button', { name: /I have saved the key/ }).click();
    await page.getByRole('heading', { level: 1, name: 'Collections' }).waitFor();
    // The key lives in sessionStorage only: never in the URL, a cookie or localStorage.
    assert.ok(!page.url().includes(apiKey));
    assert.equal(await page.evaluate(() => localStorage.length), 0);
    assert.deepEqual(await context.cookies(), []);
  });

  it('creates a collection with the model picker, and shows an API error in place', async () => {
    await page.getByText('No collections yet').waitFor();
    const model = page.getByLabel('Embedding model');
    await model.locator('option', { hasText: 'glove-100d-v2' }).waitFor({ state: 'attached' });
    assert.equal(await model.inputValue(), 'glove-100d-v2', 'the default model is preselected');
    await page.getByLabel('Name', { exact: true }).fill('jobs');
    await page.getByRole('button', { name: 'Create collection' }).click();
    await page.getByText('Created “jobs”').waitFor();
    const row = page.locator('tr[data-collection="jobs"]');
    assert.equal(await row.getByTestId('count').textContent(), '0');
    assert.match((await row.textContent())!, /glove-100d-v2.*100.*cosine/);

    await page.getByLabel('Name', { exact: true }).fill('jobs');
    await page.getByRole('button', { name: 'Create collection' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match((await alert.textContent())!, /COLLECTION_EXISTS.*collection "jobs" already exists/);
    await shot('collections');
  });

  it('imports a CSV file with a progress bar; the count and the records show up', async () => {
    await page.getByRole('link', { name: 'jobs', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'jobs' }).waitFor();
    const csv = [
      'ref,description,city,wage',
      'barista,"barista at a coffee shop, $15 per hour",Austin,15',
      'cook,"line cook, twelve dollars an hour",Boston,12',
      'engineer,"software engineer, annual salary 150k",Austin,75',
      'teacher,primary school teacher for young children,Denver,30',
      'nurse,night shift nurse at the city hospital,Boston,40',
    ].join('\n');
    await page.getByLabel('File', { exact: true }).setInputFiles({ name: 'jobs.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByLabel('Text field').fill('description');
    await page.getByLabel('Id field').fill('ref');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByText('Imported 5 of 5 records').waitFor();
    assert.equal(await page.getByTestId('import-progress').locator('progress').getAttribute('value'), '5');
    await page.getByTestId('record-count').getByText('5').waitFor();
    assert.equal(await page.locator('tr[data-record]').count(), 5);
    await shot('records');
  });

  it('filters records by metadata, and edits one in the JSON editor with validation', async () => {
    await page.getByLabel('Metadata filter (JSON)').fill('{"city": "Austin"');
    assert.match((await page.getByText(/not valid JSON/).textContent())!, /not valid JSON/);
    await page.getByLabel('Metadata filter (JSON)').fill('{"city": "Austin"}');
    await page.getByRole('button', { name: 'Apply filter' }).click();
    await page.waitForFunction(() => document.querySelectorAll('tr[data-record]').length === 2);
    assert.deepEqual((await page.locator('tr[data-record]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-record')))).sort(), ['barista', 'engineer']);

    await page.getByRole('button', { name: 'barista', exact: true }).click();
    const editor = page.getByLabel('Record JSON');
    await page.waitForFunction((el) => (el as HTMLTextAreaElement).value.includes('coffee'), await editor.elementHandle());
    const record = JSON.parse(await editor.inputValue());
    assert.deepEqual(record.metadata, { city: 'Austin', wage: 15 }, 'CSV cells that are numbers became numbers');
    await editor.fill('{"text": "barista", "colour": "red"}');
    assert.match((await page.getByText('"colour" is not a record field').textContent())!, /metadata/);
    assert.equal(await page.getByRole('button', { name: 'Save' }).isDisabled(), true);
    await editor.fill(JSON.stringify({ ...record, metadata: { ...record.metadata, shift: 'morning' } }));
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    const stored = await call(url, 'GET', '/v1/collections/jobs/records/barista', { key: apiKey });
    assert.equal(stored.body.metadata.shift, 'morning');
    await shot('record-editor');
  });

  it('searches: dense results with scores and latency, hybrid with component scores, copy as curl without the key', async () => {
    await open('Search');
    await page.getByLabel('Query text').fill('coffee barista job');
    await page.getByLabel('k', { exact: true }).fill('3');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.locator('tr[data-result]').first().waitFor();
    const ids = await page.locator('tr[data-result]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-result')));
    assert.equal(ids.length, 3);
    assert.equal(ids[0], 'barista');
    assert.match((await page.getByTestId('latency').textContent())!, /3 results · server [\d.]+ ms · round trip \d+ ms/);

    await page.getByLabel('Mode').selectOption('hybrid');
    await page.getByLabel('Filter (JSON, optional)').fill('{"city": "Austin"}');
    await page.getByLabel('Return').selectOption('id');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('columnheader', { name: 'Keyword' }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('tr[data-result]').length === 2);
    const hybrid = await page.locator('tr[data-result]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-result')));
    assert.deepEqual([...hybrid].sort(), ['barista', 'engineer']);
    assert.equal(hybrid[0], 'barista');

    await page.getByText('Request as curl').click();
    const curl = (await page.getByTestId('curl').textContent())!;
    assert.match(curl, /\$VECTRA_API_KEY/);
    assert.match(curl, /"mode":"hybrid"/);
    assert.ok(!curl.includes(apiKey), 'the key is never pasted into the command');
    await shot('search');

    // A bad request shows the API's message where it happened.
    await page.getByLabel('Mode').selectOption('keyword');
    await page.getByLabel('Query by').selectOption('vector');
    await page.getByLabel('Query vector (JSON array)').fill('[0.1, 0.2]');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match((await alert.textContent())!, /keyword/i);
  });

  it('models: list, embed a text, compare on sentence pairs', async () => {
    await open('Models');
    const row = page.locator('tr[data-model="glove-100d-v2"]');
    assert.match((await row.textContent())!, /default.*builtin.*100/);
    await page.getByRole('form', { name: 'Embed a text' }).getByLabel('Text').fill('reset my password');
    await page.getByRole('button', { name: 'Embed', exact: true }).click();
    assert.match((await page.getByTestId('embedding').textContent())!, /glove-100d-v2: 100 dimensions, norm 1\.0000/);
    await page.getByRole('button', { name: 'Compare', exact: true }).click();
    const table = page.getByTestId('similarity');
    await table.waitFor();
    const sims = await table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.querySelectorAll('td')[0].textContent)));
    assert.equal(sims.length, 3);
    assert.ok(sims[0] > sims[2], `"reset my password" is closer to "forgot my login" than to pizza: ${sims}`);

    const bench = page.getByRole('form', { name: 'Benchmark' });
    await bench.getByLabel('Models', { exact: true }).selectOption('glove-100d-v2');
    await bench.getByLabel('Queries').fill('20');
    await bench.getByRole('button', { name: 'Run benchmark' }).click();
    if (existsSync('/usr/share/wordnet/data.noun')) {
      const row = page.getByTestId('benchmark').locator('tbody tr');
      await row.first().waitFor();
      const [model, dim, perSecond, accuracy, recall, mrr] = await row.first().locator('th, td').allTextContents();
      assert.deepEqual([model, dim], ['glove-100d-v2', '100']);
      assert.match(perSecond, /^[\d,]+$/);
      assert.match(`${accuracy} ${recall}`, /^\d+\.\d% \d+\.\d%$/);
      assert.match(mrr, /^[01]\.\d{3}$/);
      assert.match((await page.getByTestId('benchmark').locator('caption').textContent())!, /20 queries/);
    } else {
      // Without WordNet the API's message says what to install, shown where the table would be.
      assert.match((await bench.getByRole('alert').textContent())!, /WordNet/);
    }
    await shot('models');
  });

  it('API keys: create with scopes and expiry (shown once), then revoke: the key disappears and stops working', async () => {
    await open('API keys');
    await page.getByLabel('Name').fill('ci-reader');
    await page.getByLabel('Expires (optional, your local time)').fill('2099-01-01T12:00');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = (await page.getByTestId('new-key').textContent())!.trim();
    assert.match(secret, /^vk_/);
    const row = page.locator('tr[data-key="ci-reader"]');
    await row.waitFor();
    assert.match((await row.textContent())!, /read.*2099/);
    assert.equal((await call(url, 'GET', '/v1/collections', { key: secret })).status, 200);
    await shot('keys');

    await row.getByRole('button', { name: /Revoke/ }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke ci-reader' }).click();
    await row.waitFor({ state: 'detached' });
    assert.match((await page.getByTestId('revoked-keys').textContent())!, /ci-reader/);
    const refused = await call(url, 'GET', '/v1/collections', { key: secret });
    assert.equal(refused.status, 401);
    assert.equal(await page.locator('tr[data-key]').count(), 1, 'only the registration key is left');
  });

  it("metrics: this account's own figures only, no sparkline before there are values, then a live request rate and latency", async () => {
    // Another tenant with more data than this one: none of it may show.
    const other = (await call(url, 'POST', '/v1/auth/register', { body: { name: 'other' } })).body.apiKey;
    await call(url, 'POST', '/v1/collections', { key: other, body: { name: 'theirs', model: 'none', dimension: 2 } });
    await call(url, 'POST', '/v1/collections/theirs/records', { key: other, body: { records: Array.from({ length: 7 }, (_, i) => ({ id: `t${i}`, vector: [i, 1] })) } });
    const mine = (await call(url, 'GET', '/v1/collections', { key: apiKey })).body.collections as { count: number }[];

    await open('Metrics');
    const card = (label: string) => page.getByTestId('metrics').locator('div').filter({ has: page.getByText(label, { exact: true }) });
    await page.getByTestId('metric-records').getByText(String(mine.reduce((t, c) => t + c.count, 0))).waitFor();
    assert.equal(await page.getByTestId('metric-collections').textContent(), String(mine.length));
    const shown = (await page.getByTestId('metrics').textContent())!;
    assert.doesNotMatch(shown, /Tenants|Server memory/, 'no server-wide figure');
    // Idle (the page's own polls are not counted): the latency reads "—" and has no sparkline.
    await page.waitForTimeout(4500);
    assert.match((await card('Mean latency').textContent())!, /—/);
    assert.equal(await card('Mean latency').locator('svg').count(), 0, 'no line drawn next to "—"');
    await shot('metrics-idle');

    // Traffic from another client (same key) until the latency has a line of its own.
    let traffic = true;
    const load = (async () => {
      while (traffic) await call(url, 'POST', '/v1/collections/jobs/search', { key: apiKey, body: { text: 'nurse', k: 2 } });
    })();
    try {
      await page.waitForFunction(() => {
        const text = document.querySelector('[data-testid="metrics"]')?.textContent ?? '';
        return /Requests\/s\s*([1-9]|0\.[1-9])/.test(text) && /Mean latency\s*[\d.]+ ms/.test(text) && document.querySelector('[data-testid="metrics"] svg[aria-label^="mean latency"]') !== null;
      }, undefined, { timeout: 20_000 });
    } finally {
      traffic = false;
      await load;
    }
    assert.equal(await page.getByTestId('metric-collections').textContent(), String(mine.length), "still this account's collections only");
    await shot('metrics');
  });

  it('raw vectors: a model "none" collection, records added as JSON, paged, edited with their vector, deleted', async () => {
    await open('Collections');
    await page.getByLabel('Name', { exact: true }).fill('points');
    await page.getByLabel('Embedding model').selectOption('none');
    await page.getByLabel('Dimension').fill('3');
    await page.getByLabel('Metric').selectOption('l2');
    await page.getByLabel('Index').selectOption('flat');
    await page.getByRole('button', { name: 'Create collection' }).click();
    await page.locator('tr[data-collection="points"]').waitFor();
    await page.getByRole('link', { name: 'points', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'points' }).waitFor();

    const records = Array.from({ length: 12 }, (_, i) => ({ id: `p${String(i).padStart(2, '0')}`, vector: [i, 0, 1], metadata: { i } }));
    await page.getByLabel('Records (JSON)').fill(JSON.stringify(records));
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByText('Stored 12 records').waitFor();
    await page.getByTestId('record-count').getByText('12').waitFor();
    await page.getByLabel('Per page').selectOption('10');
    await page.waitForFunction(() => document.querySelectorAll('tr[data-record]').length === 10);
    await page.getByRole('button', { name: 'Next →' }).click();
    await page.waitForFunction(() => document.querySelectorAll('tr[data-record]').length === 2);
    assert.deepEqual(await page.locator('tr[data-record]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-record'))), ['p10', 'p11']);
    assert.equal(await page.getByText('Page 2').count(), 1);

    // The editor brings the vector along (nothing can re-embed text here) and saves a new one.
    await page.getByRole('button', { name: 'p11', exact: true }).click();
    const editor = page.getByLabel('Record JSON');
    await page.waitForFunction((el) => (el as HTMLTextAreaElement).value.includes('"vector"'), await editor.elementHandle());
    await editor.fill(JSON.stringify({ metadata: { i: 11, moved: true }, vector: [0, 0, 0] }));
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    const nearest = await call(url, 'POST', '/v1/collections/points/search', { key: apiKey, body: { vector: [0, 0, 0], k: 1 } });
    assert.equal(nearest.body.results[0].id, 'p11');

    // Escape cancels the confirmation; confirming deletes.
    await page.getByRole('button', { name: 'Delete record' }).click();
    await page.keyboard.press('Escape');
    assert.equal((await call(url, 'GET', '/v1/collections/points/records/p11', { key: apiKey })).status, 200);
    await page.getByRole('button', { name: 'Delete record' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByTestId('record-count').getByText('11').waitFor();
    assert.equal((await call(url, 'GET', '/v1/collections/points/records/p11', { key: apiKey })).status, 404);

    await open('Collections');
    const row = page.locator('tr[data-collection="points"]');
    await row.getByRole('button', { name: /Delete/ }).click();
    await page.getByRole('dialog', { includeHidden: false }).getByRole('button', { name: 'Delete points' }).click();
    await row.waitFor({ state: 'detached' });
    assert.equal((await call(url, 'GET', '/v1/collections/points', { key: apiKey })).status, 404);
  });

  it('every page fits a phone (390 px): nothing wider than the screen', async () => {
    await page.setViewportSize(PHONE);
    for (const [path, heading] of [
      ['/collections', 'Collections'],
      ['/collections/jobs', 'jobs'],
      ['/search?collection=jobs', 'Search'],
      ['/models', 'Models'],
      ['/keys', 'API keys'],
      ['/stats', 'Metrics'],
    ]) {
      await page.goto(url + path);
      await page.getByRole('heading', { level: 1, name: heading }).waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${path} is ${overflow}px wider than the phone`);
      await shot(path.slice(1).split('?')[0].replace('/', '-'));
    }
    await page.setViewportSize(DESKTOP);
  });

  it('signs out, refuses a wrong key with the API message, signs in with the right one (keyboard only)', async () => {
    await page.goto(`${url}/collections`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').fill(`vk_${'x'.repeat(43)}`);
    await page.keyboard.press('Enter');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match((await alert.textContent())!, /INVALID_API_KEY/);
    await page.getByLabel('API key').fill(apiKey);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Collections' }).waitFor();
    // Tab from the top reaches the skip link first, then the nav.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Collections');
  });

  it('ran without script errors or CSP violations', () => {
    assert.deepEqual(problems, []);
  });
});
