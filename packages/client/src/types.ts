/**
 * The client's public types, all taken from the generated schema (./schema.ts): a route's
 * schema changes, `npm run client:generate` regenerates, and these follow (or stop compiling).
 */
import type { paths } from './schema.js';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** The JSON body a route takes. */
export type BodyOf<P extends keyof paths, M extends Method> = paths[P][M] extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;

/** The JSON a route answers with `status`. */
export type AnswerOf<P extends keyof paths, M extends Method, S extends number = 200> = paths[P][M] extends { responses: { [K in S]: { content: { 'application/json': infer A } } } } ? A : never;

/** The query string a route reads. */
export type QueryOf<P extends keyof paths, M extends Method> = paths[P][M] extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;

/** A JSON object of metadata (the shape a collection's records agree on, when given as a type argument). */
export type Metadata = Record<string, unknown>;

/** Metadata filter: equality by value; `$eq $ne $gt $gte $lt $lte $in $nin $exists`, `$and $or $not`; dotted paths. */
export type Filter = Record<string, unknown>;

/** `T` with its `metadata` typed as `M`. */
type WithMetadata<T, M extends Metadata> = T extends { metadata: unknown } ? Omit<T, 'metadata'> & { metadata: M } : T extends { metadata?: unknown } ? Omit<T, 'metadata'> & { metadata?: M } : T;

// Accounts and keys
export type Registered = AnswerOf<'/v1/auth/register', 'post', 201>;
export type ApiKey = AnswerOf<'/v1/keys', 'get'>['keys'][number];
export type CreateKey = BodyOf<'/v1/keys', 'post'>;
export type CreatedKey = AnswerOf<'/v1/keys', 'post', 201>;

// Collections
export type CollectionInfo = AnswerOf<'/v1/collections/{name}', 'get'>;
export type CreateCollection = BodyOf<'/v1/collections', 'post'>;

// Records
export type RecordInput<M extends Metadata = Metadata> = WithMetadata<BodyOf<'/v1/collections/{name}/records', 'post'>['records'][number], M>;
export type StoredRecord<M extends Metadata = Metadata> = WithMetadata<AnswerOf<'/v1/collections/{name}/records/{id}', 'get'>, M>;
export type Upserted = AnswerOf<'/v1/collections/{name}/records', 'post'>;
export type Deleted = AnswerOf<'/v1/collections/{name}/records/delete', 'post'>;
export type RecordPage<M extends Metadata = Metadata> = { records: StoredRecord<M>[]; nextCursor: string | null };

// Search
export type SearchQuery = BodyOf<'/v1/collections/{name}/search', 'post'>;
type SearchAnswerRaw = AnswerOf<'/v1/collections/{name}/search', 'post'>;
export type SearchHit<M extends Metadata = Metadata> = WithMetadata<SearchAnswerRaw['results'][number], M>;
export type SearchAnswer<M extends Metadata = Metadata> = Omit<SearchAnswerRaw, 'results'> & { results: SearchHit<M>[] };

// Streaming ingest (NDJSON): the route's answer lines (its body and answer are NDJSON, outside the schema).
export interface IngestLineResult {
  line: number;
  id?: string;
  error?: { code: string; message: string };
}
export interface IngestProgress {
  /** Records handed to the request body so far. */
  sent: number;
  /** Lines the server has answered (stored or refused). */
  acknowledged: number;
  upserted: number;
  errors: number;
}
export interface IngestResult {
  /** Non-blank lines read by the server. */
  lines: number;
  upserted: number;
  errors: number;
  /** The refused lines (1-based line numbers of the stream) with why, at most `keepErrors` of them. */
  failures: { line: number; code: string; message: string }[];
}

// Change feed
export type ChangePage = AnswerOf<'/v1/collections/{name}/changes', 'get'>;
export type Change = ChangePage['changes'][number];

// Documents
export type DocumentInput = BodyOf<'/v1/collections/{name}/documents', 'post'>;
export type DocumentStored = AnswerOf<'/v1/collections/{name}/documents', 'post'>;
export type DocumentInfo = AnswerOf<'/v1/collections/{name}/documents/{id}', 'get'>;
export type DocumentUploaded = AnswerOf<'/v1/collections/{name}/documents/upload', 'post', 201>;

// Embeddings and models
export type EmbedRequest = BodyOf<'/v1/embed', 'post'>;
export type Embedded = AnswerOf<'/v1/embed', 'post'>;
export type ModelCatalogue = AnswerOf<'/v1/models', 'get'>;
export type ModelInfo = ModelCatalogue['models'][number];
export type RerankerInfo = ModelCatalogue['rerankers'][number];

// Chat
export type ChatRequest = Omit<BodyOf<'/v1/chat', 'post'>, 'stream'>;
export type ChatAnswer = AnswerOf<'/v1/chat', 'post'>;
export type Citation = ChatAnswer['citations'][number];
/** What a streamed answer says, in this order: its sources, pieces of text, then the whole answer. */
export type ChatEvent = { type: 'citations'; citations: Citation[] } | { type: 'delta'; text: string } | { type: 'done'; answer: ChatAnswer };
export type LlmInfo = AnswerOf<'/v1/llms', 'get'>['llms'][number];
export type ConversationSummary = AnswerOf<'/v1/conversations', 'get'>['conversations'][number];
export type Conversation = AnswerOf<'/v1/conversations/{id}', 'get'>;

// Webhooks
export type CreateWebhook = BodyOf<'/v1/webhooks', 'post'>;
export type CreatedWebhook = AnswerOf<'/v1/webhooks', 'post', 201>;
export type Webhook = AnswerOf<'/v1/webhooks/{id}', 'get'>;
export type UpdateWebhook = BodyOf<'/v1/webhooks/{id}', 'patch'>;
export type WebhookDelivery = AnswerOf<'/v1/webhooks/{id}/deliveries', 'get'>['deliveries'][number];

// Figures
export type TenantStats = AnswerOf<'/v1/stats', 'get'>;
export type EventStats = AnswerOf<'/v1/events/stats', 'get'>;

// Jobs (background imports)
export type Job = AnswerOf<'/v1/jobs/{id}', 'get'>;
