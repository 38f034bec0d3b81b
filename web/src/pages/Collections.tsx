/** Collections: the list with counts and sizes, a create form fed by /v1/models, delete with confirmation. */
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { useClient } from '../session';
import { useAction, useLoad } from '../lib/hooks';
import { bytes, count, when } from '../lib/format';
import type { Collection, Model } from '../lib/types';
import { ErrorNote } from '../components/ErrorNote';
import { ItemTable, type Column } from '../components/ItemTable';
import { NumberField, SelectField } from '../components/Fields';
import { FormEnd } from '../components/Form';

export function indexLabel(c: Collection): string {
  return c.index.type === 'hnsw' ? `HNSW (M ${c.index.m}, ef ${c.index.efSearch})` : 'flat (exact)';
}

const COLUMNS: Column<Collection>[] = [
  { head: 'Name', cell: (c) => <Link to={`/collections/${encodeURIComponent(c.name)}`}>{c.name}</Link> },
  { head: 'Records', num: true, testId: 'count', cell: (c) => count(c.count) },
  { head: 'Model', cell: (c) => c.model },
  { head: 'Dimension', num: true, cell: (c) => c.dimension },
  { head: 'Metric', cell: (c) => c.metric },
  { head: 'Index', cell: indexLabel },
  { head: 'Storage', cell: (c) => c.storage },
  { head: 'Disk', num: true, cell: (c) => bytes(c.diskBytes) },
  { head: 'Created', cell: (c) => when(c.createdAt) },
];

export function Collections() {
  const api = useClient();
  const list = useLoad(() => api<{ collections: Collection[] }>('GET', '/v1/collections'), [api]);
  const removing = useAction();
  const drop = async (name: string) => {
    if ((await removing.run(() => api('DELETE', `/v1/collections/${encodeURIComponent(name)}`))) !== undefined) list.reload();
  };
  const collections = list.data?.collections ?? [];
  return (
    <>
      <h1 tabIndex={-1}>Collections</h1>
      <ErrorNote error={list.error ?? removing.error} />
      {list.loading && !list.data ? (
        <p aria-busy="true">Loading…</p>
      ) : collections.length === 0 ? (
        <p className="empty">No collections yet: create one below.</p>
      ) : (
        <ItemTable
          caption="Your collections"
          items={collections}
          itemKey={(c) => c.name}
          rowData={(c) => ({ 'data-collection': c.name })}
          columns={COLUMNS}
          actions={(c) => <Link to={`/search?collection=${encodeURIComponent(c.name)}`}>Search</Link>}
          removal={{
            verb: 'Delete',
            name: (c) => c.name,
            question: (c) => <>Delete the collection “{c.name}” and its {count(c.count)} records? Its files are removed from disk; this cannot be undone.</>,
            busy: removing.busy,
            onConfirm: (c) => void drop(c.name),
          }}
        />
      )}
      <CreateCollection onCreated={list.reload} />
    </>
  );
}

function CreateCollection({ onCreated }: { onCreated(): void }) {
  const api = useClient();
  const models = useLoad(() => api<{ models: Model[] }>('GET', '/v1/models'), [api]);
  const creating = useAction();
  const [name, setName] = useState('');
  const [model, setModel] = useState('');
  const [dimension, setDimension] = useState('');
  const [metric, setMetric] = useState('cosine');
  const [indexType, setIndexType] = useState('hnsw');
  const [m, setM] = useState('');
  const [efConstruction, setEfConstruction] = useState('');
  const [efSearch, setEfSearch] = useState('');
  const [storage, setStorage] = useState('f32');
  const [done, setDone] = useState<string | null>(null);

  const options = models.data?.models ?? [];
  const chosen = model || options.find((x) => x.default)?.id || '';
  const raw = chosen === 'none';
  // Binary and PQ codes are scanned in full, then rescored: they have no graph to configure.
  const scanned = storage === 'binary' || storage === 'pq';

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone(null);
    const int = (s: string) => (s.trim() === '' ? undefined : Number(s));
    const body = {
      name: name.trim(),
      model: chosen || undefined,
      dimension: raw ? int(dimension) : undefined,
      metric,
      index: scanned ? undefined : indexType === 'flat' ? { type: 'flat' } : { type: 'hnsw', m: int(m), efConstruction: int(efConstruction), efSearch: int(efSearch) },
      storage,
    };
    const c = await creating.run(() => api<Collection>('POST', '/v1/collections', body));
    if (c) {
      setDone(`Created “${c.name}” (${c.model}, ${c.dimension} dimensions).`);
      setName('');
      onCreated();
    }
  };

  return (
    <form className="card" onSubmit={submit} aria-labelledby="create-h">
      <h2 id="create-h">Create a collection</h2>
      <div className="form-grid">
        <div className="field">
          <label htmlFor="c-name">Name</label>
          <input id="c-name" required pattern="[A-Za-z0-9_\-]{1,64}" title="1–64 letters, digits, _ or -" value={name} onChange={(e) => setName(e.target.value)} />
        </div>
        <SelectField label="Embedding model" value={chosen} onChange={setModel}>
          {options.map((x) => (
            <option key={x.id} value={x.id} disabled={!x.available}>
              {x.id} ({x.dimension}d{x.default ? ', default' : ''}{x.available ? '' : ', unavailable'})
            </option>
          ))}
          <option value="none">none: I send vectors</option>
        </SelectField>
        {raw && <NumberField label="Dimension" value={dimension} onChange={setDimension} min={1} required />}
        <SelectField label="Metric" value={metric} onChange={setMetric}>
          <option value="cosine">cosine</option>
          <option value="dot">dot product</option>
          <option value="l2">euclidean (l2)</option>
        </SelectField>
        {!scanned && (
          <SelectField label="Index" value={indexType} onChange={setIndexType}>
            <option value="hnsw">HNSW (approximate, fast)</option>
            <option value="flat">flat (exact scan)</option>
          </SelectField>
        )}
        {!scanned && indexType === 'hnsw' && (
          <>
            <NumberField label="M" value={m} onChange={setM} min={2} placeholder="default" />
            <NumberField label="ef construction" value={efConstruction} onChange={setEfConstruction} min={1} placeholder="default" />
            <NumberField label="ef search" value={efSearch} onChange={setEfSearch} min={1} placeholder="default" />
          </>
        )}
        <SelectField label="Vector storage" value={storage} onChange={setStorage}>
          <option value="f32">f32 (full precision)</option>
          <option value="f16">f16 (half the memory)</option>
          <option value="i8">i8 (a quarter)</option>
          <option value="binary">binary (1 bit a dimension, rescored)</option>
          <option value="pq">pq (product quantization, rescored)</option>
        </SelectField>
      </div>
      <FormEnd busy={creating.busy} label="Create collection" busyLabel="Creating…" error={models.error ?? creating.error} done={done} />
    </form>
  );
}
