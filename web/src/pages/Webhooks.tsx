/**
 * Webhooks: the account's webhooks with their state and delivery counts; create one (its
 * signing secret shown once), edit, disable/enable, delete, send a test event; and one
 * webhook's delivery history, refreshed every few seconds so retries can be watched.
 */
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { useSearchParams } from 'react-router';
import type { Vectra } from '@vectra/client';
import { useAction, useLoad } from '../lib/hooks';
import { clock, count, when } from '../lib/format';
import type { Delivery, Webhook } from '../lib/types';
import { useVectra } from '../session';
import { ConfirmButton } from '../components/ConfirmButton';
import { ErrorNote } from '../components/ErrorNote';
import { Facts } from '../components/Facts';
import { TextField } from '../components/Fields';
import { CheckboxGroup, FormEnd } from '../components/Form';
import { SecretOnce, type SecretKind } from '../components/SecretOnce';
import { Stats } from '../components/Stats';

export const REFRESH_MS = 3000;

/** The patterns offered as checkboxes; anything else goes in the free-text field. */
const EVENT_CHOICES = [
  { id: '*', what: 'every event' },
  { id: 'record.*', what: 'upserts and deletes' },
  { id: 'record.upserted', what: '' },
  { id: 'record.deleted', what: '' },
  { id: 'collection.created', what: '' },
  { id: 'collection.deleted', what: '' },
  { id: 'job.completed', what: '' },
  { id: 'job.failed', what: '' },
  { id: 'index.built', what: 'a background index build finished' },
  { id: 'webhook.disabled', what: 'another webhook was disabled' },
];
const OFFERED = new Set(EVENT_CHOICES.map((c) => c.id));

const WEBHOOK_SECRET: SecretKind = {
  label: 'New webhook secret',
  copy: 'Copy secret',
  warning: (
    <>
      <strong>Copy this signing secret now.</strong> It is shown only once: Vectra signs every delivery with it (the <code>webhook-signature</code> header) but never shows it again. Lost, it means deleting the webhook and creating a new one.
    </>
  ),
  testId: 'new-secret',
};

/** The list, each webhook with its delivery counts (one request for all). */
function loadWebhooks(vectra: Vectra): Promise<Webhook[]> {
  return vectra.webhooks.list();
}

/** Reload every REFRESH_MS while the page is open and the tab visible. */
function usePoll(reload: () => void) {
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState !== 'hidden') reload();
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, [reload]);
}

export function Webhooks() {
  const vectra = useVectra();
  const [params, setParams] = useSearchParams();
  const list = useLoad(() => loadWebhooks(vectra), [vectra]);
  const collections = useLoad(() => vectra.collections.list(), [vectra]);
  usePoll(list.reload);
  // Bumped by every change made here (a test event, an enable…): the deliveries shown reload at once.
  const [version, setVersion] = useState(0);
  const changed = () => {
    list.reload();
    setVersion((v) => v + 1);
  };
  const hooks = list.data ?? [];
  const asked = params.get('webhook');
  // The one asked for in the address, else (none asked, or it was deleted) the first.
  const shown = hooks.find((w) => w.id === asked) ?? hooks[0];
  const names = collections.data?.map((c) => c.name) ?? [];
  const show = (id: string) => setParams({ webhook: id });
  return (
    <>
      <h1 tabIndex={-1}>Webhooks</h1>
      <p className="muted">
        Vectra POSTs your account’s events (record writes, collections created and deleted, finished jobs) to these URLs, signed with each webhook’s secret (Standard Webhooks), retrying with backoff until the receiver answers 2xx. Figures refresh every {REFRESH_MS / 1000} s.
      </p>
      <ErrorNote error={list.error} />
      {list.data && hooks.length === 0 && <p className="empty">No webhooks yet: create one below.</p>}
      {hooks.length > 0 && (
        <ul className="hooks" aria-label="Your webhooks">
          {hooks.map((w) => (
            <WebhookCard key={w.id} hook={w} names={names} shown={w.id === shown?.id} onShow={() => show(w.id)} onChanged={changed} />
          ))}
        </ul>
      )}
      {shown && <Deliveries key={shown.id} hook={shown} version={version} />}
      <CreateWebhook names={names} onCreated={(id) => (list.reload(), show(id))} />
    </>
  );
}

