/** Shapes of the API's answers (docs/api.md), as the dashboard reads them. */

export interface Collection {
  name: string;
  model: string;
  dimension: number;
  metric: string;
  index: { type: 'hnsw'; m: number; efConstruction: number; efSearch: number } | { type: 'flat' };
  storage: string;
  createdAt: string;
  count?: number;
  diskBytes?: number;
  unindexed?: number;
}

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

export interface Model {
  id: string;
  dimension: number;
  provider: string;
  description: string;
  default?: boolean;
  available: boolean;
}

export interface SearchHit {
  id: string;
  score: number;
  text?: string | null;
  metadata?: Record<string, unknown>;
  scores?: { dense?: number; keyword?: number; rerank?: number };
  ranks?: { dense?: number; keyword?: number; mmr?: number };
  highlight?: string;
}

export interface SearchAnswer {
  results: SearchHit[];
  took_ms: number;
  plan: string;
  plans?: { dense: string; keyword: string };
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
