import { VectraError } from '../errors.js';
import type { CollectionConfig, CollectionConfigInput, Metric, StorageType } from './types.js';

export const LIMITS = {
  maxDimension: 65536,
  maxM: 128,
  maxEf: 10000,
} as const;

/** Defaults chosen so recall@10 ≥ 0.95 on GloVe-100 (see docs/benchmarks.md). */
export const DEFAULT_HNSW = { m: 16, efConstruction: 200, efSearch: 200 } as const;

const METRICS: readonly Metric[] = ['cosine', 'dot', 'l2'];
const STORAGE: readonly StorageType[] = ['f32', 'f16', 'i8', 'binary'];

function bad(message: string): never {
  throw new VectraError('INVALID_COLLECTION_CONFIG', message);
}

function intIn(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    bad(`${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(value)})`);
  }
  return value;
}

/** Validate a collection config and fill in defaults. */
export function resolveConfig(input: CollectionConfigInput): CollectionConfig {
  if (typeof input !== 'object' || input === null) bad('config must be an object');
  const dimension = intIn(input.dimension, 'dimension', 1, LIMITS.maxDimension);
  const metric = input.metric ?? 'cosine';
  if (!METRICS.includes(metric)) bad(`metric must be one of ${METRICS.join(', ')} (got ${JSON.stringify(metric)})`);
  const storage = input.storage ?? 'f32';
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
  // Binary codes are scanned in full (no graph): the index is a flat scan over sign bits.
  const type = idx.type ?? (storage === 'binary' ? 'flat' : 'hnsw');
  if (type !== 'hnsw' && type !== 'flat') bad(`index.type must be "hnsw" or "flat" (got ${JSON.stringify(type)})`);
  const attributes = input.attributes ?? {};
  if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes)) bad('attributes must be an object');
  if (storage === 'binary' && type !== 'flat') {
    bad('storage "binary" is searched by a flat scan over sign bits, then rescored exactly: omit index or use {"type": "flat"}');
  }
  if (type === 'flat') {
    if (storage !== 'f32' && storage !== 'binary') bad('index type "flat" keeps exact f32 vectors (or sign bits with storage "binary"); storage "f16" and "i8" apply to "hnsw"');
    for (const key of ['m', 'efConstruction', 'efSearch'] as const) {
      if (idx[key] !== undefined) bad(`index.${key} applies only to index type "hnsw"`);
    }
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

/** The parts of the config a vector index snapshot depends on. */
export function indexFingerprint(c: CollectionConfig): string {
  const i = c.index;
  return JSON.stringify([c.dimension, c.metric, c.storage, i.type, i.type === 'hnsw' ? [i.m, i.efConstruction] : []]);
}

/** Bytes the vector index keeps per vector (the full-precision copy in SQLite is extra: 4 · d). */
export function vectorBytes(c: Pick<CollectionConfig, 'dimension' | 'storage' | 'metric'>): number {
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
  }
}
