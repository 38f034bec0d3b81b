/**
 * Schemas of the Qdrant-compatible routes: paths, query strings, and each body's fields by
 * name (an unknown field is refused, naming it). What a field holds is checked by the service
 * (src/services/qdrant/), which knows Qdrant's shapes and says which are not supported.
 * Hidden from Vectra's own OpenAPI document: Qdrant's contract is Qdrant's.
 */
import { Type } from '../../typebox.js';
import { BODY_FIELDS, type BodyKind } from '../../services/qdrant/fields.js';
import { CollectionName } from '../schemas/common.js';

export const QdrantCollectionParams = Type.Object({ name: CollectionName });

export const PointParams = Type.Object({ name: CollectionName, id: Type.String({ minLength: 1, maxLength: 64 }) });

export const FieldParams = Type.Object({ name: CollectionName, field: Type.String({ minLength: 1, maxLength: 512 }) });

/** Qdrant's query parameters: accepted, none changes what Vectra does (a write is done when answered; one node, one replica). */
export const QdrantQuery = Type.Object({
  wait: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
  ordering: Type.Optional(Type.Union([Type.Literal('weak'), Type.Literal('medium'), Type.Literal('strong')])),
  timeout: Type.Optional(Type.String({ pattern: '^[0-9]{1,9}$' })),
  consistency: Type.Optional(Type.String({ maxLength: 32 })),
});

/** A body of this kind: an object of its fields, each checked by the service. */
export const bodyOf = (kind: BodyKind) =>
  Type.Object(Object.fromEntries(BODY_FIELDS[kind].map((f) => [f, Type.Optional(Type.Unknown())])), { additionalProperties: false });
