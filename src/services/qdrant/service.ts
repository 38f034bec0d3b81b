/**
 * The Qdrant-compatible REST subset's use cases (served under /qdrant by src/api/qdrant/):
 * Qdrant's collections, points and dense search, translated to Vectra's collections, records,
 * filters and search. Tenancy is Vectra's: every call names the authenticated tenant.
 */
import type { CollectionService } from '../collections.js';
import { QdrantCollections } from './collections.js';
import { QdrantPoints } from './points.js';
import { QdrantSearch } from './search.js';

/**
 * The Qdrant API version this subset follows (its OpenAPI document, docs/redoc/master), which
 * GET /qdrant answers: Qdrant's clients compare it with their own (same major, minor ± 1).
 */
export const QDRANT_API_VERSION = '1.19.0';

export type { QdrantCollectionInfo } from './collections.js';
export type { ScoredPoint } from './search.js';
export type { PointOut } from './common.js';

export class QdrantService {
  readonly collections: QdrantCollections;
  readonly points: QdrantPoints;
  readonly search: QdrantSearch;

  constructor(collections: CollectionService, limits: { maxBatch: number; maxK: number }) {
    this.collections = new QdrantCollections(collections);
    this.points = new QdrantPoints(collections, limits.maxBatch);
    this.search = new QdrantSearch(collections, limits.maxK);
  }
}
