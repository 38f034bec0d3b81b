/**
 * Request and response schemas (TypeBox), one file per resource beside this one for what they
 * share. Fastify validates requests with them and @fastify/swagger turns the same schemas into
 * /openapi.json. Schemas whose bounds come from the configured limits are made by functions.
 */
import { Type } from '../../typebox.js';
import type { Config } from '../../config.js';

export type Limits = Config['limits'];

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      oldestSeq: Type.Optional(Type.Integer({ description: 'CHANGES_EXPIRED: the oldest seq the change feed still holds' })),
    }),
  },
  { $id: 'Error', description: 'Every non-2xx answer' },
);

export const errorResponses = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, Type.Ref('Error')]));

/** A collection name, for what is checked outside a schema (WebSocket messages, a chat completion's model). */
export const COLLECTION_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const CollectionName = Type.String({ pattern: COLLECTION_NAME_PATTERN.source, description: '1–64 of A–Z a–z 0–9 _ -' });

export const CollectionParams = Type.Object({ name: CollectionName });

export const Metadata = Type.Record(Type.String(), Type.Unknown(), { description: 'JSON object' });

export const DeletedOut = Type.Object({ deleted: Type.Integer() });

/**
 * A vector: an array of numbers, or base64 of little-endian float32s (as OpenAI's embeddings
 * API returns with `encoding_format: "base64"`), which skips parsing a JSON number per component.
 */
export const vectorOf = (limits: Limits) =>
  Type.Union([
    Type.Array(Type.Number(), { minItems: 1, maxItems: limits.maxDimension }),
    Type.String({ maxLength: Math.ceil((limits.maxDimension * 4) / 3) + 4, contentEncoding: 'base64', description: 'base64 of little-endian float32s' }),
  ]);
