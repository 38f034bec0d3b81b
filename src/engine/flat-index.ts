/**
 * Exact index: every vector in one growable Float32Array, brute-force scan. Serves
 * `index.type = "flat"` collections and is the oracle HNSW recall is measured against.
 * Distances match usearch's: 1 − dot for cosine/dot, squared L2 for l2.
 */
import { DenseRows } from './dense-rows.js';
import { TopK } from '../vector/top-k.js';
import type { Metric } from './types.js';
import { dot, l2sq } from '../vector/math.js';
import { searchEach, type Neighbours, type VectorIndex } from './vector-index.js';

const MAGIC = 'VFLAT001';

export class FlatIndex implements VectorIndex {
  readonly kind = 'flat' as const;
  readonly exactDistances = true;
  private readonly rows: DenseRows;

  constructor(private readonly dimension: number, private readonly metric: Metric, capacity = 1024) {
    this.rows = new DenseRows([{ width: dimension, make: (n) => new Float32Array(n) }], capacity);
  }

  size(): number {
    return this.rows.n;
  }

  has(label: number): boolean {
    return this.rows.slots.has(label);
  }

  add(labels: number[], vectors: Float32Array): void {
    const first = this.rows.append(labels);
    this.rows.columns[0].set(vectors.subarray(0, labels.length * this.dimension), first * this.dimension);
  }

  remove(labels: number[]): number {
    return this.rows.remove(labels);
  }

  /** One query after another: an exact scan has no graph walk to share out. */
  searchMany(queries: Float32Array, k: number): Neighbours[] {
    return searchEach(queries, this.dimension, (q) => this.search(q, k));
  }

  search(query: Float32Array, k: number): Neighbours {
    const { n, labels } = this.rows;
    const data = this.rows.columns[0] as Float32Array;
    const top = new TopK(Math.min(k, n));
    const d = this.dimension;
    if (this.metric === 'l2') {
      for (let i = 0; i < n; i++) top.push(l2sq(query, data, i * d), labels[i]);
    } else {
      for (let i = 0; i < n; i++) top.push(1 - dot(query, data, i * d), labels[i]);
    }
    return top.sorted();
  }

  save(path: string): void {
    this.rows.save(path, MAGIC, this.dimension);
  }

  load(path: string): void {
    this.rows.load(path, MAGIC, this.dimension, 'flat index');
  }

  memoryBytes(): number {
    return this.rows.memoryBytes();
  }
}
