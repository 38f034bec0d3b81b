/**
 * The dashboard's Chat page in a real browser against a real server: the user uploads a
 * Markdown file into a collection with the default text model through the page's form (a
 * progress bar while it goes up, the upload slowed so there is progress to see), asks a
 * question whose answer is in one known section, and reads the streamed answer: its marker
 * opens that section's passage with its document, title, section, collection and score. A
 * follow-up continues the same conversation (one conversation, four messages, on the server
 * and in the list); the same question again is answered from the cache, and says so; a
 * question the documents do not answer says that; a past conversation is reopened and
 * deleted; a file the server refuses shows its coded error. Screenshots at desktop and phone
 * width; measured for overflow at phone width.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Locator, Page, Request } from 'playwright-core';
import { ensureDashboardBuilt, fitsPhone as fitsPhoneOn, launchBrowser, noChromium, shot, signInAndOpen, type Browser } from '../support/browser.js';
import { call, register, testServer } from '../support/server.js';

let url: string;
let key: string;
let browser: Browser;
let page: Page;

const api = (method: string, path: string, body?: unknown) => call(url, method, path, { key, body });

const DESCALE = 'Descale the espresso machine every month with citric acid.';
// The manual: the answer to "how often to descale" is in its Cleaning section only. The garden
// notes after it (unrelated words) make the file big enough for its upload to take a while.
const MANUAL = [
  '# Espresso machine',
  '## Cleaning',
  `${DESCALE} Rinse the water tank afterwards.`,
  '## Warranty',
  'The warranty covers the pump for two years. Damage from limescale is not covered.',
  '## Garden notes',
  ...Array.from({ length: 400 }, (_, i) => `Tulips and roses bloom in spring beside the old stone wall, bed ${i}, where sparrows nest.`),
  '',
].join('\n');

/** The turns shown, top to bottom. */
const turn = (i: number): Locator => page.locator(`li[data-turn="${i}"]`);

/** Wait until turn `i` has finished (its `done` came), and return its answer's text. */
async function answered(i: number): Promise<string> {
  await page.locator(`li[data-turn="${i}"][data-state="done"]`).waitFor({ timeout: 15_000 });
  return (await turn(i).getByTestId('answer').textContent())!;
}

