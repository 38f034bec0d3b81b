import type { CollectionConfig } from './types.js';

/** Nearest neighbours as parallel arrays, best first. Distances follow `VectorIndex.distance`. */
export interface Neighbours {
  labels: number[];
  distances: number[];
}

/**
 * A vector index over integer labels (the record store's `label` column). Vectors given to
 * it are already prepared for the metric (unit length for cosine).
 */
export interface VectorIndex {
  readonly kind: 'hnsw' | 'flat' | 'binary' | 'pq';
  /** Whether search distances are exact for the stored full-precision vectors. */
  readonly exactDistances: boolean;
  size(): number;
  has(label: number): boolean;
  /** Add a batch: `vectors` is row-major, labels.length × dimension. Labels must be new. */
  add(labels: number[], vectors: Float32Array): void;
  /** Remove labels that are present; returns how many were removed. */
  remove(labels: number[]): number;
  /** `breadth` is the candidate list size (ef for HNSW); at least k. */
  search(query: Float32Array, k: number, breadth: number): Neighbours;
  /** Several queries (row-major) at once, possibly in parallel; same answers as `search`. */
  searchMany(queries: Float32Array, k: number, breadth: number): Neighbours[];
  save(path: string): void;
  load(path: string): void;
  /** Approximate bytes held in memory. */
  memoryBytes(): number;
  /** Free native memory at once (the index is not used again); what V8 manages needs nothing. */
  dispose?(): void;
}

/** Convert an index distance into the engine's score (see SearchHit.score). */
export function distanceToScore(config: CollectionConfig, distance: number): number {
  if (config.metric === 'l2') return Math.sqrt(Math.max(0, distance));
  return 1 - distance;
}
