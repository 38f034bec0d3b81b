/**
 * Background jobs (/v1/jobs; not the engine's background index builds), each a tenant's, with
 * progress in DATA_DIR/jobs.db and its upload saved in DATA_DIR/imports/ until it ends. Jobs
 * that were queued or running when the server stopped go on when it starts. Two types, each
 * run one job at a time (an import never holds up a document, nor the reverse):
 *
 * - `import`: an NDJSON upload (<job>.ndjson), imported a batch at a time. Exactly once, across
 *   kill -9: progress (line and byte offset) is saved after each batch commits, and a record
 *   without an id gets `<job id>-<line>` — so a batch re-run after a crash overwrites the very
 *   same records instead of adding copies.
 * - `document`: a large document file (<job>.upload, fsynced before the job is answered): read,
 *   chunked and embedded, then stored in one write (Collection.replace), so a job that fails,
 *   is cancelled or is cut by a crash stores nothing; one cut by a stop or a crash starts over.
 *   Its progress (pages parsed, chunks embedded) is live, in memory.
 *
 * Scale-out (useQueue): the jobs and their uploads are kept in PostgreSQL instead, and this node
 * runs those it claims there (SharedJobQueue) — the same runs, on a local copy of the upload.
 */
import { createReadStream, createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { VectraError } from '../errors.js';
import type { DocumentService, DocumentUpload, UploadResult } from './documents.js';
import { LineCounter, ndjsonLines, MAX_LINE_BYTES, type IngestService, type Line, type LineResult } from './ingest.js';
import { newRow, view, type DocumentParams, type JobRow, type JobStatus, type JobType, type JobView, type LiveProgress, type TaskRunner, type TaskType } from './job-view.js';

export type { JobStatus, JobType, JobView, TaskRunner, TaskType } from './job-view.js';

/** Thrown by a job's check when it must stop: cancelled, or the server is stopping. */
class JobStopped extends Error {}

const MAX_ERROR_SAMPLES = 100;
export const IMPORT_BATCH = 500;

/**
 * Scale-out (src/cluster/job-queue.ts): jobs and their uploads kept in PostgreSQL, each run by
 * the node that claims it, under a lease this node renews; another node takes it over when
 * the lease runs out. This node's jobs.db and imports/ then hold only the jobs it runs.
 */
export interface SharedJobQueue {
  /**
   * Store a new job with its upload, committed before it returns (the 202's promise). The
   * upload is stored as it is read; `describe`, called once it is all read, gives the job's
   * first row, or throws to refuse it (then nothing is stored).
   */
  submit(id: string, tenantId: string, upload: AsyncIterable<Buffer> | null, describe: () => JobRow): Promise<JobView>;
  /** Save a job this node runs (its row and view; a final status ends it and removes its upload). False: this node no longer holds it — stop running it. */
  save(row: JobRow, job: JobView): Promise<boolean>;
  get(tenantId: string, id: string): Promise<JobView | null>;
  list(tenantId: string, limit: number): Promise<JobView[]>;
  /** Cancel (a job nobody runs at once; a running one by its node, within a second); null if there is no such job. */
  cancel(tenantId: string, id: string): Promise<JobView | null>;
  /** Whether a job's failure is a passing one (PostgreSQL out of reach): then it is left to be claimed again, not failed. */
  passing(e: unknown): boolean;
  /** Start claiming jobs for `host`. */
  start(host: JobHost): void;
  close(): Promise<void>;
}

/** What the shared queue asks of this node's Jobs. */
export interface JobHost {
  /** The jobs this node runs or has queued, as they are now. */
  held(): { row: JobRow; job: JobView }[];
  /** The types of job this node would start now (nothing of that type queued or running here). */
  idleTypes(): JobType[];
  /** Run a job claimed by this node: its row as last saved, its upload (null for tasks). */
  adopt(row: JobRow, upload: AsyncIterable<Buffer> | null): Promise<void>;
  /** Stop running a job here without ending it (another node holds it now). */
  abandon(id: string): void;
  /** Cancel a job this node holds (asked on another node); its view, or null if it is not here. */
  cancelHeld(id: string): JobView | null;
}

export class Jobs {
  /** Scale-out: the queue in PostgreSQL (see SharedJobQueue); null in the embedded mode. */
  private shared: SharedJobQueue | null = null;
  private readonly db: Database.Database;
  private readonly dir: string;
  /** One queue per job type. */
  private readonly lanes = new Map<JobType, Promise<void>>();
  private readonly running = new Set<string>();
  private readonly live = new Map<string, LiveProgress>();
  private readonly runners = new Map<TaskType, TaskRunner>();
  private stopping = false;

  constructor(
    dataDir: string,
    private readonly ingest: IngestService,
    private readonly documents: DocumentService,
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
    // Tables made before document jobs: every job in them is an import.
    const columns = new Set((this.db.prepare('PRAGMA table_info(jobs)').all() as { name: string }[]).map((c) => c.name));
    if (!columns.has('type')) this.db.exec("ALTER TABLE jobs ADD COLUMN type TEXT NOT NULL DEFAULT 'import'");
    if (!columns.has('params')) this.db.exec('ALTER TABLE jobs ADD COLUMN params TEXT');
    if (!columns.has('result')) this.db.exec('ALTER TABLE jobs ADD COLUMN result TEXT');
  }

  private file(id: string, type: JobType): string {
    return join(this.dir, `${id}.${type === 'import' ? 'ndjson' : 'upload'}`);
  }

  private row(id: string): JobRow | undefined {
    return this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
  }

  /** Resume what was queued or running when the server last stopped (scale-out: claim jobs from the shared queue). */
  resumeAll(): void {
    if (this.shared) {
      // What this node ran before it stopped is in PostgreSQL, claimed again from there.
      for (const r of this.db.prepare("SELECT id, type FROM jobs WHERE status IN ('queued', 'running')").all() as { id: string; type: JobType }[]) {
        rmSync(this.file(r.id, r.type), { force: true });
        this.db.prepare('DELETE FROM jobs WHERE id = ?').run(r.id);
      }
      this.shared.start(this.host);
      return;
    }
    const rows = this.db.prepare("SELECT id, type FROM jobs WHERE status IN ('queued', 'running') ORDER BY created_at").all() as { id: string; type: JobType }[];
    for (const r of rows) this.enqueue(r.id, r.type);
  }

  /** Save an upload (read as it arrives; the caller bounds its size) and queue its import. */
  async create(tenantId: string, collection: string, body: AsyncIterable<Buffer>): Promise<JobView> {
    const id = newJobId();
    if (this.shared) {
      const counter = new LineCounter();
      const counted = (async function* () {
        for await (const chunk of body) {
          counter.add(chunk);
          yield chunk;
        }
      })();
      return this.shared.submit(id, tenantId, counted, () => {
        if (counter.lines === 0) throw emptyUpload();
        return newRow(id, tenantId, collection, 'import', counter.lines, null);
      });
    }
    const path = this.file(id, 'import');
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
      throw emptyUpload();
    }
    this.db.prepare('INSERT INTO jobs (id, tenant_id, collection, status, total, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(id, tenantId, collection, 'queued', lines, Date.now());
    this.enqueue(id, 'import');
    return this.get(tenantId, id);
  }

  /**
   * Queue a document upload (already checked: DocumentService.checkUpload) as a job storing it
   * as document `docId`. Its file is on disk, fsynced, before the job exists: a job the caller
   * was told about survives a crash with its whole file.
   */
  async createDocument(tenantId: string, collection: string, docId: string, upload: DocumentUpload): Promise<JobView> {
    const id = newJobId();
    const path = this.file(id, 'document');
    const { bytes, filename, mimetype } = upload.file;
    const params: DocumentParams = { document: docId, title: upload.title, metadata: upload.metadata, chunk: upload.chunk, filename, mimetype, bytes: bytes.length };
    if (this.shared) return this.shared.submit(id, tenantId, (async function* () { yield bytes; })(), () => newRow(id, tenantId, collection, 'document', 0, params));
    try {
      const out = await open(path, 'wx');
      try {
        await out.writeFile(bytes);
        await out.sync();
      } finally {
        await out.close();
      }
      const dir = await open(this.dir, 'r');
      await dir.sync().finally(() => dir.close());
    } catch (e) {
      rmSync(path, { force: true });
      throw e;
    }
    this.db.prepare("INSERT INTO jobs (id, tenant_id, collection, status, total, created_at, type, params) VALUES (?, ?, ?, 'queued', 0, ?, 'document', ?)").run(id, tenantId, collection, Date.now(), JSON.stringify(params));
    this.enqueue(id, 'document');
    return this.get(tenantId, id);
  }

  /** Scale-out: jobs kept and claimed in PostgreSQL (src/cluster/job-queue.ts); before resumeAll(). */
  useQueue(queue: SharedJobQueue): void {
    this.shared = queue;
  }

  /** What the shared queue sees of this node's jobs, and how it hands it one (scale-out). */
  private readonly host: JobHost = {
    held: () => (this.db.open ? (this.db.prepare("SELECT * FROM jobs WHERE status IN ('queued', 'running')").all() as JobRow[]) : []).map((row) => ({ row, job: view(row, this.live.get(row.id)) })),
    idleTypes: () => {
      if (this.stopping || !this.db.open) return [];
      const busy = new Set((this.db.prepare("SELECT DISTINCT type FROM jobs WHERE status IN ('queued', 'running')").all() as { type: JobType }[]).map((r) => r.type));
      return (['import', 'document', ...this.runners.keys()] as JobType[]).filter((t) => !busy.has(t));
    },
    adopt: async (row, upload) => {
      // Held from now on (its lease renewed with the others) while its upload is copied here.
      this.db.prepare('INSERT OR REPLACE INTO jobs (id, tenant_id, collection, status, total, done, done_bytes, upserted, errors, error_samples, error, created_at, started_at, finished_at, run_started_at, run_start_done, type, params, result) VALUES (@id, @tenant_id, @collection, @status, @total, @done, @done_bytes, @upserted, @errors, @error_samples, @error, @created_at, @started_at, @finished_at, @run_started_at, @run_start_done, @type, @params, @result)').run(row);
      try {
        if (upload) await pipeline(upload, createWriteStream(this.file(row.id, row.type)));
      } catch (e) {
        this.host.abandon(row.id);
        throw e;
      }
      this.enqueue(row.id, row.type);
    },
    abandon: (id) => {
      const r = this.row(id);
      if (!r || (r.status !== 'queued' && r.status !== 'running')) return;
      // Not an end: the job goes on elsewhere. Its local copy stops (the run sees it is no longer running).
      this.db.prepare("UPDATE jobs SET status = 'cancelled' WHERE id = ?").run(id);
      if (!this.running.has(id)) rmSync(this.file(id, r.type), { force: true });
    },
    cancelHeld: (id) => {
      const r = this.row(id);
      return r ? this.cancel(r.tenant_id, id) : null;
    },
  };

  /** Scale-out: save a job's row and view in the shared queue; false when this node no longer holds it (it is then abandoned here). */
  private async saveShared(id: string): Promise<boolean> {
    const r = this.shared && this.row(id);
    if (!r) return true;
    try {
      if (await this.shared!.save(r, view(r, this.live.get(id)))) return true;
      this.host.abandon(id);
      return false;
    } catch (e) {
      // Saved again by the queue's next heartbeat (an end: retried until it is stored).
      this.log.error({ job: id, err: (e as Error).message }, 'job not saved to the cluster');
      return true;
    }
  }

  /** Why a job stopped without an end: the server is stopping, or (scale-out) PostgreSQL is out of reach — it goes on when claimed again. */
  private interrupted(id: string, e: unknown): boolean {
    if (this.stopping) return true;
    if (!this.shared?.passing(e)) return false;
    this.host.abandon(id);
    return true;
  }

  /** A job of this tenant: on any node (scale-out), else as `get`. */
  async find(tenantId: string, id: string): Promise<JobView> {
    if (!this.shared) return this.get(tenantId, id);
    const found = await this.shared.get(tenantId, id);
    if (!found) throw notFound(id);
    return found;
  }

  /** The tenant's newest jobs: on every node (scale-out), else as `list`. */
  async listAll(tenantId: string): Promise<JobView[]> {
    return this.shared ? this.shared.list(tenantId, 100) : this.list(tenantId);
  }

  /** Cancel a job (scale-out: wherever it runs). */
  async cancelAny(tenantId: string, id: string): Promise<JobView> {
    if (!this.shared) return this.cancel(tenantId, id);
    const found = await this.shared.cancel(tenantId, id);
    if (!found) throw notFound(id);
    return found;
  }

  /** Another tenant's job is not found, exactly like a job that does not exist. */
  get(tenantId: string, id: string): JobView {
    const r = this.row(id);
    if (!r || r.tenant_id !== tenantId) throw notFound(id);
    return view(r, this.live.get(id));
  }

  list(tenantId: string): JobView[] {
    return (this.db.prepare('SELECT * FROM jobs WHERE tenant_id = ? ORDER BY created_at DESC LIMIT 100').all(tenantId) as JobRow[]).map((r) => view(r, this.live.get(r.id)));
  }

  /** Stop a queued or running job: an import after its current batch (what it imported stays), a document before it stores anything. */
  cancel(tenantId: string, id: string): JobView {
    const r = this.row(id);
    if (!r || r.tenant_id !== tenantId) throw notFound(id);
    if (r.status === 'queued' || r.status === 'running') {
      this.db.prepare("UPDATE jobs SET status = 'cancelled', finished_at = ? WHERE id = ? AND status IN ('queued', 'running')").run(Date.now(), id);
      if (!this.running.has(id)) rmSync(this.file(id, r.type), { force: true });
      void this.saveShared(id);
    }
    return this.get(tenantId, id);
  }

  /** The runner of a task type; register before resumeAll() so interrupted tasks run again. */
  registerTask(type: TaskType, runner: TaskRunner): void {
    this.runners.set(type, runner);
  }

  /** Queue a task of a registered type; `params` (JSON) are what its runner gets. */
  async createTask(tenantId: string, collection: string, type: TaskType, params: unknown, total: number): Promise<JobView> {
    if (!this.runners.has(type)) throw new Error(`no runner for ${type} jobs`);
    const id = newJobId();
    if (this.shared) return this.shared.submit(id, tenantId, null, () => newRow(id, tenantId, collection, type, total, params));
    this.db.prepare("INSERT INTO jobs (id, tenant_id, collection, status, total, created_at, type, params) VALUES (?, ?, ?, 'queued', ?, ?, ?, ?)").run(id, tenantId, collection, total, Date.now(), type, JSON.stringify(params));
    this.enqueue(id, type);
    return this.get(tenantId, id);
  }

  private enqueue(id: string, type: JobType): void {
    const lane = (this.lanes.get(type) ?? Promise.resolve()).then(() => this.run(id)).catch((e: Error) => this.log.error({ job: id, err: e.message }, `${type} job failed`));
    this.lanes.set(type, lane);
  }

  private async run(id: string): Promise<void> {
    const start = this.row(id);
    if (!start || (start.status !== 'queued' && start.status !== 'running') || this.stopping) return;
    this.running.add(id);
    const now = Date.now();
    this.db.prepare("UPDATE jobs SET status = 'running', started_at = COALESCE(started_at, ?), run_started_at = ?, run_start_done = done WHERE id = ?").run(now, now, id);
    try {
      await (start.type === 'document' ? this.runDocument(start) : start.type === 'import' ? this.runImport(start) : this.runTask(start));
    } finally {
      this.running.delete(id);
      // Scale-out: the local copy of a job's upload goes once it stops here (the job, if not ended, goes on from PostgreSQL's).
      if (this.shared) rmSync(this.file(id, start.type), { force: true });
    }
  }

  /**
   * End a running job (unless it was cancelled meanwhile), with `set` columns, and remove its
   * file; done and failed are told (job.completed / job.failed).
   */
  private finish(id: string, type: JobType, status: JobStatus, error: { code: string; message: string } | null, set: { total?: number; done?: number; upserted?: number; result?: UploadResult | unknown } = {}): void {
    const ended =
      this.db
        .prepare('UPDATE jobs SET status = ?, error = ?, finished_at = ?, total = COALESCE(?, total), done = COALESCE(?, done), upserted = COALESCE(?, upserted), result = COALESCE(?, result) WHERE id = ? AND status = ?')
        .run(status, error && JSON.stringify(error), Date.now(), set.total ?? null, set.done ?? null, set.upserted ?? null, set.result ? JSON.stringify(set.result) : null, id, 'running').changes > 0;
    rmSync(this.file(id, type), { force: true });
    const row = this.row(id);
    if (ended && row) this.onFinished(row.tenant_id, view(row));
    void this.saveShared(id);
  }

  private async runImport(start: JobRow): Promise<void> {
    const { id } = start;
    const samples = JSON.parse(start.error_samples) as LineResult[];
    let { done, upserted, errors } = start;
    const save = this.db.prepare('UPDATE jobs SET done = ?, done_bytes = ?, upserted = ?, errors = ?, error_samples = ? WHERE id = ?');
    const finish = (status: JobStatus, error: { code: string; message: string } | null) => this.finish(id, 'import', status, error);
    try {
      const lines = ndjsonLines(createReadStream(this.file(id, 'import'), { start: start.done_bytes }), MAX_LINE_BYTES, { line: start.done, offset: start.done_bytes });
      let batch: Line[] = [];
      const flush = async () => {
        // Records without an id get one from the job and line: a re-run batch rewrites them.
        const results = await this.ingest.upsertLines(start.tenant_id, start.collection, batch, (line) => `${id}-${line}`);
        // Scale-out: a batch PostgreSQL did not take is not its lines' fault; the job pauses and runs it again.
        const lost = this.shared && results.find((r) => r.error?.code === 'DATABASE_UNAVAILABLE');
        if (lost) throw new VectraError('DATABASE_UNAVAILABLE', lost.error!.message);
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
        // Scale-out: the progress in PostgreSQL too, where the node that takes the job over resumes.
        if (this.shared) await this.saveShared(id);
      };
      for await (const l of lines) {
        batch.push(l);
        if (batch.length >= IMPORT_BATCH) {
          await flush();
          if (this.stopping) return;
          if (this.row(id)?.status !== 'running') {
            rmSync(this.file(id, 'import'), { force: true }); // cancelled
            return;
          }
        }
      }
      if (batch.length > 0) await flush();
      if (this.stopping) return;
      if (this.row(id)?.status !== 'running') {
        rmSync(this.file(id, 'import'), { force: true }); // cancelled during the last batch
        return;
      }
      // Blank lines at the end count as done.
      this.db.prepare('UPDATE jobs SET done = total WHERE id = ?').run(id);
      finish('done', null);
    } catch (e) {
      if (this.interrupted(id, e)) return; // resumed on the next start (scale-out: by the node that claims it)
      const err = e instanceof VectraError ? { code: e.code, message: e.message } : { code: 'INTERNAL', message: 'the import stopped on a server error; lines before "done" are imported' };
      if (!(e instanceof VectraError)) this.log.error({ job: id, err: (e as Error).message }, 'import job failed');
      finish('failed', err);
    }
  }

  private async runDocument(start: JobRow): Promise<void> {
    const { id } = start;
    const params = JSON.parse(start.params ?? '{}') as DocumentParams;
    const live: LiveProgress = { stage: 'parsing', pages: null, chunks: null, embeddingSince: null };
    this.live.set(id, live);
    try {
      const bytes = await readFile(this.file(id, 'document'));
      if (bytes.length !== params.bytes) throw new Error(`the saved upload has ${bytes.length} bytes, not ${params.bytes}`);
      const upload: DocumentUpload = { id: params.document, title: params.title, metadata: params.metadata, chunk: params.chunk, file: { bytes, filename: params.filename, mimetype: params.mimetype } };
      const result = await this.documents.upload(start.tenant_id, start.collection, upload, {
        progress: (p) => {
          if (p.stage === 'embedding' && live.stage !== 'embedding') live.embeddingSince = Date.now();
          live.stage = p.stage;
          if (p.pages) live.pages = p.pages;
          if (p.chunks) live.chunks = p.chunks;
        },
        check: () => {
          if (this.stopping || this.row(id)?.status !== 'running') throw new JobStopped();
        },
      });
      this.finish(id, 'document', 'done', null, { total: result.chunks, done: result.chunks, upserted: result.chunks, result });
    } catch (e) {
      if (this.interrupted(id, e)) return; // starts over on the next start (or claim): nothing was stored
      if (e instanceof JobStopped) {
        rmSync(this.file(id, 'document'), { force: true }); // cancelled
        return;
      }
      const err = e instanceof VectraError ? { code: e.code, message: e.message } : { code: 'INTERNAL', message: 'the upload stopped on a server error; nothing was stored' };
      if (!(e instanceof VectraError)) this.log.error({ job: id, err: (e as Error).message }, 'document job failed');
      this.finish(id, 'document', 'failed', err, { total: live.chunks?.total, done: live.chunks?.done });
    } finally {
      this.live.delete(id);
    }
  }

  /** A task from the start (its progress is not saved: after a restart it runs again). */
  private async runTask(start: JobRow): Promise<void> {
    const { id } = start;
    const runner = this.runners.get(start.type as TaskType);
    this.db.prepare('UPDATE jobs SET done = 0, run_start_done = 0 WHERE id = ?').run(id);
    const save = this.db.prepare('UPDATE jobs SET done = ?, total = ? WHERE id = ?');
    const cancelled = () => this.stopping || this.row(id)?.status !== 'running';
    try {
      if (!runner) throw new VectraError('INVALID_ARGUMENT', `this server cannot run ${start.type} jobs`);
      const result = await runner(start.tenant_id, start.collection, JSON.parse(start.params ?? 'null'), { progress: (done, total) => save.run(done, total, id), cancelled });
      if (cancelled()) return; // cancelled, or resumed on the next start
      this.finish(id, start.type, 'done', null, { result });
    } catch (e) {
      if (this.interrupted(id, e)) return;
      const err = e instanceof VectraError ? { code: e.code, message: e.message } : { code: 'INTERNAL', message: `the ${start.type} job stopped on a server error` };
      if (!(e instanceof VectraError)) this.log.error({ job: id, err: (e as Error).message }, `${start.type} job failed`);
      this.finish(id, start.type, 'failed', err);
    }
  }

  /** Stop: an import after its current batch (it commits), a document at its next page or batch; they go on at the next start. */
  async close(): Promise<void> {
    this.stopping = true;
    await this.shared?.close();
    await Promise.all(this.lanes.values());
    if (this.db.open) this.db.close();
  }
}

const newJobId = () => `job_${randomBytes(9).toString('base64url')}`;
const notFound = (id: string) => new VectraError('JOB_NOT_FOUND', `job "${id}" does not exist`);
const emptyUpload = () => new VectraError('INVALID_ARGUMENT', 'the upload is empty: send one JSON record per line');
