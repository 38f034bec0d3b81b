/**
 * Insights: one collection as pictures (docs/insights.md). A 2-D map of its vectors (PCA or
 * UMAP) coloured by cluster, the record under the pointer; the clusters (size, distinctive
 * words, the records nearest each centre), a large clustering followed as a job; the embedding
 * health (verdict and reasons first, then the figures as charts); drift between two ranges of
 * writes (by default the first half of the seqs against the second).
 */
import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useClient, useVectra } from '../session';
import { useAction, useLoad } from '../lib/hooks';
import { latestSeq } from '../lib/change-feed';
import { count, short } from '../lib/format';
import {
  DRIFT_ALPHA,
  HEALTH_MARKS,
  KS_FLOOR,
  MIN_DRIFT_SIDE,
  alignClusters,
  cluster,
  clusterColour,
  drift,
  driftBody,
  driftDefaults,
  fig,
  health,
  percent,
  projection,
  testLabel,
  type Clustering,
  type Drift,
  type DriftForm,
  type Health,
  type ProjectionMethod,
} from '../lib/insights';
import type { Collection, Job } from '../lib/types';
import { ErrorNote } from '../components/ErrorNote';
import { Facts } from '../components/Facts';
import { SelectField, TextField, type Choice } from '../components/Fields';
import { FormEnd } from '../components/Form';
import { Bar, DimensionStrip, Gauge, NormsChart, ScatterMap, Swatch, sameLength } from '../components/InsightCharts';

const METHODS: Choice[] = [
  { value: 'pca', label: 'PCA', hint: 'principal components: fast, linear; distances along the two axes are kept' },
  { value: 'umap', label: 'UMAP', hint: 'a non-linear layout that keeps neighbours together: slower, clearer groups' },
];
const SAMPLES = ['500', '1000', '2000', '5000'];
const KS: Choice[] = [{ value: 'auto', label: 'auto', hint: 'the k with the best mean silhouette over 2–10' }, ...Array.from({ length: 19 }, (_, i) => ({ value: String(i + 2) }))];

export function Insights() {
  const vectra = useVectra();
  const [params, setParams] = useSearchParams();
  const collections = useLoad(() => vectra.collections.list(), [vectra]);
  const all = collections.data ?? [];
  const name = params.get('collection') ?? all[0]?.name ?? '';
  const chosen = all.find((c) => c.name === name);
  return (
    <>
      <h1 tabIndex={-1}>Insights</h1>
      <p className="muted">What is in a collection, whether its vectors are healthy, and whether they have changed. Read-only: nothing is written.</p>
      <ErrorNote error={collections.error} />
      {collections.data && all.length === 0 && (
        <p className="empty">
          No collections yet: <Link to="/collections">create one</Link> and add records first.
        </p>
      )}
      {all.length > 0 && (
        <div className="form-grid">
          <SelectField label="Collection" value={name} onChange={(v) => setParams({ collection: v })}>
            {!chosen && <option value={name}>{name}</option>}
            {all.map((c) => (
              <option key={c.name}>{c.name}</option>
            ))}
          </SelectField>
        </div>
      )}
      {collections.data && name && !chosen && (
        <p role="alert" className="error">
          There is no collection “{name}”.
        </p>
      )}
      {chosen && <CollectionInsights key={chosen.name} collection={chosen} />}
    </>
  );
}

/** The four analyses of one collection (remounted when another is chosen, so nothing of the last one shows). */
function CollectionInsights({ collection }: { collection: Collection }) {
  const vectra = useVectra();
  const name = collection.name;
  const records = collection.count;
  // The record shown beside the map: hovered on the map, or picked from a cluster's nearest records.
  const [selected, setSelected] = useState<string | null>(null);

  // Clustering runs first: the map is coloured by its k, so both show the same clusters.
  const [k, setK] = useState('auto');
  const [clustering, setClustering] = useState<Clustering | null>(null);
  const [job, setJob] = useState<Job | null>(null);
  const [settled, setSettled] = useState(false);
  const clustered = useAction();
  const runClusters = async () => {
    setJob(null);
    const out = await clustered.run(() => cluster(vectra, name, k === 'auto' ? undefined : Number(k), setJob));
    setClustering(out ?? null);
    setSettled(true);
  };
  const started = useRef(false);
  useEffect(() => {
    if (started.current || records === 0) return;
    started.current = true;
    void runClusters();
  }, []);

  if (records === 0) {
    return (
      <p className="empty" data-testid="insights-empty">
        “{name}” has no records yet, so there is nothing to picture. <Link to={`/collections/${encodeURIComponent(name)}`}>Add records</Link> (at least two; drift needs {MIN_DRIFT_SIDE} on each side), then come back.
      </p>
    );
  }

  return (
    <>
      <Facts
        items={[
          ['Records', count(records)],
          ['Model', collection.model],
          ['Dimension', collection.dimension],
          ['Metric', collection.metric],
        ]}
      />
      <div className="grid2 insights-top">
        <MapSection name={name} clustering={settled ? clustering : undefined} selected={selected} onSelect={setSelected} />
        <ClustersSection
          k={k}
          onK={setK}
          onRun={runClusters}
          busy={clustered.busy}
          error={clustered.error}
          job={job}
          clustering={clustering}
          selected={selected}
          onSelect={setSelected}
          total={records}
        />
      </div>
      <HealthSection name={name} dimension={collection.dimension} />
      <DriftSection name={name} />
    </>
  );
}

