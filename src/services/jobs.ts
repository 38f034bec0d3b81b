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
 */
import { createReadStream, createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { VectraError } from '../errors.js';
import type { Metadata } from '../engine/index.js';
import type { DocumentService, DocumentUpload, UploadProgress, UploadResult } from './documents.js';
import type { ClusterAnswer } from './insights/clustering.js';
import { LineCounter, ndjsonLines, MAX_LINE_BYTES, type IngestService, type Line, type LineResult } from './ingest.js';

export type JobStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
export type JobType = 'import' | 'document' | 'clusters';

/** Job types run by a registered runner (analysis tasks: a clustering too large to answer at once). */
export type TaskType = Exclude<JobType, 'import' | 'document'>;

/**
 * Runs a task: `progress(done, total)` as it goes; `cancelled()` says when to stop (then any
 * answer is dropped). What it returns is the job's `result`. A task's progress is not saved:
 * after a restart it runs again from the start.
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
  /** Imports: lines in the upload (blank ones included), and lines processed so far. Documents: chunks to embed (0 until the file is read), and chunks embedded. */
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
  /** Documents only: the document's id (given, or chosen when the upload was accepted). */
  document?: string;
  /** Documents only, while running: reading the file, or embedding its chunks. */
  stage?: UploadProgress['stage'] | null;
  /** Documents only: a PDF's pages read so far, of its pages (null until known, and for other formats). */
  pages?: { done: number; total: number } | null;
  /** Documents, once done: what was stored, as the synchronous upload answers it; tasks: their answer (clusters: as a direct request answers). */
  result?: UploadResult | ClusterAnswer | null;
}

/** What a document job was given with its file. */
interface DocumentParams {
  document: string;
  title?: string;
  metadata?: Metadata;
  chunk?: DocumentUpload['chunk'];
  filename?: string;
  mimetype?: string;
  /** The file's size, checked when it is read back. */
  bytes: number;
}

/** A running document job's progress, and when its embedding began (for the rate). */
interface LiveProgress {
  stage: UploadProgress['stage'];
  pages: { done: number; total: number } | null;
  chunks: { done: number; total: number } | null;
  embeddingSince: number | null;
}

/** Thrown by a job's check when it must stop: cancelled, or the server is stopping. */
class JobStopped extends Error {}

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

/**
 * Scale-out: where every node's jobs are seen (src/cluster/jobs.ts). A job runs on the node that
 * took it (its file is on that node's disk); its view is published there, so GET /v1/jobs on
 * any node finds it, and a cancel asked of another node reaches it.
 */
export interface JobDirectory {
  publish(tenantId: string, job: JobView): Promise<void>;
  get(tenantId: string, id: string): Promise<JobView | null>;
  list(tenantId: string, limit: number): Promise<JobView[]>;
  /** Ask the job's node to cancel it; its last published view, or null if there is no such job. */
  requestCancel(tenantId: string, id: string): Promise<JobView | null>;
  /** Ids of this node's jobs whose cancel was asked elsewhere. */
  cancelRequests(): Promise<string[]>;
}

/** How often a node publishes its running jobs' progress and takes cancel requests (scale-out). */
const PUBLISH_MS = 500;

export class Jobs {
  private directory: JobDirectory | null = null;
  private publisher: NodeJS.Timeout | null = null;
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

  /** Resume what was queued or running when the server last stopped. */
  resumeAll(): void {
    const rows = this.db.prepare("SELECT id, type FROM jobs WHERE status IN ('queued', 'running') ORDER BY created_at").all() as { id: string; type: JobType }[];
    for (const r of rows) this.enqueue(r.id, r.type);
  }

