/**
 * Exact index: every vector in one growable Float32Array, brute-force scan. Serves
 * `index.type = "flat"` collections and is the oracle HNSW recall is measured against.
 * Distances match usearch's: 1 − dot for cosine/dot, squared L2 for l2.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { TopK } from './top-k.js';
import type { Metric } from './types.js';
import { dot, l2sq } from './vector-math.js';
import type { Neighbours, VectorIndex } from './vector-index.js';

const MAGIC = 'VFLAT001';

export class FlatIndex implements VectorIndex {
  readonly kind = 'flat' as const;
  readonly exactDistances = true;
  private data: Float32Array;
  private labels: Float64Array;
  private slots = new Map<number, number>();
  private n = 0;

  constructor(private readonly dimension: number, private readonly metric: Metric, capacity = 1024) {
    this.data = new Float32Array(capacity * dimension);
    this.labels = new Float64Array(capacity);
  }

  size(): number {
    return this.n;
  }

  has(label: number): boolean {
    return this.slots.has(label);
  }

  private grow(min: number): void {
    if (min <= this.labels.length) return;
    const cap = Math.max(min, this.labels.length * 2);
    const data = new Float32Array(cap * this.dimension);
    data.set(this.data.subarray(0, this.n * this.dimension));
    const labels = new Float64Array(cap);
    labels.set(this.labels.subarray(0, this.n));
    this.data = data;
    this.labels = labels;
  }

  add(labels: number[], vectors: Float32Array): void {
    this.grow(this.n + labels.length);
    for (let i = 0; i < labels.length; i++) {
      if (this.slots.has(labels[i])) throw new Error(`label ${labels[i]} is already in the index`);
      this.data.set(vectors.subarray(i * this.dimension, (i + 1) * this.dimension), this.n * this.dimension);
      this.labels[this.n] = labels[i];
      this.slots.set(labels[i], this.n++);
    }
  }

  remove(labels: number[]): number {
    let removed = 0;
    for (const label of labels) {
      const slot = this.slots.get(label);
      if (slot === undefined) continue;
      // Move the last vector into the hole so the array stays dense.
      const last = --this.n;
      if (slot !== last) {
        this.data.copyWithin(slot * this.dimension, last * this.dimension, (last + 1) * this.dimension);
        this.labels[slot] = this.labels[last];
        this.slots.set(this.labels[slot], slot);
      }
      this.slots.delete(label);
      removed++;
    }
    return removed;
  }

  /** One query after another: an exact scan has no graph walk to share out. */
  searchMany(queries: Float32Array, k: number): Neighbours[] {
    const d = this.dimension;
    return Array.from({ length: queries.length / d }, (_, q) => this.search(queries.subarray(q * d, (q + 1) * d), k));
  }

  search(query: Float32Array, k: number): Neighbours {
    const top = new TopK(Math.min(k, this.n));
    const d = this.dimension;
    if (this.metric === 'l2') {
      for (let i = 0; i < this.n; i++) top.push(l2sq(query, this.data, i * d), this.labels[i]);
    } else {
      for (let i = 0; i < this.n; i++) top.push(1 - dot(query, this.data, i * d), this.labels[i]);
    }
    return top.sorted();
  }

  save(path: string): void {
    const header = Buffer.alloc(16);
    header.write(MAGIC, 0, 'ascii');
    header.writeUInt32LE(this.dimension, 8);
    header.writeUInt32LE(this.n, 12);
    const labels = Buffer.from(this.labels.buffer, 0, this.n * 8);
    const data = Buffer.from(this.data.buffer, 0, this.n * this.dimension * 4);
    writeFileSync(path, Buffer.concat([header, labels, data]));
  }

  load(path: string): void {
    const buf = readFileSync(path);
    if (buf.toString('ascii', 0, 8) !== MAGIC) throw new Error('not a flat index file');
    const dim = buf.readUInt32LE(8);
    const n = buf.readUInt32LE(12);
    if (dim !== this.dimension) throw new Error(`flat index file has dimension ${dim}, expected ${this.dimension}`);
    if (buf.length !== 16 + n * 8 + n * dim * 4) throw new Error('flat index file has the wrong size');
    const labels = new Float64Array(n);
    new Uint8Array(labels.buffer).set(buf.subarray(16, 16 + n * 8));
    this.data = new Float32Array(Math.max(n, 1024) * dim);
    new Uint8Array(this.data.buffer).set(buf.subarray(16 + n * 8));
    this.labels = new Float64Array(Math.max(n, 1024));
    this.labels.set(labels);
    this.n = n;
    this.slots = new Map();
    for (let i = 0; i < n; i++) this.slots.set(labels[i], i);
  }

  memoryBytes(): number {
    return this.data.byteLength + this.labels.byteLength + this.slots.size * 40;
  }
}
