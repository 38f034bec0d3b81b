/**
 * Shapes of the API's answers (docs/api.md), as the dashboard reads them: mostly the client's
 * types, generated from the server's OpenAPI document. Written out here: search answers (read
 * with open-ended per-side scores), chat answers (the dashboard reads a subset, and its tests
 * build them so), benchmark scores and uploads.
 */
import type * as Client from '@vectra/client';

/** A collection as GET /v1/collections/{name} answers it. */
export type Collection = Client.CollectionInfo;

export type ApiKey = Client.ApiKey;

export type Model = Client.ModelInfo;
export type Reranker = Client.RerankerInfo;

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

/** One stage of an explained search (docs/insights.md, "Explain and replay"). */
export interface ExplainStage {
  stage: string;
  /** Hybrid: the side that ran it (dense, keyword); none for the stages both share. */
  side?: string;
  /** Summed over every time the stage ran. */
  ms: number;
  /** What it passed on, the last time it ran. */
  candidates?: number;
}

/** How one plan ran: the plan and why, the filter's selectivity, a widening walk's rounds, the graph's work. */
export interface PlanExplain {
  plan: string;
  reason: string;
  filter?: { matches: number; exact: boolean; threshold: number; rule: string; total: number; selectivity: number };
  rounds?: { breadth: number; found: number; checked: number; passed: number }[];
  graph?: { searches: number; breadth: number; returned: number; visited: number | null; distances: number | null; note: string };
  notes?: string[];
}

/** With `explain: true`. */
export interface SearchExplain extends PlanExplain {
  sides?: { dense?: PlanExplain; keyword?: PlanExplain };
  stages: ExplainStage[];
  total_ms: number;
}

export interface SearchAnswer {
  results: SearchHit[];
  took_ms: number;
  plan: string;
  plans?: { dense: string; keyword: string };
  parsed?: ParsedQuery;
  /** With a temperature: the seed the results were drawn with (send it back to draw the same). */
  seed?: number;
  explain?: SearchExplain;
}

export type Job = Client.Job;

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
export type Change = Client.Change;

/** GET …/changes (one page of the change feed) */
export type ChangePage = Client.ChangePage;

/** A webhook (GET /v1/webhooks), its `stats` optional: the page shows a webhook without them too. */
export type Webhook = Omit<Client.Webhook, 'stats'> & { stats?: Client.Webhook['stats'] };

/** GET /v1/webhooks/{id}/deliveries, POST …/test */
export type Delivery = Client.WebhookDelivery;

/** A source of a chat answer: `[n]` in the answer points at the citation with this `n`. */
export type Citation = Client.Citation;

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

/** GET /v1/conversations/{id} */
export type Conversation = Client.Conversation;

/** POST …/documents/upload: 201 (stored), or 202 with a background job for a large file. */
export type DocumentUploaded = { id: string; chunks: number; format: string; pages?: number } | { job: Pick<Job, 'id' | 'status'> & Partial<Job> };
