/**
 * The fields of each Qdrant request body (Qdrant 1.19's OpenAPI, plus the aliases its server
 * still reads: `top`, `with_vectors`, `init_from`). A field not listed is unknown and refused
 * by name; a listed one this subset does not support is refused by the operation, by name.
 * The HTTP schemas are built from these lists, and batch operations check their items with them.
 */
import { badInput, isObject } from './common.js';

export const BODY_FIELDS = {
  createCollection: ['vectors', 'shard_number', 'sharding_method', 'replication_factor', 'write_consistency_factor', 'on_disk_payload', 'payload', 'hnsw_config', 'wal_config', 'optimizers_config', 'quantization_config', 'sparse_vectors', 'strict_mode_config', 'metadata', 'init_from'],
  upsert: ['points', 'batch', 'shard_key', 'update_filter', 'update_mode'],
  retrieve: ['ids', 'with_payload', 'with_vector', 'shard_key'],
  selector: ['points', 'filter', 'shard_key'],
  setPayload: ['payload', 'points', 'filter', 'shard_key', 'key'],
  deletePayload: ['keys', 'points', 'filter', 'shard_key'],
  updateVectors: ['points', 'shard_key', 'update_filter'],
  batch: ['operations'],
  scroll: ['offset', 'limit', 'filter', 'with_payload', 'with_vector', 'order_by', 'shard_key'],
  count: ['filter', 'exact', 'shard_key'],
  search: ['vector', 'filter', 'params', 'limit', 'top', 'offset', 'with_payload', 'with_vector', 'with_vectors', 'score_threshold', 'shard_key'],
  query: ['query', 'prefetch', 'using', 'filter', 'params', 'score_threshold', 'limit', 'offset', 'with_vector', 'with_payload', 'lookup_from', 'shard_key'],
  searchBatch: ['searches'],
  createFieldIndex: ['field_name', 'field_schema'],
} as const satisfies Record<string, readonly string[]>;

export type BodyKind = keyof typeof BODY_FIELDS;

/** INVALID_ARGUMENT naming the first field of `body` that a `kind` body does not have. */
export function onlyFields(body: unknown, kind: BodyKind, at: string): Record<string, unknown> {
  if (!isObject(body)) badInput(at || 'body', 'expected an object');
  const known: readonly string[] = BODY_FIELDS[kind];
  for (const k of Object.keys(body)) if (!known.includes(k)) badInput(`${at}${k}`, 'unknown field (not one of Qdrant\'s for this request)');
  return body;
}
