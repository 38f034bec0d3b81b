/**
 * Binary quantization: one sign bit per dimension (1 when the value is > 0), dimension j at
 * bit j % 8 of byte j / 8. Candidates are found by Hamming distance between sign patterns and
 * then rescored with full-precision vectors. Reconstruction (for files) is sign · s_j with
 * s_j the mean |v_j| of a training sample: the closest a sign pattern alone gets in L2.
 *
 * Two ways to rank codes against a query: Hamming distance between sign patterns (symmetric,
 * `vectra eval`), and the asymmetric query · sign(x) with the float query (signDot, through
 * a per-byte lookup table: as cheap as Hamming and a better candidate list, measured in
 * docs/benchmarks.md). The engine's `binary` storage (src/engine/binary-index.ts) packs with
 * packSigns and ranks with signDot.
 */

export function binaryRecordBytes(d: number): number {
  return Math.ceil(d / 8);
}

/** Pack the signs of `n` row-major vectors into records of `stride` bytes (≥ ceil(d/8)). */
export function packSigns(vectors: Float32Array, n: number, d: number, out: Uint8Array, outOffset = 0, stride = binaryRecordBytes(d)): void {
  for (let i = 0; i < n; i++) {
    const base = i * d;
    const o = outOffset + i * stride;
    out.fill(0, o, o + stride);
    for (let j = 0; j < d; j++) if (vectors[base + j] > 0) out[o + (j >> 3)] |= 1 << (j & 7);
  }
}

/**
 * Mean |v_j| of each of `n` vectors: with it, s · sign(v) is the closest a sign pattern gets
 * to v, and s · (q · sign(v)) estimates q · v when magnitudes differ (the dot metric).
 */
export function signScales(vectors: Float32Array, n: number, d: number, out: Float32Array, outOffset = 0): void {
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += Math.abs(vectors[i * d + j]);
    out[outOffset + i] = s / d;
  }
}

/** Mean |v_j| per dimension over `n` sample vectors: the reconstruction magnitudes. */
export function trainBinary(sample: Float32Array, n: number, d: number): Float32Array {
  const s = new Float32Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) s[j] += Math.abs(sample[i * d + j]);
  for (let j = 0; j < d; j++) s[j] = n > 0 ? s[j] / n : 1;
  return s;
}

export function unpackSigns(scale: Float32Array, records: Uint8Array, n: number, d: number, out: Float32Array, recOffset = 0): void {
  const rec = binaryRecordBytes(d);
  for (let i = 0; i < n; i++) {
    const o = recOffset + i * rec;
    const base = i * d;
    for (let j = 0; j < d; j++) out[base + j] = (records[o + (j >> 3)] >> (j & 7)) & 1 ? scale[j] : -scale[j];
  }
}

export function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Hamming distance between byte-packed codes (the file layout). */
export function hammingBytes(a: Uint8Array, b: Uint8Array, bytes: number, aOffset = 0, bOffset = 0): number {
  let dist = 0;
  for (let i = 0; i < bytes; i++) dist += popcount32(a[aOffset + i] ^ b[bOffset + i]);
  return dist;
}

/**
 * Lookup table for query · sign(x): entry [b·256 + v] is Σ ±q_j over the 8 dimensions of
 * byte b, + where byte value v has the bit set, − where not.
 */
export function signDotTable(query: Float32Array, d: number, out: Float32Array = new Float32Array(binaryRecordBytes(d) * 256)): Float32Array {
  const bytes = binaryRecordBytes(d);
  for (let b = 0; b < bytes; b++) {
    const t = b * 256;
    let base = 0;
    for (let j = b * 8; j < Math.min(d, b * 8 + 8); j++) base -= query[j];
    out[t] = base;
    for (let v = 1; v < 256; v++) {
      const low = 31 - Math.clz32(v & -v); // lowest set bit: v is (v without it) plus that bit
      const j = b * 8 + low;
      out[t + v] = out[t + (v & (v - 1))] + (j < d ? 2 * query[j] : 0);
    }
  }
  return out;
}

/** query · sign(x) for the code at codes[offset…], through signDotTable's table (at table[tableOffset…]). */
export function signDot(table: Float32Array, codes: Uint8Array, offset: number, bytes: number, tableOffset = 0): number {
  let s = 0;
  for (let b = 0; b < bytes; b++) s += table[tableOffset + b * 256 + codes[offset + b]];
  return s;
}
