/** Models: the list, embed a text, compare models on sentence pairs, run the model benchmark. */
import { useState, type FormEvent } from 'react';
import type { Embedded, VectraError } from '@vectra/client';
import { useVectra } from '../session';
import { asApiError, useAction, useLoad } from '../lib/hooks';
import { cosine, norm, parsePairs } from '../lib/similarity';
import type { BenchAnswer, Model } from '../lib/types';
import { ErrorNote } from '../components/ErrorNote';
import { ItemTable, type Column } from '../components/ItemTable';
import { NumberField, SelectField, TextArea } from '../components/Fields';
import { CheckboxGroup, FormEnd, useChoice } from '../components/Form';

const COLUMNS: Column<Model>[] = [
  { head: 'Model', cell: (m) => <>{m.id}{m.default && <span className="badge">default</span>}</> },
  { head: 'Provider', cell: (m) => m.provider },
  { head: 'Dimension', num: true, cell: (m) => m.dimension },
  { head: 'Available', cell: (m) => (m.available ? 'yes' : <>no{m.reason && <span className="reason">{m.reason}</span>}</>) },
  { head: 'Description', cell: (m) => m.description },
];

export function Models() {
  const vectra = useVectra();
  const list = useLoad(() => vectra.models(), [vectra]);
  const models = list.data?.models ?? [];
  const usable = models.filter((m) => m.available);
  return (
    <>
      <h1 tabIndex={-1}>Models</h1>
      <ErrorNote error={list.error} />
      <ItemTable caption="Embedding models" items={models} itemKey={(m) => m.id} rowData={(m) => ({ 'data-model': m.id })} columns={COLUMNS} />
      {list.data && list.data.rerankers.length > 0 && (
        <p className="muted">Rerankers: {list.data.rerankers.map((r) => `${r.id}${r.available ? '' : ` (unavailable${r.reason ? `: ${r.reason}` : ''})`}`).join(', ')}</p>
      )}
      <div className="grid2">
        <EmbedText models={usable} />
        <ComparePairs models={usable} />
      </div>
      <Benchmark models={usable} />
    </>
  );
}

function EmbedText({ models }: { models: Model[] }) {
  const vectra = useVectra();
  const [model, setModel] = useState('');
  const [text, setText] = useState('');
  const [out, setOut] = useState<Embedded | null>(null);
  const embedding = useAction();
  const chosen = model || models.find((m) => m.default)?.id || models[0]?.id || '';
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await embedding.run(() => vectra.embed([text], { model: chosen }));
    if (r) setOut(r);
  };
  const v = out?.vectors[0];
  return (
    <form className="card" onSubmit={submit} aria-labelledby="embed-h">
      <h2 id="embed-h">Embed a text</h2>
      <SelectField label="Model" value={chosen} onChange={setModel}>
        {models.map((m) => (
          <option key={m.id}>{m.id}</option>
        ))}
      </SelectField>
      <TextArea label="Text" value={text} onChange={setText} required />
      <FormEnd busy={embedding.busy} label="Embed" busyLabel="Embedding…" error={embedding.error} />
      {out && v && (
        <div role="status" data-testid="embedding">
          <p>
            {out.model}: {out.dimension} dimensions, norm {norm(v).toFixed(4)}
          </p>
          <pre className="code wrap">[{v.slice(0, 8).map((x) => x.toFixed(4)).join(', ')}{v.length > 8 ? ', …' : ''}]</pre>
        </div>
      )}
    </form>
  );
}

const EXAMPLE_PAIRS = 'reset my password | forgot my login\nbarista job | coffee shop work\nreset my password | best pizza in town';

