/**
 * `storage: "pq"`: product-quantized codes (the compression toolkit's PQ, src/compress/pq.ts),
 * ceil(m·bits/8) bytes a vector, scanned in full with per-query distance tables; the
 * collection rescores the best candidates exactly with the full-precision vectors in SQLite.
 *
 * Codebooks are learned from the collection's own vectors, so a new collection has none. Until
 * it holds `pqTrainAt(bits)` vectors the index keeps them as float32 and scans them exactly;
 * from then on a background build (the snapshot worker, `buildSnapshot`) trains codebooks on a
 * sample of up to PQ_SAMPLE_MAX stored vectors and encodes every vector, and the collection
 * swaps that index in. It trains again (from scratch, on a bigger sample) each time the
 * collection has grown 4× past the sample the codebooks were trained on, up to PQ_SAMPLE_MAX.
 */
import { readFileSync } from 'node:fs';
import { encodePq, pqDistance, pqDistanceTable, pqRecordBytes, trainPq, type PqParams } from '../compress/pq.js';
import { byteColumn, DenseRows, floatColumn } from './dense-rows.js';
import type { Metric, PqConfig } from './types.js';
import { ScannedIndex } from './scanned-index.js';
import type { Neighbours } from './vector-index.js';

const RAW_MAGIC = 'VPQRAW01';
const CODE_MAGIC = 'VPQCOD01';

/** The most vectors codebooks are trained on (k-means time grows with it). */
export const PQ_SAMPLE_MAX = 16384;
/** Retrain once the collection is this many times the training sample. */
const RETRAIN_GROWTH = 4;

/** Vectors a collection needs before it trains codebooks: 16 per centroid, at least 1,000. */
export function pqTrainAt(bits: number): number {
  return Math.max(1000, 16 << bits);
}

/** Rows of float32 vectors, kept until the codebooks are trained. */
function rawRows(dimension: number): DenseRows {
  return new DenseRows([floatColumn(dimension)]);
}

export class PqIndex extends ScannedIndex {
  readonly kind = 'pq' as const;
  readonly exactDistances = false;
  readonly bytesPerVector: number;
  private params: PqParams | null = null;
  /** Vectors the codebooks were trained on (0: not trained). */
  trainedOn = 0;
  private table: Float32Array;

  /** The rows start as float32 vectors; training replaces them with rows of codes. */
  constructor(dimension: number, private readonly metric: Metric, private readonly pq: PqConfig) {
    super(dimension, rawRows(dimension));
    this.bytesPerVector = pqRecordBytes(pq.m, pq.bits);
    this.table = new Float32Array(pq.m << pq.bits);
  }

  private codeRows(): DenseRows {
    return new DenseRows([byteColumn(this.bytesPerVector)]);
  }

  get trained(): boolean {
    return this.params !== null;
  }

  /** Whether a build from scratch (which trains) would give a better index than this one. */
  wantsTraining(): boolean {
    const n = this.rows.n;
    if (!this.params) return n >= pqTrainAt(this.pq.bits);
    return this.trainedOn < PQ_SAMPLE_MAX && n >= RETRAIN_GROWTH * this.trainedOn;
  }

  /**
   * Learn codebooks from `n` sample vectors (prepared for the metric). Only on an empty index:
   * the background build trains first, then adds every row, encoded.
   */
  train(sample: Float32Array, n: number, check?: () => void): void {
    if (this.rows.n > 0) throw new Error('a PQ index trains before it holds vectors');
    this.params = trainPq(sample, n, this.dimension, { m: this.pq.m, bits: this.pq.bits, check });
    this.trainedOn = n;
    this.rows = this.codeRows();
  }

  add(labels: number[], vectors: Float32Array): void {
    const first = this.rows.append(labels);
    const column = this.rows.columns[0];
    if (this.params) encodePq(this.params, vectors, labels.length, this.dimension, column as Uint8Array, first * this.bytesPerVector);
    else column.set(vectors.subarray(0, labels.length * this.dimension), first * this.dimension);
  }

  /**
   * The `max(k, breadth)` nearest by code distance (exact while untrained). Distances follow
   * the flat index's: 1 − dot for cosine/dot, squared L2 for l2.
   */
  search(query: Float32Array, k: number, breadth = k): Neighbours {
    const l2 = this.metric === 'l2';
    if (!this.params) return this.scanFloats(query, l2, Math.max(k, breadth));
    const top = this.candidates(k, breadth);
    const { n, labels } = this.rows;
    const { m, bits } = this.params;
    const codes = this.rows.columns[0] as Uint8Array;
    const b = this.bytesPerVector;
    pqDistanceTable(this.params, query, this.dimension, l2, this.table);
    // The table holds −q·c for inner product: 1 + Σ = 1 − q·x̂.
    const base = l2 ? 0 : 1;
    for (let i = 0; i < n; i++) top.push(base + pqDistance(this.table, codes, i * b, m, bits), labels[i]);
    return top.sorted();
  }

  /** Rows (raw or codes); when trained, a trailer of m, bits, trainedOn (u32 LE) and the codebooks. */
  save(path: string): void {
    if (!this.params) return this.rows.save(path, RAW_MAGIC, this.dimension);
    const { m, bits, codebooks } = this.params;
    const trailer = Buffer.alloc(12 + codebooks.byteLength);
    trailer.writeUInt32LE(m, 0);
    trailer.writeUInt32LE(bits, 4);
    trailer.writeUInt32LE(this.trainedOn, 8);
    Buffer.from(codebooks.buffer, codebooks.byteOffset, codebooks.byteLength).copy(trailer, 12);
    this.rows.save(path, CODE_MAGIC, this.dimension, trailer);
  }

  load(path: string): void {
    const buf = readFileSync(path);
    const magic = buf.toString('ascii', 0, 8);
    if (magic === RAW_MAGIC) {
      const rows = rawRows(this.dimension);
      rows.load(buf, RAW_MAGIC, this.dimension, 'PQ index');
      [this.rows, this.params, this.trainedOn] = [rows, null, 0];
      return;
    }
    const rows = this.codeRows();
    const trailer = rows.load(buf, CODE_MAGIC, this.dimension, 'PQ index', true);
    const { m, bits } = this.pq;
    const floats = (1 << bits) * this.dimension;
    if (trailer.length !== 12 + 4 * floats || trailer.readUInt32LE(0) !== m || trailer.readUInt32LE(4) !== bits) {
      throw new Error(`PQ index file does not hold codebooks for m ${m}, ${bits} bits`);
    }
    const codebooks = new Float32Array(floats);
    new Uint8Array(codebooks.buffer).set(trailer.subarray(12));
    [this.rows, this.params, this.trainedOn] = [rows, { m, bits, codebooks, rotation: null }, trailer.readUInt32LE(8)];
  }

  memoryBytes(): number {
    return super.memoryBytes() + (this.params ? this.params.codebooks.byteLength : 0);
  }
}
