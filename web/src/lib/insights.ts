/**
 * The Insights page's data (docs/insights.md): the answers' shapes, the calls, the cluster
 * colours shared by the map and the cluster list, and the drift form's defaults and body.
 */
import type { AnswerOf, BodyOf, Vectra } from '@vectra/client';
import { scaleOrdinal } from 'd3-scale';
import { schemeSet3, schemeTableau10 } from 'd3-scale-chromatic';
import { ApiError, type Client } from './api';
import { followJob } from './jobs';
import type { Job } from './types';

export type Clustering = AnswerOf<'/v1/collections/{name}/clusters', 'post'>;
export type Health = AnswerOf<'/v1/collections/{name}/health', 'get'>;
export type Drift = AnswerOf<'/v1/collections/{name}/drift', 'post'>;
export type DriftBody = BodyOf<'/v1/collections/{name}/drift', 'post'>;
export type DriftRange = DriftBody['baseline'];

/** GET …/projection (written out: the route is newer than the client's generated types). */
export interface ProjectionPoint {
  id: string;
  x: number;
  y: number;
  cluster?: number;
}
export interface Projection {
  method: string;
  points: ProjectionPoint[];
}

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

export function projection(api: Client, name: string, opts: { method: ProjectionMethod; sample: number; clusters?: number }): Promise<Projection> {
  const q = new URLSearchParams({ method: opts.method, sample: String(opts.sample) });
  if (opts.clusters !== undefined) q.set('clusters', String(opts.clusters));
  return api<Projection>('GET', `/v1/collections/${encodeURIComponent(name)}/projection?${q}`);
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
