import { VectraError } from '../errors.js';
import type { Collection, CollectionConfig, CollectionConfigInput, Metric, RecordInput, StorageType } from '../engine/index.js';
import { resolveConfig, vectorBytes } from '../engine/collection-config.js';
import { NO_MODEL, type EmbeddingService } from './embedding.js';
import type { EventBus } from '../realtime/bus.js';
import type { TenantSpaces } from './tenant-spaces.js';
import { localFeed, localWrites, type CatalogWrites, type FeedSource, type PlacementView, type RecordWrites, type RemoveTarget } from './writes.js';

export interface CreateCollectionInput {
  name: string;
  model?: string;
  dimension?: number;
  metric?: Metric;
  index?: { type?: 'hnsw' | 'flat'; m?: number; efConstruction?: number; efSearch?: number };
  storage?: StorageType;
  pq?: { m?: number; bits?: number };
}

export interface CollectionView {
  name: string;
  model: string;
  dimension: number;
  metric: Metric;
  index: { type: 'hnsw'; m: number; efConstruction: number; efSearch: number } | { type: 'flat' };
  storage: StorageType;
  /** Bytes the vector index keeps per vector (4·d for f32, 2·d f16, d i8, ceil(d/8) binary, ceil(m·bits/8) pq). */
  bytesPerVector: number;
  /** storage "pq": its settings and, in detailed views, how many vectors trained the codebooks. */
  pq?: { m: number; bits: number; trainedOn?: number };
  createdAt: string;
  count?: number;
  diskBytes?: number;
  /** Records searchable (exactly) but not yet in the HNSW graph: deferred indexing at work. */
  unindexed?: number;
}

export function viewOf(name: string, c: Collection, detailed = false): CollectionView {
  return viewOfConfig(name, c.config, detailed ? c.stats() : undefined);
}

/** A collection's view from its configuration and, for the detailed view, its counts. */
function viewOfConfig(name: string, cfg: CollectionConfig, s?: { count: number; diskBytes: number; unindexed: number; pqTrainedOn?: number | null }): CollectionView {
  const view: CollectionView = {
    name,
    model: String(cfg.attributes.model ?? NO_MODEL),
    dimension: cfg.dimension,
    metric: cfg.metric,
    index: cfg.index,
    storage: cfg.storage,
    bytesPerVector: vectorBytes(cfg),
    createdAt: String(cfg.attributes.createdAt ?? ''),
  };
  if (cfg.pq) view.pq = { ...cfg.pq };
  if (s) {
    if (view.pq) view.pq.trainedOn = s.pqTrainedOn ?? 0;
    view.count = s.count;
    view.diskBytes = s.diskBytes;
    view.unindexed = s.unindexed;
  }
  return view;
}

export class CollectionService {
  constructor(
    private readonly spaces: TenantSpaces,
    private readonly embedding: EmbeddingService,
    private readonly maxDimension: number,
    private readonly bus?: EventBus,
  ) {}

  /** Called after a collection is dropped: what is kept beside it (feedback, recordings) goes too. */
  readonly onDrop: ((tenantId: string, name: string) => void)[] = [];

  private writes: RecordWrites = localWrites;
  private catalog: CatalogWrites | null = null;
  private feed: FeedSource = localFeed;

  /** Scale-out: records and collections are written to the system of record (src/cluster/), whose feed GET …/changes reads. */
  useCluster(writes: RecordWrites, catalog: CatalogWrites, feed: FeedSource, placement: PlacementView | null = null): void {
    this.writes = writes;
    this.catalog = catalog;
    this.feed = feed;
    this.placement = placement;
  }

  private placement: PlacementView | null = null;

  changes(tenantId: string, name: string, since: number, limit: number | undefined, includeRecord: boolean) {
    return this.feed.changes(tenantId, name, this.get(tenantId, name), since, limit, includeRecord);
  }

  /**
   * Where a stream of the feed starts: `since` when given (refused when ahead of the feed or
   * behind its retention, before the stream begins), else the feed's latest seq.
   */
  async streamStart(tenantId: string, name: string, since: number | undefined): Promise<{ since: number; latestSeq: number }> {
    const c = this.get(tenantId, name);
    if (!this.feed.follow) {
      const from = since ?? c.seq;
      return { since: from, latestSeq: c.changes(from, 1).latestSeq };
    }
    const { latestSeq } = await this.feed.changes(tenantId, name, c, since ?? 0, 1, false);
    return { since: since ?? latestSeq, latestSeq };
  }