  /** Save an upload (read as it arrives; the caller bounds its size) and queue its import. */
  async create(tenantId: string, collection: string, body: AsyncIterable<Buffer>): Promise<JobView> {
    const id = newJobId();
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
      throw new VectraError('INVALID_ARGUMENT', 'the upload is empty: send one JSON record per line');
    }
    this.db.prepare('INSERT INTO jobs (id, tenant_id, collection, status, total, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(id, tenantId, collection, 'queued', lines, Date.now());
    this.enqueue(id, 'import');
    await this.publish(id);
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
    const params: DocumentParams = { document: docId, title: upload.title, metadata: upload.metadata, chunk: upload.chunk, filename, mimetype, bytes: bytes.length };
    this.db.prepare("INSERT INTO jobs (id, tenant_id, collection, status, total, created_at, type, params) VALUES (?, ?, ?, 'queued', 0, ?, 'document', ?)").run(id, tenantId, collection, Date.now(), JSON.stringify(params));
    this.enqueue(id, 'document');
    await this.publish(id);
    return this.get(tenantId, id);
  }

  /** Scale-out: publish this node's jobs where every node sees them (see JobDirectory). */
  useDirectory(directory: JobDirectory): void {
    this.directory = directory;
    this.publisher = setInterval(() => void this.publishRunning(), PUBLISH_MS);
    this.publisher.unref();
  }

  /**
   * Publish a job's view (scale-out). Creation awaits it, so a job answered with 202 is already
   * visible (and cancellable) from every node; progress updates are not awaited. A failure is
   * logged: the job runs anyway and the next half-second publish retries.
   */
  private publish(id: string): Promise<void> {
    const r = this.directory && this.row(id);
    if (!r) return Promise.resolve();
    return this.directory!.publish(r.tenant_id, view(r, this.live.get(id))).catch((e: Error) => this.log.error({ job: id, err: e.message }, 'job not published to the cluster'));
  }

  private async publishRunning(): Promise<void> {
    if (!this.directory || this.stopping || !this.db.open) return;
    try {
      for (const id of await this.directory.cancelRequests()) {
        const r = this.row(id);
        if (r) this.cancel(r.tenant_id, id);
      }
      const rows = this.db.prepare("SELECT id FROM jobs WHERE status IN ('queued', 'running')").all() as { id: string }[];
      for (const { id } of rows) void this.publish(id);
    } catch (e) {
      this.log.error({ err: (e as Error).message }, 'jobs not published to the cluster');
    }
  }

  /** A job of this tenant on any node (scale-out), else as `get`. */
  async find(tenantId: string, id: string): Promise<JobView> {
    const r = this.row(id);
    if (r || !this.directory) return this.get(tenantId, id);
    const found = await this.directory.get(tenantId, id);
    if (!found) throw new VectraError('JOB_NOT_FOUND', `job "${id}" does not exist`);
    return found;
  }

  /** The tenant's newest jobs, on every node (scale-out), else as `list`. */
  async listAll(tenantId: string): Promise<JobView[]> {
    return this.directory ? this.directory.list(tenantId, 100) : this.list(tenantId);
  }

  /** Cancel a job of this node, or ask its node to (scale-out). */
  async cancelAny(tenantId: string, id: string): Promise<JobView> {
    if (this.row(id) || !this.directory) return this.cancel(tenantId, id);
    const found = await this.directory.requestCancel(tenantId, id);
    if (!found) throw new VectraError('JOB_NOT_FOUND', `job "${id}" does not exist`);
    return found;
  }

  /** Another tenant's job is not found, exactly like a job that does not exist. */
  get(tenantId: string, id: string): JobView {
    const r = this.row(id);
    if (!r || r.tenant_id !== tenantId) throw new VectraError('JOB_NOT_FOUND', `job "${id}" does not exist`);
    return view(r, this.live.get(id));
  }

  list(tenantId: string): JobView[] {
    return (this.db.prepare('SELECT * FROM jobs WHERE tenant_id = ? ORDER BY created_at DESC LIMIT 100').all(tenantId) as JobRow[]).map((r) => view(r, this.live.get(r.id)));
  }

