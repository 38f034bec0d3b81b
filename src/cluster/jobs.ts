/**
 * Jobs in the scale-out mode: a queue in PostgreSQL, so that an import, a document upload or a
 * clustering runs on any node and outlives the node that runs it (docs/scale-out.md#jobs).
 *
 * - A job and its upload are stored in one transaction (`jobs`, and `job_files`: the upload in
 *   1 MiB bytea parts) before the 202 is answered.
 * - A node with nothing of a type running claims the oldest open job of that type nobody holds
 *   (`FOR UPDATE SKIP LOCKED`: two nodes never claim one job), copies its upload to its disk and
 *   runs it there as the embedded mode does (src/services/jobs.ts), under a lease of LEASE_MS on
 *   PostgreSQL's clock that it renews every TICK_MS.
 * - Every save is fenced: it changes the job only while this node holds it. A node that lost it
 *   (stalled past its lease, another node took over) learns so at its next save and stops.
 * - A node that dies stops renewing: when the lease runs out, another node claims the job and
 *   resumes it from its last saved state (an import from the batch after the last one saved;
 *   records without an id get `<job id>-<line>`, so a batch run twice writes the same records).
 * - A job ends (done, failed, cancelled) with one statement that also removes its upload.
 */
import { isVectraError } from '../errors.js';
import type { JobHost, JobType, SharedJobQueue } from '../services/jobs.js';
import { view, type JobRow, type JobView } from '../services/job-view.js';
import { CoalescedRun } from './coalesce.js';
import type { ClusterLog } from './node.js';
import { inTransaction, query, unreachable, type Pool, type PoolClient } from './pg.js';

/** How long a job stays with a node that stops renewing its lease (dead, cut off, stalled). */
export const LEASE_MS = 10_000;
/** How often a node renews its leases (with each job's progress), takes cancel requests and claims jobs. */
const TICK_MS = 500;
const PART_BYTES = 1 << 20;
/** Leases are on PostgreSQL's clock: the nodes' clocks may disagree. */
const NOW_MS = '(extract(epoch from clock_timestamp()) * 1000)::bigint';
const OPEN = "('queued', 'running')";
const isOpen = (status: string) => status === 'queued' || status === 'running';

interface Claimed {
  id: string;
  state: string;
  cancel_requested: boolean;
  payload_bytes: string | null;
  claims: number;
}

export class PgJobQueue implements SharedJobQueue {
  private host: JobHost | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly ticks = new CoalescedRun(() => this.tick(), () => this.closed);
  /** Jobs ended here whose end is not yet stored: retried every tick, never claimed again meanwhile. */
  private readonly ending = new Map<string, { row: JobRow; job: JobView }>();
  /** Claimed jobs whose uploads are being copied here. */
  private readonly adopting = new Set<Promise<void>>();
  /** Whether the last tick failed (logged once per outage). */
  private failing = false;

  constructor(
    private readonly pool: Pool,
    private readonly nodeId: string,
    private readonly log: ClusterLog,
  ) {}

  async submit(id: string, tenantId: string, upload: AsyncIterable<Buffer> | null, describe: () => JobRow): Promise<JobView> {
    const job = await inTransaction(this.pool, async (c) => {
      let part = 0;
      let bytes = 0;
      let pending: Buffer = Buffer.alloc(0);
      const store = async (data: Buffer) => void (await c.query('INSERT INTO job_files (job_id, part, data) VALUES ($1, $2, $3)', [id, part++, data]));
      if (upload) {
        for await (const chunk of upload) {
          bytes += chunk.length;
          pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
          while (pending.length >= PART_BYTES) {
            await store(pending.subarray(0, PART_BYTES));
            pending = pending.subarray(PART_BYTES);
          }
        }
        if (pending.length) await store(pending);
      }
      const row = describe();
      const job = view(row);
      await c.query(
        `INSERT INTO jobs (id, tenant_id, node_id, view, created_at, updated_at, status, type, state, payload_bytes) VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7, $8, $9)`,
        [id, tenantId, this.nodeId, JSON.stringify(job), row.created_at, Date.now(), row.type, JSON.stringify(row), upload ? bytes : null],
      );
      return job;
    });
    // Committed: this node claims it at once if it has nothing of the kind running; others within a tick.
    void this.ticks.run().catch(() => undefined);
    return job;
  }

  async save(row: JobRow, job: JobView): Promise<boolean> {
    if (isOpen(row.status)) return this.write(row, job);
    this.ending.set(row.id, { row, job });
    const held = await this.write(row, job);
    this.ending.delete(row.id);
    return held;
  }

