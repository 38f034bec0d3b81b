/** The Activity page against a stand-in API whose change stream the test writes to. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { renderSignedIn } from '../test-render';
import { Activity } from './Activity';

const enc = new TextEncoder();
const JOBS = { name: 'jobs', model: 'none', dimension: 3, metric: 'cosine', index: { type: 'flat' }, storage: 'f32', createdAt: '2026-01-01T00:00:00Z' };

interface Stream {
  url: URL;
  headers: Record<string, string>;
  signal: AbortSignal;
  send(text: string): void;
}

function fakeApi(latest = 3, refuse?: (url: URL) => [number, unknown] | undefined) {
  const streams: Stream[] = [];
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const url = new URL(String(input), 'http://dash.test');
    const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    if (url.pathname === '/v1/collections') return json(200, { collections: [JOBS, { ...JOBS, name: 'notes' }] });
    if (url.pathname === '/v1/events/stats') return json(200, { since: '2026-12-01T00:00:00Z', published: { 'record.deleted': 1, 'record.upserted': 2 }, total: 3, delivered: 3, skipped: 0, droppedSubscribers: 0, subscribers: 1 });
    if (url.pathname.endsWith('/changes')) return json(200, { changes: [], nextSince: latest, latestSeq: latest });
    const refused = refuse?.(url);
    if (refused) return json(...refused);
    if (url.pathname.endsWith('/changes/stream')) {
      let controller!: ReadableStreamDefaultController<Uint8Array>;
      const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
      const signal = init!.signal!;
      signal.addEventListener('abort', () => controller.error(new DOMException('aborted', 'AbortError')));
      streams.push({ url, headers: init?.headers as Record<string, string>, signal, send: (t) => controller.enqueue(enc.encode(t)) });
      return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
    }
    return json(404, { error: { code: 'NOT_FOUND', message: `no route ${url.pathname}` } });
  });
  return streams;
}

const change = (seq: number, op: 'upsert' | 'delete', id: string) => `id: ${seq}\nevent: ${op}\ndata: ${JSON.stringify({ seq, op, id, at: '2026-12-01T10:00:00.250Z' })}\n\n`;

const page = (path = '/activity') => renderSignedIn(path, '/activity', <Activity />);

const rows = () => screen.queryAllByRole('row').slice(1).map((r) => [r.getAttribute('data-seq'), r.getAttribute('data-op'), r.getAttribute('data-id')]);

afterEach(() => vi.restoreAllMocks());

describe('Activity', () => {
  it('follows the first collection from its latest seq with the key, newest change on top; a delete reads as one and does not link', async () => {
    const streams = fakeApi();
    page();
    await waitFor(() => expect(streams.length).toBe(1));
    expect(streams[0].url.pathname).toBe('/v1/collections/jobs/changes/stream');
    expect(streams[0].url.searchParams.get('since')).toBe('3');
    expect(streams[0].headers.authorization).toBe('Bearer vk_test');
    await screen.findByText(/^No changes yet/);
    act(() => streams[0].send(change(4, 'upsert', 'a') + change(5, 'upsert', 'b')));
    act(() => streams[0].send(change(6, 'delete', 'a')));
    await waitFor(() => expect(rows()).toEqual([['6', 'delete', 'a'], ['5', 'upsert', 'b'], ['4', 'upsert', 'a']]));
    const table = screen.getByRole('table');
    expect(within(table).getByText('− delete')).toBeTruthy();
    expect(within(table).getAllByText('+ upsert').length).toBe(2);
    // b is still there: it links to its record; a was deleted since: no link.
    expect(within(table).getByRole('link', { name: 'b' }).getAttribute('href')).toBe('/collections/jobs?record=b');
    expect(within(table).queryByRole('link', { name: 'a' })).toBeNull();
    expect(screen.getByRole('status').textContent).toMatch(/Live: following jobs after seq 3\./);
    expect(screen.getByTestId('last-seq').textContent).toBe('6');
    await waitFor(() => expect(screen.getByTestId('events-record.upserted').textContent).toBe('2'));
  });

  it('pauses by closing the stream and resumes after the last seq seen; a replay starts over from the seq asked', async () => {
    const streams = fakeApi();
    page();
    await waitFor(() => expect(streams.length).toBe(1));
    act(() => streams[0].send(change(4, 'upsert', 'a')));
    await waitFor(() => expect(rows().length).toBe(1));
    fireEvent.click(screen.getByRole('button', { name: 'Pause' }));
    expect(streams[0].signal.aborted).toBe(true);
    expect(screen.getByRole('button', { name: 'Resume' }).getAttribute('aria-pressed')).toBe('true');
    fireEvent.click(screen.getByRole('button', { name: 'Resume' }));
    await waitFor(() => expect(streams.length).toBe(2));
    expect(streams[1].url.searchParams.get('since')).toBe('4');
    act(() => streams[1].send(change(5, 'upsert', 'b')));
    await waitFor(() => expect(rows().map((r) => r[0])).toEqual(['5', '4']));

    fireEvent.change(screen.getByLabelText('From seq'), { target: { value: '2' } });
    fireEvent.click(screen.getByRole('button', { name: 'Replay' }));
    await waitFor(() => expect(streams.length).toBe(3));
    expect(streams[1].signal.aborted).toBe(true);
    expect(streams[2].url.searchParams.get('since')).toBe('1');
    expect(rows()).toEqual([]);
  });

  it('shows why the feed ended and resumes from the current seq when asked', async () => {
    const streams = fakeApi();
    page('/activity?collection=notes');
    await waitFor(() => expect(streams.length).toBe(1));
    expect(streams[0].url.pathname).toBe('/v1/collections/notes/changes/stream');
    act(() => streams[0].send(change(4, 'upsert', 'a') + 'event: error\ndata: {"error":{"code":"COLLECTION_NOT_FOUND","message":"collection \\"notes\\" was deleted; the feed has ended"}}\n\n'));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe('COLLECTION_NOT_FOUND collection "notes" was deleted; the feed has ended');
    expect(screen.getByRole('status').textContent).toMatch(/stopped after seq 4/);
    fireEvent.click(screen.getByRole('button', { name: 'Resume after seq 4' }));
    await waitFor(() => expect(streams.length).toBe(2));
    expect(streams[1].url.searchParams.get('since')).toBe('4');
    expect(screen.queryByRole('alert')).toBeNull();
    expect(rows().length).toBe(1);
  });

  it('explains an expired seq, offers the latest seq or the oldest kept, and replays from the oldest kept', async () => {
    const expired = { error: { code: 'CHANGES_EXPIRED', message: 'changes after seq 1 are no longer kept: the oldest kept is seq 40', oldestSeq: 40 } };
    const streams = fakeApi(90, (url) => (url.pathname.endsWith('/changes/stream') && url.searchParams.get('since') === '1' ? [410, expired] : undefined));
    page();
    await waitFor(() => expect(streams.length).toBe(1));
    fireEvent.change(screen.getByLabelText('From seq'), { target: { value: '2' } });
    fireEvent.click(screen.getByRole('button', { name: 'Replay' }));
    expect((await screen.findByRole('alert')).textContent).toBe('CHANGES_EXPIRED changes after seq 1 are no longer kept: the oldest kept is seq 40');
    expect(screen.queryByRole('button', { name: /Resume after seq/ })).toBeNull();
    expect(screen.getByRole('button', { name: 'Resume from the latest seq' })).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Replay from seq 40 (the oldest kept)' }));
    await waitFor(() => expect(streams.length).toBe(2));
    expect(streams[1].url.searchParams.get('since')).toBe('39');
  });

  it('closes the stream when the page is left', async () => {
    const streams = fakeApi();
    const { unmount } = page();
    await waitFor(() => expect(streams.length).toBe(1));
    unmount();
    expect(streams[0].signal.aborted).toBe(true);
  });
});
