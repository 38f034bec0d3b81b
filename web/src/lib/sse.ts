/**
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
