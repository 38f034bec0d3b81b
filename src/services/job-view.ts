/**
 * What a background job is (src/services/jobs.ts): its stored row, and the view the API
 * answers — built from the row wherever the row is (a node's jobs.db, or PostgreSQL's `jobs` in
 * the scale-out mode, src/cluster/job-queue.ts).
 */
import type { Metadata } from '../engine/index.js';
import type { DocumentUpload, UploadProgress, UploadResult } from './documents.js';
import type { ClusterAnswer } from './insights/clustering.js';
import type { LineResult } from './ingest.js';

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
export interface DocumentParams {
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
export interface LiveProgress {
  stage: UploadProgress['stage'];
  pages: { done: number; total: number } | null;
  chunks: { done: number; total: number } | null;
  embeddingSince: number | null;
}

/** A job as stored. */
export interface JobRow {
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

/** The API's view of a job: its row, with a running document's live progress and the rate. */
export function view(r: JobRow, live?: LiveProgress): JobView {
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

/** A new job's row, queued (scale-out: as first stored in PostgreSQL). */
export function newRow(id: string, tenantId: string, collection: string, type: JobType, total: number, params: unknown): JobRow {
  return {
    id, tenant_id: tenantId, collection, status: 'queued', total, done: 0, done_bytes: 0, upserted: 0, errors: 0, error_samples: '[]', error: null,
    created_at: Date.now(), started_at: null, finished_at: null, run_started_at: null, run_start_done: 0, type, params: params === null ? null : JSON.stringify(params), result: null,
  };
}
