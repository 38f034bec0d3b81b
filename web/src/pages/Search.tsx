/** Search playground: text or vector, dense / keyword / hybrid, filter, k, return; scores, latency, copy as curl. */
import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useClient } from '../session';
import { useAction, useLoad } from '../lib/hooks';
import { searchBody, type SearchForm } from '../lib/search-body';
import { curlCommand } from '../lib/curl';
import { score, short } from '../lib/format';
import type { Collection, SearchAnswer } from '../lib/types';
import { ErrorNote } from '../components/ErrorNote';
import { JsonEditor } from '../components/JsonEditor';
import { CopyButton } from '../components/CopyButton';
import { FormEnd } from '../components/Form';
import { NumberField, SelectField, TextArea } from '../components/Fields';

export function Search() {
  const api = useClient();
  const [params, setParams] = useSearchParams();
  const collections = useLoad(() => api<{ collections: Collection[] }>('GET', '/v1/collections'), [api]);
  const names = collections.data?.collections.map((c) => c.name) ?? [];
  const collection = params.get('collection') ?? names[0] ?? '';
  const [form, setForm] = useState<SearchForm>({ by: 'text', query: '', mode: 'dense', fusion: 'rrf', alpha: '0.5', filter: '', k: '10', returns: 'object' });
  const set = <K extends keyof SearchForm>(k: K) => (v: SearchForm[K]) => setForm((f) => ({ ...f, [k]: v }));
  const [problem, setProblem] = useState<string | null>(null);
  const [answer, setAnswer] = useState<{ result: SearchAnswer; roundTripMs: number; hybrid: boolean } | null>(null);
  const searching = useAction();

  const built = searchBody(form);
  const path = `/v1/collections/${encodeURIComponent(collection)}/search`;
  const curl = built.error === null && collection ? curlCommand(window.location.origin, 'POST', path, built.body) : null;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(built.error);
    if (built.error !== null) return;
    const t0 = performance.now();
    const result = await searching.run(() => api<SearchAnswer>('POST', path, built.body));
    if (result) setAnswer({ result, roundTripMs: performance.now() - t0, hybrid: form.mode === 'hybrid' });
  };

  return (
    <>
      <h1 tabIndex={-1}>Search</h1>
      <ErrorNote error={collections.error} />
      {collections.data && names.length === 0 ? (
        <p className="empty">
          No collections to search: <Link to="/collections">create one</Link> first.
        </p>
      ) : (
        <form className="card" onSubmit={submit} aria-label="Search">
          <div className="form-grid">
            <SelectField label="Collection" value={collection} onChange={(v) => setParams({ collection: v })}>
              {names.map((n) => (
                <option key={n}>{n}</option>
              ))}
            </SelectField>
            <SelectField label="Query by" value={form.by} onChange={(v) => set('by')(v as SearchForm['by'])}>
              <option value="text">text</option>
              <option value="vector">vector</option>
            </SelectField>
            <SelectField label="Mode" value={form.mode} onChange={(v) => set('mode')(v as SearchForm['mode'])}>
              <option value="dense">dense (by meaning)</option>
              <option value="keyword">keyword (BM25)</option>
              <option value="hybrid">hybrid (both, fused)</option>
            </SelectField>
            {form.mode === 'hybrid' && (
              <SelectField label="Fusion" value={form.fusion} onChange={(v) => set('fusion')(v as SearchForm['fusion'])}>
                <option value="rrf">reciprocal rank (RRF)</option>
                <option value="weighted">weighted scores</option>
              </SelectField>
            )}
            {form.mode === 'hybrid' && form.fusion === 'weighted' && <NumberField label="Alpha (dense weight)" value={form.alpha} onChange={set('alpha')} min={0} max={1} step={0.05} />}
            <NumberField label="k" value={form.k} onChange={set('k')} min={1} max={1000} required />
            <SelectField label="Return" value={form.returns} onChange={(v) => set('returns')(v as SearchForm['returns'])}>
              <option value="object">object (id, score, text, metadata)</option>
              <option value="id">id (id and score)</option>
            </SelectField>
          </div>
          {form.by === 'text' ? (
            <TextArea label="Query text" rows={2} value={form.query} onChange={set('query')} placeholder="hourly wage not less than $13" />
          ) : (
            <JsonEditor label="Query vector (JSON array)" rows={3} rule="vector" value={form.query} onChange={set('query')} />
          )}
          <JsonEditor label="Filter (JSON, optional)" rows={2} rule="object" value={form.filter} onChange={set('filter')} hint='e.g. {"city": "Austin"}; operators $eq $ne $gt $gte $lt $lte $in $nin $exists $and $or $not' />
          <FormEnd busy={searching.busy} label="Search" busyLabel="Searching…" problem={problem}>
            {curl && <CopyButton text={curl} label="Copy as curl" />}
          </FormEnd>
          {curl && (
            <details>
              <summary>Request as curl</summary>
              <pre className="code" data-testid="curl">
                {curl}
              </pre>
            </details>
          )}
        </form>
      )}
      <ErrorNote error={searching.error} />
      {answer && <Results {...answer} />}
    </>
  );
}

function Results({ result, roundTripMs, hybrid }: { result: SearchAnswer; roundTripMs: number; hybrid: boolean }) {
  return (
    <section aria-labelledby="results-h">
      <h2 id="results-h">Results</h2>
      <p role="status" className="muted" data-testid="latency">
        {result.results.length} result{result.results.length === 1 ? '' : 's'} · server {result.took_ms.toFixed(2)} ms · round trip {roundTripMs.toFixed(0)} ms · plan {result.plan}
        {result.plans ? ` (dense ${result.plans.dense}, keyword ${result.plans.keyword})` : ''}
      </p>
      {result.results.length === 0 ? (
        <p className="empty">Nothing matched.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col" className="num">#</th>
                <th scope="col">Id</th>
                <th scope="col" className="num">Score</th>
                {hybrid && (
                  <>
                    <th scope="col" className="num">Dense</th>
                    <th scope="col" className="num">Keyword</th>
                  </>
                )}
                <th scope="col">Text</th>
                <th scope="col">Metadata</th>
              </tr>
            </thead>
            <tbody>
              {result.results.map((r, i) => (
                <tr key={r.id} data-result={r.id}>
                  <td className="num">{i + 1}</td>
                  <th scope="row">{r.id}</th>
                  <td className="num">{score(r.score)}</td>
                  {hybrid && (
                    <>
                      <td className="num">{score(r.scores?.dense)}</td>
                      <td className="num">{score(r.scores?.keyword)}</td>
                    </>
                  )}
                  <td>{short(r.text, 160)}</td>
                  <td className="code">{r.metadata ? short(JSON.stringify(r.metadata), 100) : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
