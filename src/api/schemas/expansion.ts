/** Query expansion on a search (`expand`), and what the answer says was searched (`expanded`). */
import { Type } from '../../typebox.js';

const terms = Type.Optional(Type.Integer({ minimum: 1, maximum: 5, description: 'nearest words added per content word (default 2)' }));
const minSimilarity = Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'cosine floor for a nearest word (default 0.7)' }));

export const Expand = Type.Union(
  [
    Type.Object(
      {
        strategy: Type.Literal('words'),
        terms,
        minSimilarity,
        weight: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: "share of the nearest words' vector in the dense side's query (default 0.2)" })),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        strategy: Type.Literal('prf'),
        docs: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, description: 'top hits whose vectors move the query (default 5)' })),
        weight: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: "share of the top hits' mean in the new query (default 0.5)" })),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      { strategy: Type.Literal('multi'), queries: Type.Optional(Type.Integer({ minimum: 2, maximum: 8, description: 'queries fused, the original included (default 4)' })), terms, minSimilarity },
      { additionalProperties: false },
    ),
  ],
  { description: 'query expansion, no LLM: "words" (nearest words of the built-in model added to the text), "prf" (pseudo-relevance feedback: the query moved toward the top hits), "multi" (the text and variants of it, fused by RRF)' },
);

const WordNeighbours = Type.Object({
  word: Type.String(),
  rank: Type.Integer({ description: "the word's frequency rank in the built-in model's vocabulary (higher is rarer)" }),
  neighbours: Type.Array(Type.Object({ word: Type.String(), similarity: Type.Number() })),
});

export const ExpandedOut = Type.Object(
  {
    strategy: Type.String({ description: 'words | prf | multi' }),
    text: Type.Optional(Type.String({ description: 'words: the text the keyword side searched (the text and its nearest words)' })),
    queries: Type.Optional(Type.Array(Type.String(), { description: 'multi: the texts searched and fused, the original first' })),
    words: Type.Optional(Type.Array(WordNeighbours, { description: 'words, multi: each content word and the nearest words found for it' })),
    docs: Type.Optional(Type.Array(Type.String(), { description: 'prf: ids of the first search\'s top hits the query was moved toward' })),
    weight: Type.Optional(Type.Number({ description: "the share of the nearest words' vector (words) or of the top hits' mean (prf) in the dense side's query" })),
  },
  { description: 'with "expand": what was searched' },
);
