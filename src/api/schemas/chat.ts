/** Chat: grounded answers with citations, LLMs, conversations. */
import { Type } from '../../typebox.js';
import { CollectionName } from './common.js';
import { Rerank } from './search.js';

const Message = Type.Object(
  {
    role: Type.Union([Type.Literal('user'), Type.Literal('assistant'), Type.Literal('system')]),
    content: Type.String({ maxLength: 100_000 }),
  },
  { additionalProperties: false },
);

export const ChatBody = Type.Object(
  {
    collection: Type.Optional(CollectionName),
    collections: Type.Optional(Type.Array(CollectionName, { minItems: 1, maxItems: 8 })),
    messages: Type.Array(Message, { minItems: 1, maxItems: 200, description: 'the conversation so far; the last is the user\'s question' }),
    conversationId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'append this turn to a stored conversation (its messages condense the question)' })),
    k: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, description: 'passages retrieved (default 5)' })),
    filter: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    mode: Type.Optional(Type.Union([Type.Literal('dense'), Type.Literal('keyword'), Type.Literal('hybrid')], { description: 'retrieval (default hybrid)' })),
    rerank: Type.Optional(Rerank),
    llm: Type.Optional(Type.String({ maxLength: 200, description: 'an id from GET /v1/llms (default: the configured default, else extractive)' })),
    stream: Type.Optional(Type.Boolean({ description: 'answer as Server-Sent Events: citations, delta…, done' })),
    cache: Type.Optional(Type.Boolean({ description: 'answer a question close enough to one already answered over the same data from the semantic cache (default true)' })),
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2, description: 'an LLM\'s sampling temperature (the extractive generator ignores it)' })),
    maxTokens: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'an LLM\'s longest answer in tokens (default: the llm\'s maxOutputTokens)' })),
  },
  { additionalProperties: false },
);

const Citation = Type.Object({
  n: Type.Integer(),
  id: Type.String(),
  collection: Type.String(),
  document: Type.Optional(Type.String()),
  title: Type.Optional(Type.String()),
  section: Type.Optional(Type.String()),
  text: Type.String(),
  score: Type.Number(),
});

export const ChatOut = Type.Object({
  answer: Type.String({ description: 'sentences with their sources marked [n]' }),
  citations: Type.Array(Citation),
  conversationId: Type.String(),
  llm: Type.String(),
  cached: Type.Boolean(),
  query: Type.String({ description: 'what was searched (the question, condensed with the previous one when it leans on it)' }),
  grounded: Type.Boolean({ description: 'false: the sources did not hold an answer, and the answer says so' }),
  usage: Type.Object(
    { promptTokens: Type.Integer(), completionTokens: Type.Integer(), totalTokens: Type.Integer(), estimated: Type.Boolean() },
    { description: 'tokens read and written: as the LLM\'s provider reported them, or estimated here (estimated: true)' },
  ),
  finishReason: Type.Union([Type.Literal('stop'), Type.Literal('length')], { description: 'length: the LLM stopped at maxTokens, the answer is cut' }),
});

export const LlmsOut = Type.Object({
  llms: Type.Array(
    Type.Object({
      id: Type.String(),
      provider: Type.String(),
      default: Type.Optional(Type.Boolean()),
      available: Type.Boolean(),
      reason: Type.Optional(Type.String({ description: 'why it is not available (e.g. which environment variable to set)' })),
      contextTokens: Type.Optional(Type.Integer()),
    }),
  ),
});

const Summary = {
  id: Type.String(),
  title: Type.String(),
  messages: Type.Integer(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
};

export const ConversationListOut = Type.Object({ conversations: Type.Array(Type.Object(Summary)) });

export const ConversationOut = Type.Object({
  ...Summary,
  messages: Type.Array(
    Type.Object({
      role: Type.String(),
      content: Type.String(),
      citations: Type.Optional(Type.Array(Type.Unknown(), { description: "an assistant message's citations, as the answer gave them" })),
      createdAt: Type.String(),
    }),
  ),
});

export const ConversationParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

/**
 * OpenAI's chat completions request (https://platform.openai.com/docs/api-reference/chat/create):
 * the fields Vectra uses, plus its own retrieval options; the many others OpenAI clients send
 * (top_p, user, seed, …) are accepted and ignored.
 */
export const CompletionsBody = Type.Object(
  {
    model: Type.String({ minLength: 1, maxLength: 600, description: '"rag:<collection>" (or "rag:<a>,<b>"): ground the answer on that collection' }),
    messages: Type.Array(
      Type.Object(
        {
          role: Type.String({ maxLength: 32 }),
          content: Type.Union([
            Type.String({ maxLength: 100_000 }),
            Type.Array(Type.Object({ type: Type.String({ maxLength: 32 }), text: Type.Optional(Type.String({ maxLength: 100_000 })) }), { maxItems: 100 }),
            Type.Null(),
          ]),
        },
        { additionalProperties: true },
      ),
      { minItems: 1, maxItems: 200 },
    ),
    stream: Type.Optional(Type.Boolean()),
    stream_options: Type.Optional(Type.Union([Type.Object({ include_usage: Type.Optional(Type.Boolean()) }), Type.Null()])),
    max_tokens: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 1_000_000 }), Type.Null()])),
    max_completion_tokens: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 1_000_000 }), Type.Null()])),
    temperature: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 2 }), Type.Null()])),
    n: Type.Optional(Type.Union([Type.Literal(1), Type.Null()], { description: 'one answer per request' })),
    k: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, description: 'Vectra: passages retrieved (default 5)' })),
    filter: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Vectra: a metadata filter on the passages' })),
    mode: Type.Optional(Type.Union([Type.Literal('dense'), Type.Literal('keyword'), Type.Literal('hybrid')], { description: 'Vectra: retrieval (default hybrid)' })),
    rerank: Type.Optional(Rerank),
    llm: Type.Optional(Type.String({ maxLength: 200, description: 'Vectra: an id from GET /v1/llms (default: the configured default)' })),
  },
  { additionalProperties: true },
);
