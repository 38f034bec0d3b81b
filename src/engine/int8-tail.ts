/**
 * The records waiting for the graph (live-index.ts) of a cosine collection: the float32 rows of
 * a FlatIndex plus, once there are enough of them to matter, an int8 copy (each component of the
 * unit vector × 127, rounded) in WebAssembly memory, scanned with SIMD integer dot products
 * (wasm/int8-dots.wat): a quarter of the bytes usearch's float32 scan reads, and none of its
 * per-call buffers. Answers stay exact: the best rows by int8 score are rescored in float32, and
 * then every row whose int8 score, widened by its rounding bound, could still reach the k-th
 * best is rescored as well (docs/engine.md, "The tail").
 */
import { FlatIndex } from './flat-index.js';
import type { Neighbours } from './vector-index.js';
import { TopK } from '../vector/top-k.js';
import { WASM_BASE64 } from './wasm/int8-dots.generated.js';

/** Below this many rows the float32 scan takes microseconds: no second copy. */
export const INT8_MIN_ROWS = 2048;
/** Rows whose scores set the first cut (see search). */
const SAMPLE_ROWS = 4096;
const SCALE = 127;
const module = new WebAssembly.Module(Buffer.from(WASM_BASE64, 'base64'));
const PAGE = 65536;

interface Kernels {
  memory: WebAssembly.Memory;
  dots: (rows: number, n: number, chunks: number, query: number, out: number) => void;
  quantize: (src: number, n: number, chunks: number, dst: number, l1: number) => void;
  select: (scores: number, n: number, cut: number, out: number) => number;
}

/** Rows quantized per call: the float32 staging area holds this many. */
const STAGE_ROWS = 256;

/**
 * Int8 rows in one WebAssembly memory, laid out as [query][staging: STAGE_ROWS float32 rows and
 * their Σ|code|][rows, `stride` bytes each][scores, one i32 a row][selected rows, one i32 each],
 * each of the last three with 4 entries to spare (`dots` and `select` go four at a time).
 */
class Int8Rows {
  private readonly wasm: Kernels;
  readonly chunks: number;
  readonly stride: number;
  private readonly stageAt: number;
  private readonly stageL1At: number;
  private readonly rowsAt: number;
  private capacity = 0;
  /** Σ|code| of each row: its share of the rounding bound. */
  l1 = new Int32Array(0);
  /** At least the largest of `l1` (never lowered: removals leave it an upper bound). */
  maxL1 = 0;

  constructor(private readonly dimension: number) {
    this.wasm = new WebAssembly.Instance(module).exports as unknown as Kernels;
    this.chunks = Math.ceil(dimension / 16);
    this.stride = this.chunks * 16;
    this.stageAt = this.stride;
    this.stageL1At = this.stageAt + STAGE_ROWS * this.stride * 4;
    this.rowsAt = this.stageL1At + STAGE_ROWS * 4;
  }

  private get outAt(): number {
    return this.rowsAt + (this.capacity + 4) * this.stride;
  }

  private get pickedAt(): number {
    return this.outAt + (this.capacity + 4) * 4;
  }

  /** Room for `n` rows (memory only grows; a tail is replaced whole when the graph catches up). */
  reserve(n: number): void {
    if (n <= this.capacity) return;
    const capacity = Math.max(n, this.capacity * 2, 1024);
    const old = this.capacity;
    const need = this.rowsAt + (capacity + 4) * (this.stride + 8);
    const have = this.wasm.memory.buffer.byteLength;
    if (need > have) this.wasm.memory.grow(Math.ceil((need - have) / PAGE));
    this.capacity = capacity;
    const l1 = new Int32Array(capacity);
    l1.set(this.l1.subarray(0, old));
    this.l1 = l1;
  }

