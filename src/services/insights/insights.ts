/**
 * Insights into a collection's vectors: clustering (here), embedding health and drift. Reads
 * only; long work yields the event loop between chunks, and a clustering over more vectors
 * than the configured threshold runs as a background job (src/services/jobs.ts).
 */
import type { Collection } from '../../engine/index.js';
import { VectraError } from '../../errors.js';
import type { CollectionService } from '../collections.js';
import type { Jobs, JobView } from '../jobs.js';
import { mulberry32 } from '../../random.js';
import { driftOf, MIN_DRIFT_VECTORS, type DriftResult } from './drift.js';
import { sampleIndices } from './math.js';
import { readVectors } from './read.js';
import { healthOf, MAX_HEALTH_SAMPLE, type HealthAnswer } from './health-scan.js';
import { clusterCollection, MAX_CLUSTERS, MAX_SAMPLE, type ClusterAnswer, type ClusterRequest } from './clustering.js';
import { MIN_PROJECTION_POINTS, PROJECTION_SAMPLE, projectCollection, type ProjectionAnswer, type ProjectionRequest } from './projection.js';
import { ADVICE_QUERIES, ADVICE_SAMPLE, adviseCollection, type AdviceAnswer, type AdviceOptions, type AdviceRequest } from './advice.js';

/** Records by their last write: a seq range and/or a time range (ISO 8601), bounds inclusive. */
export interface WriteRange {
  fromSeq?: number;
  toSeq?: number;
  from?: string;
  to?: string;
}

export interface DriftRequest {
  baseline: WriteRange;
  window: WriteRange;
  sample?: number;
  seed?: number;
}

export interface DriftAnswer extends DriftResult {
  baseline: { records: number; sampled: number };
  window: { records: number; sampled: number };
}

export const DEFAULT_DRIFT_SAMPLE = 5000;
export const MAX_DRIFT_SAMPLE = 20_000;

function rangeOf(side: string, r: WriteRange): { seq: { from?: number; to?: number }; updatedAt: { from?: number; to?: number } } {
  if (r.fromSeq === undefined && r.toSeq === undefined && r.from === undefined && r.to === undefined) {
    throw new VectraError('INVALID_ARGUMENT', `${side}: give at least one of "fromSeq", "toSeq", "from", "to"`);
  }
  const time = (field: 'from' | 'to') => {
    const v = r[field];
    if (v === undefined) return undefined;
    const t = Date.parse(v);
    if (Number.isNaN(t)) throw new VectraError('INVALID_ARGUMENT', `${side}.${field} must be an ISO 8601 date or time, like "2026-01-31T12:00:00Z" (got ${JSON.stringify(v)})`);
    return t;
  };
  const updatedAt = { from: time('from'), to: time('to') };
  if (r.fromSeq !== undefined && r.toSeq !== undefined && r.fromSeq > r.toSeq) throw new VectraError('INVALID_ARGUMENT', `${side}: fromSeq (${r.fromSeq}) is after toSeq (${r.toSeq})`);
  if (updatedAt.from !== undefined && updatedAt.to !== undefined && updatedAt.from > updatedAt.to) throw new VectraError('INVALID_ARGUMENT', `${side}: "from" is after "to"`);
  return { seq: { from: r.fromSeq, to: r.toSeq }, updatedAt };
}

/** A collection's recorded query vectors, newest first, at most `limit`. */
export type QueryLog = (tenantId: string, name: string, c: Collection, limit: number) => Promise<Float32Array[]>;

/** Fewer recorded searches than this are too few to measure recall on: held-out vectors are used instead. */
export const MIN_RECORDED_QUERIES = 20;

