/**
 * Per-vector int8, exactly as the Vectro seed defines it: for each vector v,
 * scale = max|v| / 127 (scale = 1 for a zero vector), q = round(v / scale) as int8,
 * reconstruction q · scale.
 *
 * The reference is NumPy on float32 arrays, so every step is float32 arithmetic
 * (`Math.fround` after each operation: a double result of one float32 operation rounded to
 * float32 is the correctly rounded float32 result) and `round` is NumPy's round half to even.
 */

/** NumPy's `np.round` (and Python's `round`): halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && (r & 1) !== 0 ? r - 1 : r;
}

/** The smallest positive float32, 2^-149. */
const MIN_SUBNORMAL = 1.401298464324817e-45;

/**
 * The scale of one vector: max|v| / 127 in float32, 1 for a zero vector. (Beyond the seed:
 * when max|v| is so small that max/127 underflows float32 to 0 — below ~1.8e-43 — the scale
 * is the smallest float32 instead, so no code divides by zero.)
 */
export function int8Scale(v: Float32Array, offset: number, d: number): number {
  let max = 0;
  for (let j = 0; j < d; j++) {
    const a = Math.abs(v[offset + j]);
    if (a > max) max = a;
  }
  if (max === 0) return 1;
  return Math.fround(max / 127) || MIN_SUBNORMAL;
}

/**
 * Quantize `n` row-major vectors of dimension `d`: codes into `q` (n·d) and one float32 scale
 * per vector into `scales`, each at the given offsets.
 */
export function quantizeInt8(vectors: Float32Array, n: number, d: number, q: Int8Array, scales: Float32Array, qOffset = 0, scaleOffset = 0): void {
  for (let i = 0; i < n; i++) {
    const base = i * d;
    const scale = int8Scale(vectors, base, d);
    scales[scaleOffset + i] = scale;
    const out = qOffset + base;
    for (let j = 0; j < d; j++) {
      const r = roundHalfEven(Math.fround(vectors[base + j] / scale));
      // |v| ≤ max, so |v / scale| ≤ 127 up to float rounding; the clamp only guards that.
      q[out + j] = r > 127 ? 127 : r < -127 ? -127 : r;
    }
  }
}

/** Reconstruct `n` vectors: out[i·d + j] = q[i·d + j] · scales[i] (float32). */
export function reconstructInt8(q: Int8Array, scales: Float32Array, n: number, d: number, out: Float32Array, qOffset = 0, scaleOffset = 0): void {
  for (let i = 0; i < n; i++) {
    const s = scales[scaleOffset + i];
    const base = i * d;
    for (let j = 0; j < d; j++) out[base + j] = q[qOffset + base + j] * s;
  }
}
