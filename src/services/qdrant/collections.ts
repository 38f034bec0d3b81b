/**
 * Qdrant's collection operations over Vectra's: a Qdrant collection is a Vectra collection of
 * the same tenant (model "none", one unnamed dense vector), and every collection of the tenant,
 * however made, is one to Qdrant's client.
 */
import { isVectraError, VectraError } from '../../errors.js';
import type { Metric, StorageType } from '../../engine/index.js';
import { NO_MODEL } from '../embedding.js';
import type { CollectionService, CollectionView, CreateCollectionInput } from '../collections.js';
import { badInput, DISTANCE_OF, given, isObject, refuse } from './common.js';

const METRIC_OF: Record<string, Metric> = { Cosine: 'cosine', Dot: 'dot', Euclid: 'l2' };

/** Qdrant's collection-level fields that tune what one node does on its own (WAL, optimizers, replicas): accepted, without effect here. */
const NO_EFFECT = ['shard_number', 'replication_factor', 'write_consistency_factor', 'on_disk_payload', 'payload', 'wal_config', 'optimizers_config'];

export interface QdrantCollectionInfo {
  status: 'green' | 'yellow';
  optimizer_status: 'ok';
  indexed_vectors_count: number;
  points_count: number;
  segments_count: number;
  config: {
    params: {
      vectors: { size: number; distance: string; datatype?: string };
      shard_number: number;
      replication_factor: number;
      write_consistency_factor: number;
      on_disk_payload: boolean;
    };
    hnsw_config: { m: number; ef_construct: number; full_scan_threshold: number };
    optimizer_config: { deleted_threshold: number; vacuum_min_vector_number: number; default_segment_number: number; indexing_threshold: number; flush_interval_sec: number };
    wal_config: { wal_capacity_mb: number; wal_segments_ahead: number };
    quantization_config: { scalar: { type: 'int8' } } | { binary: Record<string, never> } | null;
  };
  payload_schema: Record<string, never>;
}

function notFound(e: unknown): boolean {
  return isVectraError(e) && (e.code === 'COLLECTION_NOT_FOUND' || e.code === 'COLLECTION_CLOSED');
}

export class QdrantCollections {
  constructor(private readonly collections: CollectionService) {}

  list(tenantId: string): { collections: { name: string }[] } {
    return { collections: this.collections.list(tenantId).map((c) => ({ name: c.name })) };
  }

  exists(tenantId: string, name: string): { exists: boolean } {
    try {
      this.collections.assertExists(tenantId, name);
      return { exists: true };
    } catch (e) {
      if (notFound(e)) return { exists: false };
      throw e;
    }
  }

  info(tenantId: string, name: string): QdrantCollectionInfo {
    return infoOf(this.collections.describe(tenantId, name));
  }

  /** DELETE /collections/{name}: true, or false when there is none (as Qdrant answers: no error). */
  async drop(tenantId: string, name: string): Promise<boolean> {
    try {
      await this.collections.drop(tenantId, name);
      return true;
    } catch (e) {
      if (notFound(e)) return false;
      throw e;
    }
  }

  /** PUT /collections/{name}: true, or COLLECTION_EXISTS (409 as Qdrant answers). */
  async create(tenantId: string, name: string, body: Record<string, unknown>): Promise<true> {
    refuse(body, {
      sparse_vectors: 'sparse vectors',
      strict_mode_config: 'strict mode',
      metadata: 'collection metadata',
      init_from: 'init_from (copying another collection)',
    });
    if (given(body.sharding_method) && body.sharding_method !== 'auto') badInput('sharding_method', 'custom sharding is not supported by Vectra\'s Qdrant-compatible API (one node, no shard keys)');
    for (const f of NO_EFFECT) if (given(body[f]) && typeof body[f] !== 'number' && typeof body[f] !== 'boolean' && !isObject(body[f])) badInput(f, 'has the wrong type');
    const v = body.vectors;
    if (!isObject(v)) badInput('vectors', 'is required: {"size": n, "distance": "Cosine" | "Dot" | "Euclid"}');
    if (!('size' in v) || !('distance' in v)) {
      if (Object.values(v).some(isObject)) badInput('vectors', 'named vectors are not supported by Vectra\'s Qdrant-compatible API: give one unnamed vector, {"size": n, "distance": …}');
      badInput('vectors', 'needs "size" and "distance"');
    }
    const input = this.createInput(name, v, body);
    try {
      await this.collections.create(tenantId, input);
    } catch (e) {
      // Vectra's settings, said with the Qdrant fields they came from.
      if (!isVectraError(e) || e.code !== 'INVALID_COLLECTION_CONFIG') throw e;
      const words: [RegExp, string][] = [[/\bindex\.m\b/g, 'hnsw_config.m'], [/\bindex\.efConstruction\b/g, 'hnsw_config.ef_construct'], [/^dimension\b/, 'vectors.size']];
      throw new VectraError(e.code, words.reduce((m, [from, to]) => m.replace(from, to), e.message));
    }
    return true;
  }

