/** Vectra's storage engine, usable as an embedded library: no HTTP, no tenants. */
export { Database, COLLECTION_NAME, type DatabaseOptions } from './database.js';
export { Collection, changesExpired, MAX_K, MAX_TAIL, SYNC_INDEX_LIMIT, type Change, type ChangeBatch, type ChangePage, type CollectionOptions, type CollectionStats, type ListOptions } from './collection.js';
export type { IndexBuilt } from './index-keeper.js';
export { DEFAULT_CHANGE_RETENTION, type ChangeOp, type ChangeRetention, type ChangeRow, type PreparedRecord } from './record-store.js';
export { prepareRecord } from './validation.js';
export { resolveConfig, DEFAULT_HNSW, defaultPqM, vectorBytes } from './collection-config.js';
export { createIndex } from './snapshot.js';
export { RESCORE_FACTOR } from './search-planner.js';
export { spawnModuleWorker } from './index-builds.js';
export { BinaryIndex } from './binary-index.js';
export { PqIndex, pqTrainAt } from './pq-index.js';
export { parseFilter, compilePredicate, compileSql, type Filter, type FilterNode, type FilterLimits } from './filter.js';
export { FlatIndex } from './flat-index.js';
export { HnswIndex } from './hnsw-index.js';
export type { VectorIndex, Neighbours } from './vector-index.js';
export type { EngineLogger } from './logger.js';
export * from './types.js';
export { SearchTrace, NO_TRACE, GRAPH_WORK_NOTE, type TraceStage, type TraceSide, type StageTime, type PlanTrace, type FilterEstimate, type WideningRound, type GraphWork } from './search-trace.js';
