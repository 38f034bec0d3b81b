/**
 * Chat (POST /v1/chat): an answer grounded on the tenant's collections, with citations, as
 * JSON or as Server-Sent Events (`citations`, then `delta`s, then `done`); GET /v1/llms; the
 * stored conversations.
 */
import { tenantOf } from '../auth.js';
import type { App, Services } from '../context.js';
import { VectraError } from '../../errors.js';
import { LLMS, type ChatEvent } from '../../rag/chat.js';
import { errorResponses } from '../schemas/common.js';
import { ChatBody, ChatOut, ConversationListOut, ConversationOut, ConversationParams, LlmsOut } from '../schemas/chat.js';

export default function chatRoutes(app: App, services: Services): void {
  app.get(
    '/v1/llms',
    { config: { scope: 'read' }, schema: { tags: ['chat'], summary: 'The generators chat can answer with (extractive is always there)', response: { 200: LlmsOut, ...errorResponses(401, 403) } } },
    async () => ({ llms: LLMS.map((l) => ({ ...l })) }),
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
      if (!req.body.stream) return services.chat.answer(tenantId, req.body);
      // Streamed: everything that can be refused is refused before the first byte, as JSON.
      const events: ChatEvent[] = [];
      let flush: ((e: ChatEvent) => void) | null = null;
      const started = services.chat.answer(tenantId, req.body, (e) => (flush ? flush(e) : events.push(e)));
      // The first event (citations) comes once retrieval is done: errors before it are plain answers.
      await Promise.race([started, new Promise<void>((r) => (flush = (e) => (events.push(e), r())))]);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      const write = (e: ChatEvent) => {
        const data = e.type === 'citations' ? { citations: e.citations } : e.type === 'delta' ? { text: e.text } : e.answer;
        res.write(`event: ${e.type}\ndata: ${JSON.stringify(data)}\n\n`);
      };
      for (const e of events.splice(0)) write(e);
      flush = write;
      try {
        await started;
      } catch (e) {
        const error = e instanceof VectraError ? { code: e.code, message: e.message } : { code: 'INTERNAL', message: 'the answer stopped on a server error' };
        if (!(e instanceof VectraError)) req.log.error({ err: e }, 'chat stream failed');
        res.write(`event: error\ndata: ${JSON.stringify({ error })}\n\n`);
      } finally {
        res.end();
      }
    },
  );

  app.get(
    '/v1/conversations',
    { config: { scope: 'read' }, schema: { tags: ['chat'], summary: 'Your conversations, the latest first', response: { 200: ConversationListOut, ...errorResponses(401, 403) } } },
    async (req) => ({ conversations: services.conversations.list(tenantOf(req)) }),
  );

  app.get(
    '/v1/conversations/:id',
    { config: { scope: 'read' }, schema: { tags: ['chat'], summary: 'One conversation with its messages and their citations', params: ConversationParams, response: { 200: ConversationOut, ...errorResponses(401, 403, 404) } } },
    async (req) => {
      const { messageList, ...summary } = services.conversations.get(tenantOf(req), req.params.id);
      return { ...summary, messages: messageList };
    },
  );

  app.delete(
    '/v1/conversations/:id',
    { config: { scope: 'write' }, schema: { tags: ['chat'], summary: 'Delete a conversation', params: ConversationParams, response: errorResponses(401, 403, 404) } },
    async (req, reply) => {
      services.conversations.delete(tenantOf(req), req.params.id);
      return reply.code(204).send();
    },
  );
}
