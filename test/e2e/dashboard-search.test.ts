/**
 * The Search page's explain timeline, temperature and feedback reranking in a real browser
 * against a real server: six job ads under the default text model, searched through the page
 * with Explain on (hybrid: a lane per side with the stages the server reported, widths measured
 * on screen against its times; a filter: its selectivity), with a temperature whose returned
 * seed, pinned, draws the same results again, and reranked by feedback given through the API.
 * Saved as screenshots at desktop and phone width; measured for overflow at phone width.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page, Response } from 'playwright-core';
import { PHONE, ensureDashboardBuilt, fitsPhone, launchBrowser, noChromium, shot, signInAndOpen, type Browser } from '../support/browser.js';
import { call, register, testServer } from '../support/server.js';

let url: string;
let key: string;
let browser: Browser;
let page: Page;

const api = (method: string, path: string, body?: unknown) => call(url, method, path, { key, body });

const JOBS = [
  { id: 'forklift', text: 'forklift operator in a warehouse, day shift', metadata: { city: 'Austin', wage: 19 } },
  { id: 'picker', text: 'warehouse picker and packer, hourly pay', metadata: { city: 'Austin', wage: 16 } },
  { id: 'barista', text: 'barista at a coffee shop downtown', metadata: { city: 'Dallas', wage: 14 } },
  { id: 'engineer', text: 'software engineer building web services', metadata: { city: 'Austin', wage: 70 } },
  { id: 'nurse', text: 'night nurse at a children hospital', metadata: { city: 'Houston', wage: 42 } },
  { id: 'courier', text: 'bike courier delivering parcels across town', metadata: { city: 'Dallas', wage: 17 } },
];

/** Run the page's search; resolves with the server's answer (as the page received it) once the page shows it. */
async function search(): Promise<any> {
  const answered = page.waitForResponse((r: Response) => r.url().endsWith('/v1/collections/jobs/search') && r.request().method() === 'POST');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  const body = await (await answered).json();
  await page.waitForFunction(() => document.querySelector('form[aria-label="Search"] button.primary')?.textContent === 'Search');
  return body;
}

/** Every stage name shown on a segment fits inside it (a name with no room is hidden, not cut); returns how many are shown. */
async function labelsFit(where: string): Promise<number> {
  const labels = await page.locator('svg[data-stage] text').evaluateAll((texts) =>
    texts
      .filter((t) => getComputedStyle(t).display !== 'none')
      .map((t) => ({ name: t.textContent, text: (t as SVGTextElement).getComputedTextLength(), room: t.parentElement!.getBoundingClientRect().width })),
  );
  const cut = labels.filter((l) => l.text > l.room);
  assert.deepEqual(cut, [], `stage names cut on ${where}`);
  return labels.length;
}

/** The ids of the results the page shows, in order. */
const shownIds = () => page.locator('tr[data-result]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-result')!));

