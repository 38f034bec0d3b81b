/**
 * Streamed request bodies (NDJSON), read as they arrive. Fastify checks a JSON body's media
 * type, size and arrival time before the handler runs; a stream reaches its route unread, so
 * the same checks are made here, as it is read: the same codes a JSON body would get.
 */
import { Readable, type Writable } from 'node:stream';
import { HttpError } from './error-codes.js';

/** The request body as the NDJSON content-type parser hands it over (a stream), or a 415. */
export function ndjsonBody(body: unknown): Readable {
  if (!(body instanceof Readable)) throw new HttpError('UNSUPPORTED_MEDIA_TYPE', 'send one JSON record per line with Content-Type: application/x-ndjson');
  return body;
}

/** The chunks of `source`, failing with a 413 once they add up to more than `maxBytes`. */
export async function* atMostBytes(source: AsyncIterable<Buffer>, maxBytes: number, tooLarge: string): AsyncGenerator<Buffer> {
  let bytes = 0;
  for await (const chunk of source) {
    bytes += chunk.length;
    if (bytes > maxBytes) throw new HttpError('PAYLOAD_TOO_LARGE', tooLarge);
    yield chunk;
  }
}

/**
 * The chunks of `source`, failing with REQUEST_TIMEOUT when the next one takes longer than
 * `idleMs` to arrive. Only time spent waiting on the sender counts: while the consumer is
 * busy storing, nothing is being asked of it.
 */
export async function* untilIdle<T>(source: AsyncIterable<T>, idleMs: number): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new HttpError('REQUEST_TIMEOUT', `no data for ${idleMs} ms; the stream was closed (lines answered above are stored)`)), idleMs);
    });
    try {
      const r = await Promise.race([it.next(), idle]);
      if (r.done) return;
      yield r.value;
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Resolves when `out` can take more (drain) or never will (close), removing both listeners
 * whichever comes first. (Racing two events.once() calls left the loser's listeners behind
 * on every wait: a long upload to a slow reader piled them up.)
 */
export function drainedOrClosed(out: Writable): Promise<void> {
  if (out.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
  });
}
