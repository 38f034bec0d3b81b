/**
 * The server's log destination. Request lines (~200 bytes each) are written 4 KB at a time —
 * one write(2) per ~20 requests instead of one each, which was 9 % of a search's main-thread
 * time in a profile — and at the latest a second later, at close and at exit. Every other line
 * (listening, ready, warnings, errors) is written at once: `flushNow`.
 */
import pino from 'pino';

export interface LogDestination {
  destination: pino.DestinationStream & { flush(): void; flushSync(): void; on(event: 'drain', fn: () => void): unknown };
  /** Write what is buffered now — or, when a write is in flight, as soon as it is done. */
  flushNow(): void;
  /** Stop the periodic flush (at close). */
  stop(): void;
}

export function logDestination(dest: number | string, minLength = 4096, everyMs = 1000): LogDestination {
  const destination = pino.destination({ dest, sync: false, minLength });
  // sonic-boom's flush does nothing while a write is in flight, and the lines after it then
  // waited for the timer: "listening on" and "ready" came up to a second late after a start
  // that held the thread (opening a collection). Such a line goes out once that write is done.
  // (When nothing was in flight, the second flush writes nothing: one empty write a line that
  // is not a request's — sonic-boom does not say whether a write is in flight.)
  let urgent = false;
  destination.on('drain', () => {
    if (!urgent) return;
    urgent = false;
    destination.flush();
  });
  const timer = setInterval(() => destination.flush(), everyMs).unref();
  return {
    destination,
    flushNow() {
      urgent = true;
      destination.flush();
    },
    stop: () => clearInterval(timer),
  };
}