/**
 * The map, coloured by the clustering (undefined while it runs: the map waits for it; null when
 * it failed: the map is drawn in one colour). The projection clusters its sample with the same
 * k; its clusters are renamed to the list's (alignClusters), so a group has one colour in both.
 */
function MapSection({ name, clustering, selected, onSelect }: { name: string; clustering: Clustering | null | undefined; selected: string | null; onSelect(id: string): void }) {
  const vectra = useVectra();
  const [method, setMethod] = useState<ProjectionMethod>('pca');
  const [sample, setSample] = useState('1000');
  const k = clustering?.k;
  const map = useLoad(() => (clustering === undefined ? Promise.resolve(null) : projection(vectra, name, { method, sample: Number(sample), clusters: k })), [vectra, name, method, sample, clustering === undefined, k]);
  const points = useMemo(() => {
    const raw = map.data?.points;
    if (!raw || !clustering) return raw;
    const renamed = alignClusters(raw, clustering.clusters);
    return raw.map((p) => (p.cluster === undefined ? p : { ...p, cluster: renamed.get(p.cluster) }));
  }, [map.data, clustering]);
  const groups = new Map<number, number>();
  for (const p of points ?? []) if (p.cluster !== undefined) groups.set(p.cluster, (groups.get(p.cluster) ?? 0) + 1);
  const waiting = clustering === undefined || map.loading;
  const variance = map.data?.explainedVariance;
  return (
    <section className="card" aria-labelledby="map-h">
      <h2 id="map-h">Map</h2>
      <div className="form-grid">
        <SelectField label="Projection" value={method} onChange={(v) => setMethod(v as ProjectionMethod)} choices={METHODS} />
        <SelectField label="Points" value={sample} onChange={setSample} hint="records drawn at random">
          {SAMPLES.map((n) => (
            <option key={n}>{n}</option>
          ))}
        </SelectField>
      </div>
      <ErrorNote error={map.error} />
      {waiting && !map.error && (
        <p role="status" className="muted">
          {clustering === undefined ? 'Clustering, to colour the map…' : `Projecting with ${method === 'umap' ? 'UMAP' : 'PCA'}…`}
        </p>
      )}
      {points && map.data && !map.error && (
        <div aria-busy={map.loading}>
          {points.length === 0 ? (
            <p className="empty">No vectors to place on the map.</p>
          ) : (
            <>
              <ScatterMap points={points} selected={selected} onPoint={onSelect} label={`${points.length} of ${map.data.total} records projected to two dimensions by ${map.data.method.toUpperCase()}, ${groups.size ? `coloured by ${groups.size} clusters` : 'not clustered'}`} />
              <p className="muted map-note" data-testid="map-count">
                {count(points.length)} points of {count(map.data.total)}
                {variance && ` · x explains ${percent(variance[0])} of the variance, y ${percent(variance[1])}`}
              </p>
              {groups.size > 0 && (
                <ul className="legend" aria-label="Clusters on the map">
                  {[...groups.entries()]
                    .sort((a, b) => a[0] - b[0])
                    .map(([c, n]) => (
                      <li key={c}>
                        <Swatch colour={clusterColour(c)} /> {c} <span className="muted">({n})</span>
                      </li>
                    ))}
                </ul>
              )}
              <details className="options">
                <summary>How this map was made</summary>
                <p className="muted">
                  {map.data.details}.{map.data.clusters && ` Colours: ${map.data.clusters.method}, numbered as in the cluster list by the records nearest each centre.`}
                </p>
              </details>
            </>
          )}
        </div>
      )}
      <RecordCard name={name} id={selected} cluster={points?.find((p) => p.id === selected)?.cluster} />
    </section>
  );
}

