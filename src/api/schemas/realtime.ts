/** Realtime: the change feed and event stats. */
import { Type } from '../../typebox.js';

const SeqString = Type.String({ pattern: '^[0-9]{1,15}$', description: 'a sequence number' });

export const ChangesQuery = Type.Object(
  {
    since: Type.Optional(SeqString),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$', description: '1–10000, default 100' })),
    include: Type.Optional(Type.Literal('record', { description: '"record": each change carries the record as it is now (null when deleted since)' })),
  },
  { additionalProperties: false },
);

export const StreamQuery = Type.Object(
  {
    since: Type.Optional(SeqString),
    include: Type.Optional(Type.Literal('record')),
  },
  { additionalProperties: false },
);

export const ChangeOut = Type.Object({
  seq: Type.Integer(),
  op: Type.Union([Type.Literal('upsert'), Type.Literal('delete')]),
  id: Type.String(),
  at: Type.String({ description: 'ISO time of the write' }),
  record: Type.Optional(Type.Union([Type.Ref('Record'), Type.Null()])),
});

export const ChangesOut = Type.Object({
  changes: Type.Array(ChangeOut),
  nextSince: Type.Integer({ description: 'pass as since for the next page' }),
  latestSeq: Type.Integer(),
});

export const EventStatsOut = Type.Object({
  since: Type.String({ description: 'counting started at the server start' }),
  published: Type.Record(Type.String(), Type.Integer(), { description: 'events published, by type' }),
  total: Type.Integer(),
  delivered: Type.Integer(),
  skipped: Type.Integer(),
  droppedSubscribers: Type.Integer(),
  subscribers: Type.Integer(),
});
