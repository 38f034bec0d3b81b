/** Sign in with an API key, or register a tenant and get its first key (shown once). */
import { useState, type FormEvent } from 'react';
import { Vectra } from '@vectra/client';
import { useAction } from '../lib/hooks';
import { useSession, vectraFor } from '../session';
import { FormEnd } from '../components/Form';
import { SecretOnce } from '../components/SecretOnce';

export function SignIn() {
  const { signIn, notice } = useSession();
  const [key, setKey] = useState('');
  const [name, setName] = useState('');
  const [created, setCreated] = useState<{ apiKey: string; tenant: string } | null>(null);
  const checking = useAction();
  const registering = useAction();

  const submitKey = async (e: FormEvent) => {
    e.preventDefault();
    const k = key.trim();
    // The key is checked with a harmless read; it goes in a header, never in the URL.
    const ok = await checking.run(() => vectraFor(k).collections.list());
    if (ok) signIn(k);
  };
  const submitRegister = async (e: FormEvent) => {
    e.preventDefault();
    const r = await registering.run(() => Vectra.register({ url: '', name: name.trim() }));
    if (r) setCreated({ apiKey: r.apiKey, tenant: r.tenant.name });
  };

  return (
    <div className="signin">
      <h1 tabIndex={-1}>Vectra</h1>
      <p className="lead">A vector database you run yourself: embed, store and search by meaning.</p>
      {notice && (
        <p role="alert" className="error">
          {notice}
        </p>
      )}
      {created ? (
        <section className="card">
          <h2>Account “{created.tenant}” created</h2>
          <SecretOnce secret={created.apiKey}>
            <p>Use it as <code>Authorization: Bearer &lt;key&gt;</code> from your application. This dashboard keeps it only for this browser tab.</p>
            <button type="button" className="primary" onClick={() => signIn(created.apiKey)}>
              I have saved the key — continue
            </button>
          </SecretOnce>
        </section>
      ) : (
        <div className="grid2">
          <form className="card" onSubmit={submitKey} aria-labelledby="signin-h">
            <h2 id="signin-h">Sign in</h2>
            <div className="field">
              <label htmlFor="api-key">API key</label>
              <input id="api-key" type="password" autoComplete="off" placeholder="vk_…" required value={key} onChange={(e) => setKey(e.target.value)} />
            </div>
            <FormEnd busy={checking.busy} label="Sign in" busyLabel="Checking…" error={checking.error} />
          </form>
          <form className="card" onSubmit={submitRegister} aria-labelledby="register-h">
            <h2 id="register-h">Register</h2>
            <p className="muted">Creates an account (tenant) and its first API key, with every scope.</p>
            <div className="field">
              <label htmlFor="account-name">Account name</label>
              <input id="account-name" required maxLength={128} value={name} onChange={(e) => setName(e.target.value)} />
            </div>
            <FormEnd busy={registering.busy} label="Register" busyLabel="Registering…" error={registering.error} />
          </form>
        </div>
      )}
    </div>
  );
}
