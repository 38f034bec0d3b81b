/**
 * Word vectors as the sentence recipes (sif.ts) read them: the row of a word, and rows added
 * into a sum. Two forms of the same numbers:
 *
 * - in memory: a parsed cache file (glove.ts) with a Map of its words — for tests, benchmarks
 *   and the recipe run in this thread;
 * - shared: what the embedding workers use. Built once on the main thread, in shared memory, so
 *   that no worker holds its own copy: a hash table of the words (their UTF-8 bytes and row
 *   numbers), the rows of the HOT_ROWS most frequent words, and the path of the cache file,
 *   from which a worker reads the rare rest one row at a time (pread; the OS page cache keeps
 *   the ones in use). A worker used to parse 341k words into a Map of its own (~45 MB each);
 *   the whole matrix (137 MB) stayed resident though text rarely reaches past the 100,000th
 *   word (1.3 % of WordNet's gloss words do).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { GLOVE_HEADER_BYTES, readGloveHeader, type GloveVectors } from './glove.js';

export interface WordVectors {
  readonly dim: number;
  /** Words (rows), most frequent first. */
  readonly count: number;
  /** Mean L2 norm of every row. */
  readonly meanNorm: number;
  /** The row of `word`, or -1. */
  indexOf(word: string): number;
  /** out += weight · row i. */
  addRow(i: number, weight: number, out: Float32Array): void;
  /** Row i, valid until the next call. */
  row(i: number): Float32Array;
}

/** Rows kept in shared memory: 40 MB for 100-d vectors; rarer words are read from the file. */
export const HOT_ROWS = 100_000;

/** Mean L2 norm of `count` rows of `dim` floats, accumulated row by row in double precision. */
class NormMean {
  private sum = 0;
  private rows = 0;

  add(vectors: Float32Array, dim: number): void {
    for (let r = 0; r < vectors.length / dim; r++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += vectors[r * dim + d] ** 2;
      this.sum += Math.sqrt(s);
      this.rows++;
    }
  }

  get value(): number {
    return this.sum / this.rows;
  }
}

/** The in-memory form, over a parsed cache file. */
export function inMemoryWordVectors(g: GloveVectors): WordVectors {
  const index = new Map<string, number>();
  g.words.forEach((w, i) => index.set(w, i));
  const norms = new NormMean();
  norms.add(g.vectors, g.dim);
  const { dim, vectors } = g;
  return {
    dim,
    count: g.words.length,
    meanNorm: norms.value,
    indexOf: (word) => index.get(word) ?? -1,
    addRow(i, weight, out) {
      const base = i * dim;
      for (let d = 0; d < dim; d++) out[d] += weight * vectors[base + d];
    },
    row: (i) => vectors.subarray(i * dim, (i + 1) * dim),
  };
}

/** What the main thread hands every worker: shared memory (never copied) and a few numbers. */
export interface SharedGlove {
  path: string;
  dim: number;
  count: number;
  meanNorm: number;
  /** Rows 0 … hotRows − 1, row-major f32. */
  hot: SharedArrayBuffer;
  hotRows: number;
  /** The words' UTF-8 bytes, one after the other; word i is bytes starts[i] … starts[i + 1] − 1. */
  words: SharedArrayBuffer;
  starts: SharedArrayBuffer;
  /** Open addressing, linear probing on FNV-1a of the word's bytes: row numbers, −1 empty. */
  table: SharedArrayBuffer;
}

function fnv1aBytes(bytes: Uint8Array, n: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < n; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function sameBytes(a: Uint8Array, aFrom: number, b: Uint8Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[aFrom + i] !== b[i]) return false;
  return true;
}

const CHUNK_ROWS = 16384;

/**
 * Read a cache file (glove.ts) into the shared form, in chunks with awaits between them so the
 * event loop keeps turning: ~0.3 s for GloVe 6B 100-d. Resident afterwards: the hot rows, the
 * words (3.3 MB) and the table (4 MB).
 */