function StatusBadge({ hook }: { hook: Webhook }) {
  return (
    <span className={`hook-status hook-${hook.status}`} data-testid="hook-status">
      {hook.status === 'active' ? '● active' : '○ disabled'}
    </span>
  );
}

function WebhookCard({ hook, names, shown, onShow, onChanged }: { hook: Webhook; names: string[]; shown: boolean; onShow(): void; onChanged(): void }) {
  const { webhooks } = useVectra();
  const acting = useAction();
  const [editing, setEditing] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const act = async (what: () => Promise<unknown>, said: string) => {
    setDone(null);
    if ((await acting.run(what)) === undefined) return;
    setDone(said);
    onChanged();
  };
  const toggle = () => {
    const status = hook.status === 'active' ? 'disabled' : 'active';
    void act(() => webhooks.update(hook.id, { status }), status === 'active' ? 'Enabled: what waited is being sent.' : 'Disabled: nothing is sent until it is enabled again.');
  };
  const test = () =>
    void act(async () => {
      const d = await webhooks.test(hook.id);
      onShow();
      return d;
    }, 'Test event queued: it shows in the deliveries below.');
  const remove = () => void act(() => webhooks.delete(hook.id).then(() => true), 'Deleted.');
  const s = hook.stats;
  const headingId = `hook-${hook.id}-h`;
  return (
    <li className={`card hook ${shown ? 'shown' : ''}`} data-webhook={hook.id} data-status={hook.status} aria-labelledby={headingId}>
      <div className="hook-head">
        <h2 id={headingId} className="hook-url">
          {hook.url}
        </h2>
        <StatusBadge hook={hook} />
      </div>
      {hook.description && <p className="hook-desc">{hook.description}</p>}
      {hook.status === 'disabled' && hook.disabledReason && <p className="muted">Disabled: {hook.disabledReason}</p>}
      <Facts
        items={[
          ['Events', hook.events.map((e) => <code key={e} className="chip">{e}</code>)],
          ['Collections', hook.collections ? hook.collections.join(', ') : 'all'],
          ['Created', when(hook.createdAt)],
          ['Id', <code>{hook.id}</code>],
        ]}
      />
      {s && (
        <Stats
          label={`Deliveries of ${hook.url}`}
          testId="hook-stats"
          items={[
            { label: 'Delivered', value: count(s.delivered), testId: 'stat-delivered' },
            { label: 'Failed', value: count(s.failed), testId: 'stat-failed' },
            { label: 'Pending', value: count(s.pending), testId: 'stat-pending' },
            { label: 'Failures in a row', value: count(s.consecutiveFailures), testId: 'stat-consecutive' },
            s.missedChanges > 0 && { label: 'Missed changes', value: `${count(s.missedChanges)} (last ${when(s.lastMissedAt)})`, testId: 'stat-missed' },
          ]}
        />
      )}
      {editing ? (
        <WebhookForm
          title="Edit webhook"
          names={names}
          initial={hook}
          submitLabel="Save changes"
          busyLabel="Saving…"
          onCancel={() => setEditing(false)}
          onSubmit={async (body) => {
            const r = await webhooks.update(hook.id, body);
            setEditing(false);
            setDone('Saved.');
            onChanged();
            return r;
          }}
        />
      ) : (
        <div className="row">
          <button type="button" aria-pressed={shown} onClick={onShow}>
            Deliveries<span className="sr-only"> of {hook.url}</span>
          </button>
          <button type="button" onClick={test} disabled={acting.busy}>
            Send test event
          </button>
          <button type="button" onClick={() => (setDone(null), setEditing(true))}>
            Edit
          </button>
          <button type="button" onClick={toggle} disabled={acting.busy}>
            {hook.status === 'active' ? 'Disable' : 'Enable'}
          </button>
          <ConfirmButton
            label={<>Delete<span className="sr-only"> {hook.url}</span></>}
            question={<>Delete the webhook to {hook.url}? Nothing more is sent to it and its pending deliveries are dropped. Its secret cannot be brought back.</>}
            confirm="Delete webhook"
            disabled={acting.busy}
            onConfirm={remove}
          />
        </div>
      )}
      <ErrorNote error={acting.error} />
      {done && (
        <p role="status" className="ok">
          {done}
        </p>
      )}
    </li>
  );
}

export interface WebhookBody {
  url: string;
  events: string[];
  collections: string[] | null;
  description: string | null;
}

