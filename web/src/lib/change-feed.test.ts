/** The change feed's reading: SSE frames however they are cut, and a follow loop that reconnects without a gap or a duplicate. */
import { describe, expect, it } from 'vitest';
import { SseParser, type SseEvent } from '@vectra/client';
import { backoffMs, followFeed, keepNewest, type Change, type FeedStatus } from './change-feed';
import { ApiError } from './api';

const enc = new TextEncoder();

function all(p: SseParser, chunks: (string | Uint8Array)[]): SseEvent[] {
  return chunks.flatMap((c) => p.push(c));
}

describe('SseParser', () => {
  it('reads a frame cut anywhere, even inside a CRLF or a multi-byte character', () => {
    const frame = 'id: 7\r\nevent: upsert\r\ndata: {"id":"café"}\r\n\r\n';
    const bytes = enc.encode(frame);
    for (let cut = 1; cut < bytes.length; cut++) {
      const p = new SseParser();
      expect(all(p, [bytes.slice(0, cut), bytes.slice(cut)]), `cut at ${cut}`).toEqual([{ event: 'upsert', data: '{"id":"café"}', id: '7' }]);
    }
    const p = new SseParser();
    expect(all(p, [...frame])).toEqual([{ event: 'upsert', data: '{"id":"café"}', id: '7' }]);
  });

  it('joins data lines with newlines, ignores comments and heartbeats, dispatches nothing without data', () => {
    const p = new SseParser();
    const events = all(p, ['retry: 2000\n: following jobs after seq 3\n\n', 'data: a\ndata:b\ndata\n\n', ': keep-alive\n\n', 'event: ping\n\n', 'event: delete\rdata: x\r\r']);
    expect(events).toEqual([
      { event: 'message', data: 'a\nb\n', id: '' },
      { event: 'delete', data: 'x', id: '' },
    ]);
    expect(p.retryMs).toBe(2000);
  });

  it('keeps the last event id across events until a new one, ignores an id with NUL and a retry that is not digits', () => {
    const p = new SseParser();
    const events = all(p, ['id: 1\ndata: a\n\n', 'data: b\n\n', 'id: 2\u0000\ndata: c\n\n', 'retry: soon\nid\ndata: d\n\n']);
    expect(events.map((e) => e.id)).toEqual(['1', '1', '1', '']);
    expect(p.lastEventId).toBe('');
    expect(p.retryMs).toBeNull();
  });

  it('holds an unfinished frame until its blank line arrives', () => {
    const p = new SseParser();
    expect(p.push('id: 3\nevent: upsert\ndata: {}\n')).toEqual([]);
    expect(p.push('\n')).toEqual([{ event: 'upsert', data: '{}', id: '3' }]);
    expect(p.lastEventId).toBe('3');
  });
});

describe('keepNewest', () => {
  it('puts a batch (oldest first) on top, newest first, and keeps at most max', () => {
    expect(keepNewest([3, 2, 1], [4, 5], 10)).toEqual([5, 4, 3, 2, 1]);
    expect(keepNewest([3, 2, 1], [4, 5], 4)).toEqual([5, 4, 3, 2]);
    expect(keepNewest([3, 2, 1], [4, 5, 6, 7, 8, 9], 3)).toEqual([9, 8, 7]);
    let rows: number[] = [];
    for (let i = 1; i <= 2000; i++) rows = keepNewest(rows, [i], 500);
    expect(rows.length).toBe(500);
    expect([rows[0], rows[499]]).toEqual([2000, 1501]);
  });
});

describe('backoffMs', () => {
  it('doubles from the server’s retry up to 30 s, within ±20 %', () => {
    expect([1, 2, 3].map((n) => backoffMs(n, 2000, () => 0.5))).toEqual([2000, 4000, 8000]);
    expect(backoffMs(20, null, () => 0.5)).toBe(30_000);
    expect(backoffMs(1, null, () => 0)).toBe(800);
    expect(backoffMs(1, null, () => 1)).toBe(1200);
  });
});

/** A server stand-in: each open() gets the next scripted connection. */
interface Conn {
  since: number;
  send(text: string): void;
  close(): void;
  cancelled: boolean;
}

function fakeServer(script: ((c: Conn) => void | Response | Promise<void | Response>)[]) {
  const opened: Conn[] = [];
  const open = async (since: number, signal: AbortSignal): Promise<Response> => {
    const step = script[opened.length];
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const conn: Conn = {
      since,
      cancelled: false,
      send: (t) => controller.enqueue(enc.encode(t)),
      close: () => controller.close(),
    };
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        controller = c;
      },
      cancel() {
        conn.cancelled = true;
      },
    });
    signal.addEventListener('abort', () => {
      conn.cancelled = true;
      controller.error(new DOMException('aborted', 'AbortError'));
    });
    opened.push(conn);
    if (!step) return new Promise(() => undefined);
    const r = await step(conn);
    return r instanceof Response ? r : new Response(body);
  };
  return { open, opened };
}

