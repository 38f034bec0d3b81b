/**
 * Activity: one collection's changes as they are written (its change feed, streamed), newest on
 * top, with pause, replay from a seq, changes per second, and this account's event counts.
 *
 * One collection at a time, not all at once: the feed and its seq numbers are per collection
 * (a "from seq" means nothing across collections), and each followed collection is a stream
 * held open; browsers allow six connections to a server over HTTP/1.1, so following every
 * collection of an account would soon starve the dashboard's own requests.
 */
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { ApiError } from '../lib/api';
import { useLoad } from '../lib/hooks';
import { clock, count, when } from '../lib/format';
import type { Change } from '../lib/types';
import { useChangeFeed, KEEP_ROWS, type ChangeFeed, type FeedState } from '../lib/use-change-feed';
import { useClient, useVectra } from '../session';
import { ErrorNote } from '../components/ErrorNote';
import { NumberField, SelectField } from '../components/Fields';
import { Sparkline } from '../components/Sparkline';
import { Stats } from '../components/Stats';

const STATS_EVERY_MS = 3000;

export function Activity() {
  const vectra = useVectra();
  const [params, setParams] = useSearchParams();
  const list = useLoad(() => vectra.collections.list(), [vectra]);
  const names = list.data?.map((c) => c.name) ?? [];
  const collection = params.get('collection') ?? names[0] ?? '';
  return (
    <>
      <h1 tabIndex={-1}>Activity</h1>
      <p className="muted">
        The changes of one collection as they are written, newest on top, from its change feed (<code>GET /v1/collections/{'{name}'}/changes/stream</code>). Upserts and deletes made with any of your keys show here within a moment.
      </p>
      <ErrorNote error={list.error} />
      {list.data && names.length === 0 ? (
        <p className="empty">
          No collections yet: <Link to="/collections">create one</Link>, then watch its changes here.
        </p>
      ) : (
        <div className="activity-bar">
          <SelectField label="Collection" value={collection} onChange={(v) => setParams({ collection: v })}>
            {/* A collection named in the address but not (yet) listed stays choosable. */}
            {(names.includes(collection) || !collection ? names : [collection, ...names]).map((n) => (
              <option key={n}>{n}</option>
            ))}
          </SelectField>
        </div>
      )}
      {collection && <Feed key={collection} collection={collection} />}
      <EventCounts />
    </>
  );
}

function Feed({ collection }: { collection: string }) {
  const api = useClient();
  const feed = useChangeFeed(api, collection);
  const [from, setFrom] = useState('');
  const replay = (e: FormEvent) => {
    e.preventDefault();
    const n = from.trim() === '' ? null : Number(from);
    // "From seq n" includes n: the feed's since is the seq before it.
    feed.replay(n === null ? null : Math.max(0, n - 1));
  };
  const now = feed.perSecond.at(-1);
  return (
    <>
      <div className="activity-bar">
        <form className="replay" onSubmit={replay} aria-label="Replay">
          <NumberField label="From seq" value={from} onChange={setFrom} min={0} step={1} placeholder="now" hint="Replay from this seq on (empty: from now)." />
          <button type="submit">Replay</button>
        </form>
        <button type="button" className="pause" onClick={() => feed.setPaused(!feed.paused)} aria-pressed={feed.paused} disabled={!!feed.error}>
          {feed.paused ? 'Resume' : 'Pause'}
        </button>
      </div>
      <p role="status" className="feed-status" data-testid="feed-status" data-state={feed.status.state}>
        <span className={`dot ${feed.status.state}`} aria-hidden="true" /> {statusText(feed.status, feed.seq, collection)}
      </p>
      {feed.error && <Ended feed={feed} error={feed.error} />}
      <Stats
        label="Feed"
        items={[
          { label: 'Changes/s', value: now === undefined ? '—' : count(now), testId: 'rate', extra: <Sparkline values={feed.perSecond} label="changes per second, last minute" /> },
          { label: 'Last seq', value: feed.seq === null ? '—' : count(feed.seq), testId: 'last-seq' },
          { label: 'Shown', value: `${count(feed.rows.length)} (newest ${KEEP_ROWS} kept)` },
        ]}
      />
      <section aria-labelledby="changes-h">
        <h2 id="changes-h">Changes</h2>
        <ChangeTable collection={collection} rows={feed.rows} waiting={feed.status.state === 'live'} />
      </section>
    </>
  );
}

