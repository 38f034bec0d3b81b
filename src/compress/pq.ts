/**
 * Product quantization: a vector is cut into `m` sub-vectors of d/m dimensions; each is
 * replaced by the index of its nearest centroid in that sub-space's codebook of 2^bits
 * centroids (k-means on a training sample). Codes are packed `bits` bits each, sub-vector t at
 * bit offset t·bits of the record, least significant bit first.
 *
 * Optional OPQ rotation, the parametric solution of Ge et al. (2013, "Optimized Product
 * Quantization"): rotate into the principal axes of the sample and deal the axes out to the
 * sub-spaces so that each gets a similar share of the variance (balancing the product of
 * eigenvalues). The rotation is orthonormal, so distances are unchanged; decoding rotates back.
 */
import { kmeans, nearest } from './kmeans.js';

export interface PqParams {
  m: number;
  bits: number;
  /** m codebooks, each 2^bits × (d/m), row-major, one after another. */
  codebooks: Float32Array;
  /** d × d row-major, y = R·x, or null without OPQ. */
  rotation: Float32Array | null;
}

export interface PqTrainOptions {
  m: number;
  bits: number;
  opq?: boolean;
  iterations?: number;
  seed?: number;
  /** Called before each sub-space is trained; may throw to abandon the training. */
  check?: () => void;
}

/** k-means iterations per codebook (at most; it stops early once assignments settle). */
export const PQ_ITERATIONS = 12;

export function pqRecordBytes(m: number, bits: number): number {
  return Math.ceil((m * bits) / 8);
}

export function checkPq(d: number, m: number, bits: number): void {
  if (!Number.isInteger(m) || m < 1 || d % m !== 0) throw new Error(`--pq-m must divide the dimension ${d} (got ${m}); e.g. ${divisors(d).join(', ')}`);
  if (!Number.isInteger(bits) || bits < 1 || bits > 8) throw new Error(`--pq-bits must be an integer from 1 to 8 (got ${bits})`);
}

function divisors(d: number): number[] {
  const out: number[] = [];
  for (let m = 2; m <= d && out.length < 6; m++) if (d % m === 0) out.push(m);
  return out;
}

