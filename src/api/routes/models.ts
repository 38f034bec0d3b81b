import { Type } from '@fastify/type-provider-typebox';
import { BENCH_DEFAULT_QUERIES, BENCH_MAX_QUERIES } from '../../embed/benchmark.js';
import type { App, Services } from '../context.js';
import { errorResponses } from '../schemas.js';

export default function modelRoutes(app: App, services: Services): void {
  const batch = services.config.limits.maxBatch;

  app.get(
    '/v1/models',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['models'],
        summary: 'Embedding models this server offers',
        response: {
          200: Type.Object({
            models: Type.Array(Type.Object({ id: Type.String(), dimension: Type.Integer(), provider: Type.String(), description: Type.String(), default: Type.Optional(Type.Boolean()), available: Type.Boolean() })),
            rerankers: Type.Array(Type.Object({ id: Type.String(), provider: Type.String(), description: Type.String(), available: Type.Boolean() })),
          }),
          ...errorResponses(401, 403),
        },
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
        body: Type.Object({ texts: Type.Array(Type.String({ maxLength: 100_000 }), { minItems: 1, maxItems: batch }), model: Type.Optional(Type.String()) }, { additionalProperties: false }),
        response: { 200: Type.Object({ model: Type.String(), dimension: Type.Integer(), vectors: Type.Array(Type.Array(Type.Number())) }), ...errorResponses(400, 401, 403, 503) },
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
      schema: {
        tags: ['models'],
        summary: 'OpenAI-compatible embeddings',
        body: Type.Object({
          input: Type.Union([Type.String({ maxLength: 100_000 }), Type.Array(Type.String({ maxLength: 100_000 }), { minItems: 1, maxItems: batch })]),
          model: Type.String(),
          encoding_format: Type.Optional(Type.Union([Type.Literal('float'), Type.Literal('base64')])),
          dimensions: Type.Optional(Type.Integer()),
          user: Type.Optional(Type.String()),
        }),
        ...{ response: { ...errorResponses(400, 401, 403, 503) } },
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

  const Score = Type.Object({
    model: Type.String(), provider: Type.String(), dimension: Type.Integer(),
    textsPerSecond: Type.Number(), accuracyAt1: Type.Number(), recallAt10: Type.Number(), mrrAt10: Type.Number(), seconds: Type.Number(),
  });
  const Failure = Type.Object({
    model: Type.String(), provider: Type.String(), dimension: Type.Integer(),
    error: Type.Object({ code: Type.String(), message: Type.String() }),
  });
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
        body: Type.Object(
          {
            models: Type.Optional(Type.Array(Type.String(), { minItems: 1, maxItems: 16 })),
            queries: Type.Optional(Type.Integer({ minimum: 1, maximum: BENCH_MAX_QUERIES, default: BENCH_DEFAULT_QUERIES })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            task: Type.Object({
              name: Type.String(), description: Type.String(), queries: Type.Integer(), corpus: Type.Integer(), k: Type.Integer(),
              reference: Type.Object({ name: Type.String(), accuracyAt1: Type.Number(), recallAt10: Type.Number() }),
            }),
            results: Type.Array(Type.Union([Score, Failure])),
          }),
          ...errorResponses(400, 401, 403, 409, 503),
        },
      },
    },
    async (req) => services.modelBench.run(req.body),
  );
}
