/**
 * The account-wide resources of `new Vectra(…)`: `collections`, `keys`, `webhooks`,
 * `conversations`, `jobs` — each a thin, typed call per route.
 */
import { Resource, dataOf, via } from './http.js';
import type { RequestOptions } from './transport.js';
import type {
  ApiKey,
  CollectionInfo,
  Conversation,
  ConversationSummary,
  CreateCollection,
  CreatedKey,
  CreatedWebhook,
  CreateKey,
  CreateWebhook,
  Job,
  UpdateWebhook,
  Webhook,
  WebhookDelivery,
} from './types.js';

export class Collections extends Resource {
  /** Create a collection: `{ name }` embeds texts with the default model; `{ name, model: 'none', dimension }` holds raw vectors. */
  create(collection: CreateCollection, options?: RequestOptions): Promise<CollectionInfo> {
    return dataOf(this.api.POST('/v1/collections', { body: collection, ...via(this.transport, options) }));
  }

  async list(options?: RequestOptions): Promise<CollectionInfo[]> {
    return (await dataOf(this.api.GET('/v1/collections', via(this.transport, options)))).collections;
  }

  /** One collection with its `count` and `diskBytes`; a missing one is COLLECTION_NOT_FOUND (404). */
  get(name: string, options?: RequestOptions): Promise<CollectionInfo> {
    return dataOf(this.api.GET('/v1/collections/{name}', { params: { path: { name } }, ...via(this.transport, options) }));
  }

  /** Delete a collection and its files. */
  async delete(name: string, options?: RequestOptions): Promise<void> {
    await this.api.DELETE('/v1/collections/{name}', { params: { path: { name } }, ...via(this.transport, options) });
  }
}

export class Keys extends Resource {
  async list(options?: RequestOptions): Promise<ApiKey[]> {
    return (await dataOf(this.api.GET('/v1/keys', via(this.transport, options)))).keys;
  }

  /** A new key with the scopes given; its `apiKey` is shown only in this answer. Needs the admin scope. */
  create(key: CreateKey, options?: RequestOptions): Promise<CreatedKey> {
    return dataOf(this.api.POST('/v1/keys', { body: key, ...via(this.transport, options) }));
  }

  /** Revoke a key: it stops working at once. */
  async revoke(id: string, options?: RequestOptions): Promise<void> {
    await this.api.DELETE('/v1/keys/{id}', { params: { path: { id } }, ...via(this.transport, options) });
  }
}

export class Webhooks extends Resource {
  /** Register a URL for events (`record.*`, `collection.*`, `job.*`); its signing `secret` is shown only in this answer. */
  create(webhook: CreateWebhook, options?: RequestOptions): Promise<CreatedWebhook> {
    return dataOf(this.api.POST('/v1/webhooks', { body: webhook, ...via(this.transport, options) }));
  }

  async list(options?: RequestOptions): Promise<Webhook[]> {
    return (await dataOf(this.api.GET('/v1/webhooks', via(this.transport, options)))).webhooks;
  }

  get(id: string, options?: RequestOptions): Promise<Webhook> {
    return dataOf(this.api.GET('/v1/webhooks/{id}', { params: { path: { id } }, ...via(this.transport, options) }));
  }

  /** Change its url, events, collections or status (`active` / `disabled`). */
  update(id: string, changes: UpdateWebhook, options?: RequestOptions): Promise<Webhook> {
    return dataOf(this.api.PATCH('/v1/webhooks/{id}', { params: { path: { id } }, body: changes, ...via(this.transport, options, true) }));
  }

  async delete(id: string, options?: RequestOptions): Promise<void> {
    await this.api.DELETE('/v1/webhooks/{id}', { params: { path: { id } }, ...via(this.transport, options) });
  }

  /** Its deliveries, newest first (at most `limit`, 1–500, default 50; or only those with `status`). */
  async deliveries(id: string, options: RequestOptions & { limit?: number; status?: WebhookDelivery['status'] } = {}): Promise<WebhookDelivery[]> {
    const query = { ...(options.limit === undefined ? {} : { limit: String(options.limit) }), ...(options.status === undefined ? {} : { status: options.status }) };
    return (await dataOf(this.api.GET('/v1/webhooks/{id}/deliveries', { params: { path: { id }, query }, ...via(this.transport, options) }))).deliveries;
  }

  /** Send it a `webhook.test` event: answers the delivery, queued. */
  test(id: string, options?: RequestOptions): Promise<WebhookDelivery> {
    return dataOf(this.api.POST('/v1/webhooks/{id}/test', { params: { path: { id } }, ...via(this.transport, options) }));
  }
}

export class Conversations extends Resource {
  /** Stored conversations, the latest first. */
  async list(options?: RequestOptions): Promise<ConversationSummary[]> {
    return (await dataOf(this.api.GET('/v1/conversations', via(this.transport, options)))).conversations;
  }

  /** One conversation with its messages and their citations. */
  get(id: string, options?: RequestOptions): Promise<Conversation> {
    return dataOf(this.api.GET('/v1/conversations/{id}', { params: { path: { id } }, ...via(this.transport, options) }));
  }

  async delete(id: string, options?: RequestOptions): Promise<void> {
    await this.api.DELETE('/v1/conversations/{id}', { params: { path: { id } }, ...via(this.transport, options) });
  }
}

export class Jobs extends Resource {
  /** This tenant's recent background jobs (imports). */
  async list(options?: RequestOptions): Promise<Job[]> {
    return (await dataOf(this.api.GET('/v1/jobs', via(this.transport, options)))).jobs;
  }

  /** A job: status and progress. */
  get(id: string, options?: RequestOptions): Promise<Job> {
    return dataOf(this.api.GET('/v1/jobs/{id}', { params: { path: { id } }, ...via(this.transport, options) }));
  }

  /** Cancel a job after its current batch (what it imported stays). */
  cancel(id: string, options?: RequestOptions): Promise<Job> {
    return dataOf(this.api.POST('/v1/jobs/{id}/cancel', { params: { path: { id } }, ...via(this.transport, options, true) }));
  }
}
