/**
 * Chat (POST /v1/chat): an answer grounded on the tenant's collections, with citations, as
 * JSON or as Server-Sent Events (`citations`, then `delta`s, then `done`); GET /v1/llms; the
 * stored conversations.
 */
import { tenantOf } from '../auth.js';
import type { App, Services } from '../context.js';
import { CHAT_EVENTS, clientGone, streamAnswer } from '../chat-stream.js';
import { errorResponses } from '../schemas/common.js';
import { ChatBody, ChatOut, ConversationListOut, ConversationOut, ConversationParams, LlmsOut } from '../schemas/chat.js';

export default function chatRoutes(app: App, services: Services): void {
  app.get(
    '/v1/llms',
    { config: { scope: 'read' }, schema: { tags: ['chat'], summary: 'The generators chat can answer with: extractive (always there) and the configured LLMs', response: { 200: LlmsOut, ...errorResponses(401, 403) } } },
    async () => ({ llms: services.chat.llms.list() }),
  );

  app.post(
    '/v1/chat',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['chat'],
        summary: 'An answer grounded on your collections, with [n] markers mapping to citations; stream: true answers as Server-Sent Events',
        body: ChatBody,
        response: { 200: ChatOut, ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (req, reply) => {
      const tenantId = tenantOf(req);
      const signal = clientGone(reply);
      if (!req.body.stream) return services.chat.answer(tenantId, req.body, undefined, { signal });
      await streamAnswer(req, reply, (onEvent) => services.chat.answer(tenantId, req.body, onEvent, { signal }), CHAT_EVENTS);
    },
  );

  app.get(
    '/v1/conversations',
    { config: { scope: 'read' }, schema: { tags: ['chat'], summary: 'Your conversations, the latest first', response: { 200: ConversationListOut, ...errorResponses(401, 403) } } },
    async (req) => ({ conversations: await services.conversations.list(tenantOf(req)) }),
  );

  app.get(
    '/v1/conversations/:id',
    { config: { scope: 'read' }, schema: { tags: ['chat'], summary: 'One conversation with its messages and their citations', params: ConversationParams, response: { 200: ConversationOut, ...errorResponses(401, 403, 404) } } },
    async (req) => {
      const { messageList, ...summary } = await services.conversations.get(tenantOf(req), req.params.id);
      return { ...summary, messages: messageList };
    },
  );

  app.delete(
    '/v1/conversations/:id',
    { config: { scope: 'write' }, schema: { tags: ['chat'], summary: 'Delete a conversation', params: ConversationParams, response: errorResponses(401, 403, 404) } },
    async (req, reply) => {
      await services.conversations.delete(tenantOf(req), req.params.id);
      return reply.code(204).send();
    },
  );
}