/** Ask through the form; resolves with the POST /v1/chat the page sent, once answered. */
async function ask(question: string): Promise<{ request: Request; contentType: string }> {
  await page.getByLabel('Question', { exact: true }).fill(question);
  const [response] = await Promise.all([page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/chat'), page.getByRole('button', { name: 'Ask' }).click()]);
  return { request: response.request(), contentType: (await response.headerValue('content-type')) ?? '' };
}

const fitsPhone = (name: string) => fitsPhoneOn(page, name, 'the Chat page', ['.answer', '.citation']);

describe('dashboard Chat page in Chromium', { skip: noChromium }, () => {
  let conversationId = '';

  before(async () => {
    ensureDashboardBuilt();
    url = (await testServer({ VECTRA_RATE_LIMIT: '100000' })).url;
    key = (await register(url)).key;
    // kb: the default text model. vectors: raw vectors only, which chat cannot ask.
    assert.equal((await api('POST', '/v1/collections', { name: 'kb' })).status, 201);
    assert.notEqual((await api('GET', '/v1/collections/kb')).body.model, 'none');
    assert.equal((await api('POST', '/v1/collections', { name: 'vectors', model: 'none', dimension: 3, index: { type: 'flat' } })).status, 201);
    // Another document, so the answer has something to be told apart from.
    const bike = await api('POST', '/v1/collections/kb/documents', { id: 'bike', format: 'markdown', text: '# City bike\nThe city bike has seven gears and a hub dynamo.\n## Price\nThe bike costs 649 euros, with a lock included.' });
    assert.equal(bike.status, 200, JSON.stringify(bike.body));
    browser = await launchBrowser();
    page = browser.page;
  });
  after(async () => {
    await browser?.context.close();
  });

  it('opens Chat: the collection with a text model is ticked, the one without says why it cannot be asked', async () => {
    await signInAndOpen(page, url, key, 'Chat');
    const kb = page.getByRole('checkbox', { name: 'kb' });
    await kb.waitFor();
    assert.equal(await kb.isChecked(), true);
    const vectors = page.getByRole('checkbox', { name: /^vectors/ });
    assert.equal(await vectors.isDisabled(), true);
    assert.match((await page.locator('label', { has: vectors }).textContent())!, /no text model/);
    await page.getByText('None yet: every question asked').waitFor();
  });

  it('uploads a Markdown file through the form with a progress bar, and says what it made of it', async () => {
    const form = page.getByRole('form', { name: 'Upload a file' });
    // Every value the progress bar shows while the file goes up, slowed to 64 KB/s so there is something to see.
    await page.evaluate(() => {
      const seen: [number, number][] = [];
      (window as { __progress?: [number, number][] }).__progress = seen;
      new MutationObserver(() => {
        const bar = document.querySelector<HTMLProgressElement>('[data-testid="upload-progress"] progress');
        if (bar) seen.push([bar.value, bar.max]);
      }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['value', 'max'] });
    });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 64 * 1024 });
    await form.getByLabel('Into collection').selectOption('kb');
    await form.getByLabel('Document id (optional)').fill('espresso');
    await form.getByLabel('Title (optional)').fill('Espresso machine manual');
    await form.getByLabel('File').setInputFiles({ name: 'espresso.md', mimeType: 'text/markdown', buffer: Buffer.from(MANUAL) });
    await form.getByRole('button', { name: 'Upload' }).click();
    const result = form.getByTestId('upload-result');
    await result.waitFor({ timeout: 20_000 });
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await cdp.detach();
    const doc = await api('GET', '/v1/collections/kb/documents/espresso');
    assert.equal(doc.status, 200, JSON.stringify(doc.body));
    assert.match((await result.textContent())!, new RegExp(`^Uploaded espresso\\.md into kb as document espresso: ${doc.body.chunks.length} chunks \\(markdown\\)\\.$`));
    assert.ok(doc.body.chunks.length > 3);

    const seen = await page.evaluate(() => (window as { __progress?: [number, number][] }).__progress!);
    const size = Buffer.byteLength(MANUAL);
    assert.ok(seen.length > 0, 'a progress bar was shown');
    assert.ok(seen.every(([, max]) => max >= size), `the bar measures the whole body (multipart: the file and more): ${JSON.stringify(seen.slice(0, 5))}`);
    assert.ok(seen.some(([value, max]) => value > 0 && value < max), `progress was shown part way: ${JSON.stringify(seen)}`);
    assert.equal(await form.getByTestId('upload-progress').count(), 0, 'the bar goes once the answer is in');
  });

  it('streams the answer to a question whose answer is in one section; its marker opens that passage', async () => {
    const question = 'How often should I descale the espresso machine?';
    const { request, contentType } = await ask(question);
    assert.match(contentType, /^text\/event-stream/);
    assert.deepEqual(request.postDataJSON(), { collections: ['kb'], messages: [{ role: 'user', content: question }], stream: true });
    const answer = await answered(0);
    assert.ok(answer.includes(DESCALE), answer);
    // The marker right after the sentence: which source it names, and that source opened by a click.
    const n = await turn(0)
      .getByTestId('answer')
      .evaluate((el, sentence) => {
        for (const b of el.querySelectorAll('button.marker')) if (b.previousSibling?.textContent?.trimEnd().endsWith(sentence)) return b.getAttribute('data-n');
        return null;
      }, DESCALE);
    assert.ok(n, `a marker follows "${DESCALE}" in: ${answer}`);
    assert.equal(await turn(0).getByRole('region', { name: `Source ${n}` }).count(), 0, 'closed until clicked');
    await turn(0).locator(`button.marker[data-n="${n}"]`).click();
    const source = turn(0).getByRole('region', { name: `Source ${n}` });
    await source.waitFor();
    assert.ok((await source.locator('blockquote').textContent())!.includes(DESCALE));
    const facts = await source.locator('dt').evaluateAll((dts) => Object.fromEntries(dts.map((dt) => [dt.textContent, dt.nextElementSibling!.textContent])));
    assert.deepEqual({ ...facts, Score: undefined, Chunk: undefined }, { Document: 'espresso', Title: 'Espresso machine manual', Section: 'Espresso machine › Cleaning', Collection: 'kb', Score: undefined, Chunk: undefined });
    assert.match(facts.Score!, /^0\.\d{4}$/);
    assert.match(facts.Chunk!, /^espresso#\d+$/);
    assert.equal(await turn(0).locator(`button.marker[data-n="${n}"]`).getAttribute('aria-expanded'), 'true');
    // Said how it was answered: extractive, quoted.
    assert.equal(await turn(0).getByTestId('llm').textContent(), 'extractive');
    assert.match((await turn(0).getByTestId('answer-meta').textContent())!, /Sentences quoted from your documents/);
    assert.equal(await turn(0).getByTestId('cached').count(), 0);
    await shot(page, 'chat-answer');
    await fitsPhone('chat-answer');
  });

  it('continues the conversation with a follow-up, which the list then shows with its four messages', async () => {
    const list = (await api('GET', '/v1/conversations')).body.conversations;
    assert.equal(list.length, 1);
    conversationId = list[0].id;
    const { request } = await ask('and for how long is the pump covered?');
    assert.deepEqual(request.postDataJSON(), { collections: ['kb'], messages: [{ role: 'user', content: 'and for how long is the pump covered?' }], conversationId, stream: true });
    assert.match(await answered(1), /two years/);
    const stored = await api('GET', `/v1/conversations/${conversationId}`);
    assert.deepEqual(
      stored.body.messages.map((m: { role: string }) => m.role),
      ['user', 'assistant', 'user', 'assistant'],
    );
    assert.equal((await api('GET', '/v1/conversations')).body.conversations.length, 1, 'still one conversation');
    const row = page.locator(`tr[data-conversation="${conversationId}"]`);
    await page.waitForFunction((id) => document.querySelector(`tr[data-conversation="${id}"] td.num`)?.textContent === '4', conversationId);
    assert.equal(await row.getByRole('button', { name: 'How often should I descale the espresso machine?', exact: true }).count(), 1);
  });

  it('starts over: the same question is answered from the cache and says so; one the documents do not answer says that', async () => {
    await page.getByRole('button', { name: 'New conversation' }).click();
    await page.getByRole('heading', { name: 'New conversation' }).waitFor();
    assert.equal(await page.locator('li[data-turn]').count(), 0);
    const { request } = await ask('how often should i descale the espresso machine');
    assert.equal(request.postDataJSON().conversationId, undefined);
    assert.ok((await answered(0)).includes(DESCALE));
    assert.equal(await turn(0).getByTestId('cached').textContent(), 'cached');

    await ask('What is the capital of Peru?');
    assert.equal(await answered(1), 'The sources found do not answer this question.');
    await turn(1).getByTestId('not-grounded').waitFor();
    assert.equal(await turn(1).locator('button.marker').count(), 0);
    await page.waitForFunction(() => document.querySelectorAll('tr[data-conversation]').length === 2);
  });

  it('reopens the first conversation from the list, then deletes it', async () => {
    await page.locator(`tr[data-conversation="${conversationId}"]`).getByRole('button', { name: /^How often/ }).click();
    await page.getByRole('heading', { name: 'Conversation', exact: true }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('li[data-turn]').length === 2);
    assert.ok((await turn(0).getByTestId('answer').textContent())!.includes(DESCALE));
    // Its sources come back with it.
    await turn(0).locator('button.marker').first().click();
    await turn(0).locator('[data-testid="citation-detail"] blockquote').waitFor();

    const row = page.locator(`tr[data-conversation="${conversationId}"]`);
    await row.getByRole('button', { name: /^Delete / }).click();
    await page.getByRole('dialog').getByRole('button', { name: /^Delete How often/ }).click();
    await page.waitForFunction(() => document.querySelectorAll('tr[data-conversation]').length === 1);
    assert.equal((await api('GET', `/v1/conversations/${conversationId}`)).status, 404);
    assert.equal(await page.locator('li[data-turn]').count(), 0, 'the open conversation was the one deleted');
  });

  it('shows a file the server refuses by its code and message', async () => {
    const form = page.getByRole('form', { name: 'Upload a file' });
    await form.getByLabel('Document id (optional)').fill('');
    await form.getByLabel('File').setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]) });
    await form.getByRole('button', { name: 'Upload' }).click();
    const alert = form.getByRole('alert');
    await alert.waitFor();
    assert.match((await alert.textContent())!, /^UNSUPPORTED_FILE_TYPE .*upload a PDF, DOCX, HTML, Markdown or plain-text/);
    await shot(page, 'chat-upload-refused');
  });

  it('ran without script errors or CSP violations', () => {
    assert.deepEqual(browser.problems, []);
  });
});