  /**
   * One fenced statement: the job's state, view and lease, only while this node holds it. An
   * end also releases it and removes its upload. A save older than one already stored (a
   * heartbeat's snapshot overtaken by a batch's save) renews the lease and changes nothing else.
   */
  private async write(row: JobRow, job: JobView): Promise<boolean> {
    const final = !isOpen(row.status);
    const progress = row.type === 'import' ? row.done_bytes : job.done;
    const rows = await query<{ n: number }>(
      this.pool,
      `WITH u AS (
         UPDATE jobs SET
           view = CASE WHEN $4 OR $5 >= progress THEN $6 ELSE view END,
           state = CASE WHEN $4 OR $5 >= progress THEN $7 ELSE state END,
           status = CASE WHEN $4 OR $5 >= progress THEN $8 ELSE status END,
           progress = GREATEST(progress, $5),
           owner = CASE WHEN $4 THEN NULL ELSE owner END,
           lease_until = CASE WHEN $4 THEN NULL ELSE ${NOW_MS} + $3 END,
           updated_at = $9
         WHERE id = $1 AND owner = $2 AND status IN ${OPEN}
         RETURNING id),
       d AS (DELETE FROM job_files WHERE $4 AND job_id IN (SELECT id FROM u))
       SELECT count(*)::int AS n FROM u`,
      [row.id, this.nodeId, LEASE_MS, final, progress, JSON.stringify(job), JSON.stringify(row), row.status, Date.now()],
    );
    return rows[0].n > 0;
  }

  async get(tenantId: string, id: string): Promise<JobView | null> {
    const rows = await query<{ view: string }>(this.pool, 'SELECT view FROM jobs WHERE id = $1 AND tenant_id = $2', [id, tenantId]);
    return rows.length ? (JSON.parse(rows[0].view) as JobView) : null;
  }

  async list(tenantId: string, limit: number): Promise<JobView[]> {
    const rows = await query<{ view: string }>(this.pool, 'SELECT view FROM jobs WHERE tenant_id = $1 ORDER BY created_at DESC LIMIT $2', [tenantId, limit]);
    return rows.map((r) => JSON.parse(r.view) as JobView);
  }

  /**
   * The request is stored (cancel_requested: whoever holds the job, now or after a takeover,
   * cancels it); a job nobody holds is cancelled here and then; one this node runs, at once.
   */
  async cancel(tenantId: string, id: string): Promise<JobView | null> {
    const out = await inTransaction(this.pool, async (c) => {
      const found = await c.query<{ view: string; state: string | null; status: string; owner: string | null; free: boolean }>(
        `SELECT view, state, status, owner, (owner IS NULL OR lease_until < ${NOW_MS}) AS free FROM jobs WHERE id = $1 AND tenant_id = $2 FOR UPDATE`,
        [id, tenantId],
      );
      if (found.rows.length === 0) return null;
      const r = found.rows[0];
      if (!isOpen(r.status)) return { job: JSON.parse(r.view) as JobView, mine: false };
      await c.query('UPDATE jobs SET cancel_requested = true WHERE id = $1', [id]);
      if (r.free && r.state) return { job: await this.end(c, JSON.parse(r.state) as JobRow, 'cancelled'), mine: false };
      return { job: JSON.parse(r.view) as JobView, mine: r.owner === this.nodeId };
    });
    if (out?.mine) return this.host?.cancelHeld(id) ?? out.job;
    return out?.job ?? null;
  }

  /**
   * End a job nobody runs (a cancel, or one that cannot run), within the caller's transaction —
   * only if it is still open: a job that ended meanwhile keeps its end (a cancelled job whose
   * upload a late claimer then failed to copy stayed "failed" once), and its view is returned.
   */
  private async end(c: PoolClient, row: JobRow, status: 'cancelled' | 'failed', error: { code: string; message: string } | null = null): Promise<JobView> {
    const ended: JobRow = { ...row, status, finished_at: Date.now(), error: error && JSON.stringify(error) };
    const job = view(ended);
    const done = await c.query(`UPDATE jobs SET status = $2, view = $3, state = $4, owner = NULL, lease_until = NULL, updated_at = $5 WHERE id = $1 AND status IN ${OPEN}`, [
      row.id,
      status,
      JSON.stringify(job),
      JSON.stringify(ended),
      Date.now(),
    ]);
    await c.query('DELETE FROM job_files WHERE job_id = $1', [row.id]);
    if (done.rowCount) return job;
    const kept = await c.query<{ view: string }>('SELECT view FROM jobs WHERE id = $1', [row.id]);
    return JSON.parse(kept.rows[0].view) as JobView;
  }

  /**
   * Errors that end a run but not the job: it is let go and claimed again. PostgreSQL out of
   * reach; or (VECTRA_REPLICAS) the job's collection is held elsewhere and is being loaded onto
   * this node, or is being reloaded here.
   */
  passing(e: unknown): boolean {
    return unreachable(e) || (isVectraError(e) && (e.code === 'DATABASE_UNAVAILABLE' || e.code === 'COLLECTION_LOADING'));
  }