/** The record under the pointer: fetched when first shown, kept for the next time. */
function RecordCard({ name, id, cluster: clusterId }: { name: string; id: string | null; cluster?: number }) {
  const vectra = useVectra();
  const cache = useRef(new Map<string, Awaited<ReturnType<ReturnType<typeof vectra.collection>['get']>>>());
  const record = useLoad(async () => {
    if (id === null) return null;
    const known = cache.current.get(id);
    if (known) return known;
    const r = await vectra.collection(name).get(id);
    cache.current.set(id, r);
    return r;
  }, [vectra, name, id]);
  if (id === null) return <p className="muted record-hint">Point at a dot (or pick a record in a cluster) to see the record.</p>;
  const r = record.data?.id === id ? record.data : null;
  const meta = r?.metadata && Object.keys(r.metadata).length > 0 ? JSON.stringify(r.metadata) : null;
  return (
    <div className="record-card" data-testid="map-record" aria-live="polite" aria-busy={record.loading}>
      <h3>
        {clusterId !== undefined && <Swatch colour={clusterColour(clusterId)} />} <span data-testid="map-record-id">{id}</span>
        {clusterId !== undefined && <span className="muted"> · cluster {clusterId}</span>}
      </h3>
      <ErrorNote error={record.error} />
      {r && (
        <>
          {r.text ? <p className="record-text">{short(r.text, 280)}</p> : <p className="muted">No text.</p>}
          {meta && <p className="code">{short(meta, 200)}</p>}
          <Link to={`/collections/${encodeURIComponent(name)}?record=${encodeURIComponent(id)}`}>Open the record →</Link>
        </>
      )}
    </div>
  );
}

