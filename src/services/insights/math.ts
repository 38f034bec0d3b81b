/**
 * Small statistics for the insights analyses (clustering, health, drift): pure functions over
 * plain arrays, no I/O, deterministic for a given random source (src/random.ts).
 */

export type Rng = () => number;

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function norm(a: Float32Array): number {
  return Math.sqrt(dot(a, a));
}

export function squaredL2(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return s;
}

export function cosine(a: Float32Array, b: Float32Array): number {
  const n = norm(a) * norm(b);
  return n === 0 ? 0 : dot(a, b) / n;
}

/** A unit-length copy (a zero vector stays zero). */
export function unit(a: Float32Array): Float32Array {
  const n = norm(a);
  const out = new Float32Array(a.length);
  if (n > 0) for (let i = 0; i < a.length; i++) out[i] = a[i] / n;
  return out;
}

export function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return xs.length === 0 ? NaN : s / xs.length;
}

/** Quantile by linear interpolation of the sorted values (q in [0, 1]). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function sortedCopy(xs: ArrayLike<number>): Float64Array {
  return Float64Array.from(xs).sort();
}

/**
 * Robust z-scores (Iglewicz & Hoaglin): 0.6745 (x − median) / MAD. When over half the values
 * are equal (MAD 0), the mean absolute deviation stands in (scaled by 1.2533, as for a normal).
 */
export function robustZ(xs: ArrayLike<number>): Float64Array {
  const s = sortedCopy(xs);
  const med = quantile(s, 0.5);
  const dev = sortedCopy(Array.from(s, (x) => Math.abs(x - med)));
  const mad = quantile(dev, 0.5);
  const out = new Float64Array(xs.length);
  if (mad > 0) {
    for (let i = 0; i < xs.length; i++) out[i] = (0.6745 * (xs[i] - med)) / mad;
    return out;
  }
  const meanAd = mean(dev);
  if (meanAd > 0) for (let i = 0; i < xs.length; i++) out[i] = (xs[i] - med) / (1.2533 * meanAd);
  return out;
}

/** `count` distinct indices of [0, n), uniformly (partial Fisher–Yates), in random order. */
export function sampleIndices(n: number, count: number, rng: Rng): number[] {
  if (count >= n) return Array.from({ length: n }, (_, i) => i);
  const swapped = new Map<number, number>();
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(rng() * (n - i));
    const vi = swapped.get(i) ?? i;
    const vj = swapped.get(j) ?? j;
    out.push(vj);
    swapped.set(j, vi);
  }
  return out;
}

/** A standard normal draw (Box–Muller). */
export function gaussian(rng: Rng): number {
  let u = 0;
  while (u === 0) u = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** Kolmogorov's survival function Q(λ) = 2 Σ (−1)^(j−1) e^(−2 j² λ²). */
function kolmogorovQ(lambda: number): number {
  if (lambda < 1e-3) return 1;
  let sum = 0;
  let sign = 1;
  for (let j = 1; j <= 100; j++) {
    const term = Math.exp(-2 * j * j * lambda * lambda);
    sum += sign * term;
    if (term < 1e-12) break;
    sign = -sign;
  }
  return Math.min(1, Math.max(0, 2 * sum));
}

/**
 * Two-sample Kolmogorov–Smirnov test: D, the largest gap between the two empirical CDFs, and
 * its p-value from the asymptotic distribution with Stephens' small-sample correction
 * (Numerical Recipes' `kstwo`): fine from about 20 values per sample.
 */
export function ksTwoSample(a: ArrayLike<number>, b: ArrayLike<number>): { d: number; p: number } {
  const x = sortedCopy(a);
  const y = sortedCopy(b);
  const n = x.length;
  const m = y.length;
  if (n === 0 || m === 0) return { d: 0, p: 1 };
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    const v = Math.min(x[i], y[j]);
    while (i < n && x[i] <= v) i++;
    while (j < m && y[j] <= v) j++;
    d = Math.max(d, Math.abs(i / n - j / m));
  }
  const ne = Math.sqrt((n * m) / (n + m));
  return { d, p: kolmogorovQ((ne + 0.12 + 0.11 / ne) * d) };
}

/** Benjamini–Hochberg adjusted p-values (false discovery rate), in the input's order. */
export function benjaminiHochberg(ps: readonly number[]): number[] {
  const m = ps.length;
  const order = ps.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(m);
  let running = 1;
  for (let r = m - 1; r >= 0; r--) {
    const [p, i] = order[r];
    running = Math.min(running, (p * m) / (r + 1));
    out[i] = running;
  }
  return out;
}

/** Adjusted Rand index of two labelings of the same items (1: identical partitions, ~0: chance). */
export function adjustedRand(a: readonly number[], b: readonly number[]): number {
  const n = a.length;
  const table = new Map<string, number>();
  const rows = new Map<number, number>();
  const cols = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const key = `${a[i]},${b[i]}`;
    table.set(key, (table.get(key) ?? 0) + 1);
    rows.set(a[i], (rows.get(a[i]) ?? 0) + 1);
    cols.set(b[i], (cols.get(b[i]) ?? 0) + 1);
  }
  const c2 = (x: number) => (x * (x - 1)) / 2;
  let index = 0;
  for (const v of table.values()) index += c2(v);
  let sa = 0;
  for (const v of rows.values()) sa += c2(v);
  let sb = 0;
  for (const v of cols.values()) sb += c2(v);
  const expected = (sa * sb) / c2(n);
  const max = (sa + sb) / 2;
  return max === expected ? 1 : (index - expected) / (max - expected);
}
