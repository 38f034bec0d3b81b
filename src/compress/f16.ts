/**
 * IEEE 754 half precision (binary16), by hand: Node 20 has no Float16Array. Encoding rounds to
 * nearest, ties to even (as hardware and NumPy's astype(float16) do), with subnormals;
 * values beyond ±65504 become ±Infinity. Decoding goes through a 65,536-entry table.
 */

export const F16_MAX = 65504;

/** float32 bit pattern → float16 bit pattern, round to nearest even. */
export function f32BitsToF16(b: number): number {
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0); // Inf, NaN (quiet)
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00; // overflow → Inf
  if (e <= 0) {
    // Subnormal half (or zero): shift the implicit-1 mantissa into place.
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    let half = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (half & 1) !== 0)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to Inf).
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1) !== 0)) half++;
  return sign | half;
}

function f16ToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

let table: Float32Array | null = null;

/** float16 bit pattern → value, for all 65,536 patterns. */
export function f16Table(): Float32Array {
  if (table === null) {
    table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) table[h] = f16ToNumber(h);
  }
  return table;
}

/** Encode `count` floats from `src[srcOffset…]` into `dst[dstOffset…]` (bit patterns). */
export function encodeF16(src: Float32Array, dst: Uint16Array, count = src.length, srcOffset = 0, dstOffset = 0): void {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < count; i++) dst[dstOffset + i] = f32BitsToF16(bits[srcOffset + i]);
}

export function decodeF16(src: Uint16Array, dst: Float32Array, count = src.length, srcOffset = 0, dstOffset = 0): void {
  const t = f16Table();
  for (let i = 0; i < count; i++) dst[dstOffset + i] = t[src[srcOffset + i]];
}