export class InsightsService {
  constructor(
    private readonly collections: CollectionService,
    private readonly jobs: Jobs,
    /** Clusterings selecting more vectors than this answer 202 with a job. */
    private readonly jobThreshold: number,
  ) {
    jobs.registerTask('clusters', async (tenantId, name, params, ctl) => {
      const c = this.collections.get(tenantId, name);
      const req = params as ClusterRequest;
      return clusterCollection(c, c.idsWhere({ filter: req.filter }), req, (done, total) => {
        if (ctl.cancelled()) throw new VectraError('INVALID_ARGUMENT', 'the job was cancelled');
        ctl.progress(done, total);
      });
    });
  }

  async clusters(tenantId: string, name: string, req: ClusterRequest): Promise<ClusterAnswer | { job: JobView }> {
    if (req.k !== undefined && (!Number.isInteger(req.k) || req.k < 2 || req.k > MAX_CLUSTERS)) throw new VectraError('INVALID_ARGUMENT', `k must be an integer from 2 to ${MAX_CLUSTERS}, or left out to choose it automatically`);
    if (req.sample !== undefined && (!Number.isInteger(req.sample) || req.sample < 10 || req.sample > MAX_SAMPLE)) throw new VectraError('INVALID_ARGUMENT', `sample must be an integer from 10 to ${MAX_SAMPLE}`);
    const c = this.collections.get(tenantId, name);
    const ids = c.idsWhere({ filter: req.filter });
    const need = Math.max(req.k ?? 2, 2);
    if (ids.length < need) {
      throw new VectraError('INVALID_ARGUMENT', `${req.filter ? 'the filter selects' : 'the collection has'} ${ids.length} record${ids.length === 1 ? '' : 's'}; clustering into ${need} needs at least ${need}`);
    }
    if (req.sample !== undefined && req.k !== undefined && req.sample < req.k) throw new VectraError('INVALID_ARGUMENT', `sample (${req.sample}) must be at least k (${req.k})`);
    if (ids.length > this.jobThreshold) return { job: await this.jobs.createTask(tenantId, name, 'clusters', req, ids.length) };
    return clusterCollection(c, ids, req);
  }

  async health(tenantId: string, name: string, opts: { sample?: number; seed?: number }): Promise<HealthAnswer> {
    if (opts.sample !== undefined && (!Number.isInteger(opts.sample) || opts.sample < 10 || opts.sample > MAX_HEALTH_SAMPLE)) throw new VectraError('INVALID_ARGUMENT', `sample must be an integer from 10 to ${MAX_HEALTH_SAMPLE}`);
    const c = this.collections.get(tenantId, name);
    const n = c.count();
    if (n < 2) throw new VectraError('INVALID_ARGUMENT', `collection "${name}" has ${n} record${n === 1 ? '' : 's'}; a health check needs at least 2`);
    return healthOf(c, opts);
  }

  /** Compare the vectors last written in `window` with those of `baseline`. */
  async drift(tenantId: string, name: string, req: DriftRequest): Promise<DriftAnswer> {
    if (req.sample !== undefined && (!Number.isInteger(req.sample) || req.sample < MIN_DRIFT_VECTORS || req.sample > MAX_DRIFT_SAMPLE)) {
      throw new VectraError('INVALID_ARGUMENT', `sample must be an integer from ${MIN_DRIFT_VECTORS} to ${MAX_DRIFT_SAMPLE}`);
    }
    const baseline = rangeOf('baseline', req.baseline);
    const window = rangeOf('window', req.window);
    const c = this.collections.get(tenantId, name);
    const rng = mulberry32(req.seed ?? 42);
    const sides = { baseline: c.idsWhere(baseline), window: c.idsWhere(window) };
    for (const [side, ids] of Object.entries(sides)) {
      if (ids.length < MIN_DRIFT_VECTORS) {
        throw new VectraError('INVALID_ARGUMENT', `the ${side} selects ${ids.length} record${ids.length === 1 ? '' : 's'}; drift needs at least ${MIN_DRIFT_VECTORS} on each side (widen its range)`);
      }
    }
    const cosine = c.config.metric === 'cosine';
    const read = async (ids: string[]) => (await readVectors(c, sampleIndices(ids.length, Math.min(ids.length, req.sample ?? DEFAULT_DRIFT_SAMPLE), rng).map((i) => ids[i]), cosine)).vectors;
    const a = await read(sides.baseline);
    const b = await read(sides.window);
    if (a.length < MIN_DRIFT_VECTORS || b.length < MIN_DRIFT_VECTORS) throw new VectraError('INVALID_ARGUMENT', 'records were deleted while being read; too few are left to compare');
    const result = driftOf(a, b, rng);
    return {
      ...result,
      method: `${result.method}${cosine ? '; on unit vectors (cosine collection)' : ''}`,
      baseline: { records: sides.baseline.length, sampled: a.length },
      window: { records: sides.window.length, sampled: b.length },
    };
  }

