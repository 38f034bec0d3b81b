/** Pages against a stand-in API (fetch answered by route): what they send and what they show. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { renderSignedIn } from '../test-render';
import { Records } from './Records';
import { Search } from './Search';
import { Models } from './Models';
import type { SearchAnswer } from '../lib/types';
import { FILTERED_WALK, HYBRID } from '../lib/explain-fixtures';

type Route_ = (url: URL, body: unknown) => [number, unknown] | undefined;

/** Answer fetch from `route` (a 404 envelope for anything it does not know); returns the calls made. */
function fakeApi(route: Route_) {
  const calls: { method: string; url: URL; body: unknown }[] = [];
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const url = new URL(String(input), 'http://dash.test');
    const body = init?.body ? JSON.parse(String(init.body)) : undefined;
    calls.push({ method: init?.method ?? 'GET', url, body });
    const [status, answer] = route(url, body) ?? [404, { error: { code: 'NOT_FOUND', message: `no route ${url.pathname}` } }];
    return new Response(JSON.stringify(answer), { status, headers: { 'content-type': 'application/json' } });
  });
  return calls;
}


afterEach(() => vi.restoreAllMocks());

const JOBS = { name: 'jobs', model: 'glove-100d-v2', dimension: 100, metric: 'cosine', index: { type: 'flat' }, storage: 'f32', createdAt: '2026-01-01T00:00:00Z', count: 1 };

describe('Records', () => {
  it('shows a refused filter by its error alone: not the last page, nor "No record matches"', async () => {
    fakeApi((url) => {
      if (url.pathname === '/v1/collections/jobs') return [200, JOBS];
      if (url.pathname !== '/v1/collections/jobs/records') return undefined;
      const filter = url.searchParams.get('filter');
      if (filter?.includes('$near')) return [400, { error: { code: 'INVALID_FILTER', message: 'unknown operator $near' } }];
      if (filter) return [200, { records: [], nextCursor: null }];
      return [200, { records: [{ id: 'r1', text: 'barista', metadata: {}, createdAt: JOBS.createdAt, updatedAt: JOBS.createdAt }], nextCursor: null }];
    });
    renderSignedIn('/collections/jobs', '/collections/:name', <Records />);
    await screen.findByRole('button', { name: 'r1' });
    const box = screen.getByLabelText('Metadata filter (JSON)');
    const apply = screen.getByRole('button', { name: 'Apply filter' });

    fireEvent.change(box, { target: { value: '{"city": "Nowhere"}' } });
    fireEvent.click(apply);
    await screen.findByText('No record matches this filter.');

    fireEvent.change(box, { target: { value: '{"wage": {"$near": 13}}' } });
    fireEvent.click(apply);
    await waitFor(() => expect(screen.getByRole('alert').textContent).toBe('INVALID_FILTER unknown operator $near'));
    expect(screen.queryByText('No record matches this filter.')).toBeNull();
    expect(screen.queryByRole('table')).toBeNull();

    // Not JSON at all: the same, from the page's own check.
    fireEvent.change(box, { target: { value: '' } });
    fireEvent.click(apply);
    await screen.findByRole('button', { name: 'r1' });
    fireEvent.change(box, { target: { value: '{"city":' } });
    fireEvent.click(apply);
    expect(screen.getByRole('alert').textContent).toMatch(/not valid JSON/);
    expect(screen.queryByRole('table')).toBeNull();
  });
});

