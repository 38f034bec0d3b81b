/** The Webhooks page against a stand-in API that keeps its webhooks and deliveries in memory. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { renderSignedIn } from '../test-render';
import { REFRESH_MS, Webhooks, eventsOf, formProblem } from './Webhooks';
import type { Delivery, Webhook } from '../lib/types';

const JOBS = { name: 'jobs', model: 'none', dimension: 3, metric: 'cosine', index: { type: 'flat' }, storage: 'f32', createdAt: '2026-01-01T00:00:00Z' };
const STATS = { delivered: 3, failed: 1, pending: 1, consecutiveFailures: 1, missedChanges: 0, lastMissedAt: null };
const T = '2026-12-01T10:00:00.000Z';

function hook(id: string, over: Partial<Webhook> = {}): Webhook {
  return { id, url: `https://hooks.example.com/${id}`, events: ['record.*'], collections: null, description: null, status: 'active', disabledReason: null, createdAt: T, ...over };
}

function delivery(id: string, status: Delivery['status'], over: Partial<Delivery> = {}): Delivery {
  return { id, event: 'record.upserted', status, attempts: 1, lastStatusCode: status === 'delivered' ? 200 : 500, lastError: status === 'delivered' ? null : 'answered 500', nextAttemptAt: status === 'pending' ? T : null, createdAt: T, deliveredAt: status === 'delivered' ? T : null, ...over };
}

interface Call {
  method: string;
  url: URL;
  body: any;
}

/** A stand-in API: webhooks kept in `hooks`, deliveries per webhook; `refuse` answers a call with an error first. */
function fakeApi(opts: { hooks?: Webhook[]; deliveries?: Record<string, Delivery[]>; refuse?: (c: Call) => [number, string, string] | undefined } = {}) {
  const hooks = new Map((opts.hooks ?? []).map((h) => [h.id, h]));
  const deliveries = opts.deliveries ?? {};
  const calls: Call[] = [];
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const url = new URL(String(input), 'http://dash.test');
    const c = { method: init?.method ?? 'GET', url, body: init?.body ? JSON.parse(String(init.body)) : undefined };
    calls.push(c);
    const json = (status: number, body?: unknown) => new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    const refused = opts.refuse?.(c);
    if (refused) return json(refused[0], { error: { code: refused[1], message: refused[2] } });
    const p = url.pathname;
    if (p === '/v1/collections') return json(200, { collections: [JOBS, { ...JOBS, name: 'notes' }] });
    if (p === '/v1/webhooks' && c.method === 'GET') return json(200, { webhooks: [...hooks.values()].map((h) => ({ ...h, stats: STATS })) });
    if (p === '/v1/webhooks' && c.method === 'POST') {
      const h = hook(`wh_${hooks.size + 1}`, { ...c.body });
      hooks.set(h.id, h);
      return json(201, { ...h, secret: 'whsec_c2VjcmV0LXNob3duLW9uY2U=' });
    }
    const m = /^\/v1\/webhooks\/([^/]+)(\/.*)?$/.exec(p);
    const h = m && hooks.get(m[1]);
    if (!h) return json(404, { error: { code: 'WEBHOOK_NOT_FOUND', message: `no webhook ${m?.[1]}` } });
    if (!m[2] && c.method === 'GET') return json(200, { ...h, stats: STATS });
    if (!m[2] && c.method === 'PATCH') {
      const next = { ...h, ...c.body, disabledReason: c.body.status === 'disabled' ? 'disabled by the API' : c.body.status === 'active' ? null : h.disabledReason };
      hooks.set(h.id, next);
      return json(200, { ...next, stats: STATS });
    }
    if (!m[2] && c.method === 'DELETE') return hooks.delete(h.id), json(204);
    if (m[2] === '/deliveries') return json(200, { deliveries: deliveries[h.id] ?? [] });
    if (m[2] === '/test') {
      const d = delivery('msg_test', 'pending', { event: 'webhook.test', attempts: 0, lastStatusCode: null, lastError: null });
      deliveries[h.id] = [d, ...(deliveries[h.id] ?? [])];
      return json(202, d);
    }
    return json(404, { error: { code: 'NOT_FOUND', message: `no route ${p}` } });
  });
  return { calls, hooks, deliveries };
}

const page = (path = '/webhooks') => renderSignedIn(path, '/webhooks', <Webhooks />);

function card(id: string): HTMLElement {
  const el = document.querySelector<HTMLElement>(`[data-webhook="${id}"]`);
  if (!el) throw new Error(`no card of ${id}`);
  return el;
}
const createForm = () => screen.getByRole('form', { name: 'Create a webhook' });

