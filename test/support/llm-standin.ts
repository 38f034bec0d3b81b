/**
 * A local stand-in for the LLM providers that cannot be reached from here, speaking each one's
 * documented streaming wire format on a real port:
 *
 * - OpenAI chat completions: `POST /v1/chat/completions`, `data: {chat.completion.chunk}` lines,
 *   usage in a last chunk with empty choices when `stream_options.include_usage`, `data: [DONE]`
 *   (https://platform.openai.com/docs/api-reference/chat-streaming); plain JSON when not streamed.
 * - Gemini: `POST /v1beta/models/{model}:streamGenerateContent?alt=sse`, each event a
 *   GenerateContentResponse; the last with `finishReason: "STOP"` and `usageMetadata`.
 * - Anthropic Messages: `POST /v1/messages`, named events message_start, content_block_start,
 *   ping, content_block_delta (text_delta), content_block_stop, message_delta, message_stop.
 *
 * Its "model" answers from the prompt it is sent, so tests can check Vectra's prompt: it reads
 * the numbered sources (`[n] heading\ntext`) and the `Question:`, picks the source sharing the
 * most words with the question, and answers with that source's best sentence and its marker —
 * or the not-in-sources sentence when no source shares a word. Faults are scripted per test.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const NOT_IN_SOURCES = 'The sources found do not answer this question.';

export interface Seen {
  path: string;
  headers: IncomingMessage['headers'];
  body: any;
}

export interface Script {
  /** Answer this many requests with `failStatus` first (429 → Retry-After: 0). */
  failTimes: number;
  failStatus: number;
  /** After this many text deltas, destroy the socket (a broken stream). */
  breakAfter: number | null;
  /** After this many text deltas, send the provider's error event. */
  errorAfter: number | null;
  /** After this many text deltas, go silent (the connection stays open). */
  stallAfter: number | null;
  /** End the stream without its end marker ([DONE], finishReason, message_stop). */
  omitEnd: boolean;
  /** Milliseconds between deltas. */
  delayMs: number;
  /** How many requests the stream faults above apply to (then it answers normally); null: all. */
  faultsLeft: number | null;
  /** OpenAI: answer plain JSON even when a stream was asked for (as some compatible servers do). */
  jsonAlways: boolean;
  /** OpenAI: end after the finish_reason chunk without `data: [DONE]` (some compatible servers do). */
  omitDone: boolean;
  /** Overrides the answer (else: the best source's best sentence). */
  answer: ((prompt: string) => string) | null;
}

const fresh = (): Script => ({ failTimes: 0, failStatus: 503, breakAfter: null, errorAfter: null, stallAfter: null, omitEnd: false, delayMs: 0, faultsLeft: null, jsonAlways: false, omitDone: false, answer: null });

/** Words of four letters or more, cut to five ("weighs" meets "weigh"). */
const words = (s: string) => new Set((s.toLowerCase().match(/[a-z0-9]{4,}/g) ?? []).map((w) => w.slice(0, 5)));

/**
 * The stand-in model: the sentence of the sources sharing the most with the question, a shared
 * word counting less the more sentences hold it (so "bike" in every sentence of a bike sheet
 * decides nothing), with its source's marker.
 */
export function standinAnswer(prompt: string): string {
  const q = /Question: ([^\n]*)\s*$/.exec(prompt)?.[1] ?? '';
  const qw = words(q);
  const sources = [...prompt.matchAll(/^\[(\d+)\][^\n]*\n([\s\S]*?)(?=\n\n\[\d+\]|\n\nQuestion:)/gm)].map((m) => ({ n: Number(m[1]), text: m[2] }));
  const sentences = sources.flatMap((s) => s.text.split(/(?<=[.!?])\s+|\n+/).map((t) => ({ n: s.n, text: t.trim(), w: words(t) })));
  const df = new Map<string, number>();
  for (const s of sentences) for (const w of s.w) df.set(w, (df.get(w) ?? 0) + 1);
  let best: { n: number; sentence: string; score: number } | null = null;
  for (const s of sentences) {
    const score = [...s.w].filter((w) => qw.has(w)).reduce((a, w) => a + 1 / df.get(w)!, 0);
    if (score > 0 && (!best || score > best.score)) best = { n: s.n, sentence: s.text, score };
  }
  return best ? `${best.sentence} [${best.n}]` : NOT_IN_SOURCES;
}

/** Splits an answer into stream deltas of a few words (joined they are the answer). */
function pieces(text: string): string[] {
  return text.match(/\S+(\s+\S+){0,2}\s*/g) ?? [text];
}

export interface Standin {
  url: string;
  server: Server;
  seen: Seen[];
  script: Script;
  /** Responses whose client went away before they ended. */
  readonly abandoned: number;
  reset(): void;
  close(): Promise<void>;
}

