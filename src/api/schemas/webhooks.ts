/** Webhooks: registration, state, deliveries. */
import { Type } from '../../typebox.js';
import { CollectionName } from './common.js';

const Url = Type.String({ minLength: 1, maxLength: 2048, description: 'http(s) URL the events are POSTed to; private and loopback addresses are refused unless VECTRA_WEBHOOK_ALLOW_PRIVATE=true' });
const Events = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 32, description: 'event types, "prefix.*" or "*"' });
const Collections = Type.Union([Type.Array(CollectionName, { minItems: 1, maxItems: 100 }), Type.Null()], { description: 'only events of these collections (absent or null: all)' });
const Description = Type.Union([Type.String({ maxLength: 500 }), Type.Null()]);
const Status = Type.Union([Type.Literal('active'), Type.Literal('disabled')]);

export const WebhookParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export const CreateWebhookBody = Type.Object(
  { url: Url, events: Events, collections: Type.Optional(Collections), description: Type.Optional(Description) },
  { additionalProperties: false },
);

export const PatchWebhookBody = Type.Object(
  { url: Type.Optional(Url), events: Type.Optional(Events), collections: Type.Optional(Collections), description: Type.Optional(Description), status: Type.Optional(Status) },
  { additionalProperties: false, minProperties: 1 },
);

const webhookFields = {
  id: Type.String(),
  url: Type.String(),
  events: Type.Array(Type.String()),
  collections: Type.Union([Type.Array(Type.String()), Type.Null()]),
  description: Type.Union([Type.String(), Type.Null()]),
  status: Status,
  disabledReason: Type.Union([Type.String(), Type.Null()], { description: 'why it is disabled: by the API, or after failed deliveries' }),
  createdAt: Type.String(),
};

export const WebhookOut = Type.Object(webhookFields);

export const CreatedWebhookOut = Type.Object({ ...webhookFields, secret: Type.String({ description: 'whsec_…: the signing key, shown only in this answer' }) });

export const WebhookDetailOut = Type.Object({
  ...webhookFields,
  stats: Type.Object({
    delivered: Type.Integer(),
    failed: Type.Integer(),
    pending: Type.Integer(),
    consecutiveFailures: Type.Integer({ description: 'failed deliveries in a row (VECTRA_WEBHOOK_DISABLE_AFTER of them disable the webhook)' }),
    missedChanges: Type.Integer({ description: 'record changes never queued: the change feed let them go first (retention), or the webhook had VECTRA_WEBHOOK_MAX_PENDING pending deliveries' }),
    lastMissedAt: Type.Union([Type.String(), Type.Null()]),
  }),
});

export const WebhookListOut = Type.Object({ webhooks: Type.Array(WebhookDetailOut) });

export const DeliveryOut = Type.Object({
  id: Type.String({ description: 'also the webhook-id header of every attempt' }),
  event: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
  attempts: Type.Integer(),
  lastStatusCode: Type.Union([Type.Integer(), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
  nextAttemptAt: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  deliveredAt: Type.Union([Type.String(), Type.Null()]),
});

export const DeliveriesQuery = Type.Object(
  {
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$', description: '1–500, default 50' })),
    status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')])),
  },
  { additionalProperties: false },
);

export const DeliveriesOut = Type.Object({ deliveries: Type.Array(DeliveryOut) });
