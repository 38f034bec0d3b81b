import { VectraError } from '../errors.js';
import type { Metric } from './types.js';

/**
 * Validate a vector (right length, finite numbers) and copy it into a Float32Array.
 * `where` names the offending record in the error, e.g. "records[3]".
 */
export function toVector(value: unknown, dimension: number, where: string): Float32Array {
  if (!(Array.isArray(value) || ArrayBuffer.isView(value))) {
    throw new VectraError('INVALID_VECTOR', `${where}.vector must be an array of ${dimension} numbers`);
  }
  const arr = value as ArrayLike<unknown>;
  if (arr.length !== dimension) {
    throw new VectraError(
      'DIMENSION_MISMATCH',
      `${where}.vector has ${arr.length} dimensions but the collection expects ${dimension}`,
    );
  }
  const out = new Float32Array(dimension);
  for (let i = 0; i < dimension; i++) {
    const x = arr[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      throw new VectraError('INVALID_VECTOR', `${where}.vector[${i}] is ${JSON.stringify(x) ?? String(x)}; every component must be a finite number`);
    }
    // Finite doubles beyond float32 range would become Infinity.
    if (!Number.isFinite(Math.fround(x))) {
      throw new VectraError('INVALID_VECTOR', `${where}.vector[${i}] = ${x} is outside the float32 range`);
    }
    out[i] = x;
  }
  return out;
}

export function norm(v: Float32Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

/** Unit-length copy; a zero vector stays zero (its cosine with anything is 0). */
export function normalized(v: Float32Array): Float32Array {
  const n = norm(v);
  const out = new Float32Array(v.length);
  if (n === 0) return out;
  for (let i = 0; i < v.length; i++) out[i] = v[i] / n;
  return out;
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

export function compareScores(metric: Metric): (a: number, b: number) => number {
  return higherIsBetter(metric) ? (a, b) => b - a : (a, b) => a - b;
}
