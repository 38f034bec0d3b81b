/** Search: by text or vector, dense, keyword or hybrid, with a filter, reranking and grouping. */
import { Type } from '../../typebox.js';
import { MAX_TEMPERATURE } from '../../services/sampling.js';
import { Metadata, vectorOf, type Limits } from './common.js';
import { Expand, ExpandedOut } from './expansion.js';

/** Reranking the hits: MMR for variety, or a cross-encoder model. */
export const Rerank = Type.Union([
  Type.Object({ type: Type.Literal('mmr'), lambda: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: '1 = relevance only, 0 = variety only (default 0.5)' })) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('cross-encoder'), model: Type.String({ minLength: 1, maxLength: 128, description: 'a reranker from GET /v1/models (rerankers)' }) }, { additionalProperties: false }),
  Type.Object(
    {
      type: Type.Literal('feedback'),
      weight: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'most a boost can move a result, as a share of the candidates\' relevance range (default 0.5)' })),
      minSimilarity: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'cosine from which an earlier query counts as similar (default 0.8)' })),
    },
    { additionalProperties: false, description: 'boost what users chose (POST …/feedback) for similar queries' },
  ),
]);

export const FeedbackBody = (limits: Limits) =>
  Type.Object(
    {
      query: Type.Optional(Type.String({ minLength: 1, maxLength: 100_000, description: 'the search text the result was found for' })),
      vector: Type.Optional(vectorOf(limits)),
      id: Type.String({ minLength: 1, maxLength: 256, description: 'the result the user acted on' }),
      signal: Type.Union([Type.Literal('click'), Type.Literal('dwell'), Type.Literal('bookmark'), Type.Literal('skip')]),
      value: Type.Optional(Type.Number({ minimum: 0, maximum: 86_400, description: 'dwell: seconds spent on the result (default 30 = a full positive signal)' })),
      user: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'who acted, under this API key: each user counts once per result' })),
    },
    { additionalProperties: false },
  );

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
      temperature: Type.Optional(
        Type.Number({ minimum: 0, maximum: MAX_TEMPERATURE, description: 'sample the k results from the candidates with probability softmax(score / temperature), in draw order; 0 (default) = the ranking itself' }),
      ),
      seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 4_294_967_295, description: 'with temperature: the same seed, data and body give the same results (default: random, returned as "seed")' })),
      consistency: Type.Optional(
        Type.Union([Type.Literal('eventual'), Type.Literal('strong')], {
          description: 'scale-out: "strong" answers from every write committed before the request (this node waits for its replica); default "eventual"',
        }),
      ),
      minSeq: Type.Optional(Type.Integer({ minimum: 0, description: 'scale-out: answer once this node has applied the collection up to this seq (a write answer\'s "seq")' })),
      explain: Type.Optional(Type.Boolean({ description: 'add "explain": the plan and why, each stage\'s time and candidates, the graph\'s work (docs/insights.md)' })),
    },
    { additionalProperties: false },
  );

const planExplain = {
  plan: Type.String(),
  reason: Type.String({ description: 'why this plan, with the figures that decided it' }),
  filter: Type.Optional(
    Type.Object(
      {
        matches: Type.Integer({ description: 'matches counted (through the fields index); when not exact, counting stopped here' }),
        exact: Type.Boolean(),
        threshold: Type.Integer({ description: 'up to this many matches are scanned exactly; more: the graph is walked' }),
        rule: Type.String(),
        total: Type.Integer({ description: 'records in the collection' }),
        selectivity: Type.Number({ description: 'matches / total (a lower bound when not exact)' }),
      },
      { description: "the filter's selectivity estimate" },
    ),
  ),
  rounds: Type.Optional(Type.Array(Type.Object({ breadth: Type.Integer(), found: Type.Integer(), checked: Type.Integer(), passed: Type.Integer() }), { description: 'a filtered graph walk: each widening round' })),
  graph: Type.Optional(
    Type.Object({
      searches: Type.Integer(),
      breadth: Type.Integer({ description: 'candidates kept while walking (ef), last search' }),
      returned: Type.Integer(),
      visited: Type.Null({ description: 'not exposed by usearch\'s JavaScript binding' }),
      distances: Type.Null({ description: 'not exposed by usearch\'s JavaScript binding' }),
      note: Type.String(),
    }),
  ),
  notes: Type.Optional(Type.Array(Type.String())),
};

export const SearchExplainOut = Type.Object({
  ...planExplain,
  sides: Type.Optional(Type.Object({ dense: Type.Optional(Type.Object(planExplain)), keyword: Type.Optional(Type.Object(planExplain)) }, { description: 'hybrid: how each side ran' })),
  stages: Type.Array(
    Type.Object({
      stage: Type.String({ description: 'parse | embed | filter | graph | scan | tail | rescore | keyword | fetch | fusion | rerank | highlight | group' }),
      side: Type.Optional(Type.String({ description: 'hybrid: dense or keyword' })),
      ms: Type.Number({ description: 'summed over every time the stage ran' }),
      candidates: Type.Optional(Type.Integer({ description: 'what the stage passed on (the last time it ran)' })),
    }),
    { description: 'the stages that ran, in the order they first ran' },
  ),
  total_ms: Type.Number(),
});

export const SearchOut = Type.Object({
  results: Type.Array(
    Type.Object({
      id: Type.String(),
      score: Type.Number(),
      text: Type.Optional(Type.Union([Type.String(), Type.Null()])),
      metadata: Type.Optional(Metadata),
      vector: Type.Optional(Type.Array(Type.Number())),
      highlight: Type.Optional(Type.String()),
      scores: Type.Optional(
        Type.Object({
          dense: Type.Optional(Type.Number()),
          keyword: Type.Optional(Type.Number()),
          rerank: Type.Optional(Type.Number()),
          feedback: Type.Optional(Type.Number({ description: 'rerank "feedback": the boost from users\' signals, −1 … 1' })),
        }),
      ),
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
  seed: Type.Optional(Type.Integer({ description: 'with temperature: the seed the results were drawn with' })),
  expanded: Type.Optional(ExpandedOut),
  parsed: Type.Optional(
    Type.Object({
      query: Type.String(),
      filter: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
      constraints: Type.Array(Type.Object({ text: Type.String(), field: Type.String(), filter: Type.Record(Type.String(), Type.Unknown()) })),
      unmatched: Type.Array(Type.Object({ text: Type.String(), reason: Type.String() })),
    }),
  ),
  explain: Type.Optional(SearchExplainOut),
});
