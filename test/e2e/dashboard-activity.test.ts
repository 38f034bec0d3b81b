/**
 * The dashboard's Activity page in a real browser against a real server: the user opens it,
 * picks a collection, and records written through the API (not through the page) appear
 * live, without a reload, newest on top; a delete shows as one; pause and resume lose nothing;
 * a dropped connection is resumed from the last seq (no gap, no duplicate); a replay from a seq
 * shows the changes since; the collection's deletion is explained with a way to resume. Saved
 * as screenshots at desktop and phone width; measured for overflow at phone width.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { ensureDashboardBuilt, fitsPhone as fitsPhoneOn, launchBrowser, noChromium, shot, signInAndOpen, type Browser } from '../support/browser.js';
import { call, register, testServer } from '../support/server.js';

let url: string;
let key: string;
/** The server's open sockets: destroying them is a dropped connection, as a proxy or a network would drop it. */
const sockets = new Set<Socket>();
let browser: Browser;
let page: Page;

const api = (method: string, path: string, body?: unknown) => call(url, method, path, { key, body });

/** The table's rows, top to bottom: [seq, op, id]. */
function rows(): Promise<[number, string, string][]> {
  return page.locator('tr[data-seq]').evaluateAll((trs) => trs.map((tr) => [Number(tr.getAttribute('data-seq')), tr.getAttribute('data-op')!, tr.getAttribute('data-id')!] as [number, string, string]));
}

/** Wait until the table shows `n` rows. */
async function rowCount(n: number): Promise<void> {
  await page.waitForFunction((n) => document.querySelectorAll('tr[data-seq]').length === n, n, { timeout: 10_000 });
}

async function upsert(ids: string[]): Promise<number> {
  const r = await api('POST', '/v1/collections/feed/records', { records: ids.map((id, i) => ({ id, vector: [i + 1, 1, 0], metadata: { n: i } })) });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.seq;
}

/** At phone width the page and the change table fit the screen: nothing scrolls sideways. */
const fitsPhone = (name: string) => fitsPhoneOn(page, name, 'the Activity page', ['.feed-table']);