  /** Quantize `vectors` (unit length, row-major) into rows first, first + 1, …. */
  set(first: number, vectors: Float32Array): void {
    const d = this.dimension;
    const count = vectors.length / d;
    this.reserve(first + count);
    const width = this.stride; // float32s a staged row: d, then zeros
    for (let done = 0; done < count; done += STAGE_ROWS) {
      const rows = Math.min(STAGE_ROWS, count - done);
      // A fresh view each time: growing the memory replaced its buffer.
      const stage = new Float32Array(this.wasm.memory.buffer, this.stageAt, STAGE_ROWS * width);
      for (let r = 0; r < rows; r++) stage.set(vectors.subarray((done + r) * d, (done + r + 1) * d), r * width);
      this.wasm.quantize(this.stageAt, rows, this.chunks, this.rowsAt + (first + done) * this.stride, this.stageL1At);
      const l1 = new Int32Array(this.wasm.memory.buffer, this.stageL1At, rows);
      this.l1.set(l1, first + done);
      for (let r = 0; r < rows; r++) if (l1[r] > this.maxL1) this.maxL1 = l1[r];
    }
  }

  /** Row `from` moves into row `to` (a removal filled the hole with the last row). */
  move(from: number, to: number): void {
    new Uint8Array(this.wasm.memory.buffer).copyWithin(this.rowsAt + to * this.stride, this.rowsAt + from * this.stride, this.rowsAt + (from + 1) * this.stride);
    this.l1[to] = this.l1[from];
  }

  /**
   * The int8 dot product of `query` (unit length; quantized here) with each of the first n rows,
   * and 127 · Σ|query| / 2: the query's share of the rounding bound, in the same units.
   */
  scores(query: Float32Array, n: number): { scores: Int32Array; querySlack: number } {
    // Quantized like the rows, by the same kernel, into the query's place at 0 (the staged
    // row's padding past the dimension is never written: zeros).
    new Float32Array(this.wasm.memory.buffer, this.stageAt, this.dimension).set(query.subarray(0, this.dimension));
    this.wasm.quantize(this.stageAt, 1, this.chunks, 0, this.stageL1At);
    let l1 = 0;
    for (let j = 0; j < this.dimension; j++) l1 += Math.abs(query[j]);
    this.wasm.dots(this.rowsAt, n, this.chunks, 0, this.outAt);
    const scores = new Int32Array(this.wasm.memory.buffer, this.outAt, n + 4);
    scores.fill(-2147483648, n);
    return { scores, querySlack: (SCALE * l1) / 2 };
  }

  /** The rows (of the last `scores`) scoring at least `cut`, in order. */
  select(n: number, cut: number): Int32Array {
    const count = this.wasm.select(this.outAt, n, Math.max(-2147483647, Math.min(2147483647, Math.floor(cut))), this.pickedAt);
    return new Int32Array(this.wasm.memory.buffer, this.pickedAt, count);
  }

  memoryBytes(): number {
    return this.wasm.memory.buffer.byteLength + this.l1.byteLength;
  }
}

export class Int8Tail extends FlatIndex {
  private codes: Int8Rows | null = null;
  /** Set when the int8 copy could not grow: this tail scans float32 only from then on. */
  private noRoom = false;

  /** Rows reserved (`reserve`): the int8 copy, made later, takes the same room at once. */
  private room = 0;

  constructor(dimension: number) {
    super(dimension, 'cosine', 0);
  }

  override reserve(n: number): void {
    super.reserve(n);
    this.room = Math.max(this.room, n);
    try {
      this.codes?.reserve(n);
    } catch {
      this.codes = null;
      this.noRoom = true;
    }
  }

  override add(labels: number[], vectors: Float32Array): void {
    const first = this.rows.n;
    super.add(labels, vectors);
    try {
      if (this.codes !== null) this.codes.set(first, vectors.subarray(0, labels.length * this.dimension));
      else if (this.rows.n >= INT8_MIN_ROWS && !this.noRoom) {
        const codes = new Int8Rows(this.dimension);
        codes.reserve(Math.max(this.room, this.rows.n));
        codes.set(0, (this.rows.columns[0] as Float32Array).subarray(0, this.rows.n * this.dimension));
        this.codes = codes;
      }
    } catch {
      // No room for the copy (WebAssembly memory stops at 4 GiB): the float32 scan serves alone.
      this.codes = null;
      this.noRoom = true;
    }
  }

  override remove(labels: number[]): number {
    const codes = this.codes;
    if (codes === null) return super.remove(labels);
    let removed = 0;
    for (const label of labels) {
      const slot = this.rows.slots.get(label);
      if (slot === undefined) continue;
      const last = this.rows.n - 1;
      removed += super.remove([label]);
      // DenseRows filled the hole with its last row: the int8 copy follows.
      if (slot !== last) codes.move(last, slot);
    }
    return removed;
  }

