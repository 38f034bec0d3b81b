/** Components on their own (happy-dom): validation as you type, errors in place, the key shown once. */
import { useState } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { JsonEditor } from './JsonEditor';
import { ErrorNote } from './ErrorNote';
import { ItemTable } from './ItemTable';
import { SelectField } from './Fields';
import { Sparkline } from './Sparkline';
import { SessionProvider } from '../session';
import { SignIn } from '../pages/SignIn';

function Editor() {
  const [v, setV] = useState('');
  return <JsonEditor label="Metadata" rule="object" value={v} onChange={setV} hint="a JSON object" />;
}

function answer(status: number, body: unknown) {
  return Promise.resolve(new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } }));
}

function signInPage() {
  return render(
    <MemoryRouter>
      <SessionProvider>
        <SignIn />
      </SessionProvider>
    </MemoryRouter>,
  );
}

describe('JsonEditor', () => {
  it('says why the text is not the JSON wanted, and marks the field invalid', () => {
    render(<Editor />);
    const box = screen.getByLabelText('Metadata');
    expect(screen.getByText('a JSON object')).toBeTruthy();
    fireEvent.change(box, { target: { value: '{"city": ' } });
    expect(screen.getByText(/^not valid JSON/)).toBeTruthy();
    expect(box.getAttribute('aria-invalid')).toBe('true');
    fireEvent.change(box, { target: { value: '["Austin"]' } });
    expect(screen.getByText(/expected a JSON object/)).toBeTruthy();
    fireEvent.change(box, { target: { value: '{"city": "Austin"}' } });
    expect(box.getAttribute('aria-invalid')).toBe('false');
  });
});

describe('ErrorNote', () => {
  it("shows the API error's code and message as an alert", () => {
    render(<ErrorNote error={{ code: 'INVALID_FILTER', message: 'unknown operator $foo' }} />);
    expect(screen.getByRole('alert').textContent).toBe('INVALID_FILTER unknown operator $foo');
  });
});

describe('ItemTable', () => {
  it('heads each row with its first column, right-aligns figures, and removes only after the dialog is confirmed', () => {
    const removed: string[] = [];
    const { container } = render(
      <ItemTable
        caption="Fruit"
        items={[{ name: 'fig', n: 3 }]}
        itemKey={(f) => f.name}
        rowData={(f) => ({ 'data-fruit': f.name })}
        columns={[{ head: 'Name', cell: (f) => f.name }, { head: 'Count', num: true, testId: 'n', cell: (f) => f.n }]}
        removal={{ verb: 'Delete', name: (f) => f.name, question: (f) => `Delete ${f.name}?`, busy: false, onConfirm: (f) => removed.push(f.name) }}
      />,
    );
    const row = container.querySelector('tr[data-fruit="fig"]')!;
    expect(row.querySelector('th[scope="row"]')!.textContent).toBe('fig');
    expect(screen.getByTestId('n').className).toBe('num');
    expect(container.querySelectorAll('thead th').length).toBe(3);
    fireEvent.click(screen.getByRole('button', { name: 'Delete fig' }));
    expect(removed).toEqual([]);
    fireEvent.click(screen.getByText('Delete fig', { selector: 'dialog button' }));
    expect(removed).toEqual(['fig']);
  });

  it("keeps the confirmation dialog out of the table cell, whose nowrap cut the question's line", () => {
    const { container } = render(
      <ItemTable
        caption="Fruit"
        items={[{ name: 'fig' }]}
        itemKey={(f) => f.name}
        rowData={(f) => ({ 'data-fruit': f.name })}
        columns={[{ head: 'Name', cell: (f) => f.name }]}
        removal={{ verb: 'Delete', name: (f) => f.name, question: (f) => `Delete ${f.name}? It cannot be undone.`, busy: false, onConfirm: () => undefined }}
      />,
    );
    const dialog = document.querySelector('dialog')!;
    expect(dialog.textContent).toContain('Delete fig? It cannot be undone.');
    expect(container.contains(dialog)).toBe(false);
    expect(dialog.parentElement).toBe(document.body);
    // The cell stays a cell: the buttons' flex row is inside it.
    const cell = container.querySelector('td.actions')!;
    expect(cell.firstElementChild!.className).toBe('actions-row');
  });
});

