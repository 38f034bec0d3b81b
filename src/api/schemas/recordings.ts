/** Recorded searches and their replay (docs/insights.md, "Explain and replay"). */
import { Type } from '../../typebox.js';
import { CollectionName } from './common.js';
import { SearchExplainOut } from './search.js';

export const RecordingBody = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean({ description: 'record the collection\'s searches from now on (false: stop; what was recorded stays)' })),
    size: Type.Optional(Type.Integer({ description: 'the most searches kept, 1–10000 (default 1000); older ones are dropped as new ones come' })),
  },
  { additionalProperties: false },
);

export const RecordingOut = Type.Object({
  enabled: Type.Boolean(),
  size: Type.Integer(),
  recorded: Type.Integer({ description: 'searches kept now' }),
  oldest: Type.Union([Type.String(), Type.Null()]),
  newest: Type.Union([Type.String(), Type.Null()]),
});

const Scored = Type.Array(Type.Object({ id: Type.String(), score: Type.Number() }));

const recorded = {
  id: Type.String({ description: 'pass to …/searches/{id}/replay' }),
  request: Type.Record(Type.String(), Type.Unknown(), { description: 'the search body as sent (without "explain")' }),
  vectorElided: Type.Optional(Type.Integer({ description: "the query vector's dimension, when it was left out of request (over 16 components; ?vectors=true lists it; replay uses it)" })),
};

export const RecordedSearchOut = Type.Object({ ...recorded, at: Type.String(), plan: Type.String(), results: Scored, took_ms: Type.Number() });

export const SearchesQuery = Type.Object(
  {
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,9}$', description: 'searches listed, newest first, 1–10000 (default 100)' })),
    vectors: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')], { description: 'list query vectors in full (default: only those of up to 16 components)' })),
  },
  { additionalProperties: false },
);

export const SearchesOut = Type.Object({ searches: Type.Array(RecordedSearchOut) });

export const SearchParams = Type.Object({ name: CollectionName, id: Type.String({ minLength: 1, maxLength: 64 }) });

export const ReplayBody = Type.Object({ explain: Type.Optional(Type.Boolean({ description: "explain today's run" })) }, { additionalProperties: false });

const Ran = { at: Type.String(), plan: Type.String(), took_ms: Type.Number(), results: Scored };

export const ReplayOut = Type.Object({
  ...recorded,
  then: Type.Object(Ran, { description: 'the recorded answer' }),
  now: Type.Object({ ...Ran, explain: Type.Optional(SearchExplainOut) }, { description: "the same body on today's data" }),
  diff: Type.Object({
    added: Type.Array(Type.Object({ id: Type.String(), rank: Type.Integer(), score: Type.Number() }), { description: 'in today\'s answer only: its rank and score now' }),
    removed: Type.Array(Type.Object({ id: Type.String(), rank: Type.Integer(), score: Type.Number() }), { description: 'in the recorded answer only: its rank and score then' }),
    moved: Type.Array(Type.Object({ id: Type.String(), from: Type.Integer(), to: Type.Integer() }), { description: 'in both, at another rank (1-based)' }),
    scoreChanges: Type.Array(Type.Object({ id: Type.String(), from: Type.Number(), to: Type.Number(), delta: Type.Number() }), { description: 'in both, the score changed by more than 1e-6' }),
  }),
  overlap: Type.Number({ description: "ids in both answers / the longer answer's length (1 when both are empty)" }),
  unchanged: Type.Boolean({ description: 'the same ids, order and scores' }),
});