/** The events picked: the checked choices, then the free-text patterns (comma or space separated), without repeats. */
export function eventsOf(checked: Set<string>, more: string): string[] {
  const typed = more.split(/[\s,]+/).filter(Boolean);
  return [...new Set([...EVENT_CHOICES.map((c) => c.id).filter((id) => checked.has(id)), ...typed])];
}

/** What is wrong with the form before asking the API (which checks the rest, e.g. private addresses). */
export function formProblem(url: string, events: string[]): string | null {
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    return 'the URL must be absolute, e.g. https://hooks.example.com/vectra';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `the URL must be http or https, not ${u.protocol.slice(0, -1)}`;
  if (events.length === 0) return 'pick at least one event, or type a pattern';
  return null;
}

function WebhookForm({ title, names, initial, submitLabel, busyLabel, onSubmit, onCancel }: { title: string; names: string[]; initial?: Webhook; submitLabel: string; busyLabel: string; onSubmit(body: WebhookBody): Promise<unknown>; onCancel?(): void }) {
  const [url, setUrl] = useState(initial?.url ?? '');
  const [checked, setChecked] = useState(() => new Set(initial ? initial.events.filter((e) => OFFERED.has(e)) : ['record.*']));
  const [more, setMore] = useState(initial ? initial.events.filter((e) => !OFFERED.has(e)).join(', ') : '');
  const [picked, setPicked] = useState(() => new Set(initial?.collections ?? []));
  const [description, setDescription] = useState(initial?.description ?? '');
  const [problem, setProblem] = useState<string | null>(null);
  const saving = useAction();
  const flip = (set: Set<string>, id: string) => {
    const next = new Set(set);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    return next;
  };
  // A collection the webhook names that no longer exists stays listed (and can be unticked).
  const choosable = [...new Set([...names, ...(initial?.collections ?? [])])];
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const events = eventsOf(checked, more);
    const p = formProblem(url, events);
    setProblem(p);
    if (p) return;
    const body = { url: url.trim(), events, collections: picked.size ? choosable.filter((n) => picked.has(n)) : null, description: description.trim() || null };
    const r = await saving.run(() => onSubmit(body));
    if (r !== undefined && !initial) {
      setUrl('');
      setDescription('');
      setMore('');
      setChecked(new Set(['record.*']));
      setPicked(new Set());
    }
  };
  const titleId = `${initial?.id ?? 'new'}-form-h`;
  return (
    <form className={initial ? 'hook-form' : 'card hook-form'} onSubmit={submit} aria-labelledby={titleId} noValidate>
      {initial ? <h3 id={titleId}>{title}</h3> : <h2 id={titleId}>{title}</h2>}
      <TextField label="URL" value={url} onChange={setUrl} required placeholder="https://hooks.example.com/vectra" hint="http or https; the server refuses private and loopback addresses unless its operator allows them" />
      <TextField label="Description (optional)" value={description} onChange={setDescription} placeholder="sync to the search cache" />
      <CheckboxGroup
        legend="Events"
        options={EVENT_CHOICES.map((c) => ({ id: c.id, label: <><code>{c.id}</code>{c.what && <span className="muted"> ({c.what})</span>}</> }))}
        chosen={checked}
        onToggle={(id) => setChecked((s) => flip(s, id))}
      />
      <TextField label="More event patterns (optional)" value={more} onChange={setMore} placeholder="job.*" hint="other types or prefix.* patterns, separated by commas" />
      {choosable.length > 0 ? (
        <CheckboxGroup legend="Collections (none ticked: all of them)" options={choosable.map((n) => ({ id: n, label: n }))} chosen={picked} onToggle={(id) => setPicked((s) => flip(s, id))} />
      ) : (
        <p className="muted">Events of every collection (you have none yet to pick from).</p>
      )}
      <FormEnd busy={saving.busy} label={submitLabel} busyLabel={busyLabel} problem={problem} error={saving.error}>
        {onCancel && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </FormEnd>
    </form>
  );
}

