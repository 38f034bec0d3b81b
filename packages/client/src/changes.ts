/**
 * A collection's change feed as an async iterator. Catching up reads pages (GET …/changes):
 * a bounded request per `limit` changes, nothing held open, the same through any proxy.
 * Following live (`follow: true`) reads the Server-Sent Events stream (GET …/changes/stream)
 * from the last seq seen: changes arrive as they are written, with no polling. A dropped
 * stream (network, server restart, no byte for `idleMs`) reconnects with backoff from the
 * last seq delivered, so each change is yielded once, in seq order. What ends the feed for
 * good (CHANGES_EXPIRED, COLLECTION_NOT_FOUND, a revoked key) is thrown as a VectraError.
 */
import { VectraConnectionError, VectraError, errorFromEnvelope } from './errors.js';
import { type ApiClient, dataOf, via } from './http.js';
import { SseParser, sseEvents } from './sse.js';
import { type RequestOptions, type Transport, readFailure, sleep } from './transport.js';
import type { Change } from './types.js';

export interface ChangesOptions extends RequestOptions {
  /** Yield changes with a seq above this (default 0: from the oldest kept). */
  since?: number;
  /** Changes per page while catching up (1–10000; the server's default is 100). */
  limit?: number;
  /** Each change carries the record as it is now (null when deleted since). */
  includeRecord?: boolean;
  /** Once caught up, follow new changes live until the signal aborts (default false: end when caught up). */
  follow?: boolean;
  /** Following: a stream silent this long is taken as dropped (the server sends a comment every 15 s). Default 45 s. */
  idleMs?: number;
  /** Following: hears of each reconnection, before its wait. */
  onReconnect?(info: { attempt: number; inMs: number; error: VectraError }): void;
}

/** A failure a later connection may not meet: the network, overload, a server error. */
function transient(e: unknown): e is VectraError {
  return e instanceof VectraError && (e.status === 0 || e.status === 429 || e.status >= 500) && e.code !== 'CHANGES_EXPIRED';
}

export async function* followChanges(transport: Transport, api: ApiClient, name: string, options: ChangesOptions): AsyncGenerator<Change, void, undefined> {
  let since = options.since ?? 0;
  const include = options.includeRecord ? { include: 'record' as const } : {};
  for (;;) {
    const query = { since: String(since), ...(options.limit === undefined ? {} : { limit: String(options.limit) }), ...include };
    const page = await dataOf(api.GET('/v1/collections/{name}/changes', { params: { path: { name }, query }, ...via(transport, options, true) }));
    for (const change of page.changes) {
      since = change.seq;
      yield change;
    }
    if (page.changes.length === 0 || page.nextSince >= page.latestSeq) break;
    since = page.nextSince;
  }
  if (options.follow) yield* live(transport, name, since, options);
}

/** Thrown by the stream's own `error` event: the feed cannot go on (never reconnected). */
class FeedEnded {
  constructor(readonly error: VectraError) {}
}

async function* live(transport: Transport, name: string, from: number, options: ChangesOptions): AsyncGenerator<Change, void, undefined> {
  const idleMs = options.idleMs ?? 45_000;
  const include = options.includeRecord ? '&include=record' : '';
  const idle = () => new VectraConnectionError(`the change stream sent nothing for ${idleMs} ms`, null);
  let since = from;
  let attempt = 0;
  for (;;) {
    let reason: VectraError;
    let retryMs: number | null = null;
    try {
      const path = `/v1/collections/${encodeURIComponent(name)}/changes/stream?since=${since}${include}`;
      const opened = await transport.open({ method: 'GET', path, headers: { accept: 'text/event-stream' }, idempotent: true }, { ...options, retries: 0 });
      opened.stopTimer();
      const parser = new SseParser();
      try {
        for await (const event of sseEvents(opened.response.body!, parser, idleMs, idle)) {
          attempt = 0;
          if (event.event === 'error') throw new FeedEnded(errorFromEnvelope(0, JSON.parse(event.data)));
          if (event.event !== 'upsert' && event.event !== 'delete') continue;
          const change = JSON.parse(event.data) as Change;
          // A reconnection replays after `since`: anything not above it was yielded already.
          if (change.seq <= since) continue;
          since = change.seq;
          yield change;
        }
        reason = new VectraConnectionError('the change stream ended (the server closed it)', null, 'STREAM_ENDED');
      } catch (e) {
        if (e instanceof FeedEnded) throw e;
        const failure = readFailure(e, options.signal, 'the change stream broke off');
        if (!(failure instanceof VectraError)) throw failure;
        reason = failure;
      } finally {
        retryMs = parser.retryMs;
        opened.close(true);
      }
    } catch (e) {
      if (e instanceof FeedEnded) throw e.error;
      // Refusals of the connection itself: only those that may pass are waited out.
      if (!transient(e)) throw e;
      reason = e;
    }
    const inMs = Math.max(retryMs ?? 0, transport.delay(attempt, undefined) ?? 0);
    options.onReconnect?.({ attempt: attempt + 1, inMs, error: reason });
    attempt++;
    await sleep(inMs, options.signal);
  }
}
