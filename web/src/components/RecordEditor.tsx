/** View and edit one record as JSON (validated as you type), save it by upsert, or delete it. */
import { useState } from 'react';
import { useVectra } from '../session';
import { useAction, useLoad } from '../lib/hooks';
import { checkJson } from '../lib/json';
import { when } from '../lib/format';
import type { RecordInput } from '@vectra/client';
import type { Collection } from '../lib/types';
import { ErrorNote } from './ErrorNote';
import { JsonEditor } from './JsonEditor';
import { ConfirmButton } from './ConfirmButton';

export function RecordEditor({ collection, id, onChanged, onDeleted }: { collection: Collection; id: string; onChanged(): void; onDeleted(): void }) {
  const records = useVectra().collection(collection.name);
  // Raw-vector collections cannot re-embed text: their vector must come back with the edit.
  const [withVector, setWithVector] = useState(collection.model === 'none');
  const [text, setText] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const rec = useLoad(async () => {
    const r = await records.get(id, { includeVector: withVector });
    const editable: Record<string, unknown> = { text: r.text, metadata: r.metadata };
    if (r.vector) editable.vector = r.vector;
    setText(JSON.stringify(editable, null, 2));
    return r;
  }, [records.name, id, withVector]);
  const saving = useAction();
  const deleting = useAction();
  const checked = text === null ? null : checkJson(text, 'record');

  const save = async () => {
    if (!checked || checked.error) return;
    setSaved(null);
    // A record without text is sent without the field (the API takes a string or nothing).
    const { text: t, ...rest } = checked.value as { text?: string | null };
    // Checked as a record by checkJson; the server checks the rest (a refusal shows as its error).
    const record = (t == null ? { id, ...rest } : { id, text: t, ...rest }) as RecordInput;
    const done = await saving.run(() => records.upsert([record]));
    if (done) {
      setSaved('Saved.');
      onChanged();
    }
  };
  const remove = async () => {
    if ((await deleting.run(() => records.delete(id))) !== undefined) onDeleted();
  };

  return (
    <section className="card editor" aria-labelledby="editor-h">
      <h3 id="editor-h">
        Record <code>{id}</code>
      </h3>
      <ErrorNote error={rec.error} />
      {rec.data && (
        <p className="muted">
          Created {when(rec.data.createdAt)} · updated {when(rec.data.updatedAt)}
        </p>
      )}
      <label className="check">
        <input type="checkbox" checked={withVector} onChange={(e) => setWithVector(e.target.checked)} /> Include the vector
      </label>
      {text !== null && (
        <JsonEditor label="Record JSON" rows={10} rule="record" value={text} onChange={(v) => (setText(v), setSaved(null))} hint="Saving upserts the record under this id; changed text is embedded again." />
      )}
      <ErrorNote error={saving.error ?? deleting.error} />
      {saved && (
        <p role="status" className="ok">
          {saved}
        </p>
      )}
      <div className="row">
        <button type="button" className="primary" disabled={!checked || checked.error !== null || saving.busy} onClick={() => void save()}>
          {saving.busy ? 'Saving…' : 'Save'}
        </button>
        <ConfirmButton label="Delete record" question={<>Delete the record “{id}”? This cannot be undone.</>} confirm="Delete" disabled={deleting.busy} onConfirm={() => void remove()} />
      </div>
    </section>
  );
}
