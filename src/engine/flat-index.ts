/**
 * Exact index: every vector in one growable Float32Array, brute-force scan. Serves
 * `index.type = "flat"` collections and is the oracle HNSW recall is measured against.
 * Distances match usearch's: 1 − dot for cosine/dot, squared L2 for l2.
 */
import { DenseRows, floatColumn } from './dense-rows.js';
import type { Metric } from './types.js';
import { ScannedIndex } from './scanned-index.js';
import type { Neighbours } from './vector-index.js';

const MAGIC = 'VFLAT001';

export class FlatIndex extends ScannedIndex {
  readonly kind = 'flat' as const;
  readonly exactDistances = true;

  constructor(dimension: number, private readonly metric: Metric, capacity = 1024) {
    super(dimension, new DenseRows([floatColumn(dimension)], capacity));
  }

  add(labels: number[], vectors: Float32Array): void {
    const first = this.rows.append(labels);
    this.rows.columns[0].set(vectors.subarray(0, labels.length * this.dimension), first * this.dimension);
  }

  /** Room for `n` rows in all: a known number of adds then grows the storage once, not by doubling. */
  reserve(n: number): void {
    this.rows.reserve(n);
  }

  /** The vector held for `label` (a view of the index's storage, valid until the next change), or null. */
  vectorOf(label: number): Float32Array | null {
    const slot = this.rows.slots.get(label);
    return slot === undefined ? null : (this.rows.columns[0] as Float32Array).subarray(slot * this.dimension, (slot + 1) * this.dimension);
  }

  /** The k nearest; exact, so there is no candidate breadth to widen. */
  search(query: Float32Array, k: number): Neighbours {
    return this.scanFloats(query, this.metric === 'l2', k);
  }

  save(path: string): void {
    this.rows.save(path, MAGIC, this.dimension);
  }

  load(path: string): void {
    this.rows.load(path, MAGIC, this.dimension, 'flat index');
  }
}
