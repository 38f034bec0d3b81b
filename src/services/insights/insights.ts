/**
 * Insights into a collection's vectors: clustering (here), embedding health and drift. Reads
 * only; long work yields the event loop between chunks, and a clustering over more vectors
 * than the configured threshold runs as a background job (src/services/import-jobs.ts).
 */
import { VectraError } from '../../errors.js';
import type { CollectionService } from '../collections.js';
import type { ImportJobs, JobView } from '../import-jobs.js';
import { healthOf, MAX_HEALTH_SAMPLE, type HealthAnswer } from './health-scan.js';
import { clusterCollection, MAX_CLUSTERS, MAX_SAMPLE, type ClusterAnswer, type ClusterRequest } from './clustering.js';

export class InsightsService {
  constructor(
    private readonly collections: CollectionService,
    private readonly jobs: ImportJobs,
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
    if (ids.length > this.jobThreshold) return { job: this.jobs.createTask(tenantId, name, 'clusters', req, ids.length) };
    return clusterCollection(c, ids, req);
  }

  async health(tenantId: string, name: string, opts: { sample?: number; seed?: number }): Promise<HealthAnswer> {
    if (opts.sample !== undefined && (!Number.isInteger(opts.sample) || opts.sample < 10 || opts.sample > MAX_HEALTH_SAMPLE)) throw new VectraError('INVALID_ARGUMENT', `sample must be an integer from 10 to ${MAX_HEALTH_SAMPLE}`);
    const c = this.collections.get(tenantId, name);
    const n = c.count();
    if (n < 2) throw new VectraError('INVALID_ARGUMENT', `collection "${name}" has ${n} record${n === 1 ? '' : 's'}; a health check needs at least 2`);
    return healthOf(c, opts);
  }
}
