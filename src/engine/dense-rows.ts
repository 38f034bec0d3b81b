/**
 * Fixed-width rows kept densely by slot, with their labels: the storage of the scanning
 * indexes (scanned-index.ts): float32 vectors, sign codes and scales, PQ codes. Removal moves the last row into
 * the hole, so scans touch only live rows. Snapshot layout: an 8-byte magic, dimension and
 * count (u32 LE), the labels (f64), then each column's rows in turn.
 */
import { readFileSync, writeFileSync } from 'node:fs';

export type Column = Float32Array | Uint8Array;

export interface ColumnSpec {
  /** Elements per row. */
  width: number;
  make: (length: number) => Column;
}

/** A column of `width` float32s a row. */
export const floatColumn = (width: number): ColumnSpec => ({ width, make: (n) => new Float32Array(n) });
/** A column of `width` bytes a row. */
export const byteColumn = (width: number): ColumnSpec => ({ width, make: (n) => new Uint8Array(n) });

export class DenseRows {
  labels: Float64Array;
  columns: Column[];
  slots = new Map<number, number>();
  n = 0;

  constructor(private readonly specs: ColumnSpec[], capacity = 1024) {
    this.labels = new Float64Array(capacity);
    this.columns = specs.map((s) => s.make(capacity * s.width));
  }

  /** Room for `min` rows in all (grown by doubling when appends need it). */
  reserve(min: number): void {
    if (min <= this.labels.length) return;
    const cap = Math.max(min, this.labels.length * 2);
    const labels = new Float64Array(cap);
    labels.set(this.labels.subarray(0, this.n));
    this.labels = labels;
    this.columns = this.columns.map((c, i) => {
      const w = this.specs[i].width;
      const grown = this.specs[i].make(cap * w);
      grown.set(c.subarray(0, this.n * w));
      return grown;
    });
  }

  /** Take slots for new labels (none may be present yet); returns the first slot. Fill the columns after. */
  append(labels: number[]): number {
    for (const l of labels) if (this.slots.has(l)) throw new Error(`label ${l} is already in the index`);
    this.reserve(this.n + labels.length);
    const first = this.n;
    for (const l of labels) {
      this.labels[this.n] = l;
      this.slots.set(l, this.n++);
    }
    return first;
  }

  remove(labels: number[]): number {
    let removed = 0;
    for (const label of labels) {
      const slot = this.slots.get(label);
      if (slot === undefined) continue;
      const last = --this.n;
      if (slot !== last) {
        this.columns.forEach((c, i) => {
          const w = this.specs[i].width;
          c.copyWithin(slot * w, last * w, (last + 1) * w);
        });
        this.labels[slot] = this.labels[last];
        this.slots.set(this.labels[slot], slot);
      }
      this.slots.delete(label);
      removed++;
    }
    return removed;
  }

  /** `trailer`: bytes the index keeps after the rows (the PQ index's codebooks). */
  save(path: string, magic: string, dimension: number, trailer?: Buffer): void {
    const header = Buffer.alloc(16);
    header.write(magic, 0, 'ascii');
    header.writeUInt32LE(dimension, 8);
    header.writeUInt32LE(this.n, 12);
    const parts = [header, Buffer.from(this.labels.buffer, 0, this.n * 8)];
    this.columns.forEach((c, i) => parts.push(Buffer.from(c.buffer, c.byteOffset, this.n * this.specs[i].width * c.BYTES_PER_ELEMENT)));
    if (trailer) parts.push(trailer);
    writeFileSync(path, Buffer.concat(parts));
  }

  /**
   * Replace the rows with a file's; `what` names the index in errors. Returns the bytes after
   * the rows, which must be empty unless `withTrailer`.
   */
  load(path: string | Buffer, magic: string, dimension: number, what: string, withTrailer = false): Buffer {
    const buf = typeof path === 'string' ? readFileSync(path) : path;
    if (buf.toString('ascii', 0, 8) !== magic) throw new Error(`not a ${what} file`);
    const dim = buf.readUInt32LE(8);
    const n = buf.readUInt32LE(12);
    if (dim !== dimension) throw new Error(`${what} file has dimension ${dim}, expected ${dimension}`);
    const rowBytes = this.specs.reduce((s, spec, i) => s + spec.width * this.columns[i].BYTES_PER_ELEMENT, 8);
    const end = 16 + n * rowBytes;
    if (withTrailer ? buf.length < end : buf.length !== end) throw new Error(`${what} file has the wrong size`);
    const cap = Math.max(n, 1024);
    this.labels = new Float64Array(cap);
    new Uint8Array(this.labels.buffer).set(buf.subarray(16, 16 + n * 8));
    let at = 16 + n * 8;
    this.columns = this.specs.map((s) => {
      const c = s.make(cap * s.width);
      const bytes = n * s.width * c.BYTES_PER_ELEMENT;
      new Uint8Array(c.buffer).set(buf.subarray(at, at + bytes));
      at += bytes;
      return c;
    });
    this.n = n;
    this.slots = new Map();
    for (let i = 0; i < n; i++) this.slots.set(this.labels[i], i);
    return buf.subarray(end);
  }

  memoryBytes(): number {
    return this.columns.reduce((s, c) => s + c.byteLength, this.labels.byteLength + this.slots.size * 40);
  }
}
