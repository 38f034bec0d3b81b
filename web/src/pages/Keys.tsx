/** API keys: list, create with scopes and expiry (the key shown once), revoke. */
import { useState, type FormEvent } from 'react';
import type { CreateKey as KeyRequest } from '@vectra/client';
import { useSession, useVectra } from '../session';
import { useAction, useLoad } from '../lib/hooks';
import { when } from '../lib/format';
import type { ApiKey } from '../lib/types';
import { ErrorNote } from '../components/ErrorNote';
import { ItemTable, type Column } from '../components/ItemTable';
import { SecretOnce } from '../components/SecretOnce';
import { TextField } from '../components/Fields';
import { CheckboxGroup, FormEnd, useChoice } from '../components/Form';

const SCOPES: { id: KeyRequest['scopes'][number]; what: string }[] = [
  { id: 'read', what: 'get, list, search, embed' },
  { id: 'write', what: 'create, upsert, delete' },
  { id: 'admin', what: 'manage keys, run benchmarks' },
];

export function Keys() {
  const vectra = useVectra();
  const { signOut, key } = useSession();
  const list = useLoad(() => vectra.keys.list(), [vectra]);
  const revoking = useAction();
  const keys = list.data ?? [];
  const active = keys.filter((k) => !k.revokedAt);
  const revoked = keys.filter((k) => k.revokedAt);
  const mine = (k: ApiKey) => key !== null && key.startsWith(k.prefix);
  const columns: Column<ApiKey>[] = [
    { head: 'Name', cell: (k) => <>{k.name}{mine(k) && <span className="badge">this session</span>}</> },
    { head: 'Prefix', cell: (k) => <code>{k.prefix}…</code> },
    { head: 'Scopes', cell: (k) => k.scopes.join(', ') },
    { head: 'Created', cell: (k) => when(k.createdAt) },
    { head: 'Last used', cell: (k) => when(k.lastUsedAt) },
    { head: 'Expires', cell: (k) => (k.expiresAt ? when(k.expiresAt) : 'never') },
  ];

  const revoke = async (k: ApiKey) => {
    if ((await revoking.run(() => vectra.keys.revoke(k.id).then(() => true))) === undefined) return;
    if (mine(k)) signOut('You revoked the key this dashboard was using.');
    else list.reload();
  };

  return (
    <>
      <h1 tabIndex={-1}>API keys</h1>
      <ErrorNote error={list.error ?? revoking.error} />
      {list.data && (
        <ItemTable
          caption="Active API keys"
          testId="keys"
          items={active}
          itemKey={(k) => k.id}
          rowData={(k) => ({ 'data-key': k.name })}
          columns={columns}
          removal={{
            verb: 'Revoke',
            name: (k) => k.name,
            question: (k) => (
              <>
                Revoke “{k.name}” ({k.prefix}…)? It stops working at once, for every application using it.
                {mine(k) && ' This dashboard is signed in with it: you will be signed out.'}
              </>
            ),
            busy: revoking.busy,
            onConfirm: (k) => void revoke(k),
          }}
        />
      )}
      {revoked.length > 0 && (
        <details>
          <summary>Revoked keys ({revoked.length})</summary>
          <ul className="compact" data-testid="revoked-keys">
            {revoked.map((k) => (
              <li key={k.id}>
                {k.name} (<code>{k.prefix}…</code>), revoked {when(k.revokedAt)}
              </li>
            ))}
          </ul>
        </details>
      )}
      <CreateKey onCreated={list.reload} />
    </>
  );
}

function CreateKey({ onCreated }: { onCreated(): void }) {
  const vectra = useVectra();
  const [name, setName] = useState('');
  const [scopes, toggle] = useChoice(['read']);
  const [expires, setExpires] = useState('');
  const [secret, setSecret] = useState<{ name: string; apiKey: string } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const creating = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSecret(null);
    if (scopes.size === 0) return setProblem('pick at least one scope');
    // datetime-local is the browser's local time; the API wants an ISO instant.
    const expiresAt = expires ? new Date(expires).toISOString() : undefined;
    if (expiresAt && new Date(expiresAt).getTime() <= Date.now()) return setProblem('the expiry must be in the future');
    setProblem(null);
    const r = await creating.run(() => vectra.keys.create({ name: name.trim(), scopes: SCOPES.map((s) => s.id).filter((s) => scopes.has(s)), ...(expiresAt ? { expiresAt } : {}) }));
    if (r) {
      setSecret({ name: r.name, apiKey: r.apiKey });
      setName('');
      onCreated();
    }
  };
  return (
    <form className="card" onSubmit={submit} aria-labelledby="newkey-h">
      <h2 id="newkey-h">Create a key</h2>
      <div className="form-grid">
        <TextField label="Name" value={name} onChange={setName} required placeholder="search-frontend" />
        <div className="field">
          <label htmlFor="key-expires">Expires (optional, your local time)</label>
          <input id="key-expires" type="datetime-local" value={expires} onChange={(e) => setExpires(e.target.value)} />
        </div>
      </div>
      <CheckboxGroup
        legend="Scopes"
        options={SCOPES.map((s) => ({ id: s.id, label: <><strong>{s.id}</strong> <span className="muted">({s.what})</span></> }))}
        chosen={scopes}
        onToggle={toggle}
      />
      <FormEnd busy={creating.busy} label="Create key" busyLabel="Creating…" problem={problem} error={creating.error} />
      {secret && (
        <SecretOnce secret={secret.apiKey}>
          <p className="muted">Key “{secret.name}” created.</p>
          <button type="button" onClick={() => setSecret(null)}>
            Done, hide it
          </button>
        </SecretOnce>
      )}
    </form>
  );
}