/** Eigen-decomposition of a symmetric d × d matrix by cyclic Jacobi rotations. */
export function symmetricEigen(a: Float64Array, d: number): { values: Float64Array; vectors: Float64Array } {
  const A = Float64Array.from(a);
  const V = new Float64Array(d * d);
  let total = 0;
  for (let i = 0; i < d * d; i++) total += A[i] * A[i];
  for (let i = 0; i < d; i++) V[i * d + i] = 1;
  for (let sweep = 0; sweep < 50; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += A[p * d + q] ** 2;
    if (off <= 1e-24 * total) break;
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = A[p * d + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (A[q * d + q] - A[p * d + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          const akp = A[k * d + p];
          const akq = A[k * d + q];
          A[k * d + p] = c * akp - s * akq;
          A[k * d + q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = A[p * d + k];
          const aqk = A[q * d + k];
          A[p * d + k] = c * apk - s * aqk;
          A[q * d + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < d; k++) {
          const vkp = V[k * d + p];
          const vkq = V[k * d + q];
          V[k * d + p] = c * vkp - s * vkq;
          V[k * d + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(d);
  for (let i = 0; i < d; i++) values[i] = A[i * d + i];
  return { values, vectors: V }; // column i of V is the eigenvector of values[i]
}

/** OPQ-P rotation (rows: principal axes, grouped into m buckets of balanced variance). */
export function opqRotation(sample: Float32Array, n: number, d: number, m: number): Float32Array {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += sample[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= Math.max(n, 1);
  const cov = new Float64Array(d * d);
  const x = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) x[j] = sample[i * d + j] - mean[j];
    for (let a = 0; a < d; a++) {
      const xa = x[a];
      for (let b = a; b < d; b++) cov[a * d + b] += xa * x[b];
    }
  }
  for (let a = 0; a < d; a++) for (let b = a; b < d; b++) cov[b * d + a] = cov[a * d + b] /= Math.max(n - 1, 1);
  const { values, vectors } = symmetricEigen(cov, d);
  const order = Array.from({ length: d }, (_, i) => i).sort((a, b) => values[b] - values[a]);
  // Eigenvalue allocation: each axis, largest first, joins the non-full bucket whose
  // product of eigenvalues (sum of logs) is smallest so far.
  const dsub = d / m;
  const buckets: number[][] = Array.from({ length: m }, () => []);
  const logSum = new Float64Array(m);
  for (const axis of order) {
    let best = -1;
    for (let b = 0; b < m; b++) if (buckets[b].length < dsub && (best < 0 || logSum[b] < logSum[best])) best = b;
    buckets[best].push(axis);
    logSum[best] += Math.log(Math.max(values[axis], 1e-12));
  }
  const R = new Float32Array(d * d);
  let row = 0;
  for (const bucket of buckets) {
    for (const axis of bucket) {
      for (let j = 0; j < d; j++) R[row * d + j] = vectors[j * d + axis];
      row++;
    }
  }
  return R;
}

/** y = R·x for `n` row-major vectors (R is d × d). */
export function rotate(R: Float32Array, vectors: Float32Array, n: number, d: number, out: Float32Array, transpose = false): void {
  for (let i = 0; i < n; i++) {
    const base = i * d;
    for (let r = 0; r < d; r++) {
      let s = 0;
      if (transpose) for (let j = 0; j < d; j++) s += R[j * d + r] * vectors[base + j];
      else for (let j = 0; j < d; j++) s += R[r * d + j] * vectors[base + j];
      out[base + r] = s;
    }
  }
}

/** Train codebooks (and the OPQ rotation) on `n` sample vectors. */
export function trainPq(sample: Float32Array, n: number, d: number, o: PqTrainOptions): PqParams {
  checkPq(d, o.m, o.bits);
  const ksub = 1 << o.bits;
  if (n < ksub) throw new Error(`PQ with ${o.bits} bits needs at least ${ksub} training vectors, got ${n}; lower --pq-bits (at most ${Math.max(1, Math.floor(Math.log2(Math.max(n, 2))))} here) or compress more vectors`);
  const rotation = o.opq ? opqRotation(sample, n, d, o.m) : null;
  let data = sample;
  if (rotation) {
    data = new Float32Array(n * d);
    rotate(rotation, sample, n, d, data);
  }
  const dsub = d / o.m;
  const codebooks = new Float32Array(o.m * ksub * dsub);
  const sub = new Float32Array(n * dsub);
  for (let t = 0; t < o.m; t++) {
    o.check?.();
    for (let i = 0; i < n; i++) sub.set(data.subarray(i * d + t * dsub, i * d + (t + 1) * dsub), i * dsub);
    codebooks.set(kmeans(sub, n, dsub, ksub, { iterations: o.iterations ?? PQ_ITERATIONS, seed: (o.seed ?? 1) + t }), t * ksub * dsub);
  }
  return { m: o.m, bits: o.bits, codebooks, rotation };
}

export function encodePq(p: PqParams, vectors: Float32Array, n: number, d: number, out: Uint8Array, outOffset = 0): void {
  const ksub = 1 << p.bits;
  const dsub = d / p.m;
  const rec = pqRecordBytes(p.m, p.bits);
  let data = vectors;
  if (p.rotation) {
    data = new Float32Array(n * d);
    rotate(p.rotation, vectors, n, d, data);
  }
  for (let i = 0; i < n; i++) {
    const o = outOffset + i * rec;
    out.fill(0, o, o + rec);
    for (let t = 0; t < p.m; t++) {
      const c = nearest(p.codebooks, t * ksub * dsub, ksub, data, i * d + t * dsub, dsub);
      // Write `bits` bits at bit offset t·bits (may straddle two bytes).
      const bit = t * p.bits;
      const v = c << (bit & 7);
      out[o + (bit >> 3)] |= v & 0xff;
      if ((bit & 7) + p.bits > 8) out[o + (bit >> 3) + 1] |= v >> 8;
    }
  }
}

/** The code of sub-vector t in a record starting at `o`. */
export function pqCode(records: Uint8Array, o: number, t: number, bits: number): number {
  const bit = t * bits;
  const byte = o + (bit >> 3);
  const word = records[byte] | ((bit & 7) + bits > 8 ? records[byte + 1] << 8 : 0);
  return (word >> (bit & 7)) & ((1 << bits) - 1);
}

export function decodePq(p: PqParams, records: Uint8Array, n: number, d: number, out: Float32Array, recOffset = 0): void {
  const ksub = 1 << p.bits;
  const dsub = d / p.m;
  const rec = pqRecordBytes(p.m, p.bits);
  const target = p.rotation ? new Float32Array(n * d) : out;
  for (let i = 0; i < n; i++) {
    const o = recOffset + i * rec;
    for (let t = 0; t < p.m; t++) {
      const c = pqCode(records, o, t, p.bits);
      const from = (t * ksub + c) * dsub;
      target.set(p.codebooks.subarray(from, from + dsub), i * d + t * dsub);
    }
  }
  if (p.rotation) rotate(p.rotation, target, n, d, out, true);
}

/**
 * Asymmetric distance table for one query: entry (t, c) is the query's partial distance to
 * centroid c of sub-space t — −q_t·c for inner product, |q_t − c|² for l2 — so the distance to
 * a decoded vector is the sum of m lookups (`pqDistance`), without decoding it.
 */
export function pqDistanceTable(p: PqParams, query: Float32Array, d: number, l2: boolean, out: Float32Array = new Float32Array(p.m << p.bits)): Float32Array {
  const ksub = 1 << p.bits;
  const dsub = d / p.m;
  let q = query;
  if (p.rotation) {
    q = new Float32Array(d);
    rotate(p.rotation, query, 1, d, q);
  }
  for (let t = 0; t < p.m; t++) {
    const qo = t * dsub;
    for (let c = 0; c < ksub; c++) {
      const co = (t * ksub + c) * dsub;
      let s = 0;
      if (l2) {
        for (let j = 0; j < dsub; j++) {
          const diff = q[qo + j] - p.codebooks[co + j];
          s += diff * diff;
        }
      } else {
        for (let j = 0; j < dsub; j++) s -= q[qo + j] * p.codebooks[co + j];
      }
      out[t * ksub + c] = s;
    }
  }
  return out;
}

/** Sum of the table entries of the record at `o` (see `pqDistanceTable`). */
export function pqDistance(table: Float32Array, records: Uint8Array, o: number, m: number, bits: number): number {
  let s = 0;
  if (bits === 8) {
    for (let t = 0; t < m; t++) s += table[(t << 8) + records[o + t]];
  } else {
    for (let t = 0; t < m; t++) s += table[(t << bits) + pqCode(records, o, t, bits)];
  }
  return s;
}