describe('Search', () => {
  /** The Search page over a stand-in API whose search answers `answer(body)`; returns the search bodies sent. */
  function searchPage(answer: (body: Record<string, unknown>) => [number, unknown], rerankers: unknown[] = []) {
    const calls = fakeApi((url, body) => {
      if (url.pathname === '/v1/collections') return [200, { collections: [JOBS] }];
      if (url.pathname === '/v1/models') return [200, { models: [], rerankers }];
      if (url.pathname === '/v1/collections/jobs/search') return answer(body as Record<string, unknown>);
      return undefined;
    });
    renderSignedIn('/search?collection=jobs', '/search', <Search />);
    return () => calls.filter((c) => c.url.pathname.endsWith('/search')).map((c) => c.body as Record<string, unknown>);
  }
  const ok = (a: Partial<SearchAnswer>): [number, SearchAnswer] => [200, { results: [], took_ms: 1, plan: 'hnsw', ...a }];
  const run = async (query: string) => {
    fireEvent.change(await screen.findByLabelText('Query text'), { target: { value: query } });
    fireEvent.click(screen.getByRole('button', { name: 'Search' }));
    await screen.findByRole('heading', { name: 'Results' });
  };

  it("parses on request, shows what it understood, and offers the parse example only then", async () => {
    const sent = searchPage(() =>
      ok({ results: [{ id: 'barista', score: 0.8 }], parsed: { query: 'hourly wage', filter: { wage: { $gte: 13 } }, constraints: [{ text: 'not less than $13', field: 'wage', filter: { wage: { $gte: 13 } } }], unmatched: [{ text: 'after 2030', reason: 'no date field' }] } }),
    );
    const box = (await screen.findByLabelText('Query text')) as HTMLTextAreaElement;
    expect(box.placeholder).not.toMatch(/not less than/);
    fireEvent.click(screen.getByText('Options'));
    fireEvent.click(screen.getByLabelText('Parse constraints'));
    expect(box.placeholder).toBe('hourly wage not less than $13');
    expect(screen.getByTestId('search-options').querySelector('summary')!.textContent).toBe('Options · on: parse');
    await run('hourly wage not less than $13 after 2030');
    expect(sent()[0]).toEqual({ text: 'hourly wage not less than $13 after 2030', k: 10, parse: true });
    const parsed = screen.getByTestId('parsed').textContent!;
    expect(parsed).toContain('Searched for “hourly wage” with the filter {"wage":{"$gte":13}} read from the text.');
    expect(parsed).toContain('“not less than $13” → wage {"wage":{"$gte":13}}');
    expect(parsed).toContain('“after 2030” not applied: no date field');
  });

  it('renders highlights as <mark> elements only: any other markup in the text stays text', async () => {
    const sent = searchPage(() => ok({ results: [{ id: 'x', score: 1, text: 'raw', highlight: '<img src=x onerror="alert(1)"> <mark>coffee</mark> <b>shop</b> <script>bad()</script>' }] }));
    fireEvent.click(await screen.findByText('Options'));
    fireEvent.click(screen.getByLabelText('Highlight matches'));
    await run('coffee');
    expect(sent()[0].highlight).toBe(true);
    const cell = document.querySelector('tr[data-result="x"]')!;
    expect([...cell.querySelectorAll('mark')].map((m) => m.textContent)).toEqual(['coffee']);
    expect(cell.querySelector('img, b, script')).toBeNull();
    expect(cell.textContent).toContain('<img src=x onerror="alert(1)"> coffee <b>shop</b> <script>bad()</script>');
  });

  it('shows grouped results a document a row, with its chunks', async () => {
    const sent = searchPage(() =>
      ok({
        results: [
          { id: 'guide#1', score: 0.9, text: 'b', metadata: { _document: 'guide' }, document: 'guide', chunks: [{ id: 'guide#1', score: 0.9, text: 'Descale it' }, { id: 'guide#0', score: 0.7, text: 'Install it' }] },
          { id: 'loose', score: 0.5, text: 'c', metadata: {}, document: null, chunks: [{ id: 'loose', score: 0.5, text: 'a record' }] },
        ],
      }),
    );
    fireEvent.click(await screen.findByText('Options'));
    fireEvent.click(screen.getByLabelText('Group by document'));
    fireEvent.change(screen.getByLabelText('Chunks per document'), { target: { value: '2' } });
    await run('descale');
    expect(sent()[0].group).toEqual({ by: 'document', size: 2 });
    expect(screen.getByTestId('latency').textContent).toMatch(/^2 documents/);
    expect(screen.getByRole('columnheader', { name: 'Document' })).toBeTruthy();
    const guide = document.querySelector('tr[data-document="guide"]')!;
    expect([...guide.querySelectorAll('li[data-chunk]')].map((li) => li.getAttribute('data-chunk'))).toEqual(['guide#1', 'guide#0']);
    expect(guide.textContent).toContain('Descale it');
    expect(document.querySelector('tr[data-document=""]')!.textContent).toContain('loose (not a chunk)');
  });

  it("shows each side's score and rank in hybrid search, and the cross-encoder's score", async () => {
    const sent = searchPage(
      (body) =>
        body.rerank
          ? ok({ results: [{ id: 'a', score: 4.2, scores: { dense: 0.5, rerank: 4.2 } }], plan: 'hnsw' })
          : ok({ results: [{ id: 'a', score: 0.03, scores: { dense: 0.8, keyword: 2.5 }, ranks: { dense: 1, keyword: 3 } }], plan: 'hybrid', plans: { dense: 'hnsw', keyword: 'keyword' } }),
      [{ id: 'gone', provider: 'onnx', description: 'missing', available: false }, { id: 'glove-cross', provider: 'onnx', description: 'test reranker', available: true }],
    );
    fireEvent.change(await screen.findByLabelText('Mode'), { target: { value: 'hybrid' } });
    await run('coffee');
    const row = () => document.querySelector('tr[data-result="a"]')!;
    expect(row().querySelector('[data-side="dense"]')!.textContent).toBe('0.8000 #1');
    expect(row().querySelector('[data-side="keyword"]')!.textContent).toBe('2.5000 #3');

    fireEvent.change(screen.getByLabelText('Mode'), { target: { value: 'dense' } });
    fireEvent.click(screen.getByText('Options'));
    fireEvent.change(screen.getByLabelText('Rerank'), { target: { value: 'cross-encoder' } });
    // The first reranker that can run is chosen; one that cannot is listed but not selectable.
    const reranker = screen.getByLabelText('Reranker') as HTMLSelectElement;
    expect(reranker.value).toBe('glove-cross');
    expect([...reranker.options].map((o) => [o.text, o.disabled])).toEqual([['gone (unavailable)', true], ['glove-cross', false]]);
    fireEvent.click(screen.getByRole('button', { name: 'Search' }));
    await waitFor(() => expect(row().querySelector('[data-side="rerank"]')?.textContent).toBe('4.2000'));
    expect(sent()[1].rerank).toEqual({ type: 'cross-encoder', model: 'glove-cross' });
    expect(screen.getByText(/Rerank: the cross-encoder’s score/)).toBeTruthy();
  });

  it('offers the cross-encoder only when the server lists a reranker; MMR says its scores need not descend', async () => {
    const sent = searchPage(() => ok({ results: [{ id: 'a', score: 0.9 }, { id: 'b', score: 0.95 }] }));
    fireEvent.click(await screen.findByText('Options'));
    const rerank = screen.getByLabelText('Rerank') as HTMLSelectElement;
    expect([...rerank.options].map((o) => o.value)).toEqual(['none', 'mmr', 'feedback']);
    fireEvent.change(rerank, { target: { value: 'mmr' } });
    fireEvent.change(screen.getByLabelText('MMR lambda'), { target: { value: '0.3' } });
    fireEvent.change(screen.getByLabelText('ef (search breadth)'), { target: { value: '80' } });
    fireEvent.click(screen.getByLabelText('Exact search'));
    // Submitted directly: happy-dom's step check divides in floating point and finds 0.3 off the
    // field's 0.05 steps, so a click would not submit (Chromium does; the browser test clicks).
    fireEvent.change(screen.getByLabelText('Query text'), { target: { value: 'coffee' } });
    fireEvent.submit(screen.getByRole('form', { name: 'Search' }));
    await screen.findByRole('heading', { name: 'Results' });
    expect(sent()[0]).toEqual({ text: 'coffee', k: 10, rerank: { type: 'mmr', lambda: 0.3 }, ef: 80, exact: true });
    expect(screen.getByText(/In MMR order/).textContent).toMatch(/need not descend/);
  });

  it('Explain: sends explain, shows the timeline under the results, and the curl preview carries it', async () => {
    const sent = searchPage((body) => [200, body.mode === 'hybrid' ? HYBRID : FILTERED_WALK]);
    fireEvent.click(await screen.findByText('Options'));
    fireEvent.click(screen.getByLabelText('Explain'));
    expect(screen.getByTestId('search-options').querySelector('summary')!.textContent).toBe('Options · on: explain');
    fireEvent.change(screen.getByLabelText('Mode'), { target: { value: 'hybrid' } });
    await run('forklift operator');
    expect(sent()[0]).toEqual({ text: 'forklift operator', k: 10, mode: 'hybrid', explain: true });
    expect(screen.getByTestId('curl').textContent).toContain(`-d '{"text":"forklift operator","k":10,"mode":"hybrid","explain":true}'`);
    // Under the results: the lanes of a hybrid search, the reason, the total.
    const explain = screen.getByTestId('explain');
    expect(screen.getByRole('heading', { name: 'Results' }).compareDocumentPosition(explain) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect([...explain.querySelectorAll('[data-lane]')].map((l) => l.getAttribute('data-lane'))).toEqual(['dense', 'keyword', 'shared']);
    expect(screen.getByTestId('explain-reason').textContent).toMatch(/^Plan hybrid: a dense and a keyword search/);
    expect(screen.getByTestId('explain-total').textContent).toMatch(/^Total 25\.041 ms/);

    // Turned off: not sent, and the next answer shows no timeline.
    fireEvent.click(screen.getByLabelText('Explain'));
    fireEvent.click(screen.getByRole('button', { name: 'Search' }));
    await waitFor(() => expect(sent()).toHaveLength(2));
    expect(sent()[1].explain).toBeUndefined();
  });

  it('temperature: sends it with a seed only when asked, shows the seed drawn with, and pins it for the next search', async () => {
    const sent = searchPage((body) => ok({ results: [{ id: 'j5', score: 0.49, ranks: { dense: 4 } }], seed: (body.seed as number | undefined) ?? 3141592653 }));
    fireEvent.click(await screen.findByText('Options'));
    expect(screen.queryByLabelText('Seed')).toBeNull();
    fireEvent.change(screen.getByLabelText('Temperature'), { target: { value: '0.1' } });
    fireEvent.change(screen.getByLabelText('Rerank'), { target: { value: 'feedback' } });
    fireEvent.change(screen.getByLabelText('Feedback weight'), { target: { value: '0.8' } });
    await run('coffee job');
    expect(sent()[0]).toEqual({ text: 'coffee job', k: 10, rerank: { type: 'feedback', weight: 0.8 }, temperature: 0.1 });
    expect(screen.getByTestId('seed').textContent).toContain('seed 3141592653');
    fireEvent.click(screen.getByRole('button', { name: 'Pin this seed' }));
    expect((screen.getByLabelText('Seed') as HTMLInputElement).value).toBe('3141592653');
    expect(screen.getByTestId('seed').textContent).toContain('(pinned)');
    expect(screen.getByTestId('curl').textContent).toContain('"temperature":0.1,"seed":3141592653');
    fireEvent.click(screen.getByRole('button', { name: 'Search' }));
    await waitFor(() => expect(sent()).toHaveLength(2));
    expect(sent()[1]).toEqual({ text: 'coffee job', k: 10, rerank: { type: 'feedback', weight: 0.8 }, temperature: 0.1, seed: 3141592653 });
    // MMR does not sample: the page says so before sending anything.
    fireEvent.change(screen.getByLabelText('Rerank'), { target: { value: 'mmr' } });
    fireEvent.submit(screen.getByRole('form', { name: 'Search' }));
    await screen.findByText('temperature samples by score and MMR picks by variety: use one of them');
    expect(sent()).toHaveLength(2);
  });

  it('a failed search shows its error, not the previous results under it', async () => {
    let fail = false;
    searchPage(() => (fail ? [400, { error: { code: 'INVALID_FILTER', message: 'unknown operator $near' } }] : ok({ results: [{ id: 'a', score: 1 }] })));
    await run('coffee');
    expect(document.querySelector('tr[data-result="a"]')).toBeTruthy();
    fail = true;
    fireEvent.click(screen.getByRole('button', { name: 'Search' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toBe('INVALID_FILTER unknown operator $near'));
    expect(screen.queryByRole('heading', { name: 'Results' })).toBeNull();
  });
});

describe('Models', () => {
  it('says why a model or reranker cannot be used', async () => {
    const reason = 'its files are not in the model cache and downloads are off (VECTRA_MODEL_DOWNLOADS=off): put them under VECTRA_MODELS_DIR';
    fakeApi((url) => {
      if (url.pathname !== '/v1/models') return undefined;
      return [200, {
        models: [
          { id: 'glove-100d-v2', dimension: 100, provider: 'builtin', description: 'built in', default: true, available: true },
          { id: 'all-MiniLM-L6-v2', dimension: 384, provider: 'onnx', description: 'sentence transformer', available: false, reason },
        ],
        rerankers: [{ id: 'ms-marco', provider: 'onnx', description: 'cross-encoder', available: false, reason: 'no files' }],
      }];
    });
    renderSignedIn('/models', '/models', <Models />);
    const row = (await screen.findByText('all-MiniLM-L6-v2')).closest('tr')!;
    expect(row.textContent).toContain(`no${reason}`);
    expect(screen.getByText(/ms-marco \(unavailable: no files\)/)).toBeTruthy();
    expect(document.querySelectorAll('tr .reason')).toHaveLength(1);
  });
});
