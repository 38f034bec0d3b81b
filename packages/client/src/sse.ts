/**
 * Reading streamed answers: Server-Sent Events (chat, the change feed) and NDJSON (ingest).
 *
 * A Server-Sent Events reader for streams fetched with fetch() (EventSource cannot send the
 * Authorization header). Follows the HTML spec's parsing: lines end with CRLF, LF or CR (a CR
 * at a chunk's end may be half of a CRLF), `field: value` with one optional space after the
 * colon, lines starting with ':' are comments (heartbeats), data lines join with '\n', a
 * blank line dispatches, an event without data is not dispatched, `id` persists across events
 * (the last event id) unless it holds a NUL, `retry` takes digits only.
 */

export interface SseEvent {
  /** `event:`, or "message" when the event named none. */
  event: string;
  data: string;
  /** The last event id at dispatch (it carries over from earlier events). */
  id: string;
}

export class SseParser {
  /** The last event id seen (what a reconnection sends as Last-Event-ID). */
  lastEventId = '';
  /** The server's reconnection delay (`retry:`), when it sent one. */
  retryMs: number | null = null;
  private buffer = '';
  private skipLf = false;
  private event = '';
  private data: string[] = [];
  private hasData = false;
  private readonly decoder = new TextDecoder();

  /** Feed bytes (a multi-byte character may be split across chunks) or text; returns the events completed. */
  push(chunk: Uint8Array | string): SseEvent[] {
    let text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    if (this.skipLf) {
      this.skipLf = false;
      if (text.startsWith('\n')) text = text.slice(1);
    }
    this.buffer += text;
    const out: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const ch = this.buffer[i];
      if (ch !== '\n' && ch !== '\r') continue;
      const line = this.buffer.slice(start, i);
      if (ch === '\r') {
        if (i + 1 === this.buffer.length) this.skipLf = true;
        else if (this.buffer[i + 1] === '\n') i++;
      }
      start = i + 1;
      const event = this.line(line);
      if (event) out.push(event);
    }
    this.buffer = this.buffer.slice(start);
    return out;
  }

  private line(line: string): SseEvent | null {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.event = value;
        break;
      case 'data':
        this.data.push(value);
        this.hasData = true;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastEventId = value;
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) this.retryMs = Number(value);
        break;
      default:
      // unknown fields are ignored
    }
    return null;
  }

  private dispatch(): SseEvent | null {
    const event = this.hasData ? { event: this.event || 'message', data: this.data.join('\n'), id: this.lastEventId } : null;
    this.event = '';
    this.data = [];
    this.hasData = false;
    return event;
  }
}

/**
 * The chunks of a body, read with a reader (Safari's streams are not async-iterable); cancelled
 * when the loop is left early. With `idleMs`, a read that waits longer than that throws
 * `onIdle()` (the time the loop spends between reads does not count).
 */
export async function* chunksOf(body: ReadableStream<Uint8Array>, idleMs = 0, onIdle: () => Error = () => new Error(`no data for ${idleMs} ms`)): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  let finished = false;
  try {
    for (;;) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const idle = idleMs > 0 ? new Promise<never>((_, reject) => (timer = setTimeout(() => reject(onIdle()), idleMs))) : null;
      try {
        const { done, value } = await (idle ? Promise.race([reader.read(), idle]) : reader.read());
        if (done) {
          finished = true;
          return;
        }
        yield value;
      } finally {
        clearTimeout(timer);
      }
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
  }
}

/** The events of a Server-Sent Events body, as they complete. */
export async function* sseEvents(body: ReadableStream<Uint8Array>, parser = new SseParser(), idleMs = 0, onIdle?: () => Error): AsyncGenerator<SseEvent> {
  for await (const chunk of chunksOf(body, idleMs, onIdle)) yield* parser.push(chunk);
}

/** The JSON values of an NDJSON body, a batch per chunk read (blank lines skipped). */
export async function* ndjsonBatches(body: ReadableStream<Uint8Array>): AsyncGenerator<unknown[]> {
  const decoder = new TextDecoder();
  let rest = '';
  const parsed = (lines: string[]) => lines.filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as unknown);
  for await (const chunk of chunksOf(body)) {
    const lines = (rest + decoder.decode(chunk, { stream: true })).split('\n');
    rest = lines.pop()!;
    const batch = parsed(lines);
    if (batch.length > 0) yield batch;
  }
  const last = parsed([rest + decoder.decode()]);
  if (last.length > 0) yield last;
}
