/**
 * Request and response schemas (TypeBox). Fastify validates requests with them and
 * @fastify/swagger turns the same schemas into /openapi.json.
 */
import { Type } from '@fastify/type-provider-typebox';
import type { Config } from '../config.js';

export const ErrorBody = Type.Object(
  { error: Type.Object({ code: Type.String(), message: Type.String() }) },
  { $id: 'Error', description: 'Every non-2xx answer' },
);

export const errorResponses = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, Type.Ref('Error')]));

export const CollectionName = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: '1–64 of A–Z a–z 0–9 _ -' });

export const Metadata = Type.Record(Type.String(), Type.Unknown(), { description: 'JSON object' });

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

export const KeyOut = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    prefix: Type.String(),
    scopes: Type.Array(Type.String()),
    createdAt: Type.String(),
    lastUsedAt: Type.Union([Type.String(), Type.Null()]),
    expiresAt: Type.Union([Type.String(), Type.Null()]),
    revokedAt: Type.Union([Type.String(), Type.Null()]),
  },
  { $id: 'ApiKey' },
);

/** Schemas whose bounds come from the configured limits. */
export function limitedSchemas(limits: Config['limits']) {
  const vector = Type.Array(Type.Number(), { minItems: 1, maxItems: limits.maxDimension });
  return {
    RecordIn: Type.Object(
      {
        id: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
        text: Type.Optional(Type.String({ maxLength: 1_000_000 })),
        vector: Type.Optional(vector),
        metadata: Type.Optional(Metadata),
      },
      { additionalProperties: false },
    ),
    vector,
    k: Type.Integer({ minimum: 1, maximum: limits.maxK, default: 10 }),
    batch: limits.maxBatch,
  };
}