const change = (seq: number, op: Change['op'] = 'upsert', id = `r${seq}`) => `id: ${seq}\nevent: ${op}\ndata: ${JSON.stringify({ seq, op, id, at: '2026-12-01T00:00:00.000Z' })}\n\n`;

describe('followFeed', () => {
  it('reconnects after a dropped connection from the last seq delivered: no gap, no duplicate', async () => {
    const got: number[] = [];
    const states: FeedStatus['state'][] = [];
    const ctrl = new AbortController();
    const server = fakeServer([
      (c) => void setTimeout(() => (c.send(': hello\n\n' + change(4) + change(5).slice(0, 9)), c.send(change(5).slice(9)), c.close())),
      // The server replays from its own idea of where we were: 5 again (dropped), then 6.
      (c) => void setTimeout(() => (c.send(change(5) + change(6, 'delete')), c.close())),
      (c) => void setTimeout(() => (c.send(change(7)), setTimeout(() => ctrl.abort(), 5))),
    ]);
    await followFeed({ open: server.open, since: 3, signal: ctrl.signal, onChanges: (b) => got.push(...b.map((c) => c.seq)), onStatus: (s) => states.push(s.state), backoff: () => 1 });
    expect(got).toEqual([4, 5, 6, 7]);
    expect(server.opened.map((c) => c.since)).toEqual([3, 5, 6]);
    expect(states).toEqual(['connecting', 'live', 'retrying', 'connecting', 'live', 'retrying', 'connecting', 'live']);
    expect(server.opened[2].cancelled).toBe(true);
  });

  it('ends with the error event’s envelope, after delivering what came before it', async () => {
    const got: number[] = [];
    const server = fakeServer([(c) => void setTimeout(() => c.send(change(1) + 'event: error\ndata: {"error":{"code":"COLLECTION_NOT_FOUND","message":"collection \\"jobs\\" was deleted; the feed has ended"}}\n\n'))]);
    const err = await followFeed({ open: server.open, since: 0, signal: new AbortController().signal, onChanges: (b) => got.push(...b.map((c) => c.seq)), backoff: () => 1 }).catch((e: unknown) => e);
    expect(got).toEqual([1]);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('COLLECTION_NOT_FOUND');
    expect((err as ApiError).message).toMatch(/was deleted/);
    expect(server.opened.length).toBe(1);
  });

  it('retries a refusal that may pass (503, network), ends on one that will not (410 with oldestSeq)', async () => {
    const server = fakeServer([
      () => {
        throw new ApiError(503, 'UNAVAILABLE', 'busy');
      },
      () => {
        throw new ApiError(0, 'NETWORK', 'the server could not be reached');
      },
      () => {
        throw new ApiError(410, 'CHANGES_EXPIRED', 'changes after seq 2 are no longer kept', { oldestSeq: 40 });
      },
    ]);
    const attempts: number[] = [];
    const err = (await followFeed({
      open: server.open,
      since: 2,
      signal: new AbortController().signal,
      onChanges: () => undefined,
      onStatus: (s) => s.state === 'retrying' && attempts.push(s.attempt),
      backoff: () => 1,
    }).catch((e: unknown) => e)) as ApiError;
    expect(attempts).toEqual([1, 2]);
    expect([err.code, err.details.oldestSeq]).toEqual(['CHANGES_EXPIRED', 40]);
  });

  it('takes a silent connection (no heartbeat within idleMs) for a dropped one', async () => {
    const ctrl = new AbortController();
    const errors: string[] = [];
    const server = fakeServer([() => undefined, (c) => void setTimeout(() => (c.send(change(1)), ctrl.abort()))]);
    const got: number[] = [];
    await followFeed({
      open: server.open,
      since: 0,
      signal: ctrl.signal,
      idleMs: 20,
      onChanges: (b) => got.push(...b.map((c) => c.seq)),
      onStatus: (s) => s.state === 'retrying' && errors.push(s.error.message),
      backoff: () => 1,
    });
    expect(server.opened[0].cancelled).toBe(true);
    expect(errors[0]).toMatch(/no data for 0 s/);
    expect(got).toEqual([1]);
  });

  it('resolves when aborted, and closes the stream', async () => {
    const ctrl = new AbortController();
    const server = fakeServer([(c) => void setTimeout(() => (c.send(change(1)), setTimeout(() => ctrl.abort(), 5)))]);
    await followFeed({ open: server.open, since: 0, signal: ctrl.signal, onChanges: () => undefined });
    expect(server.opened[0].cancelled).toBe(true);
  });
});
