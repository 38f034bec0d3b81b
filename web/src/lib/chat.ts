/**
 * Chat from the dashboard: the body of POST /v1/chat from the page's form, the streamed answer
 * read (Server-Sent Events: `citations`, `delta`s, then `done` or `error`) into the turn the
 * page shows, the answer split at its `[n]` markers so each can link to its citation, and a
 * stored conversation's messages back into turns.
 */
import { VectraError, type Vectra } from '@vectra/client';
import { ApiError } from './api';
import type { ChatAnswer, Citation, Collection, Conversation } from './types';

/** Collections created with model "none" hold raw vectors: chat searches by the question's text. */
export const NO_MODEL = 'none';

export function chattable(c: Collection): boolean {
  return c.model !== NO_MODEL;
}

export type ChatMode = 'hybrid' | 'dense' | 'keyword';

export interface ChatForm {
  collections: string[];
  /** Passages retrieved, as typed ('' = the server's default, 5). */
  k: string;
  mode: ChatMode;
  /** An id from GET /v1/llms ('' = the server's default). */
  llm: string;
}

export interface ChatBody {
  collections: string[];
  messages: { role: 'user'; content: string }[];
  conversationId?: string;
  k?: number;
  mode?: ChatMode;
  llm?: string;
  stream: true;
}

/**
 * The streamed request for `question`, or what is wrong with the form. A follow-up sends the
 * conversation's id and only the new question: the server holds the messages before it.
 */
export function chatBody(form: ChatForm, question: string, conversationId: string | null, defaultLlm = ''): { body: ChatBody; error: null } | { body: null; error: string } {
  const content = question.trim();
  if (form.collections.length === 0) return { body: null, error: 'Pick at least one collection to ask.' };
  if (content === '') return { body: null, error: 'Type a question first.' };
  const body: ChatBody = { collections: form.collections, messages: [{ role: 'user', content }], stream: true };
  if (conversationId) body.conversationId = conversationId;
  if (form.k.trim() !== '') {
    const k = Number(form.k);
    if (!Number.isInteger(k) || k < 1 || k > 50) return { body: null, error: 'k (passages) must be a whole number from 1 to 50.' };
    body.k = k;
  }
  if (form.mode !== 'hybrid') body.mode = form.mode;
  if (form.llm && form.llm !== defaultLlm) body.llm = form.llm;
  return { body, error: null };
}

export type ChatEvent = { type: 'citations'; citations: Citation[] } | { type: 'delta'; text: string } | { type: 'done'; answer: ChatAnswer } | { type: 'error'; error: VectraError };

/**
 * Ask, streamed (vectra.chatStream): the events as they come, the whole answer at the end. A
 * refusal before the stream, or an error event during it, rejects with its VectraError; an
 * answer whose connection closes before it is complete, with STREAM_ENDED (said for the page).
 */
export async function askStreamed(vectra: Vectra, body: ChatBody, signal: AbortSignal, onEvent: (e: ChatEvent) => void): Promise<ChatAnswer> {
  const { stream: _, ...request } = body;
  try {
    for await (const e of vectra.chatStream(request, { signal })) {
      onEvent(e);
      if (e.type === 'done') return e.answer;
    }
  } catch (e) {
    if (!(e instanceof VectraError && e.code === 'STREAM_ENDED')) throw e;
  }
  throw new ApiError(0, 'STREAM_ENDED', 'the answer stopped before it was complete (the connection closed); ask again');
}

/** A question and its answer, as the page shows them. */
export interface Turn {
  question: string;
  /** As much of the answer as has come. */
  answer: string;
  citations: Citation[];
  state: 'streaming' | 'done' | 'failed';
  /** Once done: how it was answered (absent for turns read back from a stored conversation). */
  meta?: Pick<ChatAnswer, 'llm' | 'cached' | 'grounded' | 'query'>;
  error?: { code: string; message: string };
}

export function askedTurn(question: string): Turn {
  return { question, answer: '', citations: [], state: 'streaming' };
}

/** The turn with one more event of its stream: deltas concatenate to the answer (an LLM's pieces, or sentences after a space); `done` is the whole answer. */
export function turnWith(turn: Turn, e: ChatEvent): Turn {
  switch (e.type) {
    case 'citations':
      return { ...turn, citations: e.citations };
    case 'delta':
      return { ...turn, answer: turn.answer + e.text };
    case 'done': {
      const { answer, citations, llm, cached, grounded, query } = e.answer;
      return { ...turn, answer, citations, state: 'done', meta: { llm, cached, grounded, query } };
    }
    case 'error':
      return { ...turn, state: 'failed', error: { code: e.error.code, message: e.error.message } };
  }
}

export type AnswerRun = { text: string; n?: undefined } | { text: string; n: number };

const MARKER = /\[(\d{1,3})\]/g;

/**
 * The answer as text and markers: `[n]` becomes a marker when a citation has that `n` (a
 * bracketed number the answer quotes from a document, or one whose citation has not come yet,
 * stays text).
 */
export function answerRuns(answer: string, citations: readonly Citation[]): AnswerRun[] {
  const known = new Set(citations.map((c) => c.n));
  const runs: AnswerRun[] = [];
  let at = 0;
  const text = (t: string) => {
    if (t === '') return;
    const last = runs[runs.length - 1];
    if (last && last.n === undefined) last.text += t;
    else runs.push({ text: t });
  };
  for (const m of answer.matchAll(MARKER)) {
    const n = Number(m[1]);
    if (!known.has(n)) continue;
    text(answer.slice(at, m.index));
    runs.push({ text: m[0], n });
    at = m.index + m[0].length;
  }
  text(answer.slice(at));
  return runs;
}

function isCitation(c: unknown): c is Citation {
  const o = c as Partial<Citation> | null;
  return typeof o === 'object' && o !== null && typeof o.n === 'number' && typeof o.id === 'string' && typeof o.text === 'string';
}

/** A stored conversation's messages as turns: each user message with the assistant's answer after it. */
export function turnsOf(conversation: Conversation): Turn[] {
  const turns: Turn[] = [];
  for (const m of conversation.messages) {
    if (m.role === 'user') turns.push({ question: m.content, answer: '', citations: [], state: 'done' });
    else if (m.role === 'assistant' && turns.length > 0 && turns[turns.length - 1].answer === '') {
      const t = turns[turns.length - 1];
      t.answer = m.content;
      t.citations = (m.citations ?? []).filter(isCitation);
    }
  }
  return turns;
}

/** The collections a stored conversation's answers cited, in the order first cited. */
export function citedCollections(turns: readonly Turn[]): string[] {
  return [...new Set(turns.flatMap((t) => t.citations.map((c) => c.collection)).filter((c) => typeof c === 'string'))];
}
