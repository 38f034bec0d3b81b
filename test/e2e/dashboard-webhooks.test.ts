/**
 * The dashboard's Webhooks page in a real browser against a real server and a real local
 * receiver (the server allows loopback URLs and retries fast): the user creates a webhook for
 * `record.*` through the page and sees its secret once (the receiver's deliveries verify with
 * it); a record written through the API shows as a delivered delivery without a reload; the
 * receiver then answers 500 and the history shows the failed attempts and the pending retry,
 * then the failed delivery; a test event; a refusal of the API in place; disable, enable,
 * delete. Screenshots at desktop and phone width; measured for overflow at phone width.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { ensureDashboardBuilt, fitsPhone as fitsPhoneOn, launchBrowser, noChromium, shot, signInAndOpen, type Browser } from '../support/browser.js';
import { call, register, testServer } from '../support/server.js';
import { webhookReceiver } from '../support/webhook-receiver.js';

const FAST = {
  VECTRA_WEBHOOK_ALLOW_PRIVATE: 'true',
  VECTRA_WEBHOOK_RETRY_BASE_MS: '300',
  // The 500s below carry Retry-After: 3 (capped here): retries 3 s apart, slow enough to watch.
  VECTRA_WEBHOOK_RETRY_MAX_MS: '5000',
  VECTRA_WEBHOOK_MAX_ATTEMPTS: '3',
  VECTRA_WEBHOOK_DISABLE_AFTER: '0',
  VECTRA_WEBHOOK_POLL_MS: '100',
  VECTRA_WEBHOOK_TIMEOUT_MS: '2000',
  VECTRA_RATE_LIMIT: '100000',
};

let url: string;
let key: string;
let browser: Browser;
let page: Page;
let receiver: Awaited<ReturnType<typeof webhookReceiver>>;
/** What the receiver answers now. */
let answer = 200;
let secret = '';
let hookUrl = '';

const api = (method: string, path: string, body?: unknown) => call(url, method, path, { key, body });

async function upsert(id: string): Promise<void> {
  const r = await api('POST', '/v1/collections/notes/records', { records: [{ id, vector: [1, 2] }] });
  assert.equal(r.status, 200, JSON.stringify(r.body));
}

/** The deliveries table's rows, top to bottom. */
function deliveries(): Promise<{ id: string; event: string; status: string; attempts: number; text: string }[]> {
  return page.locator('tr[data-delivery]').evaluateAll((trs) =>
    trs.map((tr) => ({ id: tr.getAttribute('data-delivery')!, event: tr.getAttribute('data-event')!, status: tr.getAttribute('data-status')!, attempts: Number(tr.getAttribute('data-attempts')), text: tr.textContent ?? '' })),
  );
}

