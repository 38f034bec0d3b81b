/**
 * Whole-file operations behind `vectra compress` and `vectra decompress`, streaming: vectors
 * pass through in chunks of `chunkRows`, so a file larger than memory is fine. Methods that
 * learn parameters (sq8, int4, binary, pq) first train on a sample of rows spread evenly
 * through the file, then encode everything in one pass.
 */
import { randomBytes } from 'node:crypto';
import { renameSync, unlinkSync } from 'node:fs';
import { DEFAULT_PQ, defaultPqM, needsTraining, trainCodec, type Method, type PqSettings } from './codec.js';
import { checkPq } from './pq.js';
import { ContainerReader, ContainerWriter } from './container.js';
import { F16_MAX } from './f16.js';
import { NpyReader, NpyWriter } from './npy.js';

export const DEFAULT_CHUNK_ROWS = 16384;
/** Training sample: every row up to this many, else this many spread evenly through the file. */
export const DEFAULT_SAMPLE = 20000;
/** PQ's k-means is the costly part of training: 10,000 rows is ~40 per centroid at 8 bits. */
export const DEFAULT_PQ_SAMPLE = 10000;

export type Progress = (done: number, total: number) => void;

export interface CompressOptions {
  input: string;
  output: string;
  method: Method;
  pq?: Partial<PqSettings>;
  sample?: number;
  chunkRows?: number;
  seed?: number;
  onTrainStart?: (sampleRows: number) => void;
  onProgress?: Progress;
}

export interface CompressSummary {
  method: Method;
  rows: number;
  dim: number;
  sampleRows: number;
  recordBytes: number;
  seconds: number;
}

/** Rows spread evenly through a reader's file, read one at a time. */
export function sampleRows(r: NpyReader, size: number): { vectors: Float32Array; n: number } {
  const n = Math.min(size, r.rows);
  const vectors = new Float32Array(n * r.dim);
  for (let i = 0; i < n; i++) r.read(Math.floor((i * r.rows) / n), 1, vectors.subarray(i * r.dim, (i + 1) * r.dim));
  return { vectors, n };
}

/** Refuse values no method can encode faithfully, naming the first one. */
function checkValues(v: Float32Array, dim: number, firstRow: number, method: Method, file: string): void {
  const limit = method === 'f16' ? F16_MAX : Infinity;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (!(Math.abs(x) <= limit)) {
      const where = `row ${firstRow + Math.floor(i / dim)}, column ${i % dim}`;
      if (!Number.isFinite(x)) throw new Error(`${file}: ${where} is ${x}; every value must be a finite number`);
      throw new Error(`${file}: ${where} is ${x}, beyond float16's range (±${F16_MAX}); use --method int8 or sq8`);
    }
  }
}

export function compressFile(o: CompressOptions): CompressSummary {
  const started = performance.now();
  const reader = new NpyReader(o.input);
  let writer: ContainerWriter | null = null;
  try {
    const { rows, dim } = reader;
    const chunk = o.chunkRows ?? DEFAULT_CHUNK_ROWS;
    // Settings errors before any work (PQ training can take a while).
    if (o.method === 'pq') checkPq(dim, o.pq?.m || defaultPqM(dim), o.pq?.bits ?? DEFAULT_PQ.bits);
    let sample: { vectors: Float32Array; n: number } = { vectors: new Float32Array(0), n: 0 };
    if (needsTraining(o.method)) {
      sample = sampleRows(reader, o.sample ?? (o.method === 'pq' ? DEFAULT_PQ_SAMPLE : DEFAULT_SAMPLE));
      checkValues(sample.vectors, dim, 0, o.method, o.input);
      o.onTrainStart?.(sample.n);
    }
    const codec = trainCodec(o.method, sample.vectors, sample.n, dim, { pq: o.pq, seed: o.seed });
    writer = new ContainerWriter(o.output, codec);
    const buf = new Float32Array(chunk * dim);
    for (let start = 0; start < rows; start += chunk) {
      const n = Math.min(chunk, rows - start);
      const v = reader.read(start, n, buf.subarray(0, n * dim));
      checkValues(v, dim, start, o.method, o.input);
      writer.append(v, n);
      o.onProgress?.(start + n, rows);
    }
    writer.finish();
    writer = null;
    return { method: o.method, rows, dim, sampleRows: sample.n, recordBytes: codec.recordBytes, seconds: (performance.now() - started) / 1000 };
  } finally {
    writer?.abort();
    reader.close();
  }
}

export interface DecompressOptions {
  input: string;
  output: string;
  chunkRows?: number;
  onProgress?: Progress;
}

/** Container → float32 .npy, a chunk at a time; the data's CRC-32 is checked on the way. */
export function decompressFile(o: DecompressOptions): { rows: number; dim: number; seconds: number } {
  const started = performance.now();
  const reader = new ContainerReader(o.input);
  const tmp = `${o.output}.${randomBytes(4).toString('hex')}.tmp`;
  let writer: NpyWriter | null = null;
  try {
    reader.verify();
    const { count, dim } = reader.info;
    writer = new NpyWriter(tmp, count, dim);
    const chunk = o.chunkRows ?? DEFAULT_CHUNK_ROWS;
    const buf = new Float32Array(chunk * dim);
    for (let start = 0; start < count; start += chunk) {
      const n = Math.min(chunk, count - start);
      writer.write(reader.read(start, n, buf.subarray(0, n * dim)));
      o.onProgress?.(start + n, count);
    }
    writer.close();
    writer = null;
    renameSync(tmp, o.output);
    return { rows: count, dim, seconds: (performance.now() - started) / 1000 };
  } catch (e) {
    try {
      writer?.close();
    } catch {
      // the error that matters is e
    }
    try {
      unlinkSync(tmp);
    } catch {
      // not created
    }
    throw e;
  } finally {
    reader.close();
  }
}