function statusText(s: FeedState, seq: number | null, collection: string): string {
  const at = seq === null ? '' : ` after seq ${seq}`;
  switch (s.state) {
    case 'connecting':
      return `Connecting to ${collection}’s feed…`;
    case 'live':
      // The seq the connection opened after, not the latest: this line is a live region, read out when it changes.
      return `Live: following ${collection} after seq ${s.since}.`;
    case 'retrying':
      return `Connection lost: ${s.error.message}. Reconnecting in ${Math.max(1, Math.round(s.inMs / 1000))} s${s.attempt > 1 ? ` (attempt ${s.attempt})` : ''}, resuming${at}.`;
    case 'paused':
      return `Paused${at}: resuming shows what was written meanwhile.`;
    case 'ended':
      return `The feed has stopped${at}.`;
  }
}

/** Why the feed ended, and the ways on: go on from the last seq seen, from now, or from the oldest kept. */
function Ended({ feed, error }: { feed: ChangeFeed; error: ApiError }) {
  const oldest = typeof error.details.oldestSeq === 'number' ? error.details.oldestSeq : null;
  const expired = error.code === 'CHANGES_EXPIRED';
  return (
    <div className="ended">
      <ErrorNote error={error} />
      <div className="row">
        {!expired && feed.seq !== null && (
          <button type="button" className="primary" onClick={() => feed.resume(feed.seq)}>
            Resume after seq {feed.seq}
          </button>
        )}
        <button type="button" className={expired ? 'primary' : undefined} onClick={() => feed.resume(null)}>
          Resume from the latest seq
        </button>
        {expired && oldest !== null && (
          <button type="button" onClick={() => feed.replay(Math.max(0, oldest - 1))}>
            Replay from seq {oldest} (the oldest kept)
          </button>
        )}
      </div>
    </div>
  );
}

function ChangeTable({ collection, rows, waiting }: { collection: string; rows: Change[]; waiting: boolean }) {
  // An id links to its record while the newest change shown for it is an upsert (a deleted record has no page).
  const latestOp = useMemo(() => {
    const m = new Map<string, Change['op']>();
    for (const r of rows) if (!m.has(r.id)) m.set(r.id, r.op);
    return m;
  }, [rows]);
  if (rows.length === 0) {
    return <p className="empty">{waiting ? `No changes yet: write to ${collection} and they show here as they happen.` : 'No changes to show.'}</p>;
  }
  return (
    <div className="table-wrap feed-table">
      <table data-testid="changes">
        <caption className="sr-only">Changes of {collection}, newest first</caption>
        <thead>
          <tr>
            <th scope="col" className="num">
              Seq
            </th>
            <th scope="col">Op</th>
            <th scope="col">Id</th>
            <th scope="col">Time</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((c) => (
            <tr key={c.seq} data-seq={c.seq} data-op={c.op} data-id={c.id} className={`change-${c.op}`}>
              <th scope="row" className="num">
                {c.seq}
              </th>
              <td>
                <span className={`op op-${c.op}`}>{c.op === 'upsert' ? '+ upsert' : '− delete'}</span>
              </td>
              <td className="id">
                {c.op === 'upsert' && latestOp.get(c.id) === 'upsert' ? (
                  <Link to={`/collections/${encodeURIComponent(collection)}?record=${encodeURIComponent(c.id)}`}>{c.id}</Link>
                ) : (
                  <span>{c.id}</span>
                )}
              </td>
              <td>
                <time dateTime={c.at} title={when(c.at)}>
                  {clock(c.at)}
                </time>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** This account's event counts by type (GET /v1/events/stats), every few seconds. */
function EventCounts() {
  const vectra = useVectra();
  const loaded = useLoad(() => vectra.eventStats(), [vectra]);
  const { reload } = loaded;
  useEffect(() => {
    const timer = setInterval(reload, STATS_EVERY_MS);
    return () => clearInterval(timer);
  }, [reload]);
  const stats = loaded.data;
  const error = loaded.error;
  const types = Object.entries(stats?.published ?? {});
  return (
    <section aria-labelledby="events-h">
      <h2 id="events-h">Events</h2>
      <p className="muted">
        Events published for your account since the server started{stats ? ` (${when(stats.since)})` : ''}, by type, every {STATS_EVERY_MS / 1000} s. Listeners are the change feeds open now, this page’s among them.
      </p>
      <ErrorNote error={error} />
      {stats && (
        <Stats
          label="Event counts"
          testId="event-counts"
          items={[
            ...types.map(([type, n]) => ({ label: type, value: count(n), testId: `events-${type}` })),
            { label: 'All events', value: count(stats.total), testId: 'events-total' },
            { label: 'Delivered', value: count(stats.delivered) },
            stats.skipped > 0 && { label: 'Skipped (queue full)', value: count(stats.skipped) },
            { label: 'Listeners', value: count(stats.subscribers) },
          ]}
        />
      )}
    </section>
  );
}
