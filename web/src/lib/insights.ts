/**
 * The Insights page's data (docs/insights.md): the answers' shapes, the calls, the cluster
 * colours shared by the map and the cluster list, and the drift form's defaults and body.
 */
import type { AnswerOf, BodyOf, Vectra } from '@vectra/client';
import { scaleOrdinal } from 'd3-scale';
import { schemeSet3, schemeTableau10 } from 'd3-scale-chromatic';
import { ApiError } from './api';
import { followJob } from './jobs';
import type { Job } from './types';

export type Clustering = AnswerOf<'/v1/collections/{name}/clusters', 'post'>;
export type Health = AnswerOf<'/v1/collections/{name}/health', 'get'>;
export type Drift = AnswerOf<'/v1/collections/{name}/drift', 'post'>;
export type DriftBody = BodyOf<'/v1/collections/{name}/drift', 'post'>;
export type DriftRange = DriftBody['baseline'];

export type Projection = AnswerOf<'/v1/collections/{name}/projection', 'get'>;
export type ProjectionPoint = Projection['points'][number];

export type ProjectionMethod = 'pca' | 'umap';

/**
 * A cluster's colour, by its id: Tableau 10, then Set 3 (22 distinct colours; ids beyond repeat
 * them). The domain is fixed, so a cluster has the same colour wherever it is drawn.
 */
const PALETTE = [...schemeTableau10, ...schemeSet3];
const clusterScale = scaleOrdinal<number, string>()
  .domain(PALETTE.map((_, i) => i))
  .range(PALETTE);
export const NO_CLUSTER = '#8a91a3';
export function clusterColour(id: number | undefined): string {
  return id === undefined ? NO_CLUSTER : clusterScale(id % PALETTE.length);
}

const path = (name: string) => ({ params: { path: { name } } });

/** POST …/clusters; a 202 job is followed (`onJob` hears each state) until it ends, and its result is the clustering. */
export async function cluster(vectra: Vectra, name: string, k: number | undefined, onJob: (job: Job) => void): Promise<Clustering> {
  const { data } = await vectra.api.POST('/v1/collections/{name}/clusters', { ...path(name), body: k === undefined ? {} : { k } });
  const answer = data as Clustering | { job: Job };
  if (!('job' in answer)) return answer;
  onJob(answer.job);
  const ended = await followJob(vectra, answer.job.id, onJob);
  if (ended.status !== 'done') throw new ApiError(0, ended.error?.code ?? `JOB_${ended.status.toUpperCase()}`, ended.error?.message ?? `the clustering job ended ${ended.status}`);
  return ended.result as Clustering;
}

export async function health(vectra: Vectra, name: string): Promise<Health> {
  return (await vectra.api.GET('/v1/collections/{name}/health', path(name))).data!;
}

export async function drift(vectra: Vectra, name: string, body: DriftBody): Promise<Drift> {
  return (await vectra.api.POST('/v1/collections/{name}/drift', { ...path(name), body })).data!;
}

export async function projection(vectra: Vectra, name: string, opts: { method: ProjectionMethod; sample: number; clusters?: number }): Promise<Projection> {
  const query = { method: opts.method, sample: String(opts.sample), ...(opts.clusters === undefined ? {} : { clusters: String(opts.clusters) }) };
  return (await vectra.api.GET('/v1/collections/{name}/projection', { params: { path: { name }, query } })).data!;
}

/**
 * The map's clusters renamed to the cluster list's. The projection clusters its own sample (its
 * cluster 0 the largest there), the list the whole collection, so the same group can carry
 * another number in each. Each list cluster's nearest records that are on the map vote for the
 * map cluster holding them; the best-supported pairs are matched one to one. A map cluster with
 * no vote keeps its number when the list has not matched it elsewhere, else takes the next free one.
 */
