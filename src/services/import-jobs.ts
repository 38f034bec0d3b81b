/**
 * Bulk import jobs (/v1/jobs; not the engine's background index builds): an NDJSON upload
 * is saved to DATA_DIR/imports/<job>.ndjson, then imported in the background, a batch at a
 * time, with progress in DATA_DIR/jobs.db.
 *
 * Exactly once, across kill -9: progress (line and byte offset) is saved after each batch
 * commits, and a record without an id gets `<job id>-<line>` — so a batch re-run after a
 * crash overwrites the very same records instead of adding copies. Jobs that were queued or
 * running when the server stopped resume where they stopped when it starts.
 *
 * The same queue runs analysis tasks (a clustering too large to answer at once): a task's
 * parameters are saved with it, its runner (registered by type) starts over after a restart,
 * and its answer is kept in the job's `result`.
 */
import { createReadStream, createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { VectraError } from '../errors.js';
import type { ClusterAnswer } from './insights/clustering.js';
import { LineCounter, ndjsonLines, MAX_LINE_BYTES, type IngestService, type Line, type LineResult } from './ingest.js';

export type JobStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

/** An import, or an analysis task run by a registered runner. */
export type JobType = 'import' | 'clusters';

/**
 * Runs a task: `progress(done, total)` as it goes; `cancelled()` says when to stop (then any
 * answer is dropped). What it returns is the job's `result`.
 */
export type TaskRunner = (
  tenantId: string,
  collection: string,
  params: unknown,
  ctl: { progress: (done: number, total: number) => void; cancelled: () => boolean },
) => Promise<unknown>;

export interface JobView {
  id: string;
  type: JobType;
  collection: string;
  status: JobStatus;
  /** Lines in the upload (blank ones included), and lines processed so far. */
  total: number;
  done: number;
  upserted: number;
  errors: number;
  /** The first errors, by line. */
  errorSamples: LineResult[];
  /** Lines per second while running; seconds left at that rate. */
  rate: number | null;
  etaSeconds: number | null;
  error: { code: string; message: string } | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** A task's answer once done (clusters: the same answer as a direct request). */
  result?: ClusterAnswer;
}

interface JobRow {
  id: string;
  tenant_id: string;
  collection: string;
  status: JobStatus;
  total: number;
  done: number;
  done_bytes: number;
  upserted: number;
  errors: number;
  error_samples: string;
  error: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  run_started_at: number | null;
  run_start_done: number;
  type: JobType;
  params: string | null;
  result: string | null;
}

const MAX_ERROR_SAMPLES = 100;
export const IMPORT_BATCH = 500;

export class ImportJobs {
  private readonly db: Database.Database;
  private readonly dir: string;
  private queue: Promise<void> = Promise.resolve();
  private running: string | null = null;
  private stopping = false;
  private readonly runners = new Map<JobType, TaskRunner>();

  constructor(
    dataDir: string,
    private readonly ingest: IngestService,
    private readonly log: { error: (o: object, msg: string) => void } = { error: () => undefined },
    /** Told when a job ends done or failed (job.completed / job.failed events). */
    private readonly onFinished: (tenantId: string, job: JobView) => void = () => undefined,
  ) {
    mkdirSync(dataDir, { recursive: true });
    this.dir = join(dataDir, 'imports');
    mkdirSync(this.dir, { recursive: true });
    this.db = new Database(join(dataDir, 'jobs.db'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS jobs (
      id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, collection TEXT NOT NULL, status TEXT NOT NULL,
      total INTEGER NOT NULL, done INTEGER NOT NULL DEFAULT 0, done_bytes INTEGER NOT NULL DEFAULT 0,
      upserted INTEGER NOT NULL DEFAULT 0, errors INTEGER NOT NULL DEFAULT 0, error_samples TEXT NOT NULL DEFAULT '[]',
      error TEXT, created_at INTEGER NOT NULL, started_at INTEGER, finished_at INTEGER,
      run_started_at INTEGER, run_start_done INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX IF NOT EXISTS jobs_tenant ON jobs(tenant_id, created_at);`);
    // Tasks came after imports: databases from before get their columns here.
    const columns = new Set((this.db.prepare('PRAGMA table_info(jobs)').all() as { name: string }[]).map((c) => c.name));
    if (!columns.has('type')) this.db.exec("ALTER TABLE jobs ADD COLUMN type TEXT NOT NULL DEFAULT 'import'");
    if (!columns.has('params')) this.db.exec('ALTER TABLE jobs ADD COLUMN params TEXT');
    if (!columns.has('result')) this.db.exec('ALTER TABLE jobs ADD COLUMN result TEXT');
  }

  /** The runner of a task type; register before resumeAll() so interrupted tasks run again. */
  registerTask(type: Exclude<JobType, 'import'>, runner: TaskRunner): void {
    this.runners.set(type, runner);
  }

  /** Queue a task of a registered type; `params` (JSON) are what its runner gets. */
  createTask(tenantId: string, collection: string, type: Exclude<JobType, 'import'>, params: unknown, total: number): JobView {
    if (!this.runners.has(type)) throw new Error(`no runner for ${type} jobs`);
    const id = `job_${randomBytes(9).toString('base64url')}`;
    this.db.prepare('INSERT INTO jobs (id, tenant_id, collection, status, total, created_at, type, params) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(id, tenantId, collection, 'queued', total, Date.now(), type, JSON.stringify(params));
    this.enqueue(id);
    return this.get(tenantId, id);
  }

  private file(id: string): string {
    return join(this.dir, `${id}.ndjson`);
  }

  private row(id: string): JobRow | undefined {
    return this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
  }

  /** Resume what was queued or running when the server last stopped. */
  resumeAll(): void {
    const rows = this.db.prepare("SELECT id FROM jobs WHERE status IN ('queued', 'running') ORDER BY created_at").all() as { id: string }[];
    for (const r of rows) this.enqueue(r.id);
  }

  /** Save an upload (read as it arrives; the caller bounds its size) and queue its import. */
  async create(tenantId: string, collection: string, body: AsyncIterable<Buffer>): Promise<JobView> {
    const id = `job_${randomBytes(9).toString('base64url')}`;
    const path = this.file(id);
    const out = createWriteStream(path, { flags: 'wx' });
    // A write error (disk full) may come while we wait for the client: keep it, throw it below.
    let writeError: Error | null = null;
    out.on('error', (e) => (writeError = e));
    const counter = new LineCounter();
    try {
      for await (const chunk of body) {
        if (writeError) throw writeError;
        counter.add(chunk);
        if (!out.write(chunk)) await once(out, 'drain');
      }
      out.end();
      await once(out, 'finish');
    } catch (e) {
      out.destroy();
      rmSync(path, { force: true });
      throw e;
    }
    const lines = counter.lines;
    if (lines === 0) {
      rmSync(path, { force: true });
      throw new VectraError('INVALID_ARGUMENT', 'the upload is empty: send one JSON record per line');
    }
    this.db.prepare('INSERT INTO jobs (id, tenant_id, collection, status, total, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(id, tenantId, collection, 'queued', lines, Date.now());
    this.enqueue(id);
    return this.get(tenantId, id);
  }

  /** Another tenant's job is not found, exactly like a job that does not exist. */
  get(tenantId: string, id: string): JobView {
    const r = this.row(id);
    if (!r || r.tenant_id !== tenantId) throw new VectraError('JOB_NOT_FOUND', `job "${id}" does not exist`);
    return view(r);
  }

  list(tenantId: string): JobView[] {
    return (this.db.prepare('SELECT * FROM jobs WHERE tenant_id = ? ORDER BY created_at DESC LIMIT 100').all(tenantId) as JobRow[]).map(view);
  }

  /** Stop a queued or running job after its current batch; what it imported stays. */
  cancel(tenantId: string, id: string): JobView {
    const r = this.row(id);
    if (!r || r.tenant_id !== tenantId) throw new VectraError('JOB_NOT_FOUND', `job "${id}" does not exist`);
    if (r.status === 'queued' || r.status === 'running') {
      this.db.prepare("UPDATE jobs SET status = 'cancelled', finished_at = ? WHERE id = ? AND status IN ('queued', 'running')").run(Date.now(), id);
      if (this.running !== id) rmSync(this.file(id), { force: true });
    }
    return this.get(tenantId, id);
  }

  private enqueue(id: string): void {
    this.queue = this.queue.then(() => this.run(id)).catch((e: Error) => this.log.error({ job: id, err: e.message }, 'import job failed'));
  }

  private async run(id: string): Promise<void> {
    const start = this.row(id);
    if (!start || (start.status !== 'queued' && start.status !== 'running') || this.stopping) return;
    if (start.type !== 'import') return this.runTask(start);
    this.running = id;
    const now = Date.now();
    this.db.prepare("UPDATE jobs SET status = 'running', started_at = COALESCE(started_at, ?), run_started_at = ?, run_start_done = done WHERE id = ?").run(now, now, id);
    const samples = JSON.parse(start.error_samples) as LineResult[];
    let { done, upserted, errors } = start;
    const save = this.db.prepare('UPDATE jobs SET done = ?, done_bytes = ?, upserted = ?, errors = ?, error_samples = ? WHERE id = ?');
    const finish = (status: JobStatus, error: { code: string; message: string } | null) => {
      const ended = this.db.prepare('UPDATE jobs SET status = ?, error = ?, finished_at = ? WHERE id = ? AND status = ?').run(status, error && JSON.stringify(error), Date.now(), id, 'running').changes > 0;
      rmSync(this.file(id), { force: true });
      const row = this.row(id);
      if (ended && row) this.onFinished(row.tenant_id, view(row));
    };
    try {
      const lines = ndjsonLines(createReadStream(this.file(id), { start: start.done_bytes }), MAX_LINE_BYTES, { line: start.done, offset: start.done_bytes });
      let batch: Line[] = [];
      const flush = async () => {
        // Records without an id get one from the job and line: a re-run batch rewrites them.
        const results = await this.ingest.upsertLines(start.tenant_id, start.collection, batch, (line) => `${id}-${line}`);
        for (const r of results) {
          if (r.error) {
            errors++;
            if (samples.length < MAX_ERROR_SAMPLES) samples.push(r);
          } else upserted++;
        }
        const lastLine = batch[batch.length - 1];
        done = lastLine.line;
        save.run(done, lastLine.end ?? 0, upserted, errors, JSON.stringify(samples), id);
        batch = [];
      };
      for await (const l of lines) {
        batch.push(l);
        if (batch.length >= IMPORT_BATCH) {
          await flush();
          if (this.stopping) return;
          if (this.row(id)?.status !== 'running') {
            rmSync(this.file(id), { force: true }); // cancelled
            return;
          }
        }
      }
      if (batch.length > 0) await flush();
      if (this.stopping) return;
      if (this.row(id)?.status !== 'running') {
        rmSync(this.file(id), { force: true }); // cancelled during the last batch
        return;
      }
      // Blank lines at the end count as done.
      this.db.prepare('UPDATE jobs SET done = total WHERE id = ?').run(id);
      finish('done', null);
    } catch (e) {
      if (this.stopping) return; // resumed on the next start
      const err = e instanceof VectraError ? { code: e.code, message: e.message } : { code: 'INTERNAL', message: 'the import stopped on a server error; lines before "done" are imported' };
      if (!(e instanceof VectraError)) this.log.error({ job: id, err: (e as Error).message }, 'import job failed');
      finish('failed', err);
    } finally {
      this.running = null;
    }
  }

  /** A task from the start (its progress is not saved: after a restart it runs again). */
  private async runTask(start: JobRow): Promise<void> {
    const { id } = start;
    const runner = this.runners.get(start.type);
    this.running = id;
    const now = Date.now();
    this.db.prepare("UPDATE jobs SET status = 'running', started_at = COALESCE(started_at, ?), run_started_at = ?, done = 0, run_start_done = 0 WHERE id = ?").run(now, now, id);
    const save = this.db.prepare('UPDATE jobs SET done = ?, total = ? WHERE id = ?');
    const cancelled = () => this.stopping || this.row(id)?.status !== 'running';
    const finish = (status: JobStatus, error: { code: string; message: string } | null, result: unknown) => {
      const ended =
        this.db.prepare('UPDATE jobs SET status = ?, error = ?, result = ?, finished_at = ?, done = CASE WHEN ? THEN total ELSE done END WHERE id = ? AND status = ?')
          .run(status, error && JSON.stringify(error), result === undefined ? null : JSON.stringify(result), Date.now(), status === 'done' ? 1 : 0, id, 'running').changes > 0;
      const row = this.row(id);
      if (ended && row) this.onFinished(row.tenant_id, view(row));
    };
    try {
      if (!runner) throw new VectraError('INVALID_ARGUMENT', `this server cannot run ${start.type} jobs`);
      const result = await runner(start.tenant_id, start.collection, JSON.parse(start.params ?? 'null'), { progress: (done, total) => save.run(done, total, id), cancelled });
      if (cancelled()) return; // cancelled, or resumed on the next start
      finish('done', null, result);
    } catch (e) {
      if (this.stopping) return;
      const err = e instanceof VectraError ? { code: e.code, message: e.message } : { code: 'INTERNAL', message: `the ${start.type} job stopped on a server error` };
      if (!(e instanceof VectraError)) this.log.error({ job: id, err: (e as Error).message }, `${start.type} job failed`);
      finish('failed', err, undefined);
    } finally {
      this.running = null;
    }
  }

  /** Stop after the current batch (it commits); the job resumes on the next start. */
  async close(): Promise<void> {
    this.stopping = true;
    await this.queue;
    if (this.db.open) this.db.close();
  }
}

function view(r: JobRow): JobView {
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  let rate: number | null = null;
  let eta: number | null = null;
  if (r.status === 'running' && r.run_started_at !== null) {
    const seconds = (Date.now() - r.run_started_at) / 1000;
    if (seconds > 0 && r.done > r.run_start_done) {
      rate = Math.round((r.done - r.run_start_done) / seconds);
      eta = Math.round((r.total - r.done) / rate);
    }
  }
  return {
    id: r.id, type: r.type, collection: r.collection, status: r.status, total: r.total, done: r.done, upserted: r.upserted, errors: r.errors,
    errorSamples: JSON.parse(r.error_samples) as LineResult[], rate, etaSeconds: eta,
    error: r.error === null ? null : (JSON.parse(r.error) as { code: string; message: string }),
    createdAt: iso(r.created_at)!, startedAt: iso(r.started_at), finishedAt: iso(r.finished_at),
    ...(r.result === null ? {} : { result: JSON.parse(r.result) as ClusterAnswer }),
  };
}