export async function loadSharedGlove(path: string, hotRows = HOT_ROWS): Promise<SharedGlove> {
  const fh = await open(path, 'r');
  try {
    const head = new Uint8Array(GLOVE_HEADER_BYTES);
    await fh.read(head, 0, GLOVE_HEADER_BYTES, 0);
    const h = readGloveHeader(head);
    if (h === null) throw new Error('not a GloVe cache file (bad magic)');
    const { count, dim } = h;
    const rowBytes = dim * 4;
    const wordsAt = GLOVE_HEADER_BYTES + count * rowBytes;
    const { size } = await fh.stat();
    if (wordsAt > size) throw new Error('GloVe cache file is truncated');

    const words = new SharedArrayBuffer(size - wordsAt);
    const wordBytes = new Uint8Array(words);
    for (let got = 0; got < wordBytes.length; ) {
      const { bytesRead } = await fh.read(wordBytes, got, wordBytes.length - got, wordsAt + got);
      if (bytesRead === 0) throw new Error('GloVe cache file is truncated (word list)');
      got += bytesRead;
    }
    const starts = new SharedArrayBuffer((count + 1) * 4);
    const at = new Uint32Array(starts);
    let n = 1;
    for (let i = 0; i < wordBytes.length && n <= count; i++) if (wordBytes[i] === 10) at[n++] = i + 1;
    if (n !== count) throw new Error('GloVe cache file is truncated (word list)');
    at[count] = wordBytes.length + 1; // the last word has no newline after it

    const hot = Math.min(hotRows, count);
    const hotBuffer = new SharedArrayBuffer(hot * rowBytes);
    const hotBytes = new Uint8Array(hotBuffer);
    const norms = new NormMean();
    const chunk = new Uint8Array(CHUNK_ROWS * rowBytes);
    for (let row = 0; row < count; row += CHUNK_ROWS) {
      const rows = Math.min(CHUNK_ROWS, count - row);
      const { bytesRead } = await fh.read(chunk, 0, rows * rowBytes, GLOVE_HEADER_BYTES + row * rowBytes);
      if (bytesRead !== rows * rowBytes) throw new Error('GloVe cache file is truncated');
      norms.add(new Float32Array(chunk.buffer, 0, rows * dim), dim);
      if (row < hot) hotBytes.set(chunk.subarray(0, Math.min(rows, hot - row) * rowBytes), row * rowBytes);
    }

    let slots = 1;
    while (slots < 2 * count) slots *= 2;
    const table = new SharedArrayBuffer(slots * 4);
    const rowsOf = new Int32Array(table).fill(-1);
    for (let i = 0; i < count; i++) {
      const len = at[i + 1] - 1 - at[i];
      const bytes = wordBytes.subarray(at[i], at[i] + len);
      for (let s = fnv1aBytes(bytes, len) & (slots - 1); ; s = (s + 1) & (slots - 1)) {
        const j = rowsOf[s];
        // A word listed twice keeps its last row, as a Map built in order would.
        if (j === -1 || (at[j + 1] - 1 - at[j] === len && sameBytes(wordBytes, at[j], bytes, len))) {
          rowsOf[s] = i;
          break;
        }
      }
      if (i % 65536 === 65535) await new Promise((r) => setImmediate(r));
    }
    return { path, dim, count, meanNorm: norms.value, hot: hotBuffer, hotRows: hot, words, starts, table };
  } finally {
    await fh.close();
  }
}

/** The shared form as a worker reads it. Rows past the hot ones come from the file, one pread each. */
export function sharedWordVectors(s: SharedGlove): WordVectors {
  const { dim, hotRows } = s;
  const hot = new Float32Array(s.hot);
  const wordBytes = new Uint8Array(s.words);
  const at = new Uint32Array(s.starts);
  const rowsOf = new Int32Array(s.table);
  const mask = rowsOf.length - 1;
  const encoder = new TextEncoder();
  let scratch = new Uint8Array(256);
  const cold = new Float32Array(dim);
  const coldBytes = new Uint8Array(cold.buffer);
  let fd: number | null = null;

  const row = (i: number): Float32Array => {
    if (i < hotRows) return hot.subarray(i * dim, (i + 1) * dim);
    fd ??= openSync(s.path, 'r');
    if (readSync(fd, coldBytes, 0, coldBytes.length, GLOVE_HEADER_BYTES + i * dim * 4) !== coldBytes.length) {
      // The file shrank under a running server: better an error than a wrong vector.
      closeSync(fd);
      fd = null;
      throw new Error(`${s.path} is truncated: word ${i} cannot be read`);
    }
    return cold;
  };

  return {
    dim,
    count: s.count,
    meanNorm: s.meanNorm,
    indexOf(word) {
      // At most 3 UTF-8 bytes per UTF-16 unit.
      if (word.length * 3 > scratch.length) scratch = new Uint8Array(word.length * 3);
      const len = encoder.encodeInto(word, scratch).written;
      for (let slot = fnv1aBytes(scratch, len) & mask; ; slot = (slot + 1) & mask) {
        const j = rowsOf[slot];
        if (j === -1) return -1;
        if (at[j + 1] - 1 - at[j] === len && sameBytes(wordBytes, at[j], scratch, len)) return j;
      }
    },
    addRow(i, weight, out) {
      const v = row(i);
      for (let d = 0; d < dim; d++) out[d] += weight * v[d];
    },
    row,
  };
}
