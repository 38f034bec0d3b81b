/**
 * The Activity page's live state for one collection: the newest changes (bounded), the last seq
 * seen, the connection's state, the error that ended the feed, and changes per second. Mount it
 * under a `key` of the collection: a new collection starts from nothing.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ApiError, Client } from './api';
import { asApiError } from './hooks';
import { followFeed, keepNewest, latestSeq, type Change, type FeedStatus } from './change-feed';

/** Rows kept in memory (and shown): the newest. */
export const KEEP_ROWS = 500;
/** Seconds of the changes-per-second history. */
export const RATE_SECONDS = 60;

export type FeedState = FeedStatus | { state: 'paused' } | { state: 'ended' };

export interface ChangeFeed {
  /** Newest first, at most KEEP_ROWS. */
  rows: Change[];
  /** The seq the feed follows after: the last change seen, or where it started. */
  seq: number | null;
  status: FeedState;
  error: ApiError | null;
  /** Changes received in each of the last seconds, oldest first. */
  perSecond: number[];
  paused: boolean;
  setPaused(p: boolean): void;
  /** Start over after `since` (null: from now), the list emptied. */
  replay(since: number | null): void;
  /** Go on after `since` (null: from now), keeping the list. */
  resume(since: number | null): void;
}

export function useChangeFeed(api: Client, collection: string, opts: { keep?: number } = {}): ChangeFeed {
  const keep = opts.keep ?? KEEP_ROWS;
  const [rows, setRows] = useState<Change[]>([]);
  const [seq, setSeq] = useState<number | null>(null);
  const [status, setStatus] = useState<FeedStatus>({ state: 'connecting', since: 0 });
  const [error, setError] = useState<ApiError | null>(null);
  const [paused, setPaused] = useState(false);
  const [run, setRun] = useState(0);
  const [perSecond, setPerSecond] = useState<number[]>([]);
  // Where to go on from: what the loop delivered last (a ref: reconnections and resumes read it, renders do not).
  const cursor = useRef<number | null>(null);
  const counted = useRef(0);

  useEffect(() => {
    if (paused || error) return;
    const ctrl = new AbortController();
    void (async () => {
      try {
        setStatus({ state: 'connecting', since: cursor.current ?? 0 });
        const since = cursor.current ?? (await latestSeq(api, collection));
        if (ctrl.signal.aborted) return;
        cursor.current = since;
        setSeq(since);
        await followFeed({
          open: (s, signal) => api.stream(`/v1/collections/${encodeURIComponent(collection)}/changes/stream?since=${s}`, signal),
          since,
          signal: ctrl.signal,
          onChanges: (batch) => {
            cursor.current = batch[batch.length - 1].seq;
            counted.current += batch.length;
            setRows((r) => keepNewest(r, batch, keep));
            setSeq(cursor.current);
          },
          onStatus: setStatus,
        });
      } catch (e) {
        if (!ctrl.signal.aborted) setError(asApiError(e));
      }
    })();
    // Leaving the page, pausing or switching collection closes the stream.
    return () => ctrl.abort();
  }, [api, collection, paused, error, run, keep]);

  useEffect(() => {
    const timer = setInterval(() => {
      const n = counted.current;
      counted.current = 0;
      setPerSecond((h) => [...h.slice(-(RATE_SECONDS - 1)), n]);
    }, 1000);
    return () => clearInterval(timer);
  }, []);

  const resume = useCallback((since: number | null) => {
    cursor.current = since;
    setError(null);
    setPaused(false);
    setRun((r) => r + 1);
  }, []);
  const replay = useCallback(
    (since: number | null) => {
      setRows([]);
      setSeq(since);
      resume(since);
    },
    [resume],
  );

  const state: FeedState = error ? { state: 'ended' } : paused ? { state: 'paused' } : status;
  return { rows, seq, status: state, error, perSecond, paused, setPaused, replay, resume };
}
