/** Pages against a stand-in API (fetch answered by route): what they send and what they show. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router';
import type { ReactNode } from 'react';
import { SessionProvider } from '../session';
import { Records } from './Records';

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

function signedIn(path: string, pattern: string, page: ReactNode) {
  sessionStorage.setItem('vectra.apiKey', 'vk_test');
  return render(
    <MemoryRouter initialEntries={[path]}>
      <SessionProvider>
        <Routes>
          <Route path={pattern} element={page} />
        </Routes>
      </SessionProvider>
    </MemoryRouter>,
  );
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
    signedIn('/collections/jobs', '/collections/:name', <Records />);
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