  /** Stop a queued or running job: an import after its current batch (what it imported stays), a document before it stores anything. */
  cancel(tenantId: string, id: string): JobView {
    const r = this.row(id);
    if (!r || r.tenant_id !== tenantId) throw new VectraError('JOB_NOT_FOUND', `job "${id}" does not exist`);
    if (r.status === 'queued' || r.status === 'running') {
      this.db.prepare("UPDATE jobs SET status = 'cancelled', finished_at = ? WHERE id = ? AND status IN ('queued', 'running')").run(Date.now(), id);
      if (!this.running.has(id)) rmSync(this.file(id, r.type), { force: true });
      void this.publish(id);
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
    this.db.prepare("INSERT INTO jobs (id, tenant_id, collection, status, total, created_at, type, params) VALUES (?, ?, ?, 'queued', ?, ?, ?, ?)").run(id, tenantId, collection, total, Date.now(), type, JSON.stringify(params));
    this.enqueue(id, type);
    await this.publish(id);
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
    void this.publish(id);
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
      if (this.stopping) return; // resumed on the next start
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
      if (this.stopping) return; // starts over on the next start: nothing was stored
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
      if (this.stopping) return;
      const err = e instanceof VectraError ? { code: e.code, message: e.message } : { code: 'INTERNAL', message: `the ${start.type} job stopped on a server error` };
      if (!(e instanceof VectraError)) this.log.error({ job: id, err: (e as Error).message }, `${start.type} job failed`);
      this.finish(id, start.type, 'failed', err);
    }
  }

  /** Stop: an import after its current batch (it commits), a document at its next page or batch; they go on at the next start. */
  async close(): Promise<void> {
    this.stopping = true;
    if (this.publisher) clearInterval(this.publisher);
    await Promise.all(this.lanes.values());
    if (this.db.open) this.db.close();
  }
}

const newJobId = () => `job_${randomBytes(9).toString('base64url')}`;

function view(r: JobRow, live?: LiveProgress): JobView {
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  let rate: number | null = null;
  let eta: number | null = null;
  let { total, done } = r;
  if (r.status === 'running' && r.type === 'import' && r.run_started_at !== null) {
    const seconds = (Date.now() - r.run_started_at) / 1000;
    if (seconds > 0 && r.done > r.run_start_done) {
      rate = Math.round((r.done - r.run_start_done) / seconds);
      eta = Math.round((r.total - r.done) / rate);
    }
  }
  if (r.status === 'running' && live?.chunks) {
    ({ total, done } = live.chunks);
    const seconds = live.embeddingSince === null ? 0 : (Date.now() - live.embeddingSince) / 1000;
    if (seconds > 0 && done > 0) {
      rate = Math.round(done / seconds);
      eta = rate > 0 ? Math.round((total - done) / rate) : null;
    }
  }
  const job: JobView = {
    id: r.id, type: r.type, collection: r.collection, status: r.status, total, done, upserted: r.upserted, errors: r.errors,
    errorSamples: JSON.parse(r.error_samples) as LineResult[], rate, etaSeconds: eta,
    error: r.error === null ? null : (JSON.parse(r.error) as { code: string; message: string }),
    createdAt: iso(r.created_at)!, startedAt: iso(r.started_at), finishedAt: iso(r.finished_at),
  };
  if (r.type !== 'document') return r.type === 'import' ? job : { ...job, result: r.result === null ? null : (JSON.parse(r.result) as ClusterAnswer) };
  const params = JSON.parse(r.params ?? '{}') as DocumentParams;
  const result = r.result === null ? null : (JSON.parse(r.result) as UploadResult);
  const running = r.status === 'running' && live !== undefined;
  return {
    ...job,
    document: params.document,
    stage: running ? live.stage : null,
    pages: running ? live.pages : result?.pages !== undefined ? { done: result.pages, total: result.pages } : null,
    result,
  };
}
