/**
 * The change feed's retention in PostgreSQL (docs/scale-out.md, "Change retention"): the same
 * rule as the embedded mode's (VECTRA_CHANGES_RETENTION_SECONDS / _COUNT, src/engine/change-log.ts)
 * — a change goes once it is older than `minAgeMs` **and** `minCount` newer ones of its
 * collection exist —, applied in the background.
 *
 * Every node runs it every EVERY_MS, but one at a time: a run holds a session advisory lock and
 * a node that does not get it skips its turn. A run deletes in batches of at most BATCH changes,
 * each its own transaction: the collection's row locked (the lock writers take first, so no
 * deadlock with them or with a drop; they wait for one batch at most), the oldest changes up to
 * the cut deleted, and `collections.changes_floor` — the last seq let go — moved to the cut in
 * the same transaction. Readers compare their `since` with the floor (read after their page):
 * the feed answers 410 CHANGES_EXPIRED as the embedded mode does, and a replica behind the floor
 * loads its collection whole again (replica.ts).
 */
import type { ChangeRetention } from '../engine/index.js';
import type { ClusterLog } from './node.js';
import { unreachable, type Pool, type PoolClient } from './pg.js';

/** The advisory lock a node holds while it applies the retention. */
export const RETENTION_LOCK = 0x76726574; // "vret"
/** How often each node tries to apply the retention. */
export const EVERY_MS = 10_000;
/** Most changes one transaction deletes: the longest a writer of that collection waits is one batch. */
export const BATCH = 5000;

export interface RetentionRun {
  /** Changes deleted. */
  deleted: number;
  /** Transactions that deleted some. */
  batches: number;
}

export class ChangeRetentionRunner {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private closed = false;

  constructor(
    private readonly pool: Pool,
    private readonly retention: ChangeRetention,
    private readonly log: ClusterLog,
    private readonly batch = BATCH,
  ) {}

  /** Apply the retention every `everyMs` from now on. */
  start(everyMs = EVERY_MS): void {
    if (this.closed || this.timer) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.runOnce()
        .catch((e) => {
          if (!unreachable(e)) this.log.warn({ err: (e as Error).message }, 'change feed retention not applied this time (the changes are kept; retried later)');
        })
        .finally(() => (this.running = null));
    }, everyMs);
    this.timer.unref();
  }

  /**
   * One run, if no other node's is under way (null when one is): every collection with more
   * than `minCount` changes kept has its changes older than `minAgeMs` (as of `now`) deleted,
   * batch after batch.
   */
  async runOnce(now = Date.now()): Promise<RetentionRun | null> {
    const c = await this.pool.connect();
    let broken: Error | undefined;
    const onError = (e: Error) => (broken = e);
    c.on('error', onError);
    try {
      const got = (await c.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1) AS got', [RETENTION_LOCK])).rows[0].got;
      if (!got) return null;
      try {
        const due = await c.query<{ tenant_id: string; name: string; instance: string }>('SELECT tenant_id, name, instance FROM collections WHERE seq - changes_floor > $1', [this.retention.minCount]);
        const run: RetentionRun = { deleted: 0, batches: 0 };
        for (const col of due.rows) {
          for (;;) {
            if (this.closed) return run;
            const n = await this.pruneBatch(c, col.tenant_id, col.name, col.instance, now - this.retention.minAgeMs);
            if (n === 0) break;
            run.deleted += n;
            run.batches++;
            if (n < this.batch) break;
          }
        }
        return run;
      } finally {
        await c.query('SELECT pg_advisory_unlock($1)', [RETENTION_LOCK]).catch(() => undefined);
      }
    } catch (e) {
      broken ??= unreachable(e) ? (e as Error) : undefined;
      throw e;
    } finally {
      c.off('error', onError);
      // A broken connection is destroyed (its session lock goes with it).
      c.release(broken);
    }
  }

  /** One transaction: the oldest changes of one collection that the retention lets go, at most `batch`; how many went. */
  private async pruneBatch(c: PoolClient, tenant: string, name: string, instance: string, before: number): Promise<number> {
    await c.query('BEGIN');
    try {
      const row = (
        await c.query<{ instance: string; seq: string; changes_floor: string }>('SELECT instance, seq, changes_floor FROM collections WHERE tenant_id = $1 AND name = $2 FOR UPDATE', [tenant, name])
      ).rows[0];
      // Dropped (and perhaps created again) since the run listed it: not this one's changes.
      if (!row || row.instance !== instance) {
        await c.query('ROLLBACK');
        return 0;
      }
      const floor = Number(row.changes_floor);
      const upTo = Math.min(Number(row.seq) - this.retention.minCount, floor + this.batch);
      if (upTo <= floor) {
        await c.query('ROLLBACK');
        return 0;
      }
      // The cut: the end of the run of changes after the floor that are all older than `before`
      // (the first younger one stays, and all after it — a clock stepping back never lets a
      // young change go).
      const young = await c.query<{ seq: string | null }>('SELECT min(seq) AS seq FROM changes WHERE tenant_id = $1 AND collection = $2 AND seq > $3 AND seq <= $4 AND at >= $5', [tenant, name, floor, upTo, before]);
      const cut = young.rows[0].seq === null ? upTo : Number(young.rows[0].seq) - 1;
      if (cut <= floor) {
        await c.query('ROLLBACK');
        return 0;
      }
      const gone = await c.query('DELETE FROM changes WHERE tenant_id = $1 AND collection = $2 AND seq > $3 AND seq <= $4', [tenant, name, floor, cut]);
      await c.query('UPDATE collections SET changes_floor = $3 WHERE tenant_id = $1 AND name = $2', [tenant, name, cut]);
      await c.query('COMMIT');
      return gone.rowCount ?? 0;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
