import { VectraError } from '../../errors.js';
import type { App, Services } from '../context.js';
import { errorResponses } from '../schemas/common.js';
import { BenchmarkBody, BenchmarkOut, EmbedOut, ModelsOut, embedBody, openAiEmbeddingsBody } from '../schemas/models.js';

export default function modelRoutes(app: App, services: Services): void {
  const { limits } = services.config;

  app.get(
    '/v1/models',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['models'],
        summary: 'Embedding models this server offers',
        response: { 200: ModelsOut, ...errorResponses(401, 403) },
      },
    },
    async () => services.embedding.catalog(),
  );

  app.post(
    '/v1/embed',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['models'],
        summary: 'Embed texts',
        body: embedBody(limits),
        response: { 200: EmbedOut, ...errorResponses(400, 401, 403, 503) },
      },
    },
    async (req) => {
      const { model, dimension, vectors } = await services.embedding.embedTexts(req.body.texts, req.body.model);
      return { model, dimension, vectors: vectors.map((v) => Array.from(v)) };
    },
  );

  // OpenAI-compatible: https://platform.openai.com/docs/api-reference/embeddings
  app.post(
    '/v1/embeddings',
    {
      config: { scope: 'read' },
      // OpenAI also takes token ids ([1, 2], [[1, 2]]): the schema would answer "must be string".
      preValidation: async (req) => {
        const input = (req.body as { input?: unknown } | undefined)?.input;
        if (Array.isArray(input) && input.some((x) => typeof x === 'number' || Array.isArray(x))) {
          throw new VectraError('INVALID_ARGUMENT', 'body.input: token-id arrays are not supported (the models here tokenize text themselves, and ids from another tokenizer would mean nothing to them); send "input" as a string or an array of strings');
        }
      },
      schema: {
        tags: ['models'],
        summary: 'OpenAI-compatible embeddings',
        body: openAiEmbeddingsBody(limits),
        response: { ...errorResponses(400, 401, 403, 503) },
      },
    },
    async (req) => {
      const texts = typeof req.body.input === 'string' ? [req.body.input] : req.body.input;
      const { model, vectors } = await services.embedding.embedTexts(texts, req.body.model, req.body.dimensions);
      const tokens = texts.reduce((n, t) => n + (t.match(/\S+/g)?.length ?? 0), 0);
      const base64 = req.body.encoding_format === 'base64';
      return {
        object: 'list',
        data: vectors.map((v, index) => ({ object: 'embedding', index, embedding: base64 ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') : Array.from(v) })),
        model,
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      };
    },
  );

  app.post(
    '/v1/models/benchmark',
    {
      // It keeps every embedding worker busy for seconds to minutes: not for read-only keys.
      config: { scope: 'admin' },
      // Every field has a default, so a POST without a body runs the default benchmark.
      preValidation: async (req) => {
        req.body ??= {};
      },
      schema: {
        tags: ['models'],
        summary: 'Throughput and retrieval quality (WordNet example → sense) per model',
        body: BenchmarkBody,
        response: { 200: BenchmarkOut, ...errorResponses(400, 401, 403, 409, 503) },
      },
    },
    async (req) => services.modelBench.run(req.body),
  );
}