/** Wait (polling the page, which refreshes itself every 3 s) until a delivery row satisfies `ok`. */
async function untilRow(what: string, ok: (r: Awaited<ReturnType<typeof deliveries>>[number]) => boolean, timeoutMs = 15_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const rows = await deliveries();
    const hit = rows.find(ok);
    if (hit) return hit;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; rows: ${JSON.stringify(rows)}`);
    await page.waitForTimeout(100);
  }
}

/** At phone width nothing scrolls sideways: the page, a card (a long URL, the buttons wrap), the deliveries (labelled blocks). */
const fitsPhone = (name: string) => fitsPhoneOn(page, name, 'the Webhooks page', ['li.hook', '.delivery-table']);

describe('dashboard Webhooks page in Chromium', { skip: noChromium }, () => {
  before(async () => {
    ensureDashboardBuilt();
    url = (await testServer(FAST)).url;
    key = (await register(url)).key;
    for (const name of ['notes', 'archive']) assert.equal((await api('POST', '/v1/collections', { name, model: 'none', dimension: 2, index: { type: 'flat' } })).status, 201);
    receiver = await webhookReceiver(() => (answer === 200 ? { status: 200 } : { status: answer, headers: { 'retry-after': '3' } }));
    hookUrl = new URL('vectra', receiver.url).href;
    browser = await launchBrowser();
    page = browser.page;
  });
  after(async () => {
    await browser?.context.close();
    await receiver?.close();
  });

  it('creates a webhook for record.* from the page, showing its secret once', async () => {
    await signInAndOpen(page, url, key, 'Webhooks');
    await page.getByText('No webhooks yet').waitFor();

    const form = page.getByRole('form', { name: 'Create a webhook' });
    // The page's own check first: no request for a URL that is not one.
    await form.getByLabel('URL').fill('hooks.example.com');
    await form.getByRole('button', { name: 'Create webhook' }).click();
    await form.getByRole('alert').filter({ hasText: 'the URL must be absolute' }).waitFor();
    // The API's refusal, with its code, in place: a pattern that matches no event type.
    await form.getByLabel('URL').fill(hookUrl);
    await form.getByLabel('More event patterns (optional)').fill('nothing.*');
    await form.getByRole('button', { name: 'Create webhook' }).click();
    await form.getByRole('alert').filter({ hasText: /^INVALID_ARGUMENT .*nothing\.\*/ }).waitFor();
    assert.deepEqual((await api('GET', '/v1/webhooks')).body.webhooks, []);

    await form.getByLabel('More event patterns (optional)').fill('');
    assert.equal(await form.getByRole('checkbox', { name: /^record\.\*/ }).isChecked(), true, 'record.* is the default');
    await form.getByRole('checkbox', { name: 'notes' }).check();
    await form.getByLabel('Description (optional)').fill('e2e receiver');
    await form.getByRole('button', { name: 'Create webhook' }).click();
    const shown = page.getByTestId('new-secret');
    await shown.waitFor();
    secret = (await shown.textContent())!.trim();
    assert.match(secret, /^whsec_[A-Za-z0-9+/]+=*$/);
    assert.match((await page.getByRole('region', { name: 'New webhook secret' }).textContent())!, /shown only once/);
    await page.getByRole('button', { name: 'Copy secret' }).waitFor();

    const listed = (await api('GET', '/v1/webhooks')).body.webhooks;
    assert.equal(listed.length, 1);
    assert.deepEqual([listed[0].url, listed[0].events, listed[0].collections, listed[0].description, listed[0].status], [hookUrl, ['record.*'], ['notes'], 'e2e receiver', 'active']);
    const card = page.locator(`li[data-webhook="${listed[0].id}"]`);
    await card.getByRole('heading', { name: hookUrl }).waitFor();
    assert.equal(await card.getByTestId('hook-status').textContent(), '● active');
    await shot(page, 'webhooks-created');
    await fitsPhone('webhooks-created');

    // Once: hidden, it is nowhere on the page, nor after a reload.
    await page.getByRole('button', { name: 'Done, hide it' }).click();
    await shown.waitFor({ state: 'detached' });
    assert.equal((await page.content()).includes(secret), false);
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Webhooks' }).waitFor();
    await card.waitFor();
    assert.equal((await page.content()).includes(secret), false);
  });

  it('shows a record written through the API as a delivered delivery, signed with the secret shown', async () => {
    await page.getByText('No deliveries yet').waitFor();
    await page.evaluate(() => ((window as { __noReload?: boolean }).__noReload = true));
    await upsert('first');
    const row = await untilRow('a delivered record.upserted', (r) => r.event === 'record.upserted' && r.status === 'delivered');
    assert.equal(row.attempts, 1);
    assert.match(row.text, /✓ delivered/);
    assert.match(row.text, /200/);
    assert.equal(await page.evaluate(() => (window as { __noReload?: boolean }).__noReload), true, 'the page was not reloaded');
    // The receiver got it, under the id the page shows, and it verifies with the secret the page showed.
    const got = receiver.received.find((r) => r.headers['webhook-id'] === row.id)!;
    assert.ok(got, 'the receiver got the delivery the page shows');
    assert.deepEqual(got.event.data.collection, 'notes');
    new Webhook(secret).verify(got.body, got.headers as Record<string, string>);
    await page.locator('[data-testid="stat-delivered"]').filter({ hasText: '1' }).waitFor({ timeout: 10_000 });
  });

  it('shows the failed attempts and the pending retry when the receiver answers 500, then the failed delivery', async () => {
    answer = 500;
    await upsert('second');
    const retrying = await untilRow('a pending delivery retried after a 500', (r) => r.event === 'record.upserted' && r.status === 'pending' && r.attempts >= 1);
    assert.match(retrying.text, /◷ pending/);
    assert.match(retrying.text, /500/);
    assert.match(retrying.text, /answered 500/);
    await shot(page, 'webhooks-retrying');
    await fitsPhone('webhooks-retrying');
    const failed = await untilRow('the delivery failed after 3 attempts', (r) => r.id === retrying.id && r.status === 'failed');
    assert.equal(failed.attempts, 3);
    assert.match(failed.text, /✕ failed/);
    assert.equal(receiver.received.filter((r) => r.headers['webhook-id'] === failed.id).length, 3);
    // The three states differ in colour too, not only in their word.
    const colours = await page.locator('tr[data-delivery] .delivery').evaluateAll((els) => [...new Set(els.map((e) => getComputedStyle(e).backgroundColor))]);
    assert.ok(colours.length >= 2);
    await page.locator('[data-testid="stat-failed"]').filter({ hasText: '1' }).waitFor({ timeout: 10_000 });
    await page.getByTestId('stat-consecutive').filter({ hasText: '1' }).waitFor();
    await shot(page, 'webhooks-history');
    await fitsPhone('webhooks-history');
  });

  it('sends a test event, with feedback, delivered to the receiver', async () => {
    answer = 200;
    // By keyboard.
    await page.getByRole('button', { name: 'Send test event' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: /^Test event queued/ }).waitFor();
    const row = await untilRow('the test event delivered', (r) => r.event === 'webhook.test' && r.status === 'delivered');
    assert.ok(receiver.received.some((r) => r.headers['webhook-id'] === row.id && r.event.type === 'webhook.test'));
    await page.getByRole('button', { name: 'Refresh' }).click();
  });

  it('disables and enables it (PATCH status), then deletes it after a confirmation', async () => {
    const id = (await api('GET', '/v1/webhooks')).body.webhooks[0].id;
    const card = page.locator(`li[data-webhook="${id}"]`);
    await card.getByRole('button', { name: 'Disable' }).click();
    await card.getByTestId('hook-status').filter({ hasText: '○ disabled' }).waitFor();
    await card.getByText('Disabled: disabled by the API').waitFor();
    assert.equal((await api('GET', `/v1/webhooks/${id}`)).body.status, 'disabled');
    // Disabled: a write is not sent.
    const before = receiver.received.length;
    await upsert('while-disabled');
    await shot(page, 'webhooks-disabled');
    await page.waitForTimeout(500);
    assert.equal(receiver.received.length, before);
    await card.getByRole('button', { name: 'Enable' }).click();
    await card.getByTestId('hook-status').filter({ hasText: '● active' }).waitFor();
    assert.equal((await api('GET', `/v1/webhooks/${id}`)).body.status, 'active');

    // Escape cancels the confirmation; confirming deletes.
    await card.getByRole('button', { name: /^Delete/ }).click();
    const dialog = page.getByRole('dialog');
    assert.match((await dialog.textContent())!, /pending deliveries are dropped/);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    assert.equal((await api('GET', `/v1/webhooks/${id}`)).status, 200);
    await card.getByRole('button', { name: /^Delete/ }).click();
    await dialog.getByRole('button', { name: 'Delete webhook' }).click();
    await card.waitFor({ state: 'detached' });
    assert.equal((await api('GET', `/v1/webhooks/${id}`)).status, 404);
    await page.getByText('No webhooks yet').waitFor();
  });

  it('ran without script errors or CSP violations', () => {
    assert.deepEqual(browser.problems, []);
  });
});
