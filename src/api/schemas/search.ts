/** Search: by text or vector, dense, keyword or hybrid, with a filter, reranking and grouping. */
import { Type } from '@fastify/type-provider-typebox';
import { Metadata, vectorOf, type Limits } from './common.js';
import { Expand, ExpandedOut } from './expansion.js';

/** Reranking the hits: MMR for variety, or a cross-encoder model. */
export const Rerank = Type.Union([
  Type.Object({ type: Type.Literal('mmr'), lambda: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: '1 = relevance only, 0 = variety only (default 0.5)' })) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('cross-encoder'), model: Type.String({ minLength: 1, maxLength: 128, description: 'a reranker from GET /v1/models (rerankers)' }) }, { additionalProperties: false }),
]);

export const searchBody = (limits: Limits) =>
  Type.Object(
    {
      text: Type.Optional(Type.String({ minLength: 1, maxLength: 100_000 })),
      vector: Type.Optional(vectorOf(limits)),
      k: Type.Optional(Type.Integer({ minimum: 1, maximum: limits.maxK, default: 10 })),
      ef: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description: 'HNSW search breadth (default: the collection\'s efSearch)' })),
      filter: Type.Optional(Metadata),
      mode: Type.Optional(Type.Union([Type.Literal('dense'), Type.Literal('keyword'), Type.Literal('hybrid')], { description: 'dense (default), keyword (BM25), hybrid (both, fused)' })),
      fusion: Type.Optional(
        Type.Union([
          Type.Literal('rrf'),
          Type.Literal('weighted'),
          Type.Object(
            {
              type: Type.Literal('rrf'),
              k: Type.Optional(Type.Number({ minimum: 0, maximum: 100_000, description: 'rank constant (default 60)' })),
              weights: Type.Optional(Type.Object({ dense: Type.Optional(Type.Number({ minimum: 0, maximum: 1000 })), keyword: Type.Optional(Type.Number({ minimum: 0, maximum: 1000 })) }, { additionalProperties: false })),
            },
            { additionalProperties: false },
          ),
          Type.Object({ type: Type.Literal('weighted'), alpha: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'weight of the dense side (default 0.5)' })) }, { additionalProperties: false }),
        ]),
      ),
      candidates: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description: 'hits taken from each side before fusion, or before reranking picks k' })),
      rerank: Type.Optional(Rerank),
      parse: Type.Optional(
        Type.Union([
          Type.Boolean(),
          Type.Object({ aliases: Type.Optional(Type.Record(Type.String({ maxLength: 256 }), Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 32 }), { maxProperties: 64 })) }, { additionalProperties: false }),
        ], { description: 'read numeric and date constraints ("not less than $13", "after March 2024") from text into a filter' }),
      ),
      group: Type.Optional(
        Type.Object(
          { by: Type.Literal('document'), size: Type.Optional(Type.Integer({ minimum: 1, maximum: 20, description: 'chunks per document (default 3)' })) },
          { additionalProperties: false, description: 'one result per document, with its best chunks' },
        ),
      ),
      expand: Type.Optional(Expand),
      highlight: Type.Optional(Type.Union([Type.Boolean(), Type.Object({ pre: Type.String({ maxLength: 100 }), post: Type.String({ maxLength: 100 }) }, { additionalProperties: false })], { description: 'add a snippet of matching text with the matched words marked (default <mark>…</mark>)' })),
      return: Type.Optional(Type.Union([Type.Literal('object'), Type.Literal('id')])),
      includeVector: Type.Optional(Type.Boolean()),
      exact: Type.Optional(Type.Boolean({ description: 'exact search, bypassing the graph' })),
    },
    { additionalProperties: false },
  );

export const SearchOut = Type.Object({
  results: Type.Array(
    Type.Object({
      id: Type.String(),
      score: Type.Number(),
      text: Type.Optional(Type.Union([Type.String(), Type.Null()])),
      metadata: Type.Optional(Metadata),
      vector: Type.Optional(Type.Array(Type.Number())),
      highlight: Type.Optional(Type.String()),
      scores: Type.Optional(Type.Object({ dense: Type.Optional(Type.Number()), keyword: Type.Optional(Type.Number()), rerank: Type.Optional(Type.Number()) })),
      ranks: Type.Optional(Type.Object({ dense: Type.Optional(Type.Integer()), keyword: Type.Optional(Type.Integer()), mmr: Type.Optional(Type.Integer({ description: 'position MMR picked the hit at (rerank "mmr"; results come in this order)' })) })),
      document: Type.Optional(Type.Union([Type.String(), Type.Null()])),
      chunks: Type.Optional(
        Type.Array(Type.Object({ id: Type.String(), score: Type.Number(), text: Type.Optional(Type.Union([Type.String(), Type.Null()])), highlight: Type.Optional(Type.String()) })),
      ),
    }),
  ),
  took_ms: Type.Number(),
  plan: Type.String({ description: 'hnsw | hnsw-filtered | binary | binary-filtered | pq | pq-filtered | exact | exact-filtered | keyword | hybrid' }),
  plans: Type.Optional(Type.Object({ dense: Type.String(), keyword: Type.String() })),
  expanded: Type.Optional(ExpandedOut),
  parsed: Type.Optional(
    Type.Object({
      query: Type.String(),
      filter: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
      constraints: Type.Array(Type.Object({ text: Type.String(), field: Type.String(), filter: Type.Record(Type.String(), Type.Unknown()) })),
      unmatched: Type.Array(Type.Object({ text: Type.String(), reason: Type.String() })),
    }),
  ),
});
