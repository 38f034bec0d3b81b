/**
 * Drift between two sets of vectors (a baseline and a window), the arithmetic: centroid shift,
 * and two-sample Kolmogorov–Smirnov tests — per dimension up to PER_DIMENSION_UP_TO dimensions,
 * else on PROJECTIONS random unit directions (seeded) — with Benjamini–Hochberg correction.
 */
import { benjaminiHochberg, gaussian, ksTwoSample, unit, type Rng } from './math.js';

/** Fewer vectors than this on either side: no test (400). */
export const MIN_DRIFT_VECTORS = 20;
export const PER_DIMENSION_UP_TO = 64;
export const PROJECTIONS = 64;
/** Drifted when a BH-adjusted p-value is below ALPHA and that test's KS statistic is at least MIN_KS (an effect worth telling). */
export const ALPHA = 0.01;
export const MIN_KS = 0.1;

export interface DriftTest {
  /** The dimension tested, or the random projection's index. */
  dimension?: number;
  projection?: number;
  ks: number;
  pValue: number;
  adjusted: number;
}

export interface DriftResult {
  verdict: 'drifted' | 'stable';
  /** The smallest Benjamini–Hochberg-adjusted p-value of the tests. */
  pValue: number;
  method: string;
  centroidShift: { cosineDistance: number; l2: number; relative: number };
  /** The tests, smallest p-value first (up to 20). */
  dimensions: DriftTest[];
  tests: number;
}

function centroid(vs: readonly Float32Array[]): Float64Array {
  const c = new Float64Array(vs[0].length);
  for (const v of vs) for (let j = 0; j < c.length; j++) c[j] += v[j];
  for (let j = 0; j < c.length; j++) c[j] /= vs.length;
  return c;
}

const round = (x: number, digits = 6) => Number(x.toPrecision(digits));

export function driftOf(baseline: readonly Float32Array[], window: readonly Float32Array[], rng: Rng): DriftResult {
  const dim = baseline[0].length;
  const a = centroid(baseline);
  const b = centroid(window);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  let l2 = 0;
  for (let j = 0; j < dim; j++) {
    ab += a[j] * b[j];
    aa += a[j] * a[j];
    bb += b[j] * b[j];
    l2 += (a[j] - b[j]) ** 2;
  }
  l2 = Math.sqrt(l2);
  // Spread of the baseline: root mean squared distance to its centroid, the shift's yardstick.
  let spread = 0;
  for (const v of baseline) for (let j = 0; j < dim; j++) spread += (v[j] - a[j]) ** 2;
  spread = Math.sqrt(spread / baseline.length);
  const cosineDistance = aa === 0 || bb === 0 ? 0 : 1 - ab / Math.sqrt(aa * bb);

  const perDimension = dim <= PER_DIMENSION_UP_TO;
  const directions = perDimension ? [] : Array.from({ length: PROJECTIONS }, () => unit(Float32Array.from({ length: dim }, () => gaussian(rng))));
  const values = (vs: readonly Float32Array[], t: number) => vs.map((v) => (perDimension ? v[t] : directions[t].reduce((s, x, j) => s + x * v[j], 0)));
  const count = perDimension ? dim : PROJECTIONS;
  const raw = Array.from({ length: count }, (_, t) => ksTwoSample(values(baseline, t), values(window, t)));
  const adjusted = benjaminiHochberg(raw.map((r) => r.p));
  const tests: DriftTest[] = raw.map((r, t) => ({ ...(perDimension ? { dimension: t } : { projection: t }), ks: round(r.d, 4), pValue: round(r.p), adjusted: round(adjusted[t]) }));
  tests.sort((x, y) => x.adjusted - y.adjusted || x.pValue - y.pValue || y.ks - x.ks);
  const drifted = tests.some((t) => t.adjusted < ALPHA && t.ks >= MIN_KS);
  return {
    verdict: drifted ? 'drifted' : 'stable',
    pValue: tests[0].adjusted,
    method:
      `two-sample Kolmogorov–Smirnov ${perDimension ? `on each of the ${dim} dimensions` : `on ${PROJECTIONS} random projections (seeded unit directions; the dimension ${dim} is above ${PER_DIMENSION_UP_TO})`}, ` +
      `p-values adjusted by Benjamini–Hochberg; drifted when an adjusted p < ${ALPHA} with KS statistic ≥ ${MIN_KS}`,
    centroidShift: { cosineDistance: round(cosineDistance), l2: round(l2), relative: round(spread === 0 ? 0 : l2 / spread) },
    dimensions: tests.slice(0, 20),
    tests: count,
  };
}
