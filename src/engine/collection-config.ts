import { pqRecordBytes } from '../compress/pq.js';
import { VectraError } from '../errors.js';
import type { CollectionConfig, CollectionConfigInput, Metric, PqConfig, StorageType } from './types.js';

export const LIMITS = {
  maxDimension: 65536,
  maxM: 128,
  maxEf: 10000,
} as const;

/** Defaults chosen so recall@10 ≥ 0.95 on GloVe-100 (see docs/benchmarks.md). */
export const DEFAULT_HNSW = { m: 16, efConstruction: 200, efSearch: 200 } as const;

const METRICS: readonly Metric[] = ['cosine', 'dot', 'l2'];
const STORAGE: readonly StorageType[] = ['f32', 'f16', 'i8', 'binary', 'pq'];
/** Storage kinds searched by scanning compressed codes, then rescoring exactly: no graph. */
const SCANNED: readonly StorageType[] = ['binary', 'pq'];

function bad(message: string): never {
  throw new VectraError('INVALID_COLLECTION_CONFIG', message);
}

function intIn(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    bad(`${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(value)})`);
  }
  return value;
}

/**
 * A cosine graph keeps its vectors as f16: unit vectors lose nothing a search can see (recall
 * at every ef the same as f32 on GloVe 100-d), the graph builds 1.6× faster, searches walk
 * half the bytes, and the graph takes half the memory (docs/benchmarks.md, "f16 by default").
 * Hits are rescored from the exact f32 vectors, so scores stay exact. Dot and l2 vectors can
 * exceed f16's range (±65,504), and a flat index scans exact f32 rows: those keep f32.
 */
function defaultStorage(metric: string, index: CollectionConfigInput['index']): StorageType {
  const type = typeof index === 'object' && index !== null ? index.type ?? 'hnsw' : 'hnsw';
  return metric === 'cosine' && type === 'hnsw' ? 'f16' : 'f32';
}

/** Validate a collection config and fill in defaults. */
export function resolveConfig(input: CollectionConfigInput): CollectionConfig {
  if (typeof input !== 'object' || input === null) bad('config must be an object');
  const dimension = intIn(input.dimension, 'dimension', 1, LIMITS.maxDimension);
  const metric = input.metric ?? 'cosine';
  if (!METRICS.includes(metric)) bad(`metric must be one of ${METRICS.join(', ')} (got ${JSON.stringify(metric)})`);
  const storage = input.storage ?? defaultStorage(metric, input.index);
  if (!STORAGE.includes(storage)) bad(`storage must be one of ${STORAGE.join(', ')} (got ${JSON.stringify(storage)})`);
  if (storage === 'i8' && metric !== 'cosine') {
    // i8 codes cover [-1, 1]: only unit vectors fit without clipping.
    bad('storage "i8" needs metric "cosine" (vectors are normalized before 8-bit quantization); use "f16" for dot or l2');
  }
  if (storage === 'binary' && metric === 'l2') {
    bad('storage "binary" needs metric "cosine" or "dot" (sign bits approximate angles, not distances); use "f16" for l2');
  }
  const idx = input.index ?? {};
  if (typeof idx !== 'object' || idx === null) bad('index must be an object');
  // Binary and PQ codes are scanned in full (no graph): the index is a flat scan over codes.
  const scanned = SCANNED.includes(storage);
  const type = idx.type ?? (scanned ? 'flat' : 'hnsw');
  if (type !== 'hnsw' && type !== 'flat') bad(`index.type must be "hnsw" or "flat" (got ${JSON.stringify(type)})`);
  const attributes = input.attributes ?? {};
  if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes)) bad('attributes must be an object');
  if (scanned && type !== 'flat') {
    bad(`storage "${storage}" is searched by a flat scan over its codes, then rescored exactly: omit index or use {"type": "flat"}`);
  }
  if (input.pq !== undefined && storage !== 'pq') bad('pq settings apply only to storage "pq"');
  if (type === 'flat') {
    if (!scanned && storage !== 'f32') bad('index type "flat" keeps exact f32 vectors (or codes with storage "binary" or "pq"); storage "f16" and "i8" apply to "hnsw"');
    for (const key of ['m', 'efConstruction', 'efSearch'] as const) {
      if (idx[key] !== undefined) bad(`index.${key} applies only to index type "hnsw"`);
    }
    if (storage === 'pq') return { dimension, metric, storage, pq: resolvePq(input.pq, dimension), index: { type: 'flat' }, attributes };
    return { dimension, metric, storage, index: { type: 'flat' }, attributes };
  }
  return {
    dimension,
    metric,
    storage,
    attributes,
    index: {
      type: 'hnsw',
      m: intIn(idx.m ?? DEFAULT_HNSW.m, 'index.m', 2, LIMITS.maxM),
      efConstruction: intIn(idx.efConstruction ?? DEFAULT_HNSW.efConstruction, 'index.efConstruction', 8, LIMITS.maxEf),
      efSearch: intIn(idx.efSearch ?? DEFAULT_HNSW.efSearch, 'index.efSearch', 1, LIMITS.maxEf),
    },
  };
}

/** The divisor of d nearest to d/4 (sub-vectors of about 4 dimensions; 25 for GloVe-100). */
export function defaultPqM(d: number): number {
  let best = 1;
  for (let m = 1; m <= d; m++) if (d % m === 0 && Math.abs(d / m - 4) < Math.abs(d / best - 4)) best = m;
  return best;
}

function resolvePq(input: CollectionConfigInput['pq'], dimension: number): PqConfig {
  const pq = input ?? {};
  if (typeof pq !== 'object' || pq === null || Array.isArray(pq)) bad('pq must be an object: {"m"?, "bits"?}');
  const m = intIn(pq.m ?? defaultPqM(dimension), 'pq.m', 1, dimension);
  if (dimension % m !== 0) {
    let below = m;
    while (dimension % below !== 0) below--;
    let above = m;
    while (dimension % above !== 0) above++;
    bad(`pq.m must divide the dimension ${dimension} (got ${m}); the nearest that do are ${below} and ${above}`);
  }
  return { m, bits: intIn(pq.bits ?? 8, 'pq.bits', 1, 8) };
}

/** The parts of the config a vector index snapshot depends on. */
export function indexFingerprint(c: CollectionConfig): string {
  const i = c.index;
  return JSON.stringify([c.dimension, c.metric, c.storage, i.type, i.type === 'hnsw' ? [i.m, i.efConstruction] : [], ...(c.pq ? [[c.pq.m, c.pq.bits]] : [])]);
}

/** Bytes the vector index keeps per vector (the full-precision copy in SQLite is extra: 4 · d). */
export function vectorBytes(c: Pick<CollectionConfig, 'dimension' | 'storage' | 'metric' | 'pq'>): number {
  switch (c.storage) {
    case 'f32':
      return 4 * c.dimension;
    case 'f16':
      return 2 * c.dimension;
    case 'i8':
      return c.dimension;
    case 'binary':
      // Sign bits, plus each vector's mean |x| (float32) for dot: see BinaryIndex.
      return Math.ceil(c.dimension / 8) + (c.metric === 'dot' ? 4 : 0);
    case 'pq':
      return pqRecordBytes(c.pq!.m, c.pq!.bits);
  }
}
