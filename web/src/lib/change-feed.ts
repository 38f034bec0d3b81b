/**
 * Following a collection's change feed (GET …/changes/stream, Server-Sent Events) from the
 * dashboard: one loop that connects, reads changes in seq order, and when the connection drops
 * reconnects with backoff from the last seq it delivered, so the caller sees every change once
 * (no gap: the server replays after `since`; no duplicate: a seq not above it is dropped).
 * It ends only when aborted (resolves) or when the feed cannot go on (rejects with the ApiError:
 * the collection was deleted, the seq is older than the retention keeps, the key was refused).
 */
import { ApiError, eventError, type Client } from './api';
import { SseParser } from '@vectra/client';
import type { Change, ChangePage } from './types';

export type { Change } from './types';

export type FeedStatus =
  | { state: 'connecting'; since: number }
  | { state: 'live'; since: number }
  | { state: 'retrying'; since: number; inMs: number; attempt: number; error: ApiError };

export interface FollowOptions {
  /** Open the stream after `since` (Client.stream in the app; a stand-in in tests). */
  open(since: number, signal: AbortSignal): Promise<Response>;
  since: number;
  signal: AbortSignal;
  /** Changes in seq order, each seq above every one delivered before. */
  onChanges(changes: Change[]): void;
  onStatus?(status: FeedStatus): void;
  /** No byte for this long (the server sends a comment every 15 s when idle) counts as a dropped connection. */
  idleMs?: number;
  /** The wait before reconnection attempt n (1, 2, …); `retryMs` is the server's `retry:` when it sent one. */
  backoff?(attempt: number, retryMs: number | null): number;
}

/** Doubling from the server's retry (or 1 s) up to 30 s, with ±20 % jitter so that many tabs do not reconnect in step. */
export function backoffMs(attempt: number, retryMs: number | null, random = Math.random): number {
  const base = Math.max(250, retryMs ?? 1000);
  return Math.round(Math.min(30_000, base * 2 ** (attempt - 1)) * (0.8 + 0.4 * random()));
}

/** Whether a refusal may pass by itself (network, overload, server error) rather than end the feed. */
export function retriable(e: ApiError): boolean {
  return e.status === 0 || e.status === 429 || e.status >= 500;
}

/** The newest-first list with a batch of newer changes (oldest first) on top, at most `max` long. */
export function keepNewest<T>(rows: readonly T[], batch: readonly T[], max: number): T[] {
  const out = batch.slice(-max).reverse();
  for (let i = 0; i < rows.length && out.length < max; i++) out.push(rows[i]);
  return out;
}

/** The collection's latest seq (to follow "from now"), through the page endpoint's latestSeq. */
export async function latestSeq(api: Client, collection: string): Promise<number> {
  const path = (since: number) => `/v1/collections/${encodeURIComponent(collection)}/changes?since=${since}&limit=1`;
  try {
    return (await api<ChangePage>('GET', path(0))).latestSeq;
  } catch (e) {
    // since=0 is older than the retention once changes were trimmed: ask again from the oldest kept.
    const oldest = e instanceof ApiError && e.code === 'CHANGES_EXPIRED' ? e.details.oldestSeq : undefined;
    if (typeof oldest !== 'number') throw e;
    return (await api<ChangePage>('GET', path(Math.max(0, oldest - 1)))).latestSeq;
  }
}

/** Thrown inside the loop for what ends the feed (as opposed to a dropped connection). */
class Ended {
  constructor(readonly error: ApiError) {}
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

function parseChange(data: string): Change | null {
  try {
    const c = JSON.parse(data) as Partial<Change>;
    return typeof c.seq === 'number' && typeof c.id === 'string' && (c.op === 'upsert' || c.op === 'delete') ? (c as Change) : null;
  } catch {
    return null;
  }
}

export async function followFeed(o: FollowOptions): Promise<void> {
  const { signal } = o;
  const idleMs = o.idleMs ?? 45_000;
  const backoff = o.backoff ?? ((n, r) => backoffMs(n, r));
  let since = o.since;
  let attempt = 0;
  let retryMs: number | null = null;
  while (!signal.aborted) {
    o.onStatus?.({ state: 'connecting', since });
    let dropped: ApiError;
    let delivered = false;
    try {
      const res = await o.open(since, signal);
      if (!res.body) throw new ApiError(0, 'NETWORK', 'the answer has no body to stream');
      o.onStatus?.({ state: 'live', since });
      const reader = res.body.getReader();
      const parser = new SseParser();
      let stale = false;
      const onIdle = () => {
        stale = true;
        void reader.cancel().catch(() => undefined);
      };
      let idle = setTimeout(onIdle, idleMs);
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          clearTimeout(idle);
          idle = setTimeout(onIdle, idleMs);
          const batch: Change[] = [];
          for (const ev of parser.push(value)) {
            if (ev.event === 'error') {
              if (batch.length > 0) o.onChanges(batch);
              throw new Ended(eventError(ev.data, 'the feed ended with an error event'));
            }
            if (ev.event !== 'upsert' && ev.event !== 'delete') continue;
            const change = parseChange(ev.data);
            if (!change || change.seq <= since) continue;
            since = change.seq;
            batch.push(change);
          }
          if (parser.retryMs !== null) retryMs = parser.retryMs;
          if (batch.length > 0) {
            delivered = true;
            o.onChanges(batch);
          }
        }
      } finally {
        clearTimeout(idle);
      }
      dropped = stale ? new ApiError(0, 'NETWORK', `no data for ${Math.round(idleMs / 1000)} s`) : new ApiError(0, 'NETWORK', 'the server closed the stream');
    } catch (e) {
      if (signal.aborted) return;
      if (e instanceof Ended) throw e.error;
      const err = e instanceof ApiError ? e : new ApiError(0, 'NETWORK', 'the stream broke off');
      if (!retriable(err)) throw err;
      dropped = err;
    }
    if (signal.aborted) return;
    // A connection that delivered something was healthy: start the backoff over.
    attempt = delivered ? 1 : attempt + 1;
    const inMs = backoff(attempt, retryMs);
    o.onStatus?.({ state: 'retrying', since, inMs, attempt, error: dropped });
    await sleep(inMs, signal);
  }
}