  override search(query: Float32Array, k: number): Neighbours {
    const n = this.rows.n;
    const codes = this.codes;
    if (codes === null || n < INT8_MIN_ROWS || k * 8 > n) return super.search(query, k);
    const d = this.dimension;
    // Ranked by the unit query (cosine ranks do not depend on its length); scored with it as given.
    let norm = 0;
    for (let j = 0; j < d; j++) norm += query[j] * query[j];
    norm = Math.sqrt(norm);
    if (norm === 0) return super.search(query, k);
    const unit = Math.abs(norm - 1) < 1e-6 ? query : query.map((x) => x / norm);
    const rows = this.rows.columns[0] as Float32Array;
    const exact = (row: number): number => {
      let s = 0;
      for (let j = 0, at = row * d; j < d; j++) s += rows[at + j] * unit[j];
      return s;
    };
    const { scores, querySlack } = codes.scores(unit, n);
    const l1 = codes.l1;
    // With A, B the int8 codes (each off by at most 0.5 from 127 × the float), in int8 units:
    // |127² a·b − A·B| ≤ 127 Σ|b|/2 + Σ|A|/2 — the query's slack plus the row's (l1 / 2). So a
    // row can reach an exact score s only if A·B + querySlack + l1/2 ≥ 127² s. The kernel
    // rounds 127 × a value computed in float32 (off by up to 127 · 2⁻²⁴ more a component: at
    // most 0.06 int8 units for the rows' codes and as much for the query's, at 4,096
    // dimensions); 1e-4 of score (1.6 units) covers that and the sums' own rounding.
    const bar = (s: number) => SCALE * SCALE * (s - 1e-4) - querySlack;
    // 1. The best `want` rows by int8 score, found among the rows scoring at least the want-th
    //    best of a sample of SAMPLE_ROWS (about want · n / SAMPLE_ROWS of them, selected with SIMD),
    //    rescored exactly: their k-th is (all but always) the k-th best overall.
    const want = Math.min(n, 2 * k + 16);
    const sampleCut = lowest(scores, n, want);
    const first = topOf(scores, codes.select(n, sampleCut), want);
    const chosen = new Set<number>(first);
    const found = first.map((row) => ({ row, score: exact(row) }));
    found.sort((a, b) => b.score - a.score);
    // 2. Every other row that could still reach that k-th best exact score, rescored too.
    const kth = bar(found[Math.min(k, found.length) - 1].score);
    const rest = codes.select(n, kth - codes.maxL1 / 2);
    for (let i = 0; i < rest.length; i++) {
      const row = rest[i];
      if (scores[row] + l1[row] / 2 < kth || chosen.has(row)) continue;
      found.push({ row, score: exact(row) });
    }
    const labels = this.rows.labels;
    const best = found.map((f) => ({ label: labels[f.row], distance: Math.fround(1 - f.score * norm) }));
    best.sort((a, b) => a.distance - b.distance || a.label - b.label);
    best.length = Math.min(k, best.length);
    return { labels: best.map((b) => b.label), distances: best.map((b) => b.distance) };
  }

  override memoryBytes(): number {
    return super.memoryBytes() + (this.codes?.memoryBytes() ?? 0);
  }
}

/**
 * The `count`-th highest score of an even sample of about SAMPLE_ROWS of the n rows (all when
 * fewer): rows are in write order, and the first ones are often unlike the rest.
 */
function lowest(scores: Int32Array, n: number, count: number): number {
  const step = Math.max(1, Math.floor(n / SAMPLE_ROWS));
  if (step * count > n) return -2147483648;
  const best = new TopK(count);
  for (let i = 0; i < n; i += step) best.push(-scores[i], i);
  return -best.bound();
}

/** The `count` rows among `rows` with the highest scores. */
function topOf(scores: Int32Array, rows: Int32Array, count: number): number[] {
  const best = new TopK(count);
  for (let i = 0; i < rows.length; i++) best.push(-scores[rows[i]], rows[i]);
  return best.sorted().labels;
}
