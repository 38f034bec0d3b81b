/** Embedding models: the catalogue, embedding texts, the benchmark. */
import { Type } from '../../typebox.js';
import { BENCH_DEFAULT_QUERIES, BENCH_MAX_QUERIES } from '../../embed/benchmark.js';
import type { Limits } from './common.js';

/** `available`: whether it can run here; `reason`, when it cannot, says what stops it and what to do. */
const availability = { available: Type.Boolean(), reason: Type.Optional(Type.String()) };

export const ModelsOut = Type.Object({
  models: Type.Array(Type.Object({ id: Type.String(), dimension: Type.Integer(), provider: Type.String(), description: Type.String(), default: Type.Optional(Type.Boolean()), ...availability })),
  rerankers: Type.Array(Type.Object({ id: Type.String(), provider: Type.String(), description: Type.String(), ...availability })),
});

export const embedBody = (limits: Limits) =>
  Type.Object({ texts: Type.Array(Type.String({ maxLength: 100_000 }), { minItems: 1, maxItems: limits.maxBatch }), model: Type.Optional(Type.String()) }, { additionalProperties: false });

export const EmbedOut = Type.Object({ model: Type.String(), dimension: Type.Integer(), vectors: Type.Array(Type.Array(Type.Number())) });

/** OpenAI's request body: https://platform.openai.com/docs/api-reference/embeddings */
export const openAiEmbeddingsBody = (limits: Limits) =>
  Type.Object({
    input: Type.Union([Type.String({ maxLength: 100_000 }), Type.Array(Type.String({ maxLength: 100_000 }), { minItems: 1, maxItems: limits.maxBatch })]),
    model: Type.String(),
    encoding_format: Type.Optional(Type.Union([Type.Literal('float'), Type.Literal('base64')])),
    dimensions: Type.Optional(Type.Integer()),
    user: Type.Optional(Type.String()),
  });

export const BenchmarkBody = Type.Object(
  {
    models: Type.Optional(Type.Array(Type.String(), { minItems: 1, maxItems: 16 })),
    queries: Type.Optional(Type.Integer({ minimum: 1, maximum: BENCH_MAX_QUERIES, default: BENCH_DEFAULT_QUERIES })),
  },
  { additionalProperties: false },
);

const Score = Type.Object({
  model: Type.String(), provider: Type.String(), dimension: Type.Integer(),
  textsPerSecond: Type.Number(), accuracyAt1: Type.Number(), recallAt10: Type.Number(), mrrAt10: Type.Number(), seconds: Type.Number(),
});

const Failure = Type.Object({
  model: Type.String(), provider: Type.String(), dimension: Type.Integer(),
  error: Type.Object({ code: Type.String(), message: Type.String() }),
});

export const BenchmarkOut = Type.Object({
  task: Type.Object({
    name: Type.String(), description: Type.String(), queries: Type.Integer(), corpus: Type.Integer(), k: Type.Integer(),
    reference: Type.Object({ name: Type.String(), accuracyAt1: Type.Number(), recallAt10: Type.Number() }),
  }),
  results: Type.Array(Type.Union([Score, Failure])),
});
