/**
 * Streaming ingest: records from an (async) iterable sent as NDJSON on one request
 * (POST …/records/stream), read from the source only as fast as the request body is sent (the
 * server reads it only as fast as it stores), and the server's answer — a result per line, a
 * last line with the totals — read at the same time and reported as progress.
 */
import { VectraConnectionError, VectraError } from './errors.js';
import { ndjsonBatches } from './sse.js';
import { type Opened, type RequestOptions, type Transport, readFailure } from './transport.js';
import type { IngestLineResult, IngestProgress, IngestResult, RecordInput } from './types.js';

export interface IngestOptions extends RequestOptions {
  /** Called as the server answers (after each batch it stores), and once at the end. */
  onProgress?(progress: IngestProgress): void;
  /**
   * Send the body as it is produced (default where the runtime can: Node, Deno, Bun), or build
   * it whole first (the default in a browser page: browsers stream request bodies only over
   * HTTP/2, and Chrome alone).
   */
  stream?: boolean;
  /** Refused lines kept in the result with their error (default 1000; the rest are only counted). */
  keepErrors?: number;
}

/** Bytes gathered before a write: fewer, larger chunks than a line each. */
const CHUNK_BYTES = 64 * 1024;
/** A slow source does not hold back what it already gave for longer than this. */
const FLUSH_MS = 20;

export type Source = AsyncIterable<RecordInput> | Iterable<RecordInput>;

/** Whether this runtime sends a ReadableStream as a request body (and is not a browser page). */
export function canStreamRequestBodies(): boolean {
  if (typeof (globalThis as { document?: unknown }).document !== 'undefined') return false;
  try {
    let asked = false;
    const init = {
      method: 'POST',
      body: new ReadableStream(),
      get duplex() {
        asked = true;
        return 'half';
      },
    };
    const request = new Request('http://localhost/', init as RequestInit);
    return asked && !request.headers.has('content-type');
  } catch {
    return false;
  }
}

/**
 * The records as NDJSON byte chunks, pulled from the source only when the body wants more.
 * `stop` ends the reading (the source's `return()` runs): fetch does not always cancel a
 * request body it gave up on.
 */
export function ndjsonBody(source: Source, counted: (n: number) => void = () => undefined, stop?: AbortSignal): ReadableStream<Uint8Array> {
  const it: AsyncIterator<RecordInput> | Iterator<RecordInput> = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  const encoder = new TextEncoder();
  let pending: Promise<IteratorResult<RecordInput>> | null = null;
  const FLUSH = Symbol('flush');
  const close = () => void Promise.resolve(it.return?.()).catch(() => undefined);
  stop?.addEventListener('abort', close, { once: true });
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (stop?.aborted) return controller.error(stop.reason);
      let text = '';
      let lines = 0;
      for (;;) {
        pending ??= Promise.resolve(it.next());
        let timer: ReturnType<typeof setTimeout> | undefined;
        const next = text === '' ? await pending : await Promise.race([pending, new Promise<typeof FLUSH>((r) => (timer = setTimeout(() => r(FLUSH), FLUSH_MS)))]);
        clearTimeout(timer);
        if (next === FLUSH) break; // the next record is slow to come: send what is here (it stays pending)
        pending = null;
        if (next.done) {
          stop?.removeEventListener('abort', close);
          if (text) controller.enqueue(encoder.encode(text));
          counted(lines);
          controller.close();
          return;
        }
        text += `${JSON.stringify(next.value)}\n`;
        lines++;
        if (text.length >= CHUNK_BYTES) break;
      }
      controller.enqueue(encoder.encode(text));
      counted(lines);
    },
    cancel: close,
  });
}

export async function wholeBody(source: Source, counted: (n: number) => void = () => undefined): Promise<Blob> {
  const parts: string[] = [];
  for await (const record of source) parts.push(`${JSON.stringify(record)}\n`);
  counted(parts.length);
  return new Blob(parts, { type: 'application/x-ndjson' });
}

export async function ingestStream(transport: Transport, name: string, source: Source, options: IngestOptions): Promise<IngestResult> {
  const keep = options.keepErrors ?? 1000;
  const progress: IngestProgress = { sent: 0, acknowledged: 0, upserted: 0, errors: 0 };
  const counted = (n: number) => void (progress.sent += n);
  const streamed = options.stream ?? canStreamRequestBodies();
  // The source is read no further once the call ends, whichever way.
  const stop = new AbortController();
  const body = streamed ? ndjsonBody(source, counted, stop.signal) : await wholeBody(source, counted);
  const failures: IngestResult['failures'] = [];
  let opened: Opened | undefined;
  try {
    opened = await transport.open(
      { method: 'POST', path: `/v1/collections/${encodeURIComponent(name)}/records/stream`, headers: { 'content-type': 'application/x-ndjson', accept: 'application/x-ndjson' }, body, idempotent: false, streamBody: streamed },
      options,
    );
    opened.stopTimer();
    for await (const batch of ndjsonBatches(opened.response.body!)) {
      for (const value of batch) {
        const line = value as IngestLineResult & { done?: boolean; lines?: number; upserted?: number; errors?: number };
        if (line.done !== undefined) {
          options.onProgress?.({ ...progress });
          if (line.done === false) {
            throw new VectraError(line.error?.code ?? 'INTERNAL', line.error?.message ?? 'the stream stopped', 0, { lines: line.lines, upserted: line.upserted, errors: line.errors });
          }
          return { lines: line.lines ?? progress.acknowledged, upserted: line.upserted ?? progress.upserted, errors: line.errors ?? progress.errors, failures };
        }
        progress.acknowledged++;
        if (!line.error) progress.upserted++;
        else {
          progress.errors++;
          if (failures.length < keep) failures.push({ line: line.line, code: line.error.code, message: line.error.message });
        }
      }
      options.onProgress?.({ ...progress });
    }
    throw new VectraConnectionError(`the ingest answer closed after ${progress.acknowledged} answered lines (those are stored), before its last line`, null, 'STREAM_ENDED');
  } catch (e) {
    if (!opened) throw e;
    throw readFailure(e, options.signal, `the ingest stream broke off after ${progress.acknowledged} answered lines (those are stored)`);
  } finally {
    stop.abort();
    opened?.close(true);
  }
}