export function alignClusters(points: readonly ProjectionPoint[], listed: readonly { id: number; nearest: readonly string[] }[]): Map<number, number> {
  const onMap = new Map(points.map((p) => [p.id, p.cluster]));
  const votes = new Map<string, { map: number; list: number; n: number }>();
  for (const c of listed) {
    for (const id of c.nearest) {
      const m = onMap.get(id);
      if (m === undefined) continue;
      const key = `${m}:${c.id}`;
      const v = votes.get(key) ?? { map: m, list: c.id, n: 0 };
      v.n++;
      votes.set(key, v);
    }
  }
  const out = new Map<number, number>();
  const taken = new Set<number>();
  for (const v of [...votes.values()].sort((a, b) => b.n - a.n || a.map - b.map || a.list - b.list)) {
    if (out.has(v.map) || taken.has(v.list)) continue;
    out.set(v.map, v.list);
    taken.add(v.list);
  }
  const mapIds = [...new Set(points.flatMap((p) => (p.cluster === undefined ? [] : [p.cluster])))].sort((a, b) => a - b);
  let next = 0;
  for (const m of mapIds) {
    if (out.has(m)) continue;
    let id = m;
    if (taken.has(id)) {
      while (taken.has(next)) next++;
      id = next;
    }
    out.set(m, id);
    taken.add(id);
  }
  return out;
}

/** The drift form: seq bounds or time bounds of each side, as typed. */
export interface DriftForm {
  by: 'seq' | 'time';
  baselineFrom: string;
  baselineTo: string;
  windowFrom: string;
  windowTo: string;
}

/** Fewer records than this on a side is a 400 (docs/insights.md). */
export const MIN_DRIFT_SIDE = 20;

/** The default comparison: the first half of the collection's seqs against the second half. */
export function driftDefaults(latestSeq: number): DriftForm {
  const half = Math.floor(latestSeq / 2);
  return { by: 'seq', baselineFrom: '1', baselineTo: String(half), windowFrom: String(half + 1), windowTo: String(latestSeq) };
}

/** The body for the form, or what is wrong with it. Time fields hold a datetime-local value (the browser's time zone). */
export function driftBody(f: DriftForm): { body: DriftBody; error: null } | { body: null; error: string } {
  const side = (label: string, from: string, to: string): DriftRange | string => {
    const range: DriftRange = {};
    for (const [field, text] of [['from', from.trim()], ['to', to.trim()]] as const) {
      if (text === '') continue;
      if (f.by === 'seq') {
        const n = Number(text);
        if (!Number.isInteger(n) || n < 0) return `${label}: "${field}" must be a seq, a whole number ≥ 0 (got "${text}")`;
        range[field === 'from' ? 'fromSeq' : 'toSeq'] = n;
      } else {
        const t = new Date(text);
        if (Number.isNaN(t.getTime())) return `${label}: "${field}" must be a date and time (got "${text}")`;
        range[field] = t.toISOString();
      }
    }
    if (Object.keys(range).length === 0) return `${label}: give a start, an end or both`;
    return range;
  };
  const baseline = side('Baseline', f.baselineFrom, f.baselineTo);
  if (typeof baseline === 'string') return { body: null, error: baseline };
  const window = side('Window', f.windowFrom, f.windowTo);
  if (typeof window === 'string') return { body: null, error: window };
  return { body: { baseline, window }, error: null };
}

/** A test's label: the dimension it ran on, or the random projection. */
export function testLabel(t: Drift['dimensions'][number]): string {
  return t.dimension !== undefined ? `dim ${t.dimension}` : `proj ${t.projection ?? '?'}`;
}

/** The drift verdict's thresholds (docs/insights.md): an adjusted p below ALPHA with KS at least KS_FLOOR. */
export const DRIFT_ALPHA = 0.01;
export const KS_FLOOR = 0.1;

/** Health thresholds the page marks on its gauges (docs/insights.md, "The verdict"). */
export const HEALTH_MARKS = {
  duplicates: { warning: 0.02, unhealthy: 0.2 },
  outliers: { warning: 0.02 },
  anisotropy: { warning: 0.5, unhealthy: 0.9 },
};

/** A number as a short figure: 3 significant digits, exponent notation for the very small. */
export function fig(n: number): string {
  if (n === 0) return '0';
  const a = Math.abs(n);
  if (a < 1e-3 || a >= 1e6) return n.toExponential(1);
  return Number(n.toPrecision(3)).toString();
}

export function percent(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(3))} %`;
}