  private createInput(name: string, v: Record<string, unknown>, body: Record<string, unknown>): CreateCollectionInput {
    known(v, VECTOR_PARAMS, 'vectors');
    refuse(v, { multivector_config: 'multivectors' }, 'vectors.');
    const size = v.size;
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 1) badInput('vectors.size', 'must be an integer ≥ 1');
    const distance = v.distance;
    if (distance === 'Manhattan') badInput('vectors.distance', 'Manhattan is not supported by Vectra (it has Cosine, Dot and Euclid)');
    const metric = typeof distance === 'string' ? METRIC_OF[distance] : undefined;
    if (!metric) badInput('vectors.distance', 'must be one of Cosine, Dot, Euclid');
    const hnsw = { ...hnswOf(body.hnsw_config, 'hnsw_config'), ...hnswOf(v.hnsw_config, 'vectors.hnsw_config') };
    const index = hnsw.m === 0 ? { type: 'flat' as const } : { type: 'hnsw' as const, ...hnsw };
    const storage = storageOf(metric, v.datatype, given(v.quantization_config) ? v.quantization_config : body.quantization_config);
    return { name, model: NO_MODEL, dimension: size, metric, index, ...(storage ? { storage } : {}) };
  }
}

const VECTOR_PARAMS = ['size', 'distance', 'hnsw_config', 'quantization_config', 'on_disk', 'memory', 'datatype', 'multivector_config'];
const HNSW_PARAMS = ['m', 'ef_construct', 'full_scan_threshold', 'max_indexing_threads', 'on_disk', 'memory', 'payload_m', 'inline_storage'];

/** A typo in a nested object is named, not ignored. */
function known(o: Record<string, unknown>, fields: string[], at: string): void {
  for (const k of Object.keys(o)) if (!fields.includes(k)) badInput(`${at}.${k}`, 'unknown field');
}

/** Qdrant's HNSW settings that Vectra has: m (0: no graph, a flat index) and ef_construct. */
function hnswOf(h: unknown, at: string): { m?: number; efConstruction?: number } {
  if (!given(h)) return {};
  if (!isObject(h)) badInput(at, 'expected an object');
  known(h, HNSW_PARAMS, at);
  const out: { m?: number; efConstruction?: number } = {};
  if (given(h.m)) out.m = h.m as number;
  if (given(h.ef_construct)) out.efConstruction = h.ef_construct as number;
  return out;
}

/** Vector storage from Qdrant's datatype and quantization: float16 → f16, scalar int8 → i8, binary → binary. */
function storageOf(metric: Metric, datatype: unknown, quantization: unknown): StorageType | undefined {
  if (given(quantization)) {
    if (!isObject(quantization)) badInput('quantization_config', 'expected an object');
    if (isObject(quantization.scalar)) {
      if (metric !== 'cosine') badInput('quantization_config.scalar', 'int8 storage needs distance Cosine here (vectors are normalized before 8-bit quantization)');
      return 'i8';
    }
    if (isObject(quantization.binary)) {
      if (metric === 'l2') badInput('quantization_config.binary', 'binary quantization needs distance Cosine or Dot (sign bits approximate angles)');
      return 'binary';
    }
    badInput('quantization_config', 'only scalar (int8) and binary quantization are supported by Vectra\'s Qdrant-compatible API');
  }
  if (!given(datatype)) return undefined;
  if (datatype === 'float32') return 'f32';
  if (datatype === 'float16') return 'f16';
  badInput('vectors.datatype', 'only float32 and float16 are supported by Vectra\'s Qdrant-compatible API');
}

function infoOf(c: CollectionView): QdrantCollectionInfo {
  const count = c.count ?? 0;
  const unindexed = c.unindexed ?? 0;
  const hnsw = c.index.type === 'hnsw' ? { m: c.index.m, ef_construct: c.index.efConstruction } : { m: 0, ef_construct: 100 };
  return {
    // Yellow while deferred indexing catches up (every point is searchable meanwhile, exactly).
    status: unindexed > 0 ? 'yellow' : 'green',
    optimizer_status: 'ok',
    indexed_vectors_count: count - unindexed,
    points_count: count,
    segments_count: 1,
    config: {
      params: {
        vectors: { size: c.dimension, distance: DISTANCE_OF[c.metric], ...(c.storage === 'f16' ? { datatype: 'float16' } : {}) },
        shard_number: 1,
        replication_factor: 1,
        write_consistency_factor: 1,
        on_disk_payload: true,
      },
      hnsw_config: { ...hnsw, full_scan_threshold: 10000 },
      optimizer_config: { deleted_threshold: 0.2, vacuum_min_vector_number: 1000, default_segment_number: 0, indexing_threshold: 20000, flush_interval_sec: 5 },
      wal_config: { wal_capacity_mb: 32, wal_segments_ahead: 0 },
      quantization_config: c.storage === 'i8' ? { scalar: { type: 'int8' } } : c.storage === 'binary' ? { binary: {} } : null,
    },
    payload_schema: {},
  };
}
