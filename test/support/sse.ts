/** Server-Sent Events read the way a client does (fetch + eventsource-parser), for the feed's tests. */
import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** An SSE stream read with fetch; collects events until stopped. */
export function stream(url: string, key: string, headers: Record<string, string> = {}) {
  const events: EventSourceMessage[] = [];
  const comments: string[] = [];
  const ctl = new AbortController();
  let waiters: (() => void)[] = [];
  const status = (async () => {
    const res = await fetch(url, { headers: { authorization: `Bearer ${key}`, ...headers }, signal: ctl.signal }).catch(() => null);
    if (!res) return { status: 0, body: null }; // stopped before the answer came
    if (res.status !== 200) return { status: res.status, body: await res.json() };
    const parser = createParser({
      onEvent: (e) => {
        events.push(e);
        waiters.forEach((w) => w());
      },
      onComment: (c) => comments.push(c),
    });
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) parser.feed(decoder.decode(chunk, { stream: true }));
    } catch {
      // aborted
    }
    waiters.forEach((w) => w());
    return { status: 200, body: null, contentType: res.headers.get('content-type') };
  })();
  return {
    events,
    comments,
    status,
    stop: () => ctl.abort(),
    async until(test: () => boolean, ms = 20_000): Promise<void> {
      const end = Date.now() + ms;
      while (!test()) {
        if (Date.now() > end) throw new Error(`stream: condition not met in ${ms} ms; ${events.length} events, last ${JSON.stringify(events.at(-1))}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 200);
        });
        waiters = [];
      }
    },
  };
}