describe('dashboard Activity page in Chromium', { skip: noChromium }, () => {
  before(async () => {
    ensureDashboardBuilt();
    const server = await testServer({ VECTRA_RATE_LIMIT: '100000' });
    url = server.url;
    server.app.server.on('connection', (s: Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    key = (await register(url)).key;
    for (const name of ['archive', 'feed']) assert.equal((await api('POST', '/v1/collections', { name, model: 'none', dimension: 3, index: { type: 'flat' } })).status, 201);
    // Changes from before the page opens: not shown by "from now", shown by a replay.
    await upsert(['old-1', 'old-2']);
    browser = await launchBrowser();
    page = browser.page;
  });
  after(async () => {
    await browser?.context.close();
  });

  it('opens Activity, picks a collection, and shows records written through the API live, newest on top', async () => {
    await signInAndOpen(page, url, key, 'Activity');
    await page.getByLabel('Collection', { exact: true }).selectOption('feed');
    const status = page.getByRole('status').filter({ hasText: /Live: following feed/ });
    await status.waitFor();
    assert.match((await status.textContent())!, /after seq 2\./);
    await page.getByText('No changes yet').waitFor();
    // A mark on the window: still there later means the page was never reloaded.
    await page.evaluate(() => ((window as { __noReload?: boolean }).__noReload = true));

    const seq = await upsert(['alpha', 'beta', 'gamma']);
    await rowCount(3);
    assert.deepEqual(await rows(), [
      [seq, 'upsert', 'gamma'],
      [seq - 1, 'upsert', 'beta'],
      [seq - 2, 'upsert', 'alpha'],
    ]);
    assert.equal(await page.evaluate(() => (window as { __noReload?: boolean }).__noReload), true);
    assert.equal(await page.getByTestId('last-seq').textContent(), String(seq));

    const del = await call(url, 'DELETE', '/v1/collections/feed/records/beta', { key });
    assert.equal(del.status, 204);
    await rowCount(4);
    const top = page.locator('tr[data-seq]').first();
    assert.equal(await top.getAttribute('data-op'), 'delete');
    assert.equal(await top.getAttribute('data-seq'), del.headers.get('x-vectra-seq'));
    assert.equal((await top.locator('.op').textContent())!, '− delete');
    assert.equal((await page.locator('tr[data-op="upsert"] .op').first().textContent())!, '+ upsert');
    // The two ops differ in colour too, not only in their word.
    const colours = await page.locator('.op').evaluateAll((els) => [...new Set(els.map((e) => getComputedStyle(e).backgroundColor))]);
    assert.equal(colours.length, 2);
    // A record that exists links to its page; a deleted one does not.
    assert.equal(await page.locator('tr[data-id="beta"] a').count(), 0);
    await page.locator('tr[data-id="gamma"]').getByRole('link', { name: 'gamma' }).waitFor();

    // The event counts come from /v1/events/stats (refreshed every 3 s).
    await page.waitForFunction(() => document.querySelector('[data-testid="events-record.deleted"]')?.textContent === '1', undefined, { timeout: 10_000 });
    // One event a write (a batch), not a record: two upserts so far.
    assert.equal(await page.getByTestId('events-record.upserted').textContent(), '2');
    // Changes per second: a sparkline once there are two seconds to draw.
    await page.getByRole('img', { name: 'changes per second, last minute' }).waitFor();
    await shot(page, 'activity-live');
    await fitsPhone('activity-live');

    // The page's stream is the one listener; the link opens the record's editor on the
    // collection's page, and leaving Activity closes the stream (the server's listener goes).
    // (Polled: a stream the page replaced a moment ago may still be closing on the server.)
    for (let i = 0; (await api('GET', '/v1/events/stats')).body.subscribers !== 1; i++) {
      assert.ok(i < 50, 'the page holds one stream, not more');
      await new Promise((r) => setTimeout(r, 100));
    }
    await page.locator('tr[data-id="gamma"]').getByRole('link', { name: 'gamma' }).click();
    await page.getByRole('heading', { level: 1, name: 'feed' }).waitFor();
    for (let i = 0; (await api('GET', '/v1/events/stats')).body.subscribers !== 0; i++) {
      assert.ok(i < 50, 'the stream is still open after leaving the page');
      await new Promise((r) => setTimeout(r, 100));
    }
    const editor = page.getByLabel('Record JSON');
    await page.waitForFunction((el) => (el as HTMLTextAreaElement).value.includes('"n": 2'), await editor.elementHandle());
    await page.goBack();
    await page.getByRole('heading', { level: 1, name: 'Activity' }).waitFor();
  });

  it('pauses (nothing new shows) and resumes with what was written meanwhile, then survives a dropped connection', async () => {
    await page.getByRole('status').filter({ hasText: /Live: following feed/ }).waitFor();
    const before = (await rows()).length;
    // By keyboard: the button says whether it is pressed.
    await page.getByRole('button', { name: 'Pause' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: /Paused after seq/ }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Resume' }).getAttribute('aria-pressed'), 'true');
    const seq = await upsert(['while-paused']);
    await page.waitForTimeout(500);
    assert.equal((await rows()).length, before, 'a paused feed shows nothing new');
    await page.getByRole('button', { name: 'Resume' }).click();
    await rowCount(before + 1);
    assert.deepEqual((await rows())[0], [seq, 'upsert', 'while-paused']);

    // The connection drops: the page says it is reconnecting; writes made meanwhile arrive once it is back.
    for (const s of sockets) s.destroy();
    await page.getByRole('status').filter({ hasText: /Connection lost/ }).waitFor({ timeout: 10_000 });
    const during = await upsert(['offline-1', 'offline-2']);
    await shot(page, 'activity-reconnecting');
    await rowCount(before + 3);
    const all = await rows();
    assert.deepEqual(all.slice(0, 2), [
      [during, 'upsert', 'offline-2'],
      [during - 1, 'upsert', 'offline-1'],
    ]);
    const seqs = all.map((r) => r[0]);
    assert.deepEqual(seqs, [...new Set(seqs)].sort((a, b) => b - a), 'no duplicate, newest first');
    assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => seqs[0] - i), 'no gap');
    await page.getByRole('status').filter({ hasText: /Live: following feed/ }).waitFor();
  });

  it('replays from a seq: the changes written before the page opened show too', async () => {
    await page.getByLabel('From seq').fill('1');
    await page.getByRole('button', { name: 'Replay' }).click();
    await page.waitForFunction(() => document.querySelector('tr[data-seq]:last-child')?.getAttribute('data-seq') === '1', undefined, { timeout: 10_000 });
    const all = await rows();
    assert.deepEqual(all.at(-1), [1, 'upsert', 'old-1']);
    assert.deepEqual(
      all.map((r) => r[0]),
      Array.from({ length: all.length }, (_, i) => all.length - i),
      'every seq from 1 on, once, newest first',
    );
  });

  it('explains the end of the feed when the collection is deleted, and offers to resume from the current seq', async () => {
    const last = (await rows())[0][0];
    assert.equal((await api('DELETE', '/v1/collections/feed')).status, 204);
    const alert = page.getByRole('alert');
    await alert.waitFor({ timeout: 10_000 });
    assert.match((await alert.textContent())!, /COLLECTION_NOT_FOUND.*"feed" was deleted/);
    await page.getByRole('button', { name: `Resume after seq ${last}` }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Pause' }).isDisabled(), true);
    await shot(page, 'activity-ended');
    await fitsPhone('activity-ended');
    // Resuming a feed whose collection is gone says so again (404), in place.
    await page.getByRole('button', { name: `Resume after seq ${last}` }).click();
    await page.getByRole('alert').filter({ hasText: /COLLECTION_NOT_FOUND/ }).waitFor();
  });

  it('ran without script errors or CSP violations', () => {
    // The stream cut on purpose above is logged by Chromium as a failed load: that one is the test's doing.
    assert.deepEqual(browser.problems.filter((p) => p !== 'Failed to load resource: net::ERR_INCOMPLETE_CHUNKED_ENCODING'), []);
  });
});
