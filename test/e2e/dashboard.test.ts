/**
 * The dashboard in a real browser (Debian's Chromium driven by playwright-core) against a
 * real server on a real port: register → create a collection → import a CSV → browse and
 * edit a record → search → models → create and revoke a key → metrics → the search options,
 * asserting what the page shows and measuring its layout (dialogs, selects, stat cards).
 * Every page is saved as a screenshot, at 1280 px and at phone width, in test-output/dashboard/.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { buildTestReranker, TEST_RERANKER_REPO } from '../support/onnx-model.js';
import { DESKTOP, PHONE, ensureDashboardBuilt, launchBrowser, noChromium as skip, selectsFit as selectsFitOn, shot as shotOf, statsOnOneLine as statsOnOneLineOn } from '../support/browser.js';
import { call, testServer } from '../support/server.js';
import { tempDir } from '../support/tmp.js';

let url: string;
let context: BrowserContext;
let page: Page;
let problems: string[] = [];

async function shot(name: string): Promise<void> {
  await shotOf(page, name);
}

/** Follow a nav link the way a person would, and wait for the page's heading. */
async function open(label: string, heading = label): Promise<void> {
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: label }).click();
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

/**
 * An open confirmation dialog can be read whole: its question wraps inside it (no line wider
 * than its box, nothing scrolled out of sight) and the dialog fits the screen. Returns the question.
 */
async function readableDialog(dialog: Locator): Promise<string> {
  const m = await dialog.evaluate((d) => {
    const q = d.querySelector('p')!;
    const qb = q.getBoundingClientRect();
    const db = d.getBoundingClientRect();
    return {
      text: q.textContent ?? '',
      cut: q.scrollWidth - q.clientWidth,
      dialogCut: d.scrollWidth - d.clientWidth,
      inside: qb.left >= db.left && qb.right <= db.right && qb.top >= db.top && qb.bottom <= db.bottom,
      onScreen: db.left >= 0 && db.right <= window.innerWidth && db.top >= 0 && db.bottom <= window.innerHeight,
    };
  });
  assert.ok(m.cut <= 0 && m.dialogCut <= 0, `the dialog's question is cut by ${Math.max(m.cut, m.dialogCut)}px: "${m.text}"`);
  assert.ok(m.inside, `the question sticks out of its dialog: "${m.text}"`);
  assert.ok(m.onScreen, 'the dialog is not within the screen');
  return m.text;
}

const selectsFit = (where: string) => selectsFitOn(page, where);
const statsOnOneLine = () => statsOnOneLineOn(page);

/** The actions column is a real table cell: its borders line up with the row's. */
async function actionCellsAligned(): Promise<void> {
  const off = await page.evaluate(() =>
    [...document.querySelectorAll('td.actions')].map((td) => {
      const c = td.getBoundingClientRect();
      const r = td.parentElement!.getBoundingClientRect();
      return { display: getComputedStyle(td).display, top: Math.abs(c.top - r.top), bottom: Math.abs(c.bottom - r.bottom) };
    }),
  );
  assert.ok(off.length > 0);
  for (const o of off) assert.ok(o.display === 'table-cell' && o.top < 1 && o.bottom < 1, `an actions cell is out of its row: ${JSON.stringify(o)}`);
}