describe('SelectField', () => {
  it("shows short option labels and explains the chosen one under the select", () => {
    function Index() {
      const [v, setV] = useState('hnsw');
      return <SelectField label="Index" value={v} onChange={setV} choices={[{ value: 'hnsw', label: 'HNSW', hint: 'a graph: approximate, fast' }, { value: 'flat', hint: 'an exact scan' }]} />;
    }
    render(<Index />);
    const select = screen.getByLabelText('Index') as HTMLSelectElement;
    expect([...select.options].map((o) => o.text)).toEqual(['HNSW', 'flat']);
    expect(document.getElementById(select.getAttribute('aria-describedby')!)!.textContent).toBe('a graph: approximate, fast');
    fireEvent.change(select, { target: { value: 'flat' } });
    expect(document.getElementById(select.getAttribute('aria-describedby')!)!.textContent).toBe('an exact scan');
  });
});

describe('SignIn', () => {
  it('registers and shows the new key once, with the warning, before signing in', async () => {
    const fetchMock = vi.spyOn(globalThis, 'fetch').mockImplementation(() => answer(201, { tenant: { id: 't1', name: 'acme' }, apiKey: 'vk_secret' }));
    signInPage();
    fireEvent.change(screen.getByLabelText('Account name'), { target: { value: 'acme' } });
    fireEvent.click(screen.getByRole('button', { name: 'Register' }));
    expect((await screen.findByTestId('new-key')).textContent).toBe('vk_secret');
    expect(screen.getByText(/shown only once/)).toBeTruthy();
    expect(sessionStorage.getItem('vectra.apiKey')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: /I have saved the key/ }));
    expect(sessionStorage.getItem('vectra.apiKey')).toBe('vk_secret');
    expect(fetchMock.mock.calls[0][0]).toBe('/v1/auth/register');
    fetchMock.mockRestore();
  });

  it("refuses a bad key with the API's message and keeps nothing", async () => {
    const fetchMock = vi.spyOn(globalThis, 'fetch').mockImplementation(() => answer(401, { error: { code: 'API_KEY_REVOKED', message: 'API key has been revoked; create a new one' } }));
    signInPage();
    fireEvent.change(screen.getByLabelText('API key'), { target: { value: 'vk_old' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('API key has been revoked; create a new one'));
    // The key went in the Authorization header, not the URL.
    const [url, init] = fetchMock.mock.calls[0] as [string, RequestInit];
    expect(url).toBe('/v1/collections');
    expect((init.headers as Record<string, string>).authorization).toBe('Bearer vk_old');
    expect(sessionStorage.getItem('vectra.apiKey')).toBeNull();
    fetchMock.mockRestore();
  });
});

describe('Sparkline', () => {
  const drawn = (values: (number | null)[]) => render(<Sparkline values={values} label="latency" />).container.querySelector('svg');

  it('draws nothing until there is a line next to a value: no zeros for intervals without one', () => {
    expect(drawn([])).toBeNull();
    expect(drawn([3])).toBeNull();
    expect(drawn([null, null, null])).toBeNull();
    expect(drawn([null, 4])).toBeNull();
    expect(drawn([2, 4, null]), 'the latest value reads "—": no line beside it').toBeNull();
  });

  it('draws the values it has, with a gap (not a drop to zero) where one is missing', () => {
    const svg = drawn([2, 4, null, 1, 2])!;
    expect(svg.getAttribute('aria-label')).toBe('latency');
    const d = svg.querySelector('path')!.getAttribute('d')!;
    expect(d.match(/M/g)).toHaveLength(2);
    expect(d.match(/L/g)).toHaveLength(2);
  });
});
