/** Chat's logic: the request body, the streamed events read into a turn, markers linked to citations, stored conversations as turns. */
import { describe, expect, it } from 'vitest';
import { Vectra, VectraError } from '@vectra/client';
import { ApiError } from './api';
import { answerRuns, askedTurn, askStreamed, chatBody, citedCollections, turnsOf, turnWith, type ChatBody, type ChatEvent, type ChatForm } from './chat';
import type { ChatAnswer, Citation } from './types';

const enc = new TextEncoder();
const cite = (n: number, extra: Partial<Citation> = {}): Citation => ({ n, id: `doc#${n}`, collection: 'kb', document: 'doc', text: `passage ${n}`, score: 0.5, ...extra });
const DONE: ChatAnswer = { answer: 'Descale monthly. [1] Rinse after. [2]', citations: [cite(1), cite(2)], conversationId: 'conv_1', llm: 'extractive', cached: false, query: 'descale?', grounded: true };

/** A Response whose body is `parts`, each its own chunk (so an event may be cut anywhere). */
function streamed(parts: (string | Uint8Array)[]): Response {
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (const p of parts) c.enqueue(typeof p === 'string' ? enc.encode(p) : p);
      c.close();
    },
  });
  return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
}
const sse = (event: string, data: unknown) => `event: ${event}\ndata: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;

describe('chatBody', () => {
  const form: ChatForm = { collections: ['kb'], k: '', mode: 'hybrid', llm: '' };

  it('asks the collections with the question alone, streamed, defaults left to the server', () => {
    expect(chatBody(form, '  How often?  ', null)).toEqual({ body: { collections: ['kb'], messages: [{ role: 'user', content: 'How often?' }], stream: true }, error: null });
  });

  it('a follow-up sends the conversation id and only the new question', () => {
    expect(chatBody({ ...form, collections: ['kb', 'faq'] }, 'and its price?', 'conv_9').body).toEqual({ collections: ['kb', 'faq'], messages: [{ role: 'user', content: 'and its price?' }], conversationId: 'conv_9', stream: true });
  });

  it('sends k, a mode other than hybrid and an llm other than the default', () => {
    expect(chatBody({ ...form, k: '8', mode: 'keyword', llm: 'gpt' }, 'q', null, 'extractive').body).toMatchObject({ k: 8, mode: 'keyword', llm: 'gpt' });
    const plain = chatBody({ ...form, llm: 'extractive' }, 'q', null, 'extractive').body!;
    expect('llm' in plain || 'mode' in plain || 'k' in plain).toBe(false);
  });

  it('says what is missing or wrong instead of sending it', () => {
    expect(chatBody({ ...form, collections: [] }, 'q', null).error).toMatch(/Pick at least one collection/);
    expect(chatBody(form, '   ', null).error).toMatch(/Type a question/);
    for (const k of ['0', '51', '2.5', 'x']) expect(chatBody({ ...form, k }, 'q', null).error).toMatch(/k \(passages\) must be a whole number from 1 to 50/);
  });
});

describe('askStreamed', () => {
  /** A client whose fetch answers `parts` as the stream, each its own chunk; the request is kept. */
  const answering = (parts: (string | Uint8Array)[]) => {
    const sent: { url: string; body: unknown }[] = [];
    const vectra = new Vectra({ url: '', apiKey: 'vk_test', fetch: async (url, init) => (sent.push({ url, body: JSON.parse(String(init.body)) }), streamed(parts)) });
    return { vectra, sent };
  };
  const body: ChatBody = { collections: ['kb'], messages: [{ role: 'user', content: 'descale?' }], stream: true };
  const signal = new AbortController().signal;

  it('hands on each event in order, events cut across chunks anywhere, and resolves with done', async () => {
    const text = sse('citations', { citations: [cite(1), cite(2)] }) + sse('delta', { text: 'Descale monthly. [1]' }) + ': heartbeat\n\n' + sse('delta', { text: 'Rinse after. [2]' }) + sse('done', DONE);
    // Every 7 bytes, with a multi-byte character in the stream.
    const bytes = enc.encode(text.replace('monthly', 'monthly ☕'));
    const parts: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += 7) parts.push(bytes.slice(i, i + 7));
    const seen: ChatEvent[] = [];
    const { vectra, sent } = answering(parts);
    const answer = await askStreamed(vectra, body, signal, (e) => seen.push(e));
    expect(answer).toEqual(DONE);
    expect(seen.map((e) => e.type)).toEqual(['citations', 'delta', 'delta', 'done']);
    expect(seen[1]).toEqual({ type: 'delta', text: 'Descale monthly ☕. [1]' });
    expect(sent).toEqual([{ url: '/v1/chat', body: { collections: ['kb'], messages: body.messages, stream: true } }]);
  });

  it('rejects with the error event’s error (what it says) after the events before it', async () => {
    const seen: string[] = [];
    const { vectra } = answering([sse('citations', { citations: [] }), sse('error', { error: { code: 'INTERNAL', message: 'boom' } })]);
    const err = await askStreamed(vectra, body, signal, (e) => seen.push(e.type)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VectraError);
    expect([(err as VectraError).code, (err as VectraError).message]).toEqual(['INTERNAL', 'boom']);
    expect(seen).toEqual(['citations']);
  });

  it('rejects with STREAM_ENDED when the stream ends before done', async () => {
    const { vectra } = answering([sse('citations', { citations: [] }), sse('delta', { text: 'half' })]);
    const err = await askStreamed(vectra, body, signal, () => undefined).catch((e: unknown) => e);
    expect((err as VectraError).code).toBe('STREAM_ENDED');
  });
});

describe('turnWith', () => {
  it('builds the answer from deltas as they come (concatenated: the server puts the spaces), then takes done as the whole answer and how it was made', () => {
    let t = askedTurn('descale?');
    t = turnWith(t, { type: 'citations', citations: [cite(1), cite(2)] });
    t = turnWith(t, { type: 'delta', text: 'Descale monthly. [1]' });
    expect(t).toMatchObject({ answer: 'Descale monthly. [1]', state: 'streaming' });
    t = turnWith(t, { type: 'delta', text: ' Rinse af' });
    t = turnWith(t, { type: 'delta', text: 'ter. [2]' });
    expect(t.answer).toBe('Descale monthly. [1] Rinse after. [2]');
    t = turnWith(t, { type: 'done', answer: { ...DONE, cached: true } });
    expect(t).toEqual({ question: 'descale?', answer: DONE.answer, citations: DONE.citations, state: 'done', meta: { llm: 'extractive', cached: true, grounded: true, query: 'descale?' } });
  });

  it('an error ends the turn as failed, keeping what had come', () => {
    const t = turnWith(turnWith(askedTurn('q'), { type: 'delta', text: 'Half.' }), { type: 'error', error: new ApiError(0, 'INTERNAL', 'boom') });
    expect(t).toMatchObject({ answer: 'Half.', state: 'failed', error: { code: 'INTERNAL', message: 'boom' } });
  });
});

describe('answerRuns', () => {
  it('makes each [n] with a citation a marker, the rest text', () => {
    expect(answerRuns('Descale monthly. [1] Rinse after. [2]', [cite(1), cite(2)])).toEqual([
      { text: 'Descale monthly. ' },
      { text: '[1]', n: 1 },
      { text: ' Rinse after. ' },
      { text: '[2]', n: 2 },
    ]);
  });

  it('leaves bracketed numbers without a citation as text (quoted from a document, or not come yet)', () => {
    expect(answerRuns('See table [3] and [a]. [1]', [cite(1)])).toEqual([{ text: 'See table [3] and [a]. ' }, { text: '[1]', n: 1 }]);
    expect(answerRuns('Descale monthly. [1]', [])).toEqual([{ text: 'Descale monthly. [1]' }]);
  });

  it('splits adjacent markers and keeps the text around them whole', () => {
    const runs = answerRuns('Both. [1][2]', [cite(1), cite(2)]);
    expect(runs).toEqual([{ text: 'Both. ' }, { text: '[1]', n: 1 }, { text: '[2]', n: 2 }]);
    expect(runs.map((r) => r.text).join('')).toBe('Both. [1][2]');
  });
});

describe('turnsOf', () => {
  it('pairs each question with the answer after it, keeping the answer’s citations; the collections cited, once each', () => {
    const turns = turnsOf({
      id: 'conv_1',
      title: 'descale?',
      createdAt: '',
      updatedAt: '',
      messages: [
        { role: 'system', content: 'be brief', createdAt: '' },
        { role: 'user', content: 'descale?', createdAt: '' },
        { role: 'assistant', content: 'Monthly. [1]', citations: [cite(1), { junk: true }], createdAt: '' },
        { role: 'user', content: 'and the pump?', createdAt: '' },
        { role: 'assistant', content: 'Two years. [1]', citations: [cite(1, { collection: 'faq' })], createdAt: '' },
      ],
    });
    expect(turns).toEqual([
      { question: 'descale?', answer: 'Monthly. [1]', citations: [cite(1)], state: 'done' },
      { question: 'and the pump?', answer: 'Two years. [1]', citations: [cite(1, { collection: 'faq' })], state: 'done' },
    ]);
    expect(citedCollections([...turns, ...turns])).toEqual(['kb', 'faq']);
  });
});