describe('dashboard in Chromium', { skip }, () => {
  before(async () => {
    ensureDashboardBuilt();
    // A cross-encoder the tests build (no download), so the Search page can rerank with one.
    const modelsDir = tempDir('vectra-models-');
    buildTestReranker(modelsDir);
    const modelsConfig = join(tempDir(), 'models.json');
    writeFileSync(modelsConfig, JSON.stringify({ models: [{ id: 'glove-cross', provider: 'onnx', task: 'rerank', repo: TEST_RERANKER_REPO }] }));
    url = (await testServer({ VECTRA_RATE_LIMIT: '100000', VECTRA_MODELS_DIR: modelsDir, VECTRA_MODELS_CONFIG: modelsConfig })).url;
    // CSP violations and script errors surface in `problems`; the test fails on any.
    ({ context, page, problems } = await launchBrowser());
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: url });
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
    await selectsFit('Collections');
    await actionCellsAligned();
    await shot('collections');

    await row.getByRole('button', { name: /Delete/ }).click();
    const dialog = page.getByRole('dialog');
    assert.match(await readableDialog(dialog), /Its files are removed from disk; this cannot be undone\.$/);
    await shot('confirm-delete');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    assert.equal((await call(url, 'GET', '/v1/collections/jobs', { key: apiKey })).status, 200);
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
    await statsOnOneLine();
    await selectsFit('Records');
    await shot('records');
  });

  it('filters records by metadata, and edits one in the JSON editor with validation', async () => {
    // A filter the API refuses shows its error alone, not also "No record matches".
    const filterBox = page.getByLabel('Metadata filter (JSON)');
    await filterBox.fill('{"city": "Nowhere"}');
    await page.getByRole('button', { name: 'Apply filter' }).click();
    await page.getByText('No record matches this filter.').waitFor();
    await filterBox.fill('{"wage": {"$near": 13}}');
    await page.getByRole('button', { name: 'Apply filter' }).click();
    assert.match((await page.getByRole('alert').textContent())!, /INVALID_FILTER.*\$near/);
    assert.equal(await page.getByText('No record matches this filter.').count(), 0);
    assert.equal(await page.locator('tr[data-record]').count(), 0);
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
    // Each side's score and its rank on that side.
    assert.match((await page.locator('tr[data-result="barista"] [data-side="dense"]').textContent())!, /^\d\.\d{4} #[12]$/);

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
    await actionCellsAligned();
    await shot('keys');

    // Revoking this session's own key warns, readably, that it signs out; cancelling keeps it.
    await page.locator('tr[data-key="default"]').getByRole('button', { name: /Revoke/ }).click();
    const dialog = page.getByRole('dialog');
    assert.match(await readableDialog(dialog), /It stops working at once, for every application using it\. This dashboard is signed in with it: you will be signed out\.$/);
    await shot('confirm-revoke');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });

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

  it('search options: parse, highlight (marks only, the rest as text), grouped documents, MMR, a cross-encoder, exact and ef', async () => {
    // Documents (chunked by heading) and a record whose text holds markup, added through the API.
    const api = (method: string, path: string, body?: unknown) => call(url, method, path, { key: apiKey, body });
    assert.equal((await api('POST', '/v1/collections', { name: 'manuals' })).status, 201);
    const doc = (id: string, text: string) => api('POST', '/v1/collections/manuals/documents', { id, format: 'markdown', text, chunk: { size: 100, overlap: 0 } });
    assert.equal((await doc('espresso', '# Espresso\n\nGrind the coffee fine and tamp it evenly.\n\n## Cleaning\n\nDescale the coffee machine every month.\n\n## Milk\n\nSteam the milk for a cappuccino.')).status, 200);
    assert.equal((await doc('tea', '# Tea\n\nBrew green tea at eighty degrees.\n\n## Storage\n\nKeep the leaves dry and dark.')).status, 200);
    await api('POST', '/v1/collections/manuals/records', { records: [{ id: 'note', text: '<img src=x onerror="window.__xss=1"> coffee <b>tips</b>' }] });

    await page.goto(`${url}/search?collection=jobs`);
    await page.getByRole('heading', { level: 1, name: 'Search' }).waitFor();
    const search = () => page.getByRole('button', { name: 'Search', exact: true }).click();
    const results = () => page.locator('tr[data-result]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-result')));
    const latency = page.getByTestId('latency');
    /** Run the search and wait until the page shows its answer (the button says "Search" again). */
    const searched = async () => {
      const answered = page.waitForResponse((r) => r.url().endsWith('/search') && r.request().method() === 'POST');
      await search();
      const res = await answered;
      assert.equal(res.status(), 200, await res.text());
      await page.waitForFunction(() => document.querySelector('form[aria-label="Search"] button.primary')?.textContent === 'Search');
    };
    await page.getByText('Options', { exact: true }).click();

    // parse: the constraint leaves the text and becomes a filter, shown with what was searched.
    const query = page.getByLabel('Query text');
    await page.getByLabel('Parse constraints').check();
    assert.equal(await query.getAttribute('placeholder'), 'hourly wage not less than $13');
    await query.fill('hourly wage not less than $13');
    await searched();
    const parsed = (await page.getByTestId('parsed').textContent())!;
    assert.match(parsed, /Searched for “hourly wage” with the filter \{"wage":\{"\$gte":13\}\}/);
    assert.match(parsed, /“not less than \$13” → wage/);
    assert.deepEqual((await results()).sort(), ['barista', 'engineer', 'nurse', 'teacher'], 'the $12 cook is filtered out');
    await selectsFit('Search with its options open');
    await shot('search-parse');
    await page.getByLabel('Parse constraints').uncheck();

    // highlight: matched words in <mark>, the record's own markup shown as text and never run.
    await page.getByLabel('Collection').selectOption('manuals');
    await page.getByLabel('Mode').selectOption('keyword');
    await page.getByLabel('Highlight matches').check();
    await query.fill('coffee');
    await searched();
    const note = page.locator('tr[data-result="note"]');
    assert.deepEqual(await note.locator('mark').allTextContents(), ['coffee']);
    assert.equal(await note.locator('img, b').count(), 0);
    assert.match((await note.textContent())!, /<img src=x onerror="window.__xss=1"> coffee <b>tips<\/b>/);
    assert.equal(await page.evaluate(() => (window as { __xss?: number }).__xss), undefined);

    // group: a row a document with its best chunks (the loose record is its own row).
    await page.getByLabel('Mode').selectOption('dense');
    await page.getByLabel('Group by document').check();
    await page.getByLabel('Chunks per document').fill('2');
    await query.fill('descale the coffee machine');
    await searched();
    assert.match((await latency.textContent())!, /^3 documents/);
    const espresso = page.locator('tr[data-document="espresso"]');
    const chunks = await espresso.locator('li[data-chunk]').evaluateAll((li) => li.map((l) => l.getAttribute('data-chunk')));
    assert.ok(chunks.length === 2 && chunks.every((c) => c!.startsWith('espresso#')), `espresso's best chunks: ${chunks}`);
    assert.match((await espresso.textContent())!, /Descale/);
    assert.equal(await page.locator('tr[data-document="tea"]').count(), 1);
    await shot('search-grouped');
    await page.setViewportSize(PHONE);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the search options are ${overflow}px wider than the phone`);
    await selectsFit('Search with its options open at phone width');
    await shot('search-grouped');
    await page.setViewportSize(DESKTOP);
    await page.getByLabel('Group by document').uncheck();
    await page.getByLabel('Highlight matches').uncheck();

    // MMR: k hits in pick order, with the note that scores need not descend.
    await page.getByLabel('Collection').selectOption('jobs');
    await page.getByLabel('Rerank', { exact: true }).selectOption('mmr');
    await page.getByLabel('MMR lambda').fill('0.5');
    await page.getByLabel('k', { exact: true }).fill('3');
    await query.fill('coffee barista job');
    await searched();
    assert.equal((await results()).length, 3);
    await page.getByText(/In MMR order/).waitFor();
    assert.match((await page.getByTestId('curl').textContent())!, /"rerank":\{"type":"mmr","lambda":0.5\}/);

    // The cross-encoder: the server's test reranker is preselected; its score orders the hits.
    await page.getByLabel('Rerank', { exact: true }).selectOption('cross-encoder');
    assert.equal(await page.getByLabel('Reranker').inputValue(), 'glove-cross');
    await searched();
    await page.getByRole('columnheader', { name: 'Rerank' }).waitFor();
    for (const row of await page.locator('tr[data-result]').all()) {
      const [, scoreCell] = await row.locator('td').allTextContents();
      assert.equal((await row.locator('[data-side="rerank"]').textContent())!, scoreCell, 'the score is the reranker’s');
      assert.match((await row.locator('[data-side="dense"]').textContent())!, /^\d\.\d{4} #\d+$/, 'the retrieval score and rank are kept');
    }
    const reranked = await page.locator('[data-side="rerank"]').allTextContents();
    assert.deepEqual([...reranked].sort((a, b) => Number(b) - Number(a)), reranked);
    await shot('search-reranked');

    // exact, then ef.
    await page.getByLabel('Rerank', { exact: true }).selectOption('none');
    await page.getByLabel('Exact search').check();
    await searched();
    assert.match((await latency.textContent())!, /plan exact$/);
    await page.getByLabel('Exact search').uncheck();
    await page.getByLabel('ef (search breadth)').fill('50');
    await searched();
    assert.match((await page.getByTestId('curl').textContent())!, /"ef":50/);
    assert.doesNotMatch((await latency.textContent())!, /plan exact/);
    assert.match((await page.getByTestId('search-options').locator('summary').textContent())!, /on: ef$/);
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
      ['/activity?collection=jobs', 'Activity'],
      ['/webhooks', 'Webhooks'],
    ]) {
      await page.goto(url + path);
      await page.getByRole('heading', { level: 1, name: heading }).waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${path} is ${overflow}px wider than the phone`);
      await selectsFit(`${path} at phone width`);
      if (path === '/collections/jobs') await statsOnOneLine();
      await shot(path.slice(1).split('?')[0].replace('/', '-'));
    }
    // Confirmation dialogs wrap their question on a phone too.
    for (const [path, row, button] of [
      ['/collections', 'tr[data-collection="jobs"]', /Delete/],
      ['/keys', 'tr[data-key="default"]', /Revoke/],
    ] as const) {
      await page.goto(url + path);
      await page.locator(row).getByRole('button', { name: button }).click();
      const dialog = page.getByRole('dialog');
      await readableDialog(dialog);
      await shot(`confirm-${path.slice(1)}`);
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
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
