/**
 * Upload a file (PDF, DOCX, HTML, Markdown, text) into a collection as a document
 * (POST …/documents/upload, multipart), with a progress bar: XMLHttpRequest reports upload
 * progress, fetch does not. Then what the server made of it (its id, chunks), or its coded
 * refusal. A large file may be answered 202 with a background job: followed at /v1/jobs/{id}.
 */
import { useId, useRef, useState, type FormEvent } from 'react';
import { useSession, useVectra } from '../session';
import { upload } from '../lib/api';
import { useAction } from '../lib/hooks';
import { followJob } from '../lib/jobs';
import { bytes, count } from '../lib/format';
import type { DocumentUploaded, Job } from '../lib/types';
import { ErrorNote } from './ErrorNote';
import { SelectField, TextField } from './Fields';

const ACCEPT = '.pdf,.docx,.html,.htm,.md,.markdown,.txt,.text';

type Result = { file: string; collection: string; stored: Exclude<DocumentUploaded, { job: unknown }> } | { file: string; collection: string; job: Partial<Job> & Pick<Job, 'id' | 'status'> };

export function UploadDocument({ collections, initial, onUploaded }: { collections: string[]; initial: string; onUploaded(collection: string): void }) {
  const vectra = useVectra();
  const key = useSession().key!;
  const fileId = useId();
  const input = useRef<HTMLInputElement>(null);
  const [chosen, setCollection] = useState<string | null>(null);
  const collection = chosen !== null && collections.includes(chosen) ? chosen : collections.includes(initial) ? initial : (collections[0] ?? '');
  const [id, setId] = useState('');
  const [title, setTitle] = useState('');
  const [sent, setSent] = useState<{ loaded: number; total: number } | null>(null);
  const [outcome, setOutcome] = useState<Result | null>(null);
  const uploading = useAction();
  const following = useAction();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const file = input.current?.files?.[0];
    if (!file || !collection) return;
    setOutcome(null);
    following.clear();
    const form = new FormData();
    // The fields before the file: the server reads them as the body streams in.
    if (id.trim()) form.append('id', id.trim());
    if (title.trim()) form.append('title', title.trim());
    form.append('file', file, file.name);
    setSent({ loaded: 0, total: file.size });
    const path = `/v1/collections/${encodeURIComponent(collection)}/documents/upload`;
    const answer = await uploading.run(() => upload<DocumentUploaded>(key, path, form, null, (loaded, total) => setSent({ loaded, total })));
    setSent(null);
    if (!answer) return;
    if (!('job' in answer)) {
      setOutcome({ file: file.name, collection, stored: answer });
      onUploaded(collection);
      return;
    }
    setOutcome({ file: file.name, collection, job: answer.job });
    const last = await following.run(() => followJob(vectra, answer.job.id, (job) => setOutcome({ file: file.name, collection, job })));
    if (last?.status === 'done') onUploaded(collection);
  };

  return (
    <form className="card" onSubmit={submit} aria-labelledby="upload-h">
      <h2 id="upload-h">Upload a file</h2>
      <p className="muted">PDF, DOCX, HTML, Markdown or text: its text is split into chunks, embedded and stored as one document, ready to be asked about.</p>
      <div className="form-grid">
        <SelectField label="Into collection" value={collection} onChange={setCollection} choices={collections.map((n) => ({ value: n }))} />
        <TextField label="Document id (optional)" value={id} onChange={setId} hint="The same id again replaces that document; empty: a new id." />
        <TextField label="Title (optional)" value={title} onChange={setTitle} hint="Cited with its passages; empty: the file’s name." />
      </div>
      <div className="field">
        <label htmlFor={fileId}>File</label>
        <input id={fileId} ref={input} type="file" accept={ACCEPT} required />
      </div>
      <div className="row">
        <button type="submit" className="primary" disabled={uploading.busy || following.busy || !collection}>
          {uploading.busy ? 'Uploading…' : 'Upload'}
        </button>
      </div>
      {sent && (
        <div className="progress" data-testid="upload-progress">
          <label>
            Uploading {bytes(sent.loaded)} of {bytes(sent.total)} <progress max={sent.total || 1} value={sent.loaded} />
          </label>
        </div>
      )}
      <ErrorNote error={uploading.error} />
      {outcome && <UploadResult outcome={outcome} />}
      <ErrorNote error={following.error} />
    </form>
  );
}

function UploadResult({ outcome }: { outcome: Result }) {
  if ('stored' in outcome) {
    const s = outcome.stored;
    return (
      <p role="status" className="ok" data-testid="upload-result">
        Uploaded {outcome.file} into {outcome.collection} as document <code>{s.id}</code>: {count(s.chunks)} chunk{s.chunks === 1 ? '' : 's'} ({s.format}
        {s.pages !== undefined ? `, ${count(s.pages)} pages` : ''}).
      </p>
    );
  }
  const j = outcome.job;
  const total = typeof j.total === 'number' && j.total > 0 ? j.total : null;
  return (
    <div className="progress" data-testid="upload-job">
      <p role="status">
        {j.status === 'done' ? `${outcome.file} was processed` : `${outcome.file} is processing in the background`} (job <code>{j.id}</code>, {j.status}
        {total !== null ? `: ${count(j.done ?? 0)} of ${count(total)}` : ''}).
      </p>
      {total !== null && j.status !== 'done' && <progress max={total} value={j.done ?? 0} aria-label="Processing" />}
      <ErrorNote error={j.error} />
    </div>
  );
}
