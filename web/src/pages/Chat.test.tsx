/** The Chat page against a stand-in API: a chat stream the test writes to, conversations, and an XMLHttpRequest the test answers. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { renderSignedIn } from '../test-render';
import { Chat } from './Chat';
import type { ChatAnswer, Citation, Conversation } from '../lib/types';

const enc = new TextEncoder();
const KB = { name: 'kb', model: 'glove-100d-v2', dimension: 100, metric: 'cosine', index: { type: 'flat' }, storage: 'f32', createdAt: '2026-01-01T00:00:00Z' };
const RAW = { ...KB, name: 'vectors', model: 'none', dimension: 3 };
const FAQ = { ...KB, name: 'faq' };
const C1: Citation = { n: 1, id: 'espresso#1', collection: 'kb', document: 'espresso', title: 'Espresso machine manual', section: 'Espresso machine › Cleaning', text: 'Descale the espresso machine every month with citric acid.', score: 0.0328 };
const C2: Citation = { n: 2, id: 'espresso#2', collection: 'kb', document: 'espresso', title: 'Espresso machine manual', section: 'Espresso machine › Warranty', text: 'The warranty covers the pump for two years.', score: 0.0161 };
const DONE: ChatAnswer = { answer: 'Descale the espresso machine every month with citric acid. [1] The warranty covers the pump for two years. [2]', citations: [C1, C2], conversationId: 'conv_1', llm: 'extractive', cached: false, query: 'How often should I descale?', grounded: true };
const STORED: Conversation = {
  id: 'conv_old',
  title: 'What does the warranty cover?',
  createdAt: '2026-01-02T00:00:00Z',
  updatedAt: '2026-01-02T00:00:00Z',
  messages: [
    { role: 'user', content: 'What does the warranty cover?', createdAt: '2026-01-02T00:00:00Z' },
    { role: 'assistant', content: 'The warranty covers the pump for two years. [1]', citations: [{ ...C2, n: 1, collection: 'faq' }], createdAt: '2026-01-02T00:00:00Z' },
  ],
};

const sse = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

interface ChatStream {
  body: Record<string, unknown>;
  signal: AbortSignal;
  send(text: string): void;
  end(): void;
}

/** fetch answered by route; POST /v1/chat opens a stream the test writes (or `refuse` answers it as JSON). */
function fakeApi(opts: { refuse?: (body: Record<string, unknown>) => [number, unknown] | undefined } = {}) {
  const streams: ChatStream[] = [];
  const calls: { method: string; path: string }[] = [];
  let conversations = [{ id: STORED.id, title: STORED.title, messages: 2, createdAt: STORED.createdAt, updatedAt: STORED.updatedAt }];
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const url = new URL(String(input), 'http://dash.test');
    const method = init?.method ?? 'GET';
    calls.push({ method, path: url.pathname });
    const json = (status: number, body?: unknown) => new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    if (url.pathname === '/v1/collections') return json(200, { collections: [KB, RAW, FAQ] });
    if (url.pathname === '/v1/llms') return json(200, { llms: [{ id: 'extractive', provider: 'builtin', default: true, available: true }] });
    if (url.pathname === '/v1/conversations') return json(200, { conversations });
    if (url.pathname === `/v1/conversations/${STORED.id}`) {
      if (method === 'GET') return json(200, STORED);
      conversations = [];
      return json(204);
    }
    if (url.pathname === '/v1/chat' && method === 'POST') {
      const body = JSON.parse(String(init!.body)) as Record<string, unknown>;
      const refused = opts.refuse?.(body);
      if (refused) return json(...refused);
      let controller!: ReadableStreamDefaultController<Uint8Array>;
      const stream = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
      const signal = init!.signal!;
      signal.addEventListener('abort', () => controller.error(new DOMException('aborted', 'AbortError')));
      streams.push({ body, signal, send: (t) => controller.enqueue(enc.encode(t)), end: () => controller.close() });
      return new Response(stream, { headers: { 'content-type': 'text/event-stream' } });
    }
    return json(404, { error: { code: 'NOT_FOUND', message: `no route ${method} ${url.pathname}` } });
  });
  return { streams, calls };
}