afterEach(() => {
  // Unmounted first: the page's polls stop before fetch is the real one again.
  cleanup();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('Webhooks', () => {
  it('lists webhooks with their events, collections, status and delivery counts, and the first one’s deliveries with their states', async () => {
    fakeApi({
      hooks: [hook('wh_a', { collections: ['jobs'], description: 'search cache' }), hook('wh_b', { status: 'disabled', disabledReason: '5 failed deliveries in a row (last: answered 500)' })],
      deliveries: { wh_a: [delivery('msg_3', 'pending', { attempts: 2, lastStatusCode: 503, lastError: 'answered 503' }), delivery('msg_2', 'failed', { attempts: 5 }), delivery('msg_1', 'delivered')] },
    });
    page();
    await waitFor(() => expect(within(card('wh_a')).getByTestId('stat-delivered').textContent).toBe('3'));
    const a = within(card('wh_a'));
    expect(a.getByRole('heading', { name: 'https://hooks.example.com/wh_a' })).toBeTruthy();
    expect(a.getByText('record.*')).toBeTruthy();
    expect(a.getByText('jobs')).toBeTruthy();
    expect(a.getByText('search cache')).toBeTruthy();
    expect(a.getByTestId('hook-status').textContent).toBe('● active');
    expect(a.getByTestId('stat-failed').textContent).toBe('1');
    expect(a.getByTestId('stat-pending').textContent).toBe('1');
    expect(a.getByTestId('stat-consecutive').textContent).toBe('1');
    const b = within(card('wh_b'));
    expect(b.getByTestId('hook-status').textContent).toBe('○ disabled');
    expect(b.getByText(/5 failed deliveries in a row/)).toBeTruthy();
    expect(b.getByText('all')).toBeTruthy();
    expect(b.getByRole('button', { name: 'Enable' })).toBeTruthy();

    const table = await screen.findByTestId('deliveries');
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map((r) => [r.getAttribute('data-delivery'), r.getAttribute('data-status')])).toEqual([
      ['msg_3', 'pending'],
      ['msg_2', 'failed'],
      ['msg_1', 'delivered'],
    ]);
    expect(within(rows[0]).getByText('◷ pending').className).toBe('delivery delivery-pending');
    expect(within(rows[0]).getByText('503')).toBeTruthy();
    expect(within(rows[0]).getByText('answered 503')).toBeTruthy();
    expect(within(rows[1]).getByText('✕ failed').className).toBe('delivery delivery-failed');
    expect(within(rows[2]).getByText('✓ delivered').className).toBe('delivery delivery-delivered');
    expect(a.getByRole('button', { name: /^Deliveries/ }).getAttribute('aria-pressed')).toBe('true');

    // Another webhook's history on demand.
    fireEvent.click(b.getByRole('button', { name: /^Deliveries/ }));
    await screen.findByText(/^No deliveries yet/);
    expect(screen.getByRole('heading', { name: /Deliveries to https:\/\/hooks.example.com\/wh_b/ })).toBeTruthy();
  });

  it('refreshes the deliveries every few seconds, so retries show as they happen', async () => {
    const api = fakeApi({ hooks: [hook('wh_a')], deliveries: { wh_a: [delivery('msg_1', 'pending', { attempts: 1 })] } });
    vi.useFakeTimers({ shouldAdvanceTime: true });
    page();
    await waitFor(() => expect(document.querySelector('tr[data-delivery="msg_1"]')?.getAttribute('data-attempts')).toBe('1'));
    api.deliveries.wh_a = [delivery('msg_1', 'delivered', { attempts: 2 })];
    await act(() => vi.advanceTimersByTimeAsync(REFRESH_MS + 10));
    await waitFor(() => expect(document.querySelector('tr[data-delivery="msg_1"]')?.getAttribute('data-status')).toBe('delivered'));
    expect(document.querySelector('tr[data-delivery="msg_1"]')?.getAttribute('data-attempts')).toBe('2');
    // And by hand.
    api.deliveries.wh_a = [delivery('msg_2', 'failed'), ...api.deliveries.wh_a];
    fireEvent.click(screen.getByRole('button', { name: 'Refresh' }));
    await waitFor(() => expect(document.querySelector('tr[data-delivery="msg_2"]')?.getAttribute('data-status')).toBe('failed'));
  });

  it('creates a webhook with the events and collections picked and shows its secret once, never again', async () => {
    const api = fakeApi();
    page();
    await screen.findByText(/^No webhooks yet/);
    const form = within(createForm());
    fireEvent.change(form.getByLabelText('URL'), { target: { value: ' https://hooks.example.com/in ' } });
    fireEvent.change(form.getByLabelText('Description (optional)'), { target: { value: 'sync' } });
    fireEvent.click(form.getByRole('checkbox', { name: /job.completed/ }));
    fireEvent.change(form.getByLabelText('More event patterns (optional)'), { target: { value: 'collection.*, job.completed' } });
    fireEvent.click(await form.findByRole('checkbox', { name: 'notes' }));
    fireEvent.click(form.getByRole('button', { name: 'Create webhook' }));

    const secret = await screen.findByTestId('new-secret');
    expect(secret.textContent).toBe('whsec_c2VjcmV0LXNob3duLW9uY2U=');
    const section = screen.getByRole('region', { name: 'New webhook secret' });
    expect(within(section).getByText(/shown only once/)).toBeTruthy();
    expect(within(section).getByRole('button', { name: 'Copy secret' })).toBeTruthy();
    const post = api.calls.find((c) => c.method === 'POST')!;
    expect(post.url.pathname).toBe('/v1/webhooks');
    expect(post.body).toEqual({ url: 'https://hooks.example.com/in', events: ['record.*', 'job.completed', 'collection.*'], collections: ['notes'], description: 'sync' });
    expect(api.calls.find((c) => c.method === 'POST')!.body).not.toHaveProperty('secret');
    // The new webhook is listed, its deliveries shown, and the secret nowhere but in the notice.
    await waitFor(() => expect(card('wh_1')).toBeTruthy());
    expect(card('wh_1').textContent).not.toContain('whsec_');
    fireEvent.click(within(section).getByRole('button', { name: 'Done, hide it' }));
    expect(screen.queryByTestId('new-secret')).toBeNull();
    expect(document.body.textContent).not.toContain('whsec_');
    fireEvent.click(within(card('wh_1')).getByRole('button', { name: 'Edit' }));
    expect(document.body.textContent).not.toContain('whsec_');
  });

  it('checks the form before sending, and shows the API’s refusals with their code and message', async () => {
    const forbidden = 'webhook url http://10.0.0.5/ is refused: 10.0.0.5 is a private address; webhooks may only reach public addresses (set VECTRA_WEBHOOK_ALLOW_PRIVATE=true on the server to allow loopback and private networks)';
    const api = fakeApi({
      refuse: (c) => {
        if (c.method !== 'POST') return undefined;
        if (c.body.url.includes('10.0.0.5')) return [400, 'WEBHOOK_URL_FORBIDDEN', forbidden];
        return [409, 'WEBHOOK_LIMIT_REACHED', 'this account has at most 50 webhooks (VECTRA_WEBHOOK_MAX_PER_TENANT)'];
      },
    });
    page();
    await screen.findByText(/^No webhooks yet/);
    const form = within(createForm());
    const url = form.getByLabelText('URL');
    const create = form.getByRole('button', { name: 'Create webhook' });
    fireEvent.click(create);
    expect(form.getByRole('alert').textContent).toMatch(/the URL must be absolute/);
    fireEvent.change(url, { target: { value: 'ftp://example.com/x' } });
    fireEvent.click(create);
    expect(form.getByRole('alert').textContent).toBe('the URL must be http or https, not ftp');
    fireEvent.change(url, { target: { value: 'https://example.com/x' } });
    fireEvent.click(form.getByRole('checkbox', { name: /record\.\*/ }));
    fireEvent.click(create);
    expect(form.getByRole('alert').textContent).toBe('pick at least one event, or type a pattern');
    expect(api.calls.some((c) => c.method === 'POST')).toBe(false);

    fireEvent.click(form.getByRole('checkbox', { name: /^\*/ }));
    fireEvent.change(url, { target: { value: 'http://10.0.0.5/' } });
    fireEvent.click(create);
    await waitFor(() => expect(form.getByRole('alert').textContent).toBe(`WEBHOOK_URL_FORBIDDEN ${forbidden}`));
    fireEvent.change(url, { target: { value: 'https://example.com/x' } });
    fireEvent.click(create);
    await waitFor(() => expect(form.getByRole('alert').textContent).toMatch(/^WEBHOOK_LIMIT_REACHED this account has at most 50 webhooks/));
    expect(screen.queryByTestId('new-secret')).toBeNull();
  });

  it('disables and enables with PATCH status, edits, and shows a read-only key’s 403 in the card', async () => {
    const api = fakeApi({
      hooks: [hook('wh_a')],
      refuse: (c) => (c.method === 'POST' && c.url.pathname.endsWith('/test') ? [403, 'INSUFFICIENT_SCOPE', 'this key lacks the "write" scope'] : undefined),
    });
    page();
    const a = within(await waitFor(() => card('wh_a')));
    fireEvent.click(a.getByRole('button', { name: 'Disable' }));
    await waitFor(() => expect(a.getByTestId('hook-status').textContent).toBe('○ disabled'));
    expect(api.calls.filter((c) => c.method === 'PATCH').map((c) => c.body)).toEqual([{ status: 'disabled' }]);
    expect(a.getByText('Disabled: disabled by the API')).toBeTruthy();
    expect(a.getByRole('status').textContent).toMatch(/^Disabled: nothing is sent/);
    fireEvent.click(a.getByRole('button', { name: 'Enable' }));
    await waitFor(() => expect(a.getByTestId('hook-status').textContent).toBe('● active'));
    expect(api.calls.filter((c) => c.method === 'PATCH').at(-1)!.body).toEqual({ status: 'active' });

    fireEvent.click(a.getByRole('button', { name: 'Edit' }));
    const edit = within(screen.getByRole('form', { name: 'Edit webhook' }));
    expect((edit.getByLabelText('URL') as HTMLInputElement).value).toBe('https://hooks.example.com/wh_a');
    expect((edit.getByRole('checkbox', { name: /record\.\*/ }) as HTMLInputElement).checked).toBe(true);
    fireEvent.change(edit.getByLabelText('URL'), { target: { value: 'https://hooks.example.com/moved' } });
    fireEvent.click(await edit.findByRole('checkbox', { name: 'jobs' }));
    fireEvent.click(edit.getByRole('button', { name: 'Save changes' }));
    await waitFor(() => expect(a.getByRole('heading', { name: 'https://hooks.example.com/moved' })).toBeTruthy());
    expect(api.calls.filter((c) => c.method === 'PATCH').at(-1)!.body).toEqual({ url: 'https://hooks.example.com/moved', events: ['record.*'], collections: ['jobs'], description: null });
    expect(screen.queryByRole('form', { name: 'Edit webhook' })).toBeNull();

    fireEvent.click(a.getByRole('button', { name: 'Send test event' }));
    await waitFor(() => expect(a.getByRole('alert').textContent).toBe('INSUFFICIENT_SCOPE this key lacks the "write" scope'));
  });

  it('sends a test event and shows it in the deliveries', async () => {
    fakeApi({ hooks: [hook('wh_a')] });
    page();
    const a = within(await waitFor(() => card('wh_a')));
    await screen.findByText(/^No deliveries yet/);
    fireEvent.click(a.getByRole('button', { name: 'Send test event' }));
    await waitFor(() => expect(a.getByRole('status').textContent).toMatch(/^Test event queued/));
    await waitFor(() => expect(document.querySelector('tr[data-delivery="msg_test"]')?.getAttribute('data-event')).toBe('webhook.test'));
  });

  it('deletes only after the confirmation, and keeps it on Cancel', async () => {
    const api = fakeApi({ hooks: [hook('wh_a'), hook('wh_b')] });
    page();
    const a = within(await waitFor(() => card('wh_a')));
    fireEvent.click(a.getByRole('button', { name: 'Delete https://hooks.example.com/wh_a' }));
    const dialog = screen.getAllByRole('dialog', { hidden: true }).find((d) => d.textContent?.includes('wh_a'))!;
    expect(dialog.textContent).toMatch(/pending deliveries are dropped/);
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel', hidden: true }));
    expect(api.calls.some((c) => c.method === 'DELETE')).toBe(false);
    fireEvent.click(a.getByRole('button', { name: 'Delete https://hooks.example.com/wh_a' }));
    fireEvent.click(within(dialog).getByRole('button', { name: 'Delete webhook', hidden: true }));
    await waitFor(() => expect(document.querySelector('[data-webhook="wh_a"]')).toBeNull());
    expect(api.calls.filter((c) => c.method === 'DELETE').map((c) => c.url.pathname)).toEqual(['/v1/webhooks/wh_a']);
    expect(card('wh_b')).toBeTruthy();
  });
});

describe('webhook form logic', () => {
  it('joins ticked events and typed patterns without repeats, in the offered order first', () => {
    expect(eventsOf(new Set(['job.failed', 'record.*']), ' job.* ,record.*  x.y')).toEqual(['record.*', 'job.failed', 'job.*', 'x.y']);
    expect(eventsOf(new Set(), '')).toEqual([]);
  });
  it('needs an absolute http(s) URL and an event', () => {
    expect(formProblem('hooks.example.com', ['*'])).toMatch(/absolute/);
    expect(formProblem('javascript:alert(1)', ['*'])).toMatch(/not javascript/);
    expect(formProblem('https://x.example/', [])).toMatch(/at least one event/);
    expect(formProblem('http://127.0.0.1:9/', ['*'])).toBeNull();
  });
});
