/** Add records: one by text (with optional id and metadata), or any number as JSON. */
import { useState, type FormEvent } from 'react';
import type { RecordInput } from '@vectra/client';
import { useVectra } from '../session';
import { useAction } from '../lib/hooks';
import { checkJson, optionalObject } from '../lib/json';
import type { Collection } from '../lib/types';
import { FormEnd } from './Form';
import { JsonEditor } from './JsonEditor';
import { TextArea, TextField } from './Fields';

const EXAMPLE = '[\n  {"id": "j1", "text": "barista at a coffee shop", "metadata": {"city": "Austin"}}\n]';

/** The JSON box's text → the records to upsert: a record, an array of them, or {"records": [...]}. */
export function recordsFromJson(text: string): { records: unknown[]; error: null } | { records: null; error: string } {
  const parsed = checkJson(text);
  if (parsed.error !== null) return { records: null, error: parsed.error };
  const v = parsed.value as unknown;
  const list = Array.isArray(v) ? v : typeof v === 'object' && v !== null && Array.isArray((v as { records?: unknown }).records) ? (v as { records: unknown[] }).records : [v];
  if (list.length === 0) return { records: null, error: 'no records: the array is empty' };
  for (const [i, r] of list.entries()) {
    const bad = checkJson(JSON.stringify(r), 'record').error;
    if (bad) return { records: null, error: `record ${i}: ${bad}` };
  }
  return { records: list, error: null };
}

export function AddRecords({ collection, onAdded }: { collection: Collection; onAdded(): void }) {
  const vectra = useVectra();
  const [mode, setMode] = useState<'text' | 'json'>(collection.model === 'none' ? 'json' : 'text');
  const [id, setId] = useState('');
  const [text, setText] = useState('');
  const [metadata, setMetadata] = useState('');
  const [json, setJson] = useState(EXAMPLE);
  const [problem, setProblem] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const adding = useAction();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone(null);
    let records: unknown[];
    if (mode === 'text') {
      const meta = optionalObject(metadata);
      if (meta.error) return setProblem(`metadata: ${meta.error}`);
      records = [{ ...(id.trim() ? { id: id.trim() } : {}), text, ...(meta.value ? { metadata: meta.value } : {}) }];
    } else {
      const r = recordsFromJson(json);
      if (r.error !== null) return setProblem(r.error);
      records = r.records;
    }
    setProblem(null);
    // Each checked as a record above; the server checks the rest (a refusal shows as its error).
    const answer = await adding.run(() => vectra.collection(collection.name).upsert(records as RecordInput[]));
    if (answer) {
      setDone(`Stored ${answer.upserted} record${answer.upserted === 1 ? '' : 's'}: ${answer.ids.slice(0, 5).join(', ')}${answer.ids.length > 5 ? '…' : ''}`);
      setId('');
      setText('');
      onAdded();
    }
  };

  return (
    <form className="card" onSubmit={submit} aria-labelledby="add-h">
      <h2 id="add-h">Add records</h2>
      <fieldset className="segmented">
        <legend className="sr-only">Add by</legend>
        <label>
          <input type="radio" name="add-mode" checked={mode === 'text'} onChange={() => setMode('text')} disabled={collection.model === 'none'} /> Text
        </label>
        <label>
          <input type="radio" name="add-mode" checked={mode === 'json'} onChange={() => setMode('json')} /> JSON
        </label>
      </fieldset>
      {mode === 'text' ? (
        <>
          <TextField label="Id (optional)" value={id} onChange={setId} hint="Leave empty for a generated id; an existing id is replaced." />
          <TextArea label="Text" value={text} onChange={setText} required />
          <JsonEditor label="Metadata (JSON, optional)" rows={3} rule="object" value={metadata} onChange={setMetadata} />
        </>
      ) : (
        <JsonEditor label="Records (JSON)" rows={8} value={json} onChange={setJson} hint={`A record, an array of records or {"records": [...]}; each with "text" or a ${collection.dimension}-number "vector".`} />
      )}
      <FormEnd busy={adding.busy} label="Add" busyLabel="Storing…" problem={problem} error={adding.error} done={done} />
    </form>
  );
}
