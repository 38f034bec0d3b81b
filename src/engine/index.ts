/** Vectra's storage engine, usable as an embedded library: no HTTP, no tenants. */
export { Database, COLLECTION_NAME } from './database.js';
export { Collection, MAX_K, MAX_TAIL, SYNC_INDEX_LIMIT, type CollectionOptions, type CollectionStats, type ListOptions } from './collection.js';
export { resolveConfig, DEFAULT_HNSW } from './collection-config.js';
export { parseFilter, compilePredicate, compileSql, type Filter, type FilterNode, type FilterLimits } from './filter.js';
export { FlatIndex } from './flat-index.js';
export { HnswIndex } from './hnsw-index.js';
export type { VectorIndex, Neighbours } from './vector-index.js';
export type { EngineLogger } from './logger.js';
export * from './types.js';
