/**
 * What the scanning indexes (flat, binary, PQ) have in common: rows kept densely by label
 * (`DenseRows`), their bookkeeping, the candidate heap a scan fills, the exact scan of float32
 * rows (the flat index, and the PQ index until it trains: SIMD, exact-scan.ts), and batches run
 * one query after another, since a scan has no graph walk to share out. Each index keeps in its own file what
 * is its own: how a vector becomes a row, how a row is scored, and its snapshot file.
 */
import type { DenseRows } from './dense-rows.js';
import { TopK } from '../vector/top-k.js';
import { exactNearest } from './exact-scan.js';
import type { Neighbours, VectorIndex } from './vector-index.js';

export abstract class ScannedIndex implements VectorIndex {
  abstract readonly kind: 'flat' | 'binary' | 'pq';
  abstract readonly exactDistances: boolean;

  protected constructor(protected readonly dimension: number, protected rows: DenseRows) {}

  abstract add(labels: number[], vectors: Float32Array): void;
  abstract search(query: Float32Array, k: number, breadth?: number): Neighbours;
  abstract save(path: string): void;
  abstract load(path: string): void;

  size(): number {
    return this.rows.n;
  }

  has(label: number): boolean {
    return this.rows.slots.has(label);
  }

  remove(labels: number[]): number {
    return this.rows.remove(labels);
  }

  /** The labels held, in no particular order. */
  labels(): number[] {
    return Array.from(this.rows.labels.subarray(0, this.rows.n));
  }

  searchMany(queries: Float32Array, k: number, breadth: number): Neighbours[] {
    const d = this.dimension;
    return Array.from({ length: queries.length / d }, (_, q) => this.search(queries.subarray(q * d, (q + 1) * d), k, breadth));
  }

  memoryBytes(): number {
    return this.rows.memoryBytes();
  }

  /** The heap a scan fills: the `max(k, breadth)` best rows, or all of them when fewer. */
  protected candidates(k: number, breadth = k): TopK {
    return new TopK(Math.min(Math.max(k, breadth), this.rows.n));
  }

  /**
   * Exact scan of float32 rows (column 0), the `count` nearest. Distances match usearch's:
   * 1 − dot for cosine/dot, squared L2 for l2.
   */
  protected scanFloats(query: Float32Array, l2: boolean, count: number): Neighbours {
    return exactNearest(this.rows.columns[0] as Float32Array, this.rows.n, this.rows.labels, query, this.dimension, count, l2);
  }
}
