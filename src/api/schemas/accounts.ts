/** Registration and API keys. */
import { Type } from '../../typebox.js';

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

const Scopes = Type.Array(Type.Union([Type.Literal('read'), Type.Literal('write'), Type.Literal('admin')]), { minItems: 1, maxItems: 3 });

export const RegisterBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false });

export const RegisteredOut = Type.Object({ tenant: Type.Object({ id: Type.String(), name: Type.String() }), apiKey: Type.String() });

export const KeyListOut = Type.Object({ keys: Type.Array(Type.Ref('ApiKey')) });

export const CreateKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128 }),
    scopes: Scopes,
    expiresAt: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Null()])),
  },
  { additionalProperties: false },
);

/** The key's record and, this once, the key itself. */
export const CreatedKeyOut = Type.Intersect([Type.Ref('ApiKey'), Type.Object({ apiKey: Type.String() })]);

export const KeyParams = Type.Object({ id: Type.String() });
