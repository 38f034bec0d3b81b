/** Collections: create, list, describe, delete. */
import { Type } from '../../typebox.js';
import { CollectionName, type Limits } from './common.js';

export const IndexSettings = Type.Union([
  Type.Object({ type: Type.Literal('hnsw'), m: Type.Integer(), efConstruction: Type.Integer(), efSearch: Type.Integer() }),
  Type.Object({ type: Type.Literal('flat') }),
]);

export const CollectionOut = Type.Object(
  {
    name: Type.String(),
    model: Type.String(),
    dimension: Type.Integer(),
    metric: Type.String(),
    index: IndexSettings,
    storage: Type.String(),
    bytesPerVector: Type.Integer({ description: 'bytes the vector index keeps per vector: 4·d (f32), 2·d (f16), d (i8), ceil(d/8) (binary), ceil(m·bits/8) (pq); full-precision vectors are kept besides, for rescoring' }),
    pq: Type.Optional(
      Type.Object({
        m: Type.Integer(),
        bits: Type.Integer(),
        trainedOn: Type.Optional(Type.Integer({ description: 'vectors the codebooks were trained on; 0 until the collection holds enough (it is scanned exactly until then)' })),
      }),
    ),
    createdAt: Type.String(),
    count: Type.Optional(Type.Integer()),
    diskBytes: Type.Optional(Type.Integer()),
    unindexed: Type.Optional(Type.Integer({ description: 'records searchable (exactly) but not yet in the HNSW graph; 0 once background indexing has caught up' })),
  },
  { $id: 'Collection' },
);

/** A collection as answered: CollectionOut, by reference. */
export const CollectionRef = Type.Ref('Collection');

export const CollectionListOut = Type.Object({ collections: Type.Array(CollectionRef) });

export const createCollectionBody = (limits: Limits) =>
  Type.Object(
    {
      name: CollectionName,
      model: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'an id from GET /v1/models (default: the built-in model) or "none"' })),
      dimension: Type.Optional(Type.Integer({ minimum: 1, maximum: limits.maxDimension })),
      metric: Type.Optional(Type.Union([Type.Literal('cosine'), Type.Literal('dot'), Type.Literal('l2')])),
      index: Type.Optional(
        Type.Object(
          {
            type: Type.Optional(Type.Union([Type.Literal('hnsw'), Type.Literal('flat')])),
            m: Type.Optional(Type.Integer()),
            efConstruction: Type.Optional(Type.Integer()),
            efSearch: Type.Optional(Type.Integer()),
          },
          { additionalProperties: false },
        ),
      ),
      storage: Type.Optional(Type.Union([Type.Literal('f32'), Type.Literal('f16'), Type.Literal('i8'), Type.Literal('binary'), Type.Literal('pq')])),
      pq: Type.Optional(
        Type.Object(
          { m: Type.Optional(Type.Integer({ description: 'sub-vectors; must divide the dimension (default: the divisor nearest d/4)' })), bits: Type.Optional(Type.Integer({ description: 'bits per sub-vector code, 1–8 (default 8)' })) },
          { additionalProperties: false },
        ),
      ),
    },
    { additionalProperties: false },
  );