function ComparePairs({ models }: { models: Model[] }) {
  const vectra = useVectra();
  const [text, setText] = useState(EXAMPLE_PAIRS);
  const [table, setTable] = useState<{ pairs: [string, string][]; models: string[]; sims: (number[] | VectraError)[] } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const comparing = useAction();
  // Preselected: the models that run here without a download (built in), and the default.
  const [chosen, toggle] = useChoice(models.filter((m) => m.provider === 'builtin' || m.default).map((m) => m.id));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const { pairs, error } = parsePairs(text);
    const ids = models.map((m) => m.id).filter((id) => chosen.has(id));
    setProblem(error ?? (ids.length === 0 ? 'pick at least one model' : null));
    if (error || ids.length === 0) return;
    const texts = pairs.flat();
    const r = await comparing.run(async () => {
      // One request per model with every sentence; a model that fails shows its error in its column.
      const sims: (number[] | VectraError)[] = [];
      for (const id of ids) {
        try {
          const { vectors } = await vectra.embed(texts, { model: id });
          sims.push(pairs.map((_, i) => cosine(vectors[2 * i], vectors[2 * i + 1])));
        } catch (e) {
          sims.push(asApiError(e));
        }
      }
      return sims;
    });
    if (r) setTable({ pairs, models: ids, sims: r });
  };
  return (
    <form className="card" onSubmit={submit} aria-labelledby="compare-h">
      <h2 id="compare-h">Compare models</h2>
      <TextArea label='Sentence pairs, one per line: "first | second"' rows={4} value={text} onChange={setText} />
      <CheckboxGroup legend="Models" options={models.map((m) => ({ id: m.id, label: m.id }))} chosen={chosen} onToggle={toggle} />
      <FormEnd busy={comparing.busy} label="Compare" busyLabel="Comparing…" problem={problem} error={comparing.error} />
      {table && (
        <div className="table-wrap">
          <table data-testid="similarity">
            <caption>Cosine similarity of each pair</caption>
            <thead>
              <tr>
                <th scope="col">Pair</th>
                {table.models.map((m) => (
                  <th key={m} scope="col" className="num">
                    {m}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {table.pairs.map(([a, b], i) => (
                <tr key={i}>
                  <th scope="row">
                    {a} ↔ {b}
                  </th>
                  {table.sims.map((col, j) =>
                    Array.isArray(col) ? (
                      <td key={j} className="num">
                        {col[i].toFixed(3)}
                      </td>
                    ) : i === 0 ? (
                      <td key={j} rowSpan={table.pairs.length} className="error">
                        {col.code}: {col.message}
                      </td>
                    ) : null,
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </form>
  );
}

function Benchmark({ models }: { models: Model[] }) {
  const vectra = useVectra();
  const [queries, setQueries] = useState('100');
  const [which, setWhich] = useState('');
  const [out, setOut] = useState<BenchAnswer | null>(null);
  const running = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const body = { queries: Number(queries), ...(which ? { models: [which] } : {}) };
    const r: BenchAnswer | undefined = await running.run(async () => (await vectra.api.POST('/v1/models/benchmark', { body })).data!);
    if (r) setOut(r);
  };
  const pct = (x: number | undefined) => (x === undefined ? '—' : `${(x * 100).toFixed(1)}%`);
  return (
    <form className="card" onSubmit={submit} aria-labelledby="bench-h">
      <h2 id="bench-h">Benchmark</h2>
      <p className="muted">
        Throughput and retrieval quality of each model on a WordNet task (find a word sense from an example sentence). Needs an admin key and keeps every embedding worker busy while it runs.
      </p>
      <div className="form-grid">
        <SelectField label="Models" wide value={which} onChange={setWhich} choices={[{ value: '', label: 'every local model', hint: 'the models that run here without a download' }, ...models.map((m) => ({ value: m.id }))]} />
        <NumberField label="Queries" value={queries} onChange={setQueries} min={1} max={5000} required />
      </div>
      <FormEnd busy={running.busy} label="Run benchmark" busyLabel="Running…" error={running.error} done={running.busy && 'Running the benchmark; this can take a minute.'} />
      {out && (
        <div className="table-wrap">
          <table data-testid="benchmark">
            <caption>
              {out.task.name}: {out.task.queries} queries over {out.task.corpus.toLocaleString('en-US')} senses, k = {out.task.k} (reference {out.task.reference.name}: accuracy@1 {pct(out.task.reference.accuracyAt1)})
            </caption>
            <thead>
              <tr>
                <th scope="col">Model</th>
                <th scope="col" className="num">Dim</th>
                <th scope="col" className="num">Texts/s</th>
                <th scope="col" className="num">Accuracy@1</th>
                <th scope="col" className="num">Recall@10</th>
                <th scope="col" className="num">MRR@10</th>
                <th scope="col" className="num">Seconds</th>
              </tr>
            </thead>
            <tbody>
              {out.results.map((r) => (
                <tr key={r.model}>
                  <th scope="row">{r.model}</th>
                  <td className="num">{r.dimension}</td>
                  {r.error ? (
                    <td colSpan={5} className="error">
                      {r.error.code}: {r.error.message}
                    </td>
                  ) : (
                    <>
                      <td className="num">{Math.round(r.textsPerSecond ?? 0).toLocaleString('en-US')}</td>
                      <td className="num">{pct(r.accuracyAt1)}</td>
                      <td className="num">{pct(r.recallAt10)}</td>
                      <td className="num">{r.mrrAt10?.toFixed(3)}</td>
                      <td className="num">{r.seconds?.toFixed(1)}</td>
                    </>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </form>
  );
}
