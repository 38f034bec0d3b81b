/** One collection: its numbers, a paginated record browser with a filter, the record editor, add and import. */
import { useState, type FormEvent } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import type { Filter } from '@vectra/client';
import { useVectra } from '../session';
import { useLoad } from '../lib/hooks';
import { optionalObject } from '../lib/json';
import { bytes, count, short, when } from '../lib/format';
import { ErrorNote } from '../components/ErrorNote';
import { JsonEditor } from '../components/JsonEditor';
import { SelectField } from '../components/Fields';
import { RecordEditor } from '../components/RecordEditor';
import { AddRecords } from '../components/AddRecords';
import { ImportFile } from '../components/ImportFile';
import { Stats } from '../components/Stats';
import { indexLabel } from './Collections';

export function Records() {
  const name = useParams().name!;
  const vectra = useVectra();
  const info = useLoad(() => vectra.collections.get(name), [vectra, name]);
  const [filterText, setFilterText] = useState('');
  const [filter, setFilter] = useState<Filter | undefined>();
  const [filterError, setFilterError] = useState<string | null>(null);
  const [limit, setLimit] = useState('20');
  // Cursors of the pages seen so far: cursors[i] opens page i.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [page, setPage] = useState(0);
  // ?record=<id> (the Activity page's links) opens that record's editor.
  const [params] = useSearchParams();
  const [open, setOpen] = useState<string | null>(() => params.get('record'));

  const records = useLoad(() => vectra.collection(name).listPage({ limit: Number(limit), cursor: cursors[page], filter }), [vectra, name, limit, filter, page, cursors]);

  const refresh = () => {
    info.reload();
    records.reload();
  };
  const restart = () => {
    setCursors([undefined]);
    setPage(0);
  };
  const applyFilter = (e: FormEvent) => {
    e.preventDefault();
    const checked = optionalObject(filterText);
    setFilterError(checked.error);
    if (checked.error) return;
    setFilter(checked.value as Filter | undefined);
    restart();
  };
  // A refused filter (here or by the API) shows its error alone: not the last page that loaded, nor "No record matches".
  const shown = filterError || records.error ? undefined : records.data;
  const next = shown?.nextCursor ?? null;
  const goNext = () => {
    if (!next) return;
    setCursors((c) => [...c.slice(0, page + 1), next]);
    setPage(page + 1);
  };

  const c = info.data;
  return (
    <>
      <p className="crumbs">
        <Link to="/collections">Collections</Link> /
      </p>
      <h1 tabIndex={-1}>{name}</h1>
      <ErrorNote error={info.error} />
      {c && (
        <Stats
          label="Collection details"
          items={[
            { label: 'Records', value: count(c.count), testId: 'record-count' },
            { label: 'Model', value: c.model },
            { label: 'Dimension', value: c.dimension },
            { label: 'Metric', value: c.metric },
            { label: 'Index', value: indexLabel(c) },
            { label: 'Disk', value: bytes(c.diskBytes) },
            !!c.unindexed && { label: 'Being indexed', value: count(c.unindexed) },
          ]}
        />
      )}
      <p>
        <Link to={`/search?collection=${encodeURIComponent(name)}`}>Search this collection →</Link>
      </p>

      <section aria-labelledby="browse-h">
        <h2 id="browse-h">Records</h2>
        <form className="filter-bar" onSubmit={applyFilter}>
          <JsonEditor label="Metadata filter (JSON)" rows={2} rule="object" value={filterText} onChange={setFilterText} hint='e.g. {"city": "Austin", "wage": {"$gte": 13}}' />
          <SelectField label="Per page" value={limit} onChange={(v) => (setLimit(v), restart())}>
            {['10', '20', '50', '100'].map((n) => (
              <option key={n}>{n}</option>
            ))}
          </SelectField>
          <div className="row">
            <button type="submit">Apply filter</button>
            {filter && (
              <button type="button" onClick={() => (setFilterText(''), setFilter(undefined), restart())}>
                Clear
              </button>
            )}
          </div>
        </form>
        {filterError && (
          <p role="alert" className="error">
            {filterError}
          </p>
        )}
        <ErrorNote error={records.error} />
        {shown && (shown.records.length === 0 ? (
          <p className="empty">{filter ? 'No record matches this filter.' : 'No records yet: add some or import a file below.'}</p>
        ) : (
          <div className="table-wrap">
            <table aria-busy={records.loading}>
              <thead>
                <tr>
                  <th scope="col">Id</th>
                  <th scope="col">Text</th>
                  <th scope="col">Metadata</th>
                  <th scope="col">Updated</th>
                </tr>
              </thead>
              <tbody>
                {shown.records.map((r) => (
                  <tr key={r.id} data-record={r.id} className={open === r.id ? 'selected' : undefined}>
                    <th scope="row">
                      <button type="button" className="link" aria-expanded={open === r.id} onClick={() => setOpen(open === r.id ? null : r.id)}>
                        {r.id}
                      </button>
                    </th>
                    <td>{short(r.text)}</td>
                    <td className="code">{short(JSON.stringify(r.metadata), 80)}</td>
                    <td>{when(r.updatedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ))}
        <nav className="pager" aria-label="Record pages">
          <button type="button" disabled={page === 0} onClick={() => setPage(page - 1)}>
            ← Previous
          </button>
          <span>Page {page + 1}</span>
          <button type="button" disabled={!next} onClick={goNext}>
            Next →
          </button>
        </nav>
        {open && c && <RecordEditor key={open} collection={c} id={open} onChanged={refresh} onDeleted={() => (setOpen(null), refresh())} />}
      </section>

      {c && (
        <>
          <AddRecords collection={c} onAdded={refresh} />
          <ImportFile collection={c.name} onImported={refresh} />
        </>
      )}
    </>
  );
}