  start(host: JobHost): void {
    this.host = host;
    this.timer = setInterval(() => void this.ticks.run().catch(() => undefined), TICK_MS);
    this.timer.unref();
    void this.ticks.run().catch(() => undefined);
  }

  private async tick(): Promise<void> {
    const host = this.host;
    if (!host || this.closed) return;
    try {
      for (const [id, e] of this.ending) {
        await this.write(e.row, e.job);
        this.ending.delete(id);
      }
      // The heartbeat: every job held here, its lease renewed with its progress.
      const held = host.held();
      for (const { row, job } of held) {
        if (await this.write(row, job)) continue;
        this.log.warn({ job: row.id }, 'job taken over by another node (this node had stopped renewing its lease); stopped here');
        host.abandon(row.id);
      }
      const asked = await query<{ id: string }>(this.pool, `SELECT id FROM jobs WHERE owner = $1 AND cancel_requested AND status IN ${OPEN}`, [this.nodeId]);
      for (const { id } of asked) host.cancelHeld(id);
      await this.claim(host, new Set([...held.map((h) => h.row.id), ...this.ending.keys()]));
      if (this.failing) this.log.info({}, 'job queue: PostgreSQL reachable again');
      this.failing = false;
    } catch (e) {
      if (!this.failing) this.log.warn({ err: (e as Error).message }, 'job queue: PostgreSQL not reachable; jobs held here go on, none is claimed until it is back');
      this.failing = true;
    }
  }

  /** Claim the oldest open job of each idle type that nobody holds (or that this node held before it restarted). */
  private async claim(host: JobHost, held: Set<string>): Promise<void> {
    const types = host.idleTypes();
    while (types.length > 0 && !this.closed) {
      const rows = await query<Claimed & { type: string }>(
        this.pool,
        `UPDATE jobs SET owner = $1, lease_until = ${NOW_MS} + $2, claims = claims + 1, progress = 0
         WHERE id = (SELECT id FROM jobs WHERE status IN ${OPEN} AND type = ANY($3) AND state IS NOT NULL
                       AND (owner IS NULL OR lease_until < ${NOW_MS} OR (owner = $1 AND NOT (id = ANY($4))))
                     ORDER BY created_at FOR UPDATE SKIP LOCKED LIMIT 1)
         RETURNING id, type, state, cancel_requested, payload_bytes, claims`,
        [this.nodeId, LEASE_MS, types, [...held]],
      );
      if (rows.length === 0) return;
      const r = rows[0];
      types.splice(types.indexOf(r.type as JobType), 1);
      const row = JSON.parse(r.state) as JobRow;
      if (r.cancel_requested) {
        // Asked while its last node was dying: a cancelled job stays cancelled.
        await inTransaction(this.pool, (c) => this.end(c, row, 'cancelled'));
        continue;
      }
      this.log.info({ job: r.id, type: r.type, tenant: row.tenant_id, claims: r.claims, resumeAt: row.done }, 'job claimed');
      // Not awaited: the job is held here from now on (adopt records it before copying), so the
      // ticks go on renewing its lease — and the others' — however long its upload takes to copy.
      const adopting = host.adopt(row, r.payload_bytes === null ? null : this.upload(r.id, Number(r.payload_bytes))).catch(async (e: Error) => {
        // Left to be claimed again (by this node at a next tick: it is its own, not held).
        this.log.warn({ job: r.id, err: e.message }, 'claimed job not started here: its upload could not be copied');
        if (!this.passing(e)) await inTransaction(this.pool, (c) => this.end(c, row, 'failed', { code: 'INTERNAL', message: `the job's stored upload cannot be read (${e.message})` })).catch(() => undefined);
      });
      this.adopting.add(adopting);
      void adopting.finally(() => this.adopting.delete(adopting));
    }
  }

  /** A job's upload, a part at a time (the whole of it is never in memory). */
  private async *upload(id: string, bytes: number): AsyncGenerator<Buffer> {
    let read = 0;
    for (let part = 0; read < bytes; part++) {
      const rows = await query<{ data: Buffer }>(this.pool, 'SELECT data FROM job_files WHERE job_id = $1 AND part = $2', [id, part]);
      if (rows.length === 0) throw new Error(`part ${part} is missing (${read} of ${bytes} bytes read)`);
      read += rows[0].data.length;
      yield rows[0].data;
    }
    if (read !== bytes) throw new Error(`${read} bytes stored, not ${bytes}`);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.ticks.settled();
    await Promise.all(this.adopting);
  }
}
