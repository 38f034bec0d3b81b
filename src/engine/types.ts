import type { Filter } from './filter.js';
import type { SearchTrace } from './search-trace.js';

export type { Metric } from '../vector/math.js';
import type { Metric } from '../vector/math.js';
export type StorageType = 'f32' | 'f16' | 'i8' | 'binary' | 'pq';

/** Product quantization (`storage: "pq"`): m sub-vectors of d/m dimensions, 2^bits centroids each. */
export interface PqConfig {
  m: number;
  bits: number;
}

export interface HnswConfig {
  type: 'hnsw';
  /** Graph connectivity (links per node). */
  m: number;
  efConstruction: number;
  /** Default search breadth; a query may ask for another. */
  efSearch: number;
}

export interface FlatConfig {
  type: 'flat';
}

export type IndexConfig = HnswConfig | FlatConfig;

/** Everything that decides how vectors are indexed. Fixed at creation. */
export interface CollectionConfig {
  dimension: number;
  metric: Metric;
  index: IndexConfig;
  storage: StorageType;
  /** Present exactly when storage is "pq". */
  pq?: PqConfig;
  /** Free-form attributes stored with the collection (e.g. the embedding model id). */
  attributes: Record<string, unknown>;
}

export interface CollectionConfigInput {
  dimension: number;
  metric?: Metric;
  index?: { type?: 'hnsw' | 'flat'; m?: number; efConstruction?: number; efSearch?: number };
  storage?: StorageType;
  pq?: { m?: number; bits?: number };
  attributes?: Record<string, unknown>;
}

export type Metadata = Record<string, unknown>;

/** A vector as given: numbers, or base64 of little-endian float32s (decoded by toVector). */
export type VectorInput = ArrayLike<number> | string;

export interface RecordInput {
  id?: string;
  vector: VectorInput;
  text?: string | null;
  metadata?: Metadata | null;
}

export interface StoredRecord {
  id: string;
  text: string | null;
  metadata: Metadata;
  vector?: number[];
  createdAt: string;
  updatedAt: string;
}

export interface SearchRequest {
  vector: VectorInput;
  k: number;
  /** Search breadth for HNSW (defaults to the collection's efSearch). */
  ef?: number;
  filter?: Filter;
  /** Force an exact scan, bypassing the graph. */
  exact?: boolean;
  /** What to fetch for each hit: just the id, or id + text + metadata. */
  include?: 'id' | 'payload';
  includeVector?: boolean;
  /** Filled with what the search did (plan and why, stages, candidates): search-trace.ts. */
  trace?: SearchTrace;
}

export type SearchPlan = 'hnsw' | 'hnsw-filtered' | 'binary' | 'binary-filtered' | 'pq' | 'pq-filtered' | 'exact' | 'exact-filtered' | 'keyword';

export interface KeywordRequest {
  /** Any text: its words are matched (BM25), operators and punctuation are not interpreted. */
  text: string;
  k: number;
  filter?: Filter;
  include?: 'id' | 'payload';
  includeVector?: boolean;
  /** Add a snippet of each hit's text with the matched terms between these marks. */
  highlight?: { pre: string; post: string };
  trace?: SearchTrace;
}

export interface SearchHit {
  id: string;
  /** cosine: similarity; dot: inner product (higher is better); l2: Euclidean distance (lower is better). */
  score: number;
  text?: string | null;
  metadata?: Metadata;
  vector?: number[];
  /** Keyword matches only, when asked: a fragment of the text with matched terms marked. */
  highlight?: string;
}

export interface SearchResult {
  hits: SearchHit[];
  plan: SearchPlan;
}