function CreateWebhook({ names, onCreated }: { names: string[]; onCreated(id: string): void }) {
  const { webhooks } = useVectra();
  const [secret, setSecret] = useState<{ url: string; secret: string } | null>(null);
  return (
    <>
      <WebhookForm
        title="Create a webhook"
        names={names}
        submitLabel="Create webhook"
        busyLabel="Creating…"
        onSubmit={async (body) => {
          setSecret(null);
          const r = await webhooks.create(body);
          setSecret({ url: r.url, secret: r.secret });
          onCreated(r.id);
          return r;
        }}
      />
      {secret && (
        <div className="card">
          <SecretOnce secret={secret.secret} kind={WEBHOOK_SECRET}>
            <p className="muted">Webhook to {secret.url} created. Verify each delivery’s signature with this secret (any Standard Webhooks library does).</p>
            <button type="button" onClick={() => setSecret(null)}>
              Done, hide it
            </button>
          </SecretOnce>
        </div>
      )}
    </>
  );
}

const STATUS_TEXT: Record<Delivery['status'], string> = { pending: '◷ pending', delivered: '✓ delivered', failed: '✕ failed' };

/** The deliveries table's columns; the first (the event, the row's header) is drawn apart. */
const COLUMNS: { head: string; num?: boolean; className?: string; cell(d: Delivery): ReactNode }[] = [
  { head: 'Event', cell: (d) => d.event },
  { head: 'Status', cell: (d) => <span className={`delivery delivery-${d.status}`}>{STATUS_TEXT[d.status]}</span> },
  { head: 'Attempts', num: true, cell: (d) => d.attempts },
  { head: 'Last code', num: true, cell: (d) => d.lastStatusCode ?? '—' },
  { head: 'Last error', className: 'last-error', cell: (d) => d.lastError ?? '—' },
  { head: 'Next attempt', cell: (d) => (d.status === 'pending' && d.nextAttemptAt ? <Time iso={d.nextAttemptAt} /> : '—') },
  { head: 'Created', cell: (d) => <Time iso={d.createdAt} /> },
  { head: 'Delivered', cell: (d) => (d.deliveredAt ? <Time iso={d.deliveredAt} /> : '—') },
];

/** One webhook's deliveries, newest first, every REFRESH_MS and on demand. */
function Deliveries({ hook, version }: { hook: Webhook; version: number }) {
  const vectra = useVectra();
  const loaded = useLoad(() => vectra.webhooks.deliveries(hook.id, { limit: 50 }), [vectra, hook.id, version]);
  const [at, setAt] = useState<string | null>(null);
  usePoll(loaded.reload);
  const rows = loaded.data;
  useEffect(() => {
    if (rows) setAt(new Date().toISOString());
  }, [rows]);
  return (
    <section aria-labelledby="deliveries-h" className="deliveries">
      <h2 id="deliveries-h">
        Deliveries <span className="hook-url-small">to {hook.url}</span>
      </h2>
      <div className="row">
        <button type="button" onClick={loaded.reload} disabled={loaded.loading}>
          Refresh
        </button>
        <span className="muted" data-testid="deliveries-updated">
          {at ? `Updated ${clock(at)}; refreshes every ${REFRESH_MS / 1000} s. Newest 50 first.` : 'Loading…'}
        </span>
      </div>
      <ErrorNote error={loaded.error} />
      {rows && rows.length === 0 && <p className="empty">No deliveries yet: they show here once an event matches (or send a test event).</p>}
      {rows && rows.length > 0 && (
        // At phone width each row is laid out as a block of labelled lines (styles.css), so the
        // roles are spelled out: a table whose rows are no longer displayed as a table keeps them.
        <div className="table-wrap delivery-table">
          <table data-testid="deliveries" role="table">
            <caption className="sr-only">Deliveries to {hook.url}, newest first</caption>
            <thead role="rowgroup">
              <tr role="row">
                {COLUMNS.map((c) => (
                  <th key={c.head} scope="col" role="columnheader" className={c.num ? 'num' : undefined}>
                    {c.head}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody role="rowgroup">
              {rows.map((d) => (
                <tr key={d.id} role="row" data-delivery={d.id} data-event={d.event} data-status={d.status} data-attempts={d.attempts}>
                  <th scope="row" role="rowheader">
                    <code>{d.event}</code>
                    <span className="msg-id" title="the webhook-id header">
                      {d.id}
                    </span>
                  </th>
                  {COLUMNS.slice(1).map((c) => (
                    <td key={c.head} role="cell" data-label={c.head} className={c.className ?? (c.num ? 'num' : undefined)}>
                      {c.cell(d)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Time({ iso }: { iso: string }) {
  return (
    <time dateTime={iso} title={when(iso)}>
      {clock(iso)}
    </time>
  );
}
