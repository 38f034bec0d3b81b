/**
 * POST /v1/chat/completions — OpenAI's chat completions API, so the official `openai` client
 * and every tool built on it get cited answers from Vectra: the model `rag:<collection>` means
 * "ground on that collection" (https://platform.openai.com/docs/api-reference/chat). The answer
 * is OpenAI's `chat.completion` object (streamed: `chat.completion.chunk`s, `data: [DONE]`) plus
 * `citations`. Stateless like OpenAI's: the messages are the conversation, nothing is stored.
 */
import { randomUUID } from 'node:crypto';
import { tenantOf } from '../auth.js';
import type { App, Services } from '../context.js';
import { VectraError } from '../../errors.js';
import type { ChatAnswer, ChatMessage } from '../../rag/chat.js';
import { clientGone, streamAnswer } from '../chat-stream.js';
import { COLLECTION_NAME_PATTERN as COLLECTION, errorResponses } from '../schemas/common.js';
import { CompletionsBody } from '../schemas/chat.js';
import type { Static } from '@fastify/type-provider-typebox';


/** The collections a `rag:<a>[,<b>…]` model names. */
function collectionsOf(model: string): string[] {
  const names = model.startsWith('rag:') ? model.slice(4).split(',').map((n) => n.trim()) : [];
  if (names.length === 0 || !names.every((n) => COLLECTION.test(n))) {
    throw new VectraError('LLM_NOT_FOUND', `model "${model.slice(0, 100)}" is not one Vectra serves: use "rag:<collection>" (or "rag:<a>,<b>") to answer from your collections; pick the generator with "llm" (GET /v1/llms)`);
  }
  return names;
}

/** OpenAI's roles and content parts as Vectra's messages ("developer" is a system message). */
function messagesOf(body: Static<typeof CompletionsBody>): ChatMessage[] {
  const out: ChatMessage[] = [];
  body.messages.forEach((m, i) => {
    const role = m.role === 'developer' ? 'system' : m.role;
    if (role === 'tool' || role === 'function') return; // tool results are not part of the conversation's text
    if (role !== 'user' && role !== 'assistant' && role !== 'system') throw new VectraError('INVALID_ARGUMENT', `messages[${i}].role "${m.role}" is not one of system, developer, user, assistant, tool`);
    let content = '';
    if (typeof m.content === 'string') content = m.content;
    else if (Array.isArray(m.content)) {
      const other = m.content.find((p) => p.type !== 'text');
      if (other) throw new VectraError('INVALID_ARGUMENT', `messages[${i}].content: only text parts are supported (found "${other.type.slice(0, 32)}")`);
      content = m.content.map((p) => p.text ?? '').join('');
    }
    out.push({ role, content });
  });
  if (out.length === 0) throw new VectraError('INVALID_ARGUMENT', 'messages: give at least one user message');
  return out;
}

export default function chatCompletionRoutes(app: App, services: Services): void {
  app.post(
    '/v1/chat/completions',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['chat'],
        summary: 'OpenAI-compatible chat completions: model "rag:<collection>" answers from that collection, with citations',
        body: CompletionsBody,
        response: errorResponses(400, 401, 403, 404, 503),
      },
    },
    async (req, reply) => {
      const tenantId = tenantOf(req);
      const body = req.body;
      const chat = {
        collections: collectionsOf(body.model),
        messages: messagesOf(body),
        ...(body.k !== undefined ? { k: body.k } : {}),
        ...(body.filter !== undefined ? { filter: body.filter } : {}),
        ...(body.mode !== undefined ? { mode: body.mode } : {}),
        ...(body.rerank !== undefined ? { rerank: body.rerank } : {}),
        ...(body.llm !== undefined ? { llm: body.llm } : {}),
        ...(body.temperature != null ? { temperature: body.temperature } : {}),
        ...((body.max_completion_tokens ?? body.max_tokens) != null ? { maxTokens: (body.max_completion_tokens ?? body.max_tokens)! } : {}),
      };
      const signal = clientGone(reply);
      const id = `chatcmpl-${randomUUID().replaceAll('-', '')}`;
      const created = Math.floor(Date.now() / 1000);
      const usage = (a: ChatAnswer) => ({ prompt_tokens: a.usage.promptTokens, completion_tokens: a.usage.completionTokens, total_tokens: a.usage.totalTokens });
      if (!body.stream) {
        const a = await services.chat.answer(tenantId, chat, undefined, { store: false, signal });
        return {
          id,
          object: 'chat.completion',
          created,
          model: body.model,
          choices: [{ index: 0, message: { role: 'assistant', content: a.answer, refusal: null }, logprobs: null, finish_reason: a.finishReason }],
          usage: usage(a),
          citations: a.citations,
          llm: a.llm,
          grounded: a.grounded,
          cached: a.cached,
        };
      }
      const chunk = (delta: Record<string, unknown>, finish: string | null, extra: Record<string, unknown> = {}) =>
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...extra })}\n\n`;
      await streamAnswer(req, reply, (onEvent) => services.chat.answer(tenantId, chat, onEvent, { store: false, signal }), {
        event: (e) => {
          if (e.type === 'citations') return chunk({ role: 'assistant', content: '' }, null, { citations: e.citations });
          if (e.type === 'delta') return chunk({ content: e.text }, null);
          const a = e.answer;
          const tail = body.stream_options?.include_usage ? `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [], usage: usage(a) })}\n\n` : '';
          return `${chunk({}, a.finishReason, { citations: a.citations, llm: a.llm, grounded: a.grounded, cached: a.cached })}${tail}data: [DONE]\n\n`;
        },
        // OpenAI's clients read an `error` object in a stream's data as the request's failure.
        error: (error) => `data: ${JSON.stringify({ error: { message: error.message, type: 'server_error', code: error.code } })}\n\n`,
      });
    },
  );
}