  /** What followChanges reads and is woken by in the scale-out mode (PostgreSQL's feed); undefined: the local feed and the bus. */
  followSource(tenantId: string, name: string) {
    return this.feed.follow?.(tenantId, name, this.get(tenantId, name));
  }

  // Writes: every service writes records through these (src/services/writes.ts).
  upsert(tenantId: string, name: string, records: RecordInput[]) {
    return this.writes.upsert(tenantId, name, this.get(tenantId, name), records);
  }

  upsertEach(tenantId: string, name: string, records: RecordInput[], where: (i: number) => string) {
    return this.writes.upsertEach(tenantId, name, this.get(tenantId, name), records, where);
  }

  delete(tenantId: string, name: string, ids: string[]) {
    return this.writes.delete(tenantId, name, this.get(tenantId, name), ids);
  }

  deleteWhere(tenantId: string, name: string, filter: Record<string, unknown>) {
    return this.writes.deleteWhere(tenantId, name, this.get(tenantId, name), filter);
  }

  replace(tenantId: string, name: string, records: RecordInput[], remove: RemoveTarget) {
    return this.writes.replace(tenantId, name, this.get(tenantId, name), records, remove);
  }

  async create(tenantId: string, input: CreateCollectionInput): Promise<CollectionView> {
    const { model, dimension } = await this.embedding.modelForNew(input.model, input.dimension);
    if (dimension > this.maxDimension) throw new VectraError('INVALID_COLLECTION_CONFIG', `dimension must be at most ${this.maxDimension}`);
    const config: CollectionConfigInput = {
      dimension,
      metric: input.metric,
      index: input.index,
      storage: input.storage,
      pq: input.pq,
      attributes: { model, createdAt: new Date().toISOString() },
    };
    const c = this.catalog ? await this.catalog.create(tenantId, input.name, config) : await this.spaces.of(tenantId).create(input.name, config);
    // A collection that embeds text will soon need its model: load it now, in the background.
    void this.embedding.warm([c]);
    const view = viewOf(input.name, c, true);
    this.bus?.publish(tenantId, 'collection.created', { collection: input.name, config: view });
    return view;
  }

  list(tenantId: string): CollectionView[] {
    if (this.placement) {
      // Placement: this node holds some of them; the catalog lists all, with a holder's counts.
      const space = this.spaces.of(tenantId);
      return this.placement.catalogOf(tenantId).map((r) => (space.has(r.name) ? viewOf(r.name, space.get(r.name), true) : viewOfConfig(r.name, resolveConfig(r.config), r.stats ?? undefined)));
    }
    return this.spaces.of(tenantId).collections().map(([name, c]) => viewOf(name, c, true));
  }

  get(tenantId: string, name: string): Collection {
    if (!this.placement) return this.spaces.of(tenantId).get(name);
    let c: Collection;
    try {
      c = this.spaces.of(tenantId).get(name);
    } catch (e) {
      if ((e as VectraError).code === 'COLLECTION_NOT_FOUND') this.placement.gate(tenantId, name, false);
      throw e;
    }
    this.placement.gate(tenantId, name, true);
    return c;
  }

  /** COLLECTION_NOT_FOUND unless the tenant has this collection: for a route to answer 404 before a body streams. */
  assertExists(tenantId: string, name: string): void {
    this.get(tenantId, name);
  }

  /** Open a new tenant's (empty) set of collections, so that it exists from registration on. */
  openTenant(tenantId: string): void {
    this.spaces.of(tenantId);
  }

  describe(tenantId: string, name: string): CollectionView {
    return viewOf(name, this.get(tenantId, name), true);
  }

  async drop(tenantId: string, name: string): Promise<void> {
    if (this.catalog) await this.catalog.drop(tenantId, name);
    else await this.spaces.of(tenantId).drop(name);
    for (const f of this.onDrop) f(tenantId, name);
    this.bus?.publish(tenantId, 'collection.deleted', { collection: name });
  }
}
