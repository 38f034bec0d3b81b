/**
 * Jobs seen from every node (the scale-out mode): each node publishes the views of the jobs it
 * runs (at creation, every half second while they run, at their end) into PostgreSQL's `jobs`;
 * GET /v1/jobs on any node reads them there, and a cancel asked of another node is a flag the
 * job's node takes up within half a second. The job itself runs where it was taken: its file is
 * on that node's disk, so it resumes when that node restarts.
 */
import type { JobDirectory, JobView } from '../services/jobs.js';
import { query, type Pool } from './pg.js';

export class PgJobDirectory implements JobDirectory {
  constructor(
    private readonly pool: Pool,
    private readonly nodeId: string,
  ) {}

  async publish(tenantId: string, job: JobView): Promise<void> {
    await query(
      this.pool,
      `INSERT INTO jobs (id, tenant_id, node_id, view, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO UPDATE SET view = excluded.view, updated_at = excluded.updated_at`,
      [job.id, tenantId, this.nodeId, JSON.stringify(job), Date.parse(job.createdAt), Date.now()],
    );
  }

  async get(tenantId: string, id: string): Promise<JobView | null> {
    const rows = await query<{ view: string }>(this.pool, 'SELECT view FROM jobs WHERE id = $1 AND tenant_id = $2', [id, tenantId]);
    return rows.length ? (JSON.parse(rows[0].view) as JobView) : null;
  }

  async list(tenantId: string, limit: number): Promise<JobView[]> {
    const rows = await query<{ view: string }>(this.pool, 'SELECT view FROM jobs WHERE tenant_id = $1 ORDER BY created_at DESC LIMIT $2', [tenantId, limit]);
    return rows.map((r) => JSON.parse(r.view) as JobView);
  }

  async requestCancel(tenantId: string, id: string): Promise<JobView | null> {
    const rows = await query<{ view: string }>(this.pool, 'UPDATE jobs SET cancel_requested = true WHERE id = $1 AND tenant_id = $2 RETURNING view', [id, tenantId]);
    return rows.length ? (JSON.parse(rows[0].view) as JobView) : null;
  }

  async cancelRequests(): Promise<string[]> {
    const rows = await query<{ id: string }>(this.pool, 'UPDATE jobs SET cancel_requested = false WHERE node_id = $1 AND cancel_requested RETURNING id', [this.nodeId]);
    return rows.map((r) => r.id);
  }
}
