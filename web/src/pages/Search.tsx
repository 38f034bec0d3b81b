/** Search playground: text or vector, dense / keyword / hybrid, filter, k, return, the API's options; scores, latency, the explain timeline, copy as curl. */
import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { SearchQuery } from '@vectra/client';
import { useVectra } from '../session';
import { useAction, useLoad } from '../lib/hooks';
import { SEARCH_FORM, searchBody, type SearchForm } from '../lib/search-body';
import { curlCommand } from '../lib/curl';
import type { SearchAnswer } from '../lib/types';
import { ErrorNote } from '../components/ErrorNote';
import { JsonEditor } from '../components/JsonEditor';
import { CopyButton } from '../components/CopyButton';
import { FormEnd } from '../components/Form';
import { NumberField, SelectField, TextArea, type Choice } from '../components/Fields';
import { SearchOptions } from '../components/SearchOptions';
import { SearchResults } from '../components/SearchResults';
import { SearchExplain } from '../components/SearchExplain';

const MODES: Choice[] = [
  { value: 'dense', hint: 'by meaning: the nearest vectors' },
  { value: 'keyword', hint: 'by words (BM25), like a search engine' },
  { value: 'hybrid', hint: 'both at once, the two rankings fused' },
];
const FUSIONS: Choice[] = [
  { value: 'rrf', label: 'RRF', hint: 'reciprocal rank fusion: combines the two rankings' },
  { value: 'weighted', hint: 'alpha · dense + (1 − alpha) · keyword, each side’s scores scaled to 0–1' },
];
const RETURNS: Choice[] = [
  { value: 'object', hint: 'id, score, text and metadata' },
  { value: 'id', hint: 'id and score only' },
];

export function Search() {
  const vectra = useVectra();
  const [params, setParams] = useSearchParams();
  const collections = useLoad(() => vectra.collections.list(), [vectra]);
  // Rerankers for the cross-encoder option; without the list the option is simply not offered.
  const models = useLoad(() => vectra.models(), [vectra]);
  const rerankers = models.data?.rerankers ?? [];
  const names = collections.data?.map((c) => c.name) ?? [];
  const collection = params.get('collection') ?? names[0] ?? '';
  const [typed, setForm] = useState<SearchForm>(SEARCH_FORM);
  // The reranker defaults to the first one that can run.
  const form = { ...typed, reranker: typed.reranker || (rerankers.find((r) => r.available)?.id ?? '') };
  const set = <K extends keyof SearchForm>(k: K) => (v: SearchForm[K]) => setForm((f) => ({ ...f, [k]: v }));
  const [problem, setProblem] = useState<string | null>(null);
  const [answer, setAnswer] = useState<{ result: SearchAnswer; roundTripMs: number; mmr: boolean } | null>(null);
  const searching = useAction();

  const built = searchBody(form);
  const path = `/v1/collections/${encodeURIComponent(collection)}/search`;
  const curl = built.error === null && collection ? curlCommand(window.location.origin, 'POST', path, built.body) : null;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(built.error);
    if (built.error !== null) return;
    const t0 = performance.now();
    // searchBody checked the form; the server checks the rest (a refusal shows as its error).
    const result: SearchAnswer | undefined = await searching.run(() => vectra.collection(collection).search(built.body as SearchQuery));
    // A failed search leaves its error alone, not the previous answer under it.
    setAnswer(result ? { result, roundTripMs: performance.now() - t0, mmr: form.rerank === 'mmr' } : null);
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
            <SelectField label="Collection" value={collection} onChange={(v) => setParams({ collection: v })} choices={names.map((n) => ({ value: n }))} />
            <SelectField label="Query by" value={form.by} onChange={(v) => set('by')(v as SearchForm['by'])} choices={[{ value: 'text' }, { value: 'vector' }]} />
            <SelectField label="Mode" value={form.mode} onChange={(v) => set('mode')(v as SearchForm['mode'])} choices={MODES} />
            {form.mode === 'hybrid' && <SelectField label="Fusion" value={form.fusion} onChange={(v) => set('fusion')(v as SearchForm['fusion'])} choices={FUSIONS} />}
            {form.mode === 'hybrid' && form.fusion === 'weighted' && <NumberField label="Alpha (dense weight)" value={form.alpha} onChange={set('alpha')} min={0} max={1} step={0.05} />}
            <NumberField label="k" value={form.k} onChange={set('k')} min={1} max={1000} required />
            <SelectField label="Return" value={form.returns} onChange={(v) => set('returns')(v as SearchForm['returns'])} choices={RETURNS} />
          </div>
          {form.by === 'text' ? (
            // The parse example is offered as the placeholder only when parse would read it.
            <TextArea label="Query text" rows={2} value={form.query} onChange={set('query')} placeholder={form.parse ? 'hourly wage not less than $13' : 'coffee shop job'} />
          ) : (
            <JsonEditor label="Query vector (JSON array)" rows={3} rule="vector" value={form.query} onChange={set('query')} />
          )}
          <JsonEditor label="Filter (JSON, optional)" rows={2} rule="object" value={form.filter} onChange={set('filter')} hint='e.g. {"city": "Austin"}; operators $eq $ne $gt $gte $lt $lte $in $nin $exists $and $or $not' />
          <SearchOptions form={form} set={set} rerankers={rerankers} />
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
      {answer && <SearchResults {...answer} />}
      {answer?.result.seed !== undefined && (
        <p className="row" data-testid="seed">
          <span>
            Drawn at a temperature with seed <code>{answer.result.seed}</code>: the same seed draws the same results.
          </span>
          {form.seed.trim() === String(answer.result.seed) ? (
            <span className="muted">(pinned)</span>
          ) : (
            <button type="button" onClick={() => set('seed')(String(answer.result.seed))}>
              Pin this seed
            </button>
          )}
        </p>
      )}
      {answer?.result.explain && <SearchExplain explain={answer.result.explain} />}
    </>
  );
}