function ClustersSection(props: {
  k: string;
  onK(k: string): void;
  onRun(): void;
  busy: boolean;
  error: { code: string; message: string } | null;
  job: Job | null;
  clustering: Clustering | null;
  selected: string | null;
  onSelect(id: string): void;
  total: number | undefined;
}) {
  const { clustering: c, job } = props;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    props.onRun();
  };
  const largest = Math.max(1, ...(c?.clusters.map((x) => x.size) ?? []));
  return (
    <section className="card" aria-labelledby="clusters-h">
      <h2 id="clusters-h">Clusters</h2>
      <form onSubmit={submit} aria-label="Cluster the collection">
        <div className="form-grid">
          <SelectField label="Clusters (k)" value={props.k} onChange={props.onK} choices={KS} />
        </div>
        <FormEnd busy={props.busy} label="Cluster" busyLabel="Clustering…" error={props.error} />
      </form>
      {props.busy && job && (
        <div className="progress">
          <label>
            {job.status === 'queued' ? 'Queued' : 'Clustering'} in the background: {count(job.done)} of {count(job.total)} vectors
            <progress max={job.total || 1} value={job.done} />
          </label>
        </div>
      )}
      {c && !props.busy && (
        <>
          <p className="muted">
            <strong>{c.k} clusters</strong> of {count(c.total)} records. {c.method}.
          </p>
          {c.silhouettes && c.silhouettes.length > 0 && <Silhouettes scores={c.silhouettes} chosen={c.k} />}
          <ol className="clusters" aria-label="Clusters, largest first">
            {c.clusters.map((cl) => (
              <li key={cl.id} data-cluster={cl.id} data-size={cl.size}>
                <div className="cluster-head">
                  <Swatch colour={clusterColour(cl.id)} />
                  <strong>Cluster {cl.id}</strong>
                  <span className="num">
                    {count(cl.size)} <span className="muted">({percent(cl.size / Math.max(1, c.total))})</span>
                  </span>
                </div>
                <Bar value={cl.size} max={largest} colour={clusterColour(cl.id)} label={`cluster ${cl.id}: ${cl.size} records`} />
                <p className="terms">{cl.terms.length > 0 ? cl.terms.map((t) => <span key={t} className="chip">{t}</span>) : <span className="muted">no distinctive words (no text, or none stands out)</span>}</p>
                <p className="nearest">
                  <span className="muted">Nearest the centre: </span>
                  {cl.nearest.map((id) => (
                    <button key={id} type="button" className="link" aria-pressed={props.selected === id} onClick={() => props.onSelect(id)}>
                      {id}
                    </button>
                  ))}
                </p>
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}

/** The mean silhouette of each candidate k (the chosen one darker): how clearly each k separates the data. */
function Silhouettes({ scores, chosen }: { scores: { k: number; silhouette: number }[]; chosen: number }) {
  return (
    <figure className="silhouettes">
      <figcaption className="muted">Mean silhouette by k (−1 to 1; above ~0.5 is a clear structure)</figcaption>
      <ul>
        {scores.map((s) => (
          <li key={s.k} className={s.k === chosen ? 'chosen' : undefined}>
            <span className="k">k={s.k}</span>
            <Bar value={Math.max(0, s.silhouette)} max={1} colour={s.k === chosen ? '#3b4cca' : '#aab2e6'} marks={[{ at: 0.5, label: 'clear structure' }]} label={`k ${s.k}: silhouette ${fig(s.silhouette)}`} />
            <span className="num">{fig(s.silhouette)}</span>
          </li>
        ))}
      </ul>
    </figure>
  );
}

const VERDICT_CLASS: Record<string, string> = { healthy: 'verdict-ok', stable: 'verdict-ok', warning: 'verdict-warn', unhealthy: 'verdict-bad', drifted: 'verdict-bad' };

function Verdict({ verdict, testId }: { verdict: string; testId: string }) {
  return (
    <span className={`verdict ${VERDICT_CLASS[verdict] ?? ''}`} data-testid={testId}>
      {verdict}
    </span>
  );
}

function HealthSection({ name, dimension }: { name: string; dimension: number }) {
  const vectra = useVectra();
  const h = useLoad(() => health(vectra, name), [vectra, name]);
  return (
    <section className="card" aria-labelledby="health-h">
      <div className="section-head">
        <h2 id="health-h">Health</h2>
        <button type="button" onClick={h.reload} disabled={h.loading}>
          {h.loading ? 'Checking…' : 'Check again'}
        </button>
      </div>
      <ErrorNote error={h.error} />
      {h.loading && !h.data && (
        <p role="status" className="muted">
          Checking the vectors…
        </p>
      )}
      {h.data && !h.error && <HealthReport h={h.data} dimension={dimension} />}
    </section>
  );
}

function HealthReport({ h, dimension }: { h: Health; dimension: number }) {
  return (
    <>
      <div className="verdict-line">
        <Verdict verdict={h.verdict} testId="health-verdict" />
        {h.reasons.length > 0 ? (
          <ul className="reasons" aria-label="Reasons">
            {h.reasons.map((r) => (
              <li key={r}>{r}</li>
            ))}
          </ul>
        ) : (
          <p className="reasons">Nothing stands out: no near-duplicates, dead dimensions, zero vectors or squeezed directions above the thresholds.</p>
        )}
      </div>
      <p className="muted">{h.sample.method}.</p>
      <div className="grid2 health-grid">
        <figure className="chart">
          <h3>Vector lengths</h3>
          <NormsChart norms={h.norms} />
          <figcaption className="muted">
            {!sameLength(h.norms) && <>Box: 1st–99th percentile ({fig(h.norms.p1)}–{fig(h.norms.p99)}), line: median {fig(h.norms.p50)}, dot: mean {fig(h.norms.mean)} ± {fig(h.norms.std)}; whiskers: min {fig(h.norms.min)}, max {fig(h.norms.max)}.</>}
            {h.norms.zero > 0 && <strong> {count(h.norms.zero)} all-zero vectors.</strong>}
          </figcaption>
        </figure>
        <figure className="chart">
          <h3>Anisotropy</h3>
          <Gauge
            value={Math.max(0, h.anisotropy)}
            max={1}
            marks={[
              { at: HEALTH_MARKS.anisotropy.warning, label: 'warning' },
              { at: HEALTH_MARKS.anisotropy.unhealthy, label: 'unhealthy' },
            ]}
            label="anisotropy (mean cosine of random pairs)"
            shown={`mean cosine ${fig(h.anisotropy)}`}
          />
          <figcaption className="muted">Mean cosine of random pairs: near 0 when directions spread evenly, near 1 when all point one way.</figcaption>
        </figure>
        <figure className="chart">
          <h3>Near-duplicates</h3>
          <Gauge
            value={h.duplicates.fraction}
            max={Math.max(0.3, h.duplicates.fraction)}
            marks={[
              { at: HEALTH_MARKS.duplicates.warning, label: 'warning' },
              { at: HEALTH_MARKS.duplicates.unhealthy, label: 'unhealthy' },
            ]}
            label="share of vectors with a near-duplicate"
            shown={`${percent(h.duplicates.fraction)} (${count(h.duplicates.vectors)} vectors, ${count(h.duplicates.groups)} groups)`}
          />
          {h.duplicates.examples.length > 0 ? (
            <ul className="groups" aria-label="Largest duplicate groups">
              {h.duplicates.examples.map((g) => (
                <li key={g.join(' ')}>
                  {g.map((id) => (
                    <span key={id} className="chip">
                      {id}
                    </span>
                  ))}
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted">No pair at cosine ≥ {h.duplicates.threshold}.</p>
          )}
        </figure>
        <figure className="chart">
          <h3>Outliers</h3>
          <Gauge value={h.outliers.fraction} max={Math.max(0.1, h.outliers.fraction)} marks={[{ at: HEALTH_MARKS.outliers.warning, label: 'warning' }]} label="share of outliers" shown={`${percent(h.outliers.fraction)} (${count(h.outliers.count)} vectors)`} />
          {h.outliers.examples.length > 0 ? <Outliers examples={h.outliers.examples} threshold={h.outliers.threshold} /> : <p className="muted">None above a robust z-score of {h.outliers.threshold}.</p>}
        </figure>
      </div>
      <figure className="chart">
        <h3>Dimensions</h3>
        <DimensionStrip dimension={dimension} dead={h.deadDimensions} />
        <figcaption className="muted">
          {h.deadDimensions.length === 0 ? `All ${dimension} dimensions vary.` : `${h.deadDimensions.length} of ${dimension} dead (constant), in red: ${h.deadDimensions.slice(0, 30).join(', ')}${h.deadDimensions.length > 30 ? ', …' : ''}.`}
        </figcaption>
      </figure>
    </>
  );
}

/** The most extreme outliers: robust z-score bars with the threshold marked. */
function Outliers({ examples, threshold }: { examples: { id: string; z: number; distance: number }[]; threshold: number }) {
  const max = Math.max(threshold * 1.5, ...examples.map((e) => e.z));
  return (
    <ul className="rows" aria-label="Most extreme outliers">
      {examples.map((e) => (
        <li key={e.id} data-outlier={e.id}>
          <span className="row-label">{e.id}</span>
          <Bar value={e.z} max={max} colour="#b42318" marks={[{ at: threshold, label: 'threshold' }]} label={`${e.id}: z ${fig(e.z)}, distance ${fig(e.distance)}`} />
          <span className="num">z {fig(e.z)}</span>
        </li>
      ))}
    </ul>
  );
}

function DriftSection({ name }: { name: string }) {
  const vectra = useVectra();
  const api = useClient();
  const latest = useLoad(() => latestSeq(api, name), [api, name]);
  const [form, setForm] = useState<DriftForm | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [answer, setAnswer] = useState<Drift | null>(null);
  const comparing = useAction();
  const shown = form ?? (latest.data !== undefined ? driftDefaults(latest.data) : null);
  const set = <K extends keyof DriftForm>(key: K) => (v: DriftForm[K]) => setForm({ ...shown!, [key]: v });

  const compare = async (f: DriftForm) => {
    const built = driftBody(f);
    setProblem(built.error);
    if (built.error !== null) return;
    setAnswer(null);
    const out = await comparing.run(() => drift(vectra, name, built.body));
    if (out) setAnswer(out);
  };
  // With enough writes for two sides, the default comparison runs at once.
  const ran = useRef(false);
  useEffect(() => {
    if (ran.current || latest.data === undefined || latest.data < 2 * MIN_DRIFT_SIDE) return;
    ran.current = true;
    void compare(driftDefaults(latest.data));
  }, [latest.data]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (shown) void compare(shown);
  };
  const switchTo = (by: DriftForm['by']) => setForm(by === 'seq' && latest.data !== undefined ? driftDefaults(latest.data) : { by, baselineFrom: '', baselineTo: '', windowFrom: '', windowTo: '' });
  const kind = shown?.by === 'time' ? 'datetime-local' : 'seq';
  return (
    <section className="card" aria-labelledby="drift-h">
      <h2 id="drift-h">Drift</h2>
      <p className="muted">
        Compares the vectors of the records last written in a window with a baseline.{' '}
        {latest.data !== undefined && (
          <>
            The latest write is seq {count(latest.data)}
            {latest.data < 2 * MIN_DRIFT_SIDE && `: too few to compare (at least ${MIN_DRIFT_SIDE} records on each side)`}.
          </>
        )}
      </p>
      <ErrorNote error={latest.error} />
      {shown && (
        <form onSubmit={submit} aria-label="Compare two ranges of writes">
          <fieldset className="segmented">
            <legend className="sr-only">Ranges by</legend>
            <label className="check">
              <input type="radio" name="drift-by" checked={shown.by === 'seq'} onChange={() => switchTo('seq')} /> by seq
            </label>
            <label className="check">
              <input type="radio" name="drift-by" checked={shown.by === 'time'} onChange={() => switchTo('time')} /> by time
            </label>
          </fieldset>
          <div className="form-grid">
            <RangeField label={`Baseline from (${kind})`} value={shown.baselineFrom} onChange={set('baselineFrom')} time={shown.by === 'time'} />
            <RangeField label={`Baseline to (${kind})`} value={shown.baselineTo} onChange={set('baselineTo')} time={shown.by === 'time'} />
            <RangeField label={`Window from (${kind})`} value={shown.windowFrom} onChange={set('windowFrom')} time={shown.by === 'time'} />
            <RangeField label={`Window to (${kind})`} value={shown.windowTo} onChange={set('windowTo')} time={shown.by === 'time'} />
          </div>
          <FormEnd busy={comparing.busy} label="Compare" busyLabel="Comparing…" problem={problem} error={comparing.error} />
        </form>
      )}
      {answer && !comparing.busy && <DriftReport d={answer} />}
    </section>
  );
}

/** A bound of a range: a seq (a number) or a local date and time. */
function RangeField({ label, value, onChange, time }: { label: string; value: string; onChange(v: string): void; time: boolean }) {
  if (!time) return <TextField label={label} value={value} onChange={onChange} placeholder="open" />;
  return (
    <div className="field">
      <label>
        {label}
        <input type="datetime-local" step="1" value={value} onChange={(e) => onChange(e.target.value)} />
      </label>
    </div>
  );
}

function DriftReport({ d }: { d: Drift }) {
  const max = Math.max(KS_FLOOR * 2, ...d.dimensions.map((t) => t.ks));
  return (
    <div className="drift-report">
      <div className="verdict-line">
        <Verdict verdict={d.verdict} testId="drift-verdict" />
        <p className="reasons">
          smallest adjusted p-value <strong data-testid="drift-p">{fig(d.pValue)}</strong> over {d.tests} tests; baseline {count(d.baseline.records)} records ({count(d.baseline.sampled)} sampled), window {count(d.window.records)} ({count(d.window.sampled)} sampled).
        </p>
      </div>
      <Facts
        items={[
          ['Centroid shift (cosine distance)', fig(d.centroidShift.cosineDistance)],
          ['Centroid shift (L2)', fig(d.centroidShift.l2)],
          ['Relative to the spread', fig(d.centroidShift.relative)],
        ]}
      />
      <figure className="chart">
        <h3>Kolmogorov–Smirnov statistic, most significant tests</h3>
        <ul className="rows" aria-label="KS tests">
          {d.dimensions.map((t) => {
            const drifting = t.adjusted < DRIFT_ALPHA && t.ks >= KS_FLOOR;
            return (
              <li key={testLabel(t)} data-test={testLabel(t)} data-drifting={drifting}>
                <span className="row-label">{testLabel(t)}</span>
                <Bar value={t.ks} max={max} colour={drifting ? '#b42318' : '#aab2e6'} marks={[{ at: KS_FLOOR, label: 'KS floor' }]} label={`${testLabel(t)}: KS ${fig(t.ks)}, adjusted p ${fig(t.adjusted)}`} />
                <span className="num">
                  {fig(t.ks)} <span className="muted">p {fig(t.adjusted)}</span>
                </span>
              </li>
            );
          })}
        </ul>
        <figcaption className="muted">
          Red: significant (adjusted p &lt; {DRIFT_ALPHA}) with KS ≥ {KS_FLOOR}, the dashed line. {d.method}.
        </figcaption>
      </figure>
    </div>
  );
}