describe('dashboard Search page: explain, temperature, feedback in Chromium', { skip: noChromium }, () => {
  before(async () => {
    ensureDashboardBuilt();
    url = (await testServer({ VECTRA_RATE_LIMIT: '100000' })).url;
    key = (await register(url)).key;
    assert.equal((await api('POST', '/v1/collections', { name: 'jobs' })).status, 201);
    assert.equal((await api('POST', '/v1/collections/jobs/records', { records: JOBS })).status, 200);
    browser = await launchBrowser();
    page = browser.page;
  });
  after(async () => {
    await browser?.context.close();
  });

  it('Explain on a hybrid search: a lane per side and one shared, the stages the server ran as wide as their time, the reason, the total', async () => {
    await signInAndOpen(page, url, key, 'Search');
    await page.getByLabel('Collection', { exact: true }).selectOption('jobs');
    await page.getByLabel('Mode').selectOption('hybrid');
    await page.getByLabel('Query text').fill('forklift operator');
    await page.getByText('Options', { exact: true }).click();
    await page.getByLabel('Explain').check();
    assert.match((await page.getByTestId('curl').textContent())!, /"explain":true/);
    const answer = await search();
    const explain = answer.explain;
    assert.equal(explain.plan, 'hybrid');

    // The lanes and, in each, the stages the server reported for it, in its order.
    const lanes = await page.locator('[data-lane]').evaluateAll((els) =>
      els.map((el) => ({
        lane: el.getAttribute('data-lane'),
        bar: el.querySelector('svg.lane-bar')!.getBoundingClientRect().width,
        segments: [...el.querySelectorAll('svg[data-stage]')].map((s) => ({ stage: s.getAttribute('data-stage')!, px: s.getBoundingClientRect().width, label: s.querySelector('text')?.textContent ?? null })),
      })),
    );
    const expected = (side: string | undefined) => explain.stages.filter((s: { side?: string }) => s.side === side).map((s: { stage: string }) => s.stage);
    assert.deepEqual(
      lanes.map((l) => [l.lane, l.segments.map((s) => s.stage)]),
      [
        ['dense', expected('dense')],
        ['keyword', expected('keyword')],
        ['shared', expected(undefined)],
      ],
    );
    assert.ok(expected('dense').includes('embed') && expected('dense').includes('graph') && expected('keyword').includes('keyword') && expected(undefined).includes('fusion'));
    // Measured on screen: each segment is its share of the total time of the bar's width (to a pixel).
    for (const l of lanes) {
      for (const s of l.segments) {
        const ms = explain.stages.find((x: { stage: string; side?: string }) => x.stage === s.stage && (x.side ?? 'shared') === l.lane).ms;
        assert.ok(Math.abs(s.px - (ms / explain.total_ms) * l.bar) < 1, `${l.lane}/${s.stage}: ${s.px}px for ${ms} of ${explain.total_ms} ms on ${l.bar}px`);
      }
    }
    // The stage names are on the page: on the wide segments, and every one in the table.
    const tableStages = await page.getByTestId('stages').locator('tbody tr').evaluateAll((trs) => trs.map((tr) => `${tr.getAttribute('data-stage')}/${tr.getAttribute('data-side') ?? ''}`));
    assert.deepEqual(tableStages, explain.stages.map((s: { stage: string; side?: string }) => `${s.stage}/${s.side ?? ''}`));
    // The reason, as the server said it; each side's; the total.
    assert.equal(await page.getByTestId('explain-reason').textContent(), `Plan hybrid: ${explain.reason}`);
    assert.match(explain.reason, /^a dense and a keyword search \(100 candidates each\), fused by reciprocal rank fusion \(k 60\)/);
    assert.match((await page.locator('.explain-side[data-side="dense"]').textContent())!, /Dense side: plan hnsw.*Nodes visited and distances computed: not known\. usearch's JavaScript binding/);
    assert.match((await page.locator('.explain-side[data-side="keyword"]').textContent())!, /BM25 over the records' text/);
    assert.equal(await page.getByTestId('explain-total').textContent(), `Total ${Number(explain.total_ms.toFixed(3))} ms, from the request reaching the search service to this explanation.`);
    assert.ok((await labelsFit('the desktop')) > 0);
    await shot(page, 'search-explain');
    await page.setViewportSize(PHONE);
    await labelsFit('a phone');
    await fitsPhone(page, 'search-explain', 'the Search page with its explanation', ['.explain-table', '.timeline']);
  });

  it('Explain on a filtered dense search: the selectivity the server counted', async () => {
    await page.getByLabel('Mode').selectOption('dense');
    await page.getByLabel('Filter (JSON, optional)').fill('{"city": "Dallas"}');
    await page.getByLabel('Query text').fill('delivery job');
    const answer = await search();
    assert.equal(answer.explain.plan, 'exact-filtered');
    assert.deepEqual(await shownIds(), answer.results.map((r: { id: string }) => r.id));
    assert.deepEqual(new Set(await shownIds()), new Set(['barista', 'courier']));
    assert.match((await page.getByTestId('explain-filter').textContent())!, /^Filter selectivity: 2 of 6 records match \(33\.33 %\), counted exactly\. Threshold /);
    assert.deepEqual(await page.locator('[data-lane]').evaluateAll((els) => els.map((el) => el.getAttribute('data-lane'))), ['search']);
    assert.deepEqual(
      await page.locator('[data-lane="search"] svg[data-stage]').evaluateAll((els) => els.map((el) => el.getAttribute('data-stage'))),
      answer.explain.stages.map((s: { stage: string }) => s.stage),
    );
    await page.getByLabel('Filter (JSON, optional)').fill('');
    await page.getByLabel('Explain').uncheck();
  });

  it('temperature: the seed the server drew with is shown, and pinned it draws the same results again', async () => {
    await page.getByLabel('Query text').fill('job');
    await page.getByLabel('k', { exact: true }).fill('4');
    // Cosine scores: at 5 the draw is near uniform over the candidates.
    await page.getByLabel('Temperature').fill('5');
    const first = await search();
    assert.equal(typeof first.seed, 'number');
    assert.equal(first.explain, undefined);
    assert.equal(await page.getByTestId('explain').count(), 0);
    assert.match((await page.getByTestId('seed').textContent())!, new RegExp(`seed ${first.seed}:`));
    const drawn = await shownIds();
    assert.deepEqual(drawn, first.results.map((r: { id: string }) => r.id));
    await page.getByRole('button', { name: 'Pin this seed' }).click();
    assert.equal(await page.getByLabel('Seed').inputValue(), String(first.seed));
    assert.match((await page.getByTestId('curl').textContent())!, new RegExp(`"temperature":5,"seed":${first.seed}`));
    for (let i = 0; i < 3; i++) {
      const again = await search();
      assert.equal(again.seed, first.seed);
      assert.deepEqual(await shownIds(), drawn);
    }
    // Another seed draws another sample (the same one 4 times in a row by chance is unlikely, but possible: try a few).
    const others = new Set<string>();
    for (const seed of [1, 2, 3, 4, 5]) {
      await page.getByLabel('Seed').fill(String(seed));
      await search();
      others.add((await shownIds()).join());
    }
    assert.ok(others.size > 1, 'five seeds drew the same results');
    await page.getByLabel('Temperature').fill('');
  });

  it('feedback reranking: records users chose for the query move up, as the API ranks them', async () => {
    await page.getByLabel('Query text').fill('hourly job in Austin');
    const plain = await search();
    const before = plain.results.map((r: { id: string }) => r.id);
    const chosen = before.at(-1);
    for (const user of ['ana', 'ben', 'cy']) {
      const r = await api('POST', '/v1/collections/jobs/feedback', { query: 'hourly job in Austin', id: chosen, signal: 'bookmark', user });
      assert.equal(r.status, 204, JSON.stringify(r.body));
    }
    await page.getByLabel('Rerank').selectOption('feedback');
    await page.getByLabel('Feedback weight').fill('1');
    assert.match((await page.getByTestId('curl').textContent())!, /"rerank":\{"type":"feedback","weight":1\}/);
    const reranked = await search();
    const after = await shownIds();
    assert.deepEqual(after, reranked.results.map((r: { id: string }) => r.id));
    assert.ok(after.indexOf(chosen) < before.indexOf(chosen), `${chosen} did not move up: ${before} → ${after}`);
    // The API, asked directly with the page's body, ranks them the same.
    const direct = await api('POST', '/v1/collections/jobs/search', { text: 'hourly job in Austin', k: 4, rerank: { type: 'feedback', weight: 1 } });
    assert.deepEqual(direct.body.results.map((r: { id: string }) => r.id), after);
    assert.deepEqual(browser.problems, [], 'script errors or CSP violations');
  });
});