export async function llmStandin(keys: { openai?: string; gemini?: string; anthropic?: string } = {}): Promise<Standin> {
  const seen: Seen[] = [];
  const state = { script: fresh(), abandoned: 0 };
  const sockets = new Set<import('node:net').Socket>();

  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => void handle(req, res, raw));
  });
  server.on('connection', (s) => (sockets.add(s), s.on('close', () => sockets.delete(s))));

  async function handle(req: IncomingMessage, res: ServerResponse, raw: string) {
    const body = raw ? JSON.parse(raw) : null;
    const path = req.url ?? '';
    seen.push({ path, headers: req.headers, body });
    const s = state.script;
    const json = (status: number, b: unknown, h: Record<string, string> = {}) => (res.writeHead(status, { 'content-type': 'application/json', ...h }), res.end(JSON.stringify(b)));
    const kind = path === '/v1/chat/completions' ? 'openai' : path === '/v1/messages' ? 'anthropic' : /^\/v1beta\/models\/[^/:]+:(stream)?[gG]enerateContent/.test(path) ? 'gemini' : null;
    if (!kind) return json(404, { error: { message: `no route ${path}` } });
    const key = kind === 'openai' ? req.headers.authorization?.replace(/^Bearer /, '') : kind === 'anthropic' ? req.headers['x-api-key'] : req.headers['x-goog-api-key'];
    // Echoes the key it was sent, as OpenAI's message (masked) and some gateways (whole) do.
    if (keys[kind] !== undefined && key !== keys[kind]) return json(kind === 'gemini' ? 400 : 401, { error: { message: `Incorrect API key provided: ${String(key)} (from ${req.headers.host})`, type: 'authentication_error' } });
    if (kind === 'anthropic' && req.headers['anthropic-version'] !== '2023-06-01') return json(400, { type: 'error', error: { type: 'invalid_request_error', message: 'anthropic-version header is required' } });
    if (s.failTimes > 0) {
      s.failTimes--;
      return json(s.failStatus, { error: { message: 'overloaded, try again' } }, s.failStatus === 429 ? { 'retry-after': '0' } : {});
    }
    const prompt =
      kind === 'openai'
        ? body.messages.at(-1).content
        : kind === 'anthropic'
          ? body.messages.at(-1).content
          : body.contents.at(-1).parts.map((p: { text: string }) => p.text).join('');
    const answer = (s.answer ?? standinAnswer)(prompt);
    // A piece counts as a token: an answer longer than the limit asked for is cut there.
    const limit = kind === 'openai' ? body.max_tokens : kind === 'anthropic' ? body.max_tokens : body.generationConfig?.maxOutputTokens;
    const whole = pieces(answer);
    const cut = typeof limit === 'number' && whole.length > limit;
    const deltas = cut ? whole.slice(0, limit) : whole;
    const usage = { prompt: Math.ceil(JSON.stringify(body).length / 4), completion: deltas.length };
    res.on('close', () => res.writableFinished || state.abandoned++);
    const faulty = s.faultsLeft === null || s.faultsLeft > 0;
    if (faulty && s.faultsLeft !== null && (s.breakAfter !== null || s.errorAfter !== null || s.stallAfter !== null || s.omitEnd)) s.faultsLeft--;
    const fault = (n: number | null) => (faulty ? n : null);
    if (kind === 'openai' && (!body.stream || s.jsonAlways)) {
      return json(200, {
        id: 'chatcmpl-standin',
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [{ index: 0, message: { role: 'assistant', content: deltas.join('') }, finish_reason: cut ? 'length' : 'stop' }],
        usage: { prompt_tokens: usage.prompt, completion_tokens: usage.completion, total_tokens: usage.prompt + usage.completion },
      });
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    // Resolves once written to the socket: a fault injected after it comes after it.
    const send = (data: unknown, event?: string) => new Promise<void>((r) => res.write(`${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`, () => r()));
    const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
      id: 'chatcmpl-standin',
      object: 'chat.completion.chunk',
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    if (kind === 'openai') await send(chunk({ role: 'assistant', content: '' }, null));
    if (kind === 'anthropic') {
      send({ type: 'message_start', message: { id: 'msg_standin', type: 'message', role: 'assistant', model: body.model, content: [], stop_reason: null, usage: { input_tokens: usage.prompt, output_tokens: 1 } } }, 'message_start');
      send({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, 'content_block_start');
      await send({ type: 'ping' }, 'ping');
    }
    for (let i = 0; i < deltas.length; i++) {
      if (fault(s.breakAfter) === i) return void res.socket?.destroy();
      if (fault(s.stallAfter) === i) return; // silent, connection open
      if (fault(s.errorAfter) === i) {
        if (kind === 'anthropic') send({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, 'error');
        else send({ error: { code: 500, message: 'internal error mid-stream', status: 'INTERNAL' } });
        return void res.end();
      }
      const d = deltas[i];
      if (kind === 'openai') await send(chunk({ content: d }, null));
      if (kind === 'anthropic') await send({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: d } }, 'content_block_delta');
      if (kind === 'gemini') await send({ candidates: [{ content: { role: 'model', parts: [{ text: d }] }, index: 0 }], modelVersion: body.model });
      if (s.delayMs) await new Promise((r) => setTimeout(r, s.delayMs));
    }
    if (faulty && s.omitEnd) return void res.end();
    if (kind === 'openai') {
      await send(chunk({}, cut ? 'length' : 'stop'));
      if (s.omitDone) return void res.end();
      if (body.stream_options?.include_usage) send({ ...chunk({}, null), choices: [], usage: { prompt_tokens: usage.prompt, completion_tokens: usage.completion, total_tokens: usage.prompt + usage.completion } });
      send('[DONE]');
    }
    if (kind === 'gemini') {
      send({ candidates: [{ content: { role: 'model', parts: [{ text: '' }] }, finishReason: cut ? 'MAX_TOKENS' : 'STOP', index: 0 }], usageMetadata: { promptTokenCount: usage.prompt, candidatesTokenCount: usage.completion, totalTokenCount: usage.prompt + usage.completion } });
    }
    if (kind === 'anthropic') {
      send({ type: 'content_block_stop', index: 0 }, 'content_block_stop');
      send({ type: 'message_delta', delta: { stop_reason: cut ? 'max_tokens' : 'end_turn', stop_sequence: null }, usage: { output_tokens: usage.completion } }, 'message_delta');
      send({ type: 'message_stop' }, 'message_stop');
    }
    res.end();
  }

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    seen,
    get script() {
      return state.script;
    },
    get abandoned() {
      return state.abandoned;
    },
    reset() {
      state.script = fresh();
      state.abandoned = 0;
      seen.length = 0;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