  /** A 2-D map of a sample of the collection (PCA or UMAP), optionally coloured by k-means clusters. */
  async projection(tenantId: string, name: string, req: ProjectionRequest): Promise<ProjectionAnswer> {
    const method = req.method ?? 'pca';
    if (method !== 'pca' && method !== 'umap') throw new VectraError('INVALID_ARGUMENT', `method must be "pca" or "umap" (got ${JSON.stringify(method)})`);
    const max = PROJECTION_SAMPLE[method].max;
    if (req.sample !== undefined && (!Number.isInteger(req.sample) || req.sample < MIN_PROJECTION_POINTS || req.sample > max)) {
      throw new VectraError('INVALID_ARGUMENT', `sample must be an integer from ${MIN_PROJECTION_POINTS} to ${max} for method "${method}"`);
    }
    if (req.clusters !== undefined && req.clusters !== 'auto' && (!Number.isInteger(req.clusters) || req.clusters < 2 || req.clusters > MAX_CLUSTERS)) {
      throw new VectraError('INVALID_ARGUMENT', `clusters must be an integer from 2 to ${MAX_CLUSTERS}, or "auto"`);
    }
    const c = this.collections.get(tenantId, name);
    const n = c.count();
    if (n < MIN_PROJECTION_POINTS) throw new VectraError('INVALID_ARGUMENT', `collection "${name}" has ${n} record${n === 1 ? '' : 's'}; a projection needs at least ${MIN_PROJECTION_POINTS}`);
    return projectCollection(c, { ...req, method });
  }

  private queryLog: QueryLog | null = null;

  /** Where advice finds a collection's recorded query vectors (the search recordings). */
  useQueryLog(log: QueryLog): void {
    this.queryLog = log;
  }

  /**
   * Index, storage and ef for this collection, measured on a sample of its vectors. The queries:
   * `opts.queries` when given; else the collection's recorded searches (their vectors, at least
   * MIN_RECORDED_QUERIES of them); else held-out sampled vectors.
   */
  async advice(tenantId: string, name: string, req: AdviceRequest, opts: AdviceOptions = {}): Promise<AdviceAnswer> {
    const within = (v: number | undefined, field: string, r: { min: number; max: number }) => {
      if (v !== undefined && (!Number.isInteger(v) || v < r.min || v > r.max)) throw new VectraError('INVALID_ARGUMENT', `${field} must be an integer from ${r.min} to ${r.max}`);
    };
    within(req.sample, 'sample', ADVICE_SAMPLE);
    within(req.queries, 'queries', ADVICE_QUERIES);
    const c = this.collections.get(tenantId, name);
    if (c.count() === 0) throw new VectraError('INVALID_ARGUMENT', `collection "${name}" is empty; advice is measured on its vectors, so add some first`);
    if (opts.queries === undefined && this.queryLog) {
      const recorded = await this.queryLog(tenantId, name, c, req.queries ?? ADVICE_QUERIES.default);
      if (recorded.length >= MIN_RECORDED_QUERIES) opts = { ...opts, queries: recorded };
    }
    return adviseCollection(c, req, opts);
  }
}
