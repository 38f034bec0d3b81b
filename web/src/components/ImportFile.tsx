/**
 * Import an NDJSON, JSON or CSV file: converted to NDJSON records in the browser when it
 * needs mapping, uploaded as a background import job (POST …/imports), then followed at
 * GET /v1/jobs/{id} with a progress bar until it ends.
 */
import { useId, useRef, useState, type FormEvent } from 'react';
import { useSession, useVectra } from '../session';
import { upload } from '../lib/api';
import { asApiError, useAction } from '../lib/hooks';
import { fileText, kindOf, sendsAsIs, toNdjson, type Converted } from '../lib/import-file';
import { count } from '../lib/format';
import { followJob } from '../lib/jobs';
import type { Job } from '../lib/types';
import { ErrorNote } from './ErrorNote';
import { TextField } from './Fields';

export function ImportFile({ collection, onImported }: { collection: string; onImported(): void }) {
  const vectra = useVectra();
  const key = useSession().key!;
  const fileId = useId();
  const input = useRef<HTMLInputElement>(null);
  const [textField, setTextField] = useState('text');
  const [idField, setIdField] = useState('id');
  const [vectorField, setVectorField] = useState('vector');
  const [phase, setPhase] = useState<'idle' | 'reading' | 'uploading' | 'importing' | 'finished'>('idle');
  const [sent, setSent] = useState({ loaded: 0, total: 0 });
  const [job, setJob] = useState<Job | null>(null);
  const [skipped, setSkipped] = useState<Converted['skipped']>([]);
  const importing = useAction();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const file = input.current?.files?.[0];
    if (!file) return;
    setJob(null);
    setSkipped([]);
    await importing.run(async () => {
      const kind = kindOf(file.name);
      if (!kind) throw asApiError(new Error(`"${file.name}": use a .ndjson, .jsonl, .json or .csv file`));
      const fields = { textField, idField, vectorField };
      let body: Blob = file;
      if (!sendsAsIs(kind, fields)) {
        setPhase('reading');
        const converted = toNdjson(fileText(new Uint8Array(await file.arrayBuffer()), file.name), kind, fields);
        setSkipped(converted.skipped);
        body = new Blob([converted.ndjson], { type: 'application/x-ndjson' });
      }
      setPhase('uploading');
      // Uploaded with XMLHttpRequest, for its progress (fetch reports none); followed with the client.
      const started = await upload<Job>(key, `/v1/collections/${encodeURIComponent(collection)}/imports`, body, 'application/x-ndjson', (loaded, total) => setSent({ loaded, total }));
      setJob(started);
      setPhase('importing');
      await followJob(vectra, started.id, setJob);
      onImported();
    });
    setPhase('finished');
  };
  const cancel = () => void importing.run(async () => job && setJob(await vectra.jobs.cancel(job.id)));

  const busy = phase === 'reading' || phase === 'uploading' || phase === 'importing';
  return (
    <form className="card" onSubmit={submit} aria-labelledby="import-h">
      <h2 id="import-h">Import a file</h2>
      <p className="muted">
        NDJSON/JSONL, JSON (an array) or CSV with a header row. Rows shaped like records (<code>id</code>, <code>text</code>, <code>vector</code>, <code>metadata</code>) go in as they are; in other rows the fields below name the id, text and vector, and every other column becomes metadata.
      </p>
      <div className="field">
        <label htmlFor={fileId}>File</label>
        <input id={fileId} ref={input} type="file" accept=".ndjson,.jsonl,.json,.csv" required />
      </div>
      <div className="form-grid">
        <TextField label="Text field" value={textField} onChange={setTextField} />
        <TextField label="Id field" value={idField} onChange={setIdField} />
        <TextField label="Vector field" value={vectorField} onChange={setVectorField} />
      </div>
      <div className="row">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Importing…' : 'Import'}
        </button>
        {phase === 'importing' && job && (
          <button type="button" onClick={cancel}>
            Cancel import
          </button>
        )}
      </div>
      <ImportProgress phase={phase} sent={sent} job={job} />
      {skipped.length > 0 && (
        <p className="warning">
          {skipped.length} row{skipped.length === 1 ? '' : 's'} could not be read and were left out: {skipped.slice(0, 3).map((s) => `row ${s.row}: ${s.message}`).join('; ')}
        </p>
      )}
      <ErrorNote error={importing.error} />
    </form>
  );
}

function ImportProgress({ phase, sent, job }: { phase: string; sent: { loaded: number; total: number }; job: Job | null }) {
  if (phase === 'idle') return null;
  if (phase === 'reading') return <p role="status">Reading the file…</p>;
  if (phase === 'uploading') {
    return (
      <div className="progress">
        <label>
          Uploading <progress max={sent.total || 1} value={sent.loaded} />
        </label>
      </div>
    );
  }
  if (!job) return null;
  return (
    <div className="progress" data-testid="import-progress">
      <label>
        Import {job.status} <progress max={job.total || 1} value={job.status === 'done' ? job.total || 1 : job.done} />
      </label>
      <p role="status" data-testid="import-status">
        {job.status === 'done' ? 'Imported' : job.status === 'running' || job.status === 'queued' ? 'Importing' : `Import ${job.status}:`} {count(job.upserted)} of {count(job.total)} records
        {job.errors > 0 ? `, ${count(job.errors)} failed` : ''}
        {job.rate && job.status === 'running' ? ` · ${Math.round(job.rate)}/s` : ''}
        {job.etaSeconds && job.status === 'running' ? ` · about ${Math.ceil(job.etaSeconds)} s left` : ''}.
      </p>
      <ErrorNote error={job.error} />
      {job.errorSamples.length > 0 && (
        <details>
          <summary>Failed lines ({job.errorSamples.length} shown)</summary>
          <ul className="compact">
            {job.errorSamples.map((s) => (
              <li key={s.line}>
                line {s.line}: {s.error ? `${s.error.code} ${s.error.message}` : 'failed'}
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}
