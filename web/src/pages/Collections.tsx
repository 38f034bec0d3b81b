/** Collections: the list with counts and sizes, a create form fed by /v1/models, delete with confirmation. */
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { useVectra } from '../session';
import { useAction, useLoad } from '../lib/hooks';
import { bytes, count, when } from '../lib/format';
import type { CreateCollection } from '@vectra/client';
import type { Collection } from '../lib/types';
import { ErrorNote } from '../components/ErrorNote';
import { ItemTable, type Column } from '../components/ItemTable';
import { NumberField, SelectField, type Choice } from '../components/Fields';
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

const METRICS: Choice[] = [
  { value: 'cosine', hint: 'the angle between vectors: the usual choice for text' },
  { value: 'dot', label: 'dot product', hint: 'inner product: cosine for normalized vectors' },
  { value: 'l2', label: 'euclidean (l2)', hint: 'distance: lower scores are closer' },
];
const INDEXES: Choice[] = [
  { value: 'hnsw', label: 'HNSW', hint: 'a graph: approximate, fast' },
  { value: 'flat', label: 'flat', hint: 'an exact scan of every vector' },
];
const STORAGES: Choice[] = [
  { value: '', label: 'default', hint: 'f16 for a cosine graph (rescored exactly), else f32' },
  { value: 'f32', hint: 'full precision, 4 bytes a dimension' },
  { value: 'f16', hint: 'half the memory' },
  { value: 'i8', hint: 'a quarter of the memory' },
  { value: 'binary', hint: '1 bit a dimension, rescored at full precision' },
  { value: 'pq', hint: 'product quantization, rescored at full precision' },
];

export function Collections() {
  const vectra = useVectra();
  const list = useLoad(() => vectra.collections.list(), [vectra]);
  const removing = useAction();
  const drop = async (name: string) => {
    if ((await removing.run(() => vectra.collections.delete(name).then(() => true))) !== undefined) list.reload();
  };
  const collections = list.data ?? [];
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
  const vectra = useVectra();
  const models = useLoad(() => vectra.models(), [vectra]);
  const creating = useAction();
  const [name, setName] = useState('');
  const [model, setModel] = useState('');
  const [dimension, setDimension] = useState('');
  const [metric, setMetric] = useState('cosine');
  const [indexType, setIndexType] = useState('hnsw');
  const [m, setM] = useState('');
  const [efConstruction, setEfConstruction] = useState('');
  const [efSearch, setEfSearch] = useState('');
  const [storage, setStorage] = useState('');
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
    // The select fields hold only the values they offer: the API's own names.
    const body: CreateCollection = {
      name: name.trim(),
      model: chosen || undefined,
      dimension: raw ? int(dimension) : undefined,
      metric: metric as CreateCollection['metric'],
      index: scanned ? undefined : indexType === 'flat' ? { type: 'flat' } : { type: 'hnsw', m: int(m), efConstruction: int(efConstruction), efSearch: int(efSearch) },
      storage: (storage || undefined) as CreateCollection['storage'],
    };
    const c = await creating.run(() => vectra.collections.create(body));
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
        <SelectField
          label="Embedding model"
          wide
          value={chosen}
          onChange={setModel}
          choices={[
            ...options.map((x) => ({
              value: x.id,
              label: `${x.id}${x.default ? ' (default)' : ''}${x.available ? '' : ' (unavailable)'}`,
              hint: `${x.dimension} dimensions · ${x.description}`,
              disabled: !x.available,
            })),
            { value: 'none', label: 'none: I send vectors', hint: 'no model: records and queries carry their own vectors of the dimension you give' },
          ]}
        />
        {raw && <NumberField label="Dimension" value={dimension} onChange={setDimension} min={1} required />}
        <SelectField label="Metric" value={metric} onChange={setMetric} choices={METRICS} />
        {!scanned && <SelectField label="Index" value={indexType} onChange={setIndexType} choices={INDEXES} />}
        {!scanned && indexType === 'hnsw' && (
          <>
            <NumberField label="M" value={m} onChange={setM} min={2} placeholder="default" />
            <NumberField label="ef construction" value={efConstruction} onChange={setEfConstruction} min={1} placeholder="default" />
            <NumberField label="ef search" value={efSearch} onChange={setEfSearch} min={1} placeholder="default" />
          </>
        )}
        <SelectField label="Vector storage" value={storage} onChange={setStorage} choices={STORAGES} />
      </div>
      <FormEnd busy={creating.busy} label="Create collection" busyLabel="Creating…" error={models.error ?? creating.error} done={done} />
    </form>
  );
}
