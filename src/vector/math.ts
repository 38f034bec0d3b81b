/**
 * Vector math on Float32Arrays: the bottom floor. Engine, embedders and the compressor import it;
 * it imports nothing of ours.
 */

/** How two vectors are compared. */
export type Metric = 'cosine' | 'dot' | 'l2';

export function norm(v: Float32Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

/** Unit-length copy; a zero vector stays zero (its cosine with anything is 0). */
export function normalized(v: Float32Array): Float32Array {
  const out = new Float32Array(v.length);
  normalizeInto(v, out, 0);
  return out;
}

/** `normalized(v)` written into `out` at `offset`. */
function normalizeInto(v: Float32Array, out: Float32Array, offset: number): void {
  const n = norm(v);
  if (n === 0) out.fill(0, offset, offset + v.length);
  else for (let i = 0; i < v.length; i++) out[offset + i] = v[i] / n;
}

export function dot(a: Float32Array, b: Float32Array, bOffset = 0): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[bOffset + i];
  return s;
}

export function l2sq(a: Float32Array, b: Float32Array, bOffset = 0): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[bOffset + i];
    s += d * d;
  }
  return s;
}

/** True when a higher score is better for this metric. */
export function higherIsBetter(metric: Metric): boolean {
  return metric !== 'l2';
}

/**
 * Exact score of a stored full-precision vector against a prepared query (see
 * `prepareVector`). cosine → similarity, dot → inner product, l2 → Euclidean distance.
 */
export function exactScore(metric: Metric, query: Float32Array, stored: Float32Array): number {
  if (metric === 'l2') return Math.sqrt(l2sq(query, stored));
  const d = dot(query, stored);
  if (metric === 'dot') return d;
  const n = norm(stored);
  return n === 0 ? 0 : d / n;
}

/** Vectors as the index sees them: unit length for cosine, raw otherwise. */
export function prepareVector(metric: Metric, v: Float32Array): Float32Array {
  return metric === 'cosine' ? normalized(v) : v;
}

/** `prepareVector(metric, v)` written into `out` at `offset`, without a copy of its own. */
export function prepareInto(metric: Metric, v: Float32Array, out: Float32Array, offset: number): void {
  if (metric === 'cosine') normalizeInto(v, out, offset);
  else out.set(v, offset);
}

export function compareScores(metric: Metric): (a: number, b: number) => number {
  return higherIsBetter(metric) ? (a, b) => b - a : (a, b) => a - b;
}
