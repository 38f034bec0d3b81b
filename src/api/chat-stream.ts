/**
 * Answering a chat as Server-Sent Events. Everything that can be refused (a bad body, an
 * unknown collection or llm, a missing key) is refused before the first byte, as an ordinary
 * JSON error: the stream starts with the first event (the citations, once retrieval is done).
 * A failure after that — an LLM that breaks off mid-answer — ends the stream with an error
 * event in the route's own format. A client that goes away aborts the answer (the LLM call
 * and what it costs).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { VectraError } from '../errors.js';
import type { ChatAnswer, ChatEvent } from '../rag/chat.js';

/** Aborted when the client closes the connection before the answer is complete. */
export function clientGone(reply: FastifyReply): AbortSignal {
  const gone = new AbortController();
  reply.raw.on('close', () => reply.raw.writableFinished || gone.abort(new VectraError('INVALID_ARGUMENT', 'the client closed the connection')));
  return gone.signal;
}

const KEEP_ALIVE_MS = 15_000;

export interface SseFormat {
  /** The text written for one event ('' for none). */
  event(e: ChatEvent): string;
  /** The text written when the answer fails mid-stream. */
  error(error: { code: string; message: string }): string;
}

export async function streamAnswer(req: FastifyRequest, reply: FastifyReply, start: (onEvent: (e: ChatEvent) => void) => Promise<ChatAnswer>, format: SseFormat): Promise<void> {
  const events: ChatEvent[] = [];
  let flush: ((e: ChatEvent) => void) | null = null;
  const started = start((e) => (flush ? flush(e) : events.push(e)));
  // Errors before the first event are plain answers (the route's error handler).
  await Promise.race([started, new Promise<void>((r) => (flush = (e) => (events.push(e), r())))]);
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  const write = (e: ChatEvent) => {
    const text = format.event(e);
    if (text && !res.destroyed) res.write(text);
  };
  for (const e of events.splice(0)) write(e);
  flush = write;
  // An LLM may think (or be retried) for a while: a comment line now and then keeps proxies
  // (nginx cuts a silent response at 60 s) from closing the stream. Clients ignore comments.
  const keepAlive = setInterval(() => res.destroyed || res.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
  try {
    await started;
  } catch (e) {
    const error = e instanceof VectraError ? { code: e.code, message: e.message } : { code: 'INTERNAL', message: 'the answer stopped on a server error' };
    if (!(e instanceof VectraError)) req.log.error({ err: e }, 'chat stream failed');
    if (!res.destroyed) res.write(format.error(error));
  } finally {
    clearInterval(keepAlive);
    res.end();
  }
}

/** Vectra's own chat events: `citations`, `delta`…, `done` (the answer), or `error`. */
export const CHAT_EVENTS: SseFormat = {
  event: (e) => {
    const data = e.type === 'citations' ? { citations: e.citations } : e.type === 'delta' ? { text: e.text } : e.answer;
    return `event: ${e.type}\ndata: ${JSON.stringify(data)}\n\n`;
  },
  error: (error) => `event: error\ndata: ${JSON.stringify({ error })}\n\n`,
};