const page = (path = '/chat') => renderSignedIn(path, '/chat', <Chat />);

async function ask(question: string) {
  fireEvent.change(await screen.findByLabelText('Question'), { target: { value: question } });
  fireEvent.click(screen.getByRole('button', { name: 'Ask' }));
}

const turn = (i: number) => document.querySelector<HTMLElement>(`li[data-turn="${i}"]`)!;

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

describe('Chat', () => {
  it('offers the collections with a text model, the first ticked, and says why one without cannot be asked', async () => {
    fakeApi();
    page();
    const kb = (await screen.findByRole('checkbox', { name: 'kb' })) as HTMLInputElement;
    expect(kb.checked).toBe(true);
    expect((screen.getByRole('checkbox', { name: 'faq' }) as HTMLInputElement).checked).toBe(false);
    const raw = screen.getByRole('checkbox', { name: /^vectors/ }) as HTMLInputElement;
    expect(raw.disabled).toBe(true);
    expect(raw.closest('label')!.textContent).toMatch(/no text model: created with model “none”/);
  });

  it('streams the answer in as it comes, its markers open their passage; done says how it was answered; a follow-up continues the conversation', async () => {
    const { streams, calls } = fakeApi();
    page();
    fireEvent.click(await screen.findByRole('checkbox', { name: 'faq' }));
    await ask('How often should I descale?');
    await waitFor(() => expect(streams.length).toBe(1));
    expect(streams[0].body).toEqual({ collections: ['kb', 'faq'], messages: [{ role: 'user', content: 'How often should I descale?' }], stream: true });
    expect(screen.getByRole('button', { name: 'Answering…' })).toHaveProperty('disabled', true);

    act(() => streams[0].send(sse('citations', { citations: [C1, C2] }) + sse('delta', { text: 'Descale the espresso machine every month with citric acid. [1]' })));
    await waitFor(() => expect(within(turn(0)).getByTestId('answer').textContent).toBe('Descale the espresso machine every month with citric acid. [1]'));
    expect(turn(0).getAttribute('data-state')).toBe('streaming');
    // Not done yet, and the marker already opens its passage.
    fireEvent.click(within(turn(0)).getByRole('button', { name: '[1]' }));
    const detail = within(turn(0)).getByRole('region', { name: 'Source 1' });
    expect(detail.querySelector('blockquote')!.textContent).toBe(C1.text);
    const facts = Object.fromEntries([...detail.querySelectorAll('dt')].map((dt) => [dt.textContent, dt.nextElementSibling!.textContent]));
    expect(facts).toEqual({ Document: 'espresso', Title: 'Espresso machine manual', Section: 'Espresso machine › Cleaning', Collection: 'kb', Score: '0.0328', Chunk: 'espresso#1' });

    act(() => streams[0].send(sse('delta', { text: ' The warranty covers the pump for two years. [2]' }) + sse('done', DONE)));
    await waitFor(() => expect(turn(0).getAttribute('data-state')).toBe('done'));
    expect(within(turn(0)).getByTestId('answer').textContent).toBe(DONE.answer);
    expect(within(turn(0)).getByTestId('llm').textContent).toBe('extractive');
    expect(within(turn(0)).getByTestId('answer-meta').textContent).toMatch(/Sentences quoted from your documents/);
    expect(within(turn(0)).queryByTestId('cached')).toBeNull();
    expect(within(turn(0)).queryByTestId('not-grounded')).toBeNull();
    // The second marker opens the second source (in the list, which says which is open).
    fireEvent.click(within(turn(0)).getByRole('button', { name: '[2]' }));
    expect(within(turn(0)).getByRole('region', { name: 'Source 2' }).querySelector('blockquote')!.textContent).toBe(C2.text);
    expect(within(turn(0)).queryByRole('region', { name: 'Source 1' })).toBeNull();
    expect(within(turn(0)).getByRole('button', { name: /^\[2\] Espresso machine manual/ }).getAttribute('aria-expanded')).toBe('true');
    // The list of conversations is read again once the answer is stored.
    await waitFor(() => expect(calls.filter((c) => c.path === '/v1/conversations').length).toBe(2));

    await ask('and the pump?');
    await waitFor(() => expect(streams.length).toBe(2));
    expect(streams[1].body).toEqual({ collections: ['kb', 'faq'], messages: [{ role: 'user', content: 'and the pump?' }], conversationId: 'conv_1', stream: true });
    act(() => streams[1].send(sse('citations', { citations: [C2] }) + sse('delta', { text: 'The warranty covers the pump for two years. [1]' })));
    act(() => streams[1].send(sse('done', { ...DONE, answer: 'The warranty covers the pump for two years. [1]', citations: [{ ...C2, n: 1 }], query: 'How often should I descale? and the pump?' })));
    await waitFor(() => expect(turn(1).getAttribute('data-state')).toBe('done'));
    expect(turn(1).textContent).toContain('Searched for: “How often should I descale? and the pump?”');
    expect(turn(0).getAttribute('data-state')).toBe('done');
  });

  it('says when the answer came from the cache, and when the sources did not answer', async () => {
    const { streams } = fakeApi();
    page();
    await ask('What is the capital of Peru?');
    await waitFor(() => expect(streams.length).toBe(1));
    const none = { ...DONE, answer: 'The sources found do not answer this question.', citations: [], cached: true, grounded: false, query: 'What is the capital of Peru?' };
    act(() => streams[0].send(sse('citations', { citations: [] }) + sse('delta', { text: none.answer }) + sse('done', none)));
    await waitFor(() => expect(turn(0).getAttribute('data-state')).toBe('done'));
    expect(within(turn(0)).getByTestId('cached').textContent).toBe('cached');
    expect(within(turn(0)).getByTestId('not-grounded').textContent).toMatch(/do not answer this question/);
    expect(within(turn(0)).queryByRole('button', { name: /^\[/ })).toBeNull();
    expect(within(turn(0)).queryByText('Sources')).toBeNull();
  });

  it('shows a refusal before the stream with its code and gives the question back; an error event keeps what had come', async () => {
    const { streams } = fakeApi({ refuse: (b) => ((b.messages as { content: string }[])[0].content === 'refuse me' ? [404, { error: { code: 'COLLECTION_NOT_FOUND', message: 'collection "kb" does not exist' } }] : undefined) });
    page();
    await ask('refuse me');
    await waitFor(() => expect(turn(0).getAttribute('data-state')).toBe('failed'));
    expect(within(turn(0)).getByRole('alert').textContent).toBe('COLLECTION_NOT_FOUND collection "kb" does not exist');
    expect((screen.getByLabelText('Question') as HTMLTextAreaElement).value).toBe('refuse me');
    expect(screen.getByRole('button', { name: 'Ask' })).toHaveProperty('disabled', false);

    await ask('go on');
    await waitFor(() => expect(streams.length).toBe(1));
    // The failed question started no conversation.
    expect(streams[0].body.conversationId).toBeUndefined();
    act(() => streams[0].send(sse('citations', { citations: [C1] }) + sse('delta', { text: 'Descale monthly. [1]' }) + sse('error', { error: { code: 'INTERNAL', message: 'the answer stopped on a server error' } })));
    await waitFor(() => expect(turn(1).getAttribute('data-state')).toBe('failed'));
    expect(within(turn(1)).getByTestId('answer').textContent).toBe('Descale monthly. [1]');
    expect(within(turn(1)).getByRole('alert').textContent).toBe('INTERNAL the answer stopped on a server error');

    // A stream that just ends is no answer either.
    await ask('once more');
    await waitFor(() => expect(streams.length).toBe(2));
    act(() => streams[1].end());
    await waitFor(() => expect(turn(2).getAttribute('data-state')).toBe('failed'));
    expect(within(turn(2)).getByRole('alert').textContent).toMatch(/^STREAM_ENDED/);
  });

  it('opens a past conversation with its sources and asks its collections next; New conversation starts over', async () => {
    const { streams } = fakeApi();
    page();
    const table = await screen.findByTestId('conversations');
    // The table is drawn before the list arrives: wait for the row, not just the table.
    fireEvent.click(await within(table).findByRole('button', { name: STORED.title }));
    await waitFor(() => expect(turn(0)?.textContent).toContain('The warranty covers the pump for two years.'));
    expect(within(table).getByRole('button', { name: STORED.title }).getAttribute('aria-current')).toBe('true');
    fireEvent.click(within(turn(0)).getByRole('button', { name: '[1]' }));
    expect(within(turn(0)).getByRole('region', { name: 'Source 1' }).textContent).toContain('faq');
    // Its answers came from faq: the follow-up asks faq, in that conversation.
    expect((screen.getByRole('checkbox', { name: 'faq' }) as HTMLInputElement).checked).toBe(true);
    expect((screen.getByRole('checkbox', { name: 'kb' }) as HTMLInputElement).checked).toBe(false);
    await ask('for how long?');
    await waitFor(() => expect(streams.length).toBe(1));
    expect(streams[0].body).toMatchObject({ collections: ['faq'], conversationId: 'conv_old', messages: [{ role: 'user', content: 'for how long?' }] });

    fireEvent.click(screen.getByRole('button', { name: 'New conversation' }));
    expect(streams[0].signal.aborted).toBe(true);
    expect(document.querySelector('li[data-turn]')).toBeNull();
    await ask('fresh question');
    await waitFor(() => expect(streams.length).toBe(2));
    expect(streams[1].body.conversationId).toBeUndefined();
  });

  it('deletes a past conversation after asking; deleting the open one starts over', async () => {
    const { calls } = fakeApi();
    page();
    const table = await screen.findByTestId('conversations');
    // The table is drawn before the list arrives: wait for the row, not just the table.
    fireEvent.click(await within(table).findByRole('button', { name: STORED.title }));
    await waitFor(() => expect(turn(0)).toBeTruthy());
    fireEvent.click(within(table).getByRole('button', { name: `Delete ${STORED.title}` }));
    const dialog = screen.getAllByRole('dialog', { hidden: true }).find((d) => d.textContent?.includes(STORED.title))!;
    expect(dialog.textContent).toMatch(/and its 2 messages/);
    fireEvent.click(within(dialog).getByRole('button', { name: `Delete ${STORED.title}`, hidden: true }));
    await screen.findByText(/None yet/);
    expect(calls).toContainEqual({ method: 'DELETE', path: '/v1/conversations/conv_old' });
    expect(document.querySelector('li[data-turn]')).toBeNull();
    expect(screen.getByRole('heading', { name: 'New conversation' })).toBeTruthy();
  });

  it('closes the stream when the page is left', async () => {
    const { streams } = fakeApi();
    const { unmount } = page();
    await ask('q');
    await waitFor(() => expect(streams.length).toBe(1));
    unmount();
    expect(streams[0].signal.aborted).toBe(true);
  });
});

/** An XMLHttpRequest the test answers, its upload progress included. */
class FakeXhr {
  static sent: FakeXhr[] = [];
  method = '';
  url = '';
  headers: Record<string, string> = {};
  body: unknown = null;
  status = 0;
  statusText = '';
  responseText = '';
  upload: { onprogress: ((e: { loaded: number; total: number; lengthComputable: boolean }) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(k: string, v: string) {
    this.headers[k.toLowerCase()] = v;
  }
  send(body: unknown) {
    this.body = body;
    FakeXhr.sent.push(this);
  }
  progress(loaded: number, total: number) {
    this.upload.onprogress?.({ loaded, total, lengthComputable: true });
  }
  respond(status: number, body: unknown) {
    this.status = status;
    this.responseText = JSON.stringify(body);
    this.onload?.();
  }
}

describe('Chat: upload a file', () => {
  async function chooseFile(name = 'manual.md', text = '# Manual\nDescale monthly.') {
    FakeXhr.sent = [];
    vi.stubGlobal('XMLHttpRequest', FakeXhr);
    const form = await screen.findByRole('form', { name: 'Upload a file' });
    fireEvent.change(within(form).getByLabelText('File'), { target: { files: [new File([text], name, { type: 'text/markdown' })] } });
    return form;
  }
  // Submitted directly: happy-dom finds a required file input empty whatever its files (Chromium does not; the browser test clicks).
  const send = (form: HTMLElement) => fireEvent.submit(form);

  it('sends the file as multipart with its id and title, shows upload progress, then the document and its chunks', async () => {
    fakeApi();
    page();
    const form = await chooseFile();
    fireEvent.change(within(form).getByLabelText('Into collection'), { target: { value: 'faq' } });
    fireEvent.change(within(form).getByLabelText('Document id (optional)'), { target: { value: 'manual' } });
    fireEvent.change(within(form).getByLabelText('Title (optional)'), { target: { value: 'The manual' } });
    send(form);
    await waitFor(() => expect(FakeXhr.sent.length).toBe(1));
    const xhr = FakeXhr.sent[0];
    expect([xhr.method, xhr.url, xhr.headers.authorization]).toEqual(['POST', '/v1/collections/faq/documents/upload', 'Bearer vk_test']);
    // The browser writes the multipart content type, with its boundary.
    expect(xhr.headers['content-type']).toBeUndefined();
    const sent = xhr.body as FormData;
    expect([sent.get('id'), sent.get('title'), (sent.get('file') as File).name]).toEqual(['manual', 'The manual', 'manual.md']);

    act(() => xhr.progress(1024, 4096));
    const bar = within(form).getByTestId('upload-progress').querySelector('progress')!;
    expect([bar.value, bar.max]).toEqual([1024, 4096]);
    expect(within(form).getByTestId('upload-progress').textContent).toMatch(/Uploading 1.0 KB of 4.0 KB/);
    expect(within(form).getByRole('button', { name: 'Uploading…' })).toHaveProperty('disabled', true);
    act(() => xhr.respond(201, { id: 'manual', chunks: 3, format: 'markdown' }));
    expect((await within(form).findByTestId('upload-result')).textContent).toBe('Uploaded manual.md into faq as document manual: 3 chunks (markdown).');
    expect(within(form).queryByTestId('upload-progress')).toBeNull();
  });

  it('shows a refused file by its code and message', async () => {
    fakeApi();
    page();
    const form = await chooseFile('scan.pdf');
    send(form);
    await waitFor(() => expect(FakeXhr.sent.length).toBe(1));
    act(() => FakeXhr.sent[0].respond(422, { error: { code: 'NO_EXTRACTABLE_TEXT', message: 'the pdf file has no extractable text' } }));
    expect((await within(form).findByRole('alert')).textContent).toBe('NO_EXTRACTABLE_TEXT the pdf file has no extractable text');
    expect(within(form).queryByTestId('upload-result')).toBeNull();
  });

  it('follows a file processed in the background (202) at /v1/jobs/{id} until it is done', async () => {
    const { calls } = fakeApi();
    let polls = 0;
    const fetchMock = vi.mocked(globalThis.fetch);
    const routed = fetchMock.getMockImplementation()!;
    fetchMock.mockImplementation(async (input, init) => {
      if (String(input) !== '/v1/jobs/job_7') return routed(input, init);
      polls++;
      const job = polls < 2 ? { id: 'job_7', status: 'running', done: 2, total: 5 } : { id: 'job_7', status: 'done', done: 5, total: 5 };
      return new Response(JSON.stringify(job), { status: 200 });
    });
    page();
    const form = await chooseFile('big.pdf');
    send(form);
    await waitFor(() => expect(FakeXhr.sent.length).toBe(1));
    act(() => FakeXhr.sent[0].respond(202, { job: { id: 'job_7', status: 'queued' } }));
    await waitFor(() => expect(within(form).getByTestId('upload-job').textContent).toMatch(/big\.pdf is processing in the background \(job job_7, running: 2 of 5\)/));
    await waitFor(() => expect(within(form).getByTestId('upload-job').textContent).toMatch(/big\.pdf was processed \(job job_7, done: 5 of 5\)/), { timeout: 3000 });
    // Done: the collections are read again (their counts changed) — a request that may still be
    // on its way when "done" is shown (a CI run on a slow hour saw 1), so waited for.
    await waitFor(() => expect(calls.filter((c) => c.path === '/v1/collections').length).toBe(2));
  });
});
