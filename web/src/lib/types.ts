/**
 * Shapes of the API's answers (docs/api.md), as the dashboard reads them: the client's types
 * (generated from the server's OpenAPI document) where the dashboard uses the client, written
 * out here for the rest.
 */
import type { CollectionInfo, ModelCatalogue, ModelInfo, RerankerInfo } from '@vectra/client';

/** A collection as GET /v1/collections/{name} answers it (the client's type, from the server's schema). */
export type Collection = CollectionInfo;

export interface StoredRecord {
  id: string;
  text: string | null;
  metadata: Record<string, unknown>;
  vector?: number[];
  createdAt: string;
  updatedAt: string;
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
}

export type Model = ModelInfo;
export type Reranker = RerankerInfo;
/** GET /v1/models */
export type ModelList = ModelCatalogue;

/** Per side of a hybrid search (`dense`, `keyword`) and the cross-encoder's `rerank`; open to sides the API adds. */
export type BySide = { dense?: number; keyword?: number; rerank?: number } & Record<string, number | undefined>;

export interface SearchChunk {
  id: string;
  score: number;
  text?: string | null;
  highlight?: string;
}

export interface SearchHit {
  id: string;
  score: number;
  text?: string | null;
  metadata?: Record<string, unknown>;
  scores?: BySide;
  /** 1-based ranks on each side that found the hit. */
  ranks?: BySide;
  /** With `highlight`: a fragment of the text with the matched words between <mark> and </mark> (not HTML-escaped). */
  highlight?: string;
  /** With `group`: the document (null for a record that is not a chunk) and its best chunks. */
  document?: string | null;
  chunks?: SearchChunk[];
}

/** With `parse`: what was read out of the text. */
export interface ParsedQuery {
  /** The text searched once the constraints were taken out. */
  query: string;
  /** The filter made of the matched constraints (null when none matched). */
  filter: Record<string, unknown> | null;
  constraints: { text: string; field: string; filter: Record<string, unknown> }[];
  unmatched: { text: string; reason: string }[];
}

export interface SearchAnswer {
  results: SearchHit[];
  took_ms: number;
  plan: string;
  plans?: { dense: string; keyword: string };
  parsed?: ParsedQuery;
}

export interface Job {
  id: string;
  collection: string;
  status: 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
  total: number;
  done: number;
  upserted: number;
  errors: number;
  errorSamples: { line: number; id?: string; error?: { code: string; message: string } }[];
  rate: number | null;
  etaSeconds: number | null;
  error: { code: string; message: string } | null;
}

export interface BenchScore {
  model: string;
  provider: string;
  dimension: number;
  textsPerSecond?: number;
  accuracyAt1?: number;
  recallAt10?: number;
  mrrAt10?: number;
  seconds?: number;
  error?: { code: string; message: string };
}

export interface BenchAnswer {
  task: { name: string; description: string; queries: number; corpus: number; k: number; reference: { name: string; accuracyAt1: number; recallAt10: number } };
  results: BenchScore[];
}

/** A change of the feed (GET …/changes, …/changes/stream). */
export interface Change {
  seq: number;
  op: 'upsert' | 'delete';
  id: string;
  /** ISO time of the write. */
  at: string;
}

/** GET …/changes (one page of the change feed) */
export interface ChangePage {
  changes: Change[];
  nextSince: number;
  latestSeq: number;
}

/** GET /v1/events/stats */
export interface EventStats {
  since: string;
  published: Record<string, number>;
  total: number;
  delivered: number;
  skipped: number;
  droppedSubscribers: number;
  subscribers: number;
}

/** A webhook (GET /v1/webhooks); `stats` only from GET /v1/webhooks/{id} and PATCH. */
export interface Webhook {
  id: string;
  url: string;
  events: string[];
  /** null: every collection. */
  collections: string[] | null;
  description: string | null;
  status: 'active' | 'disabled';
  disabledReason: string | null;
  createdAt: string;
  stats?: WebhookStats;
}

export interface WebhookStats {
  delivered: number;
  failed: number;
  pending: number;
  consecutiveFailures: number;
  missedChanges: number;
  lastMissedAt: string | null;
}

/** GET /v1/webhooks/{id}/deliveries, POST …/test */
export interface Delivery {
  id: string;
  event: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

/** A source of a chat answer: `[n]` in the answer points at the citation with this `n`. */
export interface Citation {
  n: number;
  /** The chunk record's id ("<document>#<i>" for a document's chunk). */
  id: string;
  collection: string;
  document?: string;
  title?: string;
  section?: string;
  /** The passage retrieved. */
  text: string;
  score: number;
}

/** POST /v1/chat, and a streamed answer's `done` event */
export interface ChatAnswer {
  answer: string;
  citations: Citation[];
  conversationId: string;
  llm: string;
  cached: boolean;
  /** What was searched (a follow-up is searched with the question before it). */
  query: string;
  /** False: the sources found did not answer, and the answer says so. */
  grounded: boolean;
}

/** GET /v1/llms */
export interface Llm {
  id: string;
  provider: string;
  default?: boolean;
  available: boolean;
}

/** GET /v1/conversations */
export interface ConversationSummary {
  id: string;
  title: string;
  messages: number;
  createdAt: string;
  updatedAt: string;
}

/** GET /v1/conversations/{id} */
export interface Conversation extends Omit<ConversationSummary, 'messages'> {
  messages: { role: string; content: string; citations?: unknown[]; createdAt: string }[];
}

/** POST …/documents/upload: 201 (stored), or 202 with a background job for a large file. */
export type DocumentUploaded = { id: string; chunks: number; format: string; pages?: number } | { job: Pick<Job, 'id' | 'status'> & Partial<Job> };
