/** Records: upsert, list, get, delete. */
import { Type } from '../../typebox.js';
import { CollectionName, Metadata, vectorOf, type Limits } from './common.js';

export const StoredRecordOut = Type.Object(
  {
    id: Type.String(),
    text: Type.Union([Type.String(), Type.Null()]),
    metadata: Metadata,
    vector: Type.Optional(Type.Array(Type.Number())),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { $id: 'Record' },
);

/** A record as answered: StoredRecordOut, by reference. */
export const RecordRef = Type.Ref('Record');

export const RecordParams = Type.Object({ name: CollectionName, id: Type.String({ minLength: 1, maxLength: 256 }) });

const Bool = Type.Union([Type.Literal('true'), Type.Literal('false')]);

export const recordIn = (limits: Limits) =>
  Type.Object(
    {
      id: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
      text: Type.Optional(Type.String({ maxLength: 1_000_000 })),
      vector: Type.Optional(vectorOf(limits)),
      metadata: Type.Optional(Metadata),
    },
    { additionalProperties: false },
  );

export const upsertBody = (limits: Limits) => Type.Object({ records: Type.Array(recordIn(limits), { minItems: 1, maxItems: limits.maxBatch }) }, { additionalProperties: false });

const Seq = Type.Integer({ description: "the collection's sequence number after this write (its change feed position)" });

export const UpsertedOut = Type.Object({ ids: Type.Array(Type.String()), upserted: Type.Integer(), seq: Seq });

export const DeletedManyOut = Type.Object({ deleted: Type.Integer(), seq: Seq });

export const ListQuery = Type.Object(
  {
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$' })),
    cursor: Type.Optional(Type.String({ maxLength: 2048 })),
    filter: Type.Optional(Type.String({ maxLength: 65536, description: 'URL-encoded JSON metadata filter' })),
    includeVector: Type.Optional(Bool),
  },
  { additionalProperties: false },
);

export const RecordListOut = Type.Object({ records: Type.Array(RecordRef), nextCursor: Type.Union([Type.String(), Type.Null()]) });

export const GetQuery = Type.Object({ includeVector: Type.Optional(Bool) }, { additionalProperties: false });

export const deleteManyBody = (limits: Limits) =>
  Type.Object({ ids: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: limits.maxBatch })), filter: Type.Optional(Metadata) }, { additionalProperties: false });
