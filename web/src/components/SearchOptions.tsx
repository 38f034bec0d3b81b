/**
 * The search form's options area: what the API can do beyond a plain query (docs/search.md),
 * folded away until wanted, each option saying what it does. The summary names those turned on.
 */
import { MAX_SEED, MAX_TEMPERATURE, optionsOn, type SearchForm } from '../lib/search-body';
import type { Reranker } from '../lib/types';
import { CheckField, NumberField, SelectField, type Choice } from './Fields';

export function SearchOptions({ form, set, rerankers }: { form: SearchForm; set<K extends keyof SearchForm>(k: K): (v: SearchForm[K]) => void; rerankers: Reranker[] }) {
  const on = optionsOn(form);
  const rerank: Choice[] = [
    { value: 'none', hint: 'results in the order retrieved' },
    { value: 'mmr', label: 'MMR', hint: 'maximal marginal relevance: varied results, near-duplicates fall behind' },
  ];
  // The cross-encoder needs a reranker model: offered when the server lists one.
  if (rerankers.length > 0) rerank.push({ value: 'cross-encoder', hint: 'a model reads the query with each hit’s text and reorders them: slower, often better' });
  rerank.push({ value: 'feedback', hint: 'boosts what users chose (POST …/feedback: clicks, bookmarks, dwell, skips) for similar queries, within the candidates found' });
  return (
    <details className="options" data-testid="search-options">
      <summary>
        Options{on.length > 0 && <span className="muted"> · on: {on.join(', ')}</span>}
      </summary>
      <div className="form-grid">
        <CheckField label="Parse constraints" checked={form.parse} onChange={set('parse')} hint="reads numbers and dates in the text into a filter: “hourly wage not less than $13” searches “hourly wage” where wage ≥ 13" />
        <CheckField label="Highlight matches" checked={form.highlight} onChange={set('highlight')} hint="marks the query’s words in each hit’s text" />
        <CheckField label="Exact search" checked={form.exact} onChange={set('exact')} hint="compares every vector instead of using the index: slower, misses nothing" />
        <NumberField label="ef (search breadth)" value={form.ef} onChange={set('ef')} min={1} max={10000} placeholder="index default" hint="HNSW: higher finds more of the true nearest, slower" />
        <SelectField label="Rerank" value={form.rerank} onChange={(v) => set('rerank')(v as SearchForm['rerank'])} choices={rerank} />
        {form.rerank === 'mmr' && <NumberField label="MMR lambda" value={form.lambda} onChange={set('lambda')} min={0} max={1} step={0.05} hint="1 = relevance only; lower = more variety" />}
        {form.rerank === 'cross-encoder' && (
          <SelectField
            label="Reranker"
            wide
            value={form.reranker}
            onChange={set('reranker')}
            choices={[
              ...(form.reranker === '' ? [{ value: '', label: 'none available', disabled: true }] : []),
              ...rerankers.map((r) => ({ value: r.id, label: r.available ? r.id : `${r.id} (unavailable)`, hint: r.description, disabled: !r.available })),
            ]}
          />
        )}
        {form.rerank === 'feedback' && (
          <>
            <NumberField label="Feedback weight" value={form.feedbackWeight} onChange={set('feedbackWeight')} min={0} max={1} step="any" placeholder="0.5" hint="the most a boost moves a result, as a share of the candidates’ relevance range" />
            <NumberField label="Similar from (cosine)" value={form.feedbackSimilarity} onChange={set('feedbackSimilarity')} min={0} max={1} step="any" placeholder="0.8" hint="an earlier query this close to this one counts" />
          </>
        )}
        <NumberField
          label="Temperature"
          value={form.temperature}
          onChange={set('temperature')}
          min={0}
          max={MAX_TEMPERATURE}
          step="any"
          placeholder="0: the ranking"
          hint="samples the k results from the candidates by softmax(score / temperature), in draw order: for cosine, 0.01–0.1 varies the tail, 1 is near uniform"
        />
        {form.temperature.trim() !== '' && Number(form.temperature) > 0 && (
          <NumberField label="Seed" value={form.seed} onChange={set('seed')} min={0} max={MAX_SEED} step={1} placeholder="random" hint="the same seed, data and query draw the same results; the answer says the seed it used" />
        )}
        <CheckField label="Group by document" checked={form.group} onChange={set('group')} hint="one result per document (chunks of the same text), with its best chunks" />
        {form.group && <NumberField label="Chunks per document" value={form.groupSize} onChange={set('groupSize')} min={1} max={20} />}
        <CheckField label="Explain" checked={form.explain} onChange={set('explain')} hint="shows under the results how the search ran: the plan and why, a timeline of its stages with their times and candidates, the filter’s selectivity, the graph’s work" />
      </div>
    </details>
  );
}
