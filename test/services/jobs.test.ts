/**
 * jobs.db made before document jobs (no type, params or result columns) opens as it was: its
 * jobs are imports, listed and fetched as before, and document jobs can be added beside them.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { DocumentService } from '../../src/services/documents.js';
import type { IngestService } from '../../src/services/ingest.js';
import { Jobs } from '../../src/services/jobs.js';
import { tempDir } from '../support/tmp.js';

describe('jobs.db', () => {
  it('a table from before document jobs gains their columns; its jobs read as imports', async () => {
    const dir = tempDir();
    const old = new Database(join(dir, 'jobs.db'));
    old.exec(`CREATE TABLE jobs (
      id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, collection TEXT NOT NULL, status TEXT NOT NULL,
      total INTEGER NOT NULL, done INTEGER NOT NULL DEFAULT 0, done_bytes INTEGER NOT NULL DEFAULT 0,
      upserted INTEGER NOT NULL DEFAULT 0, errors INTEGER NOT NULL DEFAULT 0, error_samples TEXT NOT NULL DEFAULT '[]',
      error TEXT, created_at INTEGER NOT NULL, started_at INTEGER, finished_at INTEGER,
      run_started_at INTEGER, run_start_done INTEGER NOT NULL DEFAULT 0
    )`);
    old.prepare("INSERT INTO jobs (id, tenant_id, collection, status, total, done, upserted, created_at, finished_at) VALUES ('job_old', 't1', 'kb', 'done', 3, 3, 3, 1, 2)").run();
    old.close();
    const jobs = new Jobs(dir, {} as IngestService, {} as DocumentService);
    try {
      const job = jobs.get('t1', 'job_old');
      assert.deepEqual([job.type, job.status, job.total, job.done, job.upserted], ['import', 'done', 3, 3, 3]);
      assert.equal('document' in job, false, 'an import has no document fields');
      assert.deepEqual(jobs.list('t1').map((j) => j.id), ['job_old']);
      assert.throws(() => jobs.get('t2', 'job_old'), /does not exist/);
    } finally {
      await jobs.close();
    }
    // Opened again: the columns are there once, nothing changes.
    const again = new Jobs(dir, {} as IngestService, {} as DocumentService);
    assert.equal(again.get('t1', 'job_old').type, 'import');
    await again.close();
  });
});
