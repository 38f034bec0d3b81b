/**
 * @vectra/client: the typed TypeScript client of Vectra, the self-hosted vector database.
 * Types come from the server's own OpenAPI document (./schema.ts, generated); requests go
 * through openapi-fetch with retries, timeouts and AbortSignal. ESM; Node 20 and browsers.
 */
export { Vectra, type VectraOptions } from './client.js';
export { Collections, Keys, Webhooks, Conversations, Jobs } from './resources.js';
export { CollectionClient, Documents, type DeleteTarget, type ListOptions, type UploadOptions } from './collection.js';
export type { ChangesOptions } from './changes.js';
export type { IngestOptions } from './ingest.js';
export type { ApiClient } from './http.js';
export type { FetchLike, RequestOptions } from './transport.js';
export { VectraError, VectraConnectionError, VectraTimeoutError, ChangesExpiredError, type ClientErrorCode } from './errors.js';
export { SseParser, type SseEvent } from './sse.js';
export type * from './types.js';
export type { paths, components } from './schema.js';
