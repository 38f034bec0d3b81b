/**
 * Per-dimension scalar quantization to 8 or 4 bits. Each dimension j gets its own range
 * [min_j, min_j + levels · step_j] learned from a training sample; a value becomes
 * q = round((v − min_j) / step_j) clamped to 0…levels (255 for 8 bits, 15 for 4 bits), and is
 * reconstructed as min_j + q · step_j. 4-bit codes are packed two per byte, dimension 2t in
 * the low nibble of byte t.
 */
import { roundHalfEven } from './int8.js';

export type ScalarBits = 8 | 4;

export interface ScalarParams {
  bits: ScalarBits;
  min: Float32Array;
  step: Float32Array;
}

export function scalarRecordBytes(d: number, bits: ScalarBits): number {
  return bits === 8 ? d : Math.ceil(d / 2);
}

/** Learn each dimension's range from `n` row-major sample vectors. */
export function trainScalar(sample: Float32Array, n: number, d: number, bits: ScalarBits): ScalarParams {
  const min = new Float32Array(d).fill(Infinity);
  const max = new Float32Array(d).fill(-Infinity);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const v = sample[i * d + j];
      if (v < min[j]) min[j] = v;
      if (v > max[j]) max[j] = v;
    }
  }
  const levels = (1 << bits) - 1;
  const step = new Float32Array(d);
  for (let j = 0; j < d; j++) {
    if (n === 0) min[j] = 0;
    const range = n === 0 ? 0 : max[j] - min[j];
    // A constant dimension still needs a non-zero step; its codes are all 0.
    step[j] = range > 0 ? range / levels : 1;
  }
  return { bits, min, step };
}

function code(v: number, min: number, step: number, levels: number): number {
  const q = roundHalfEven((v - min) / step);
  return q < 0 ? 0 : q > levels ? levels : q;
}

/** Encode `n` vectors into records of scalarRecordBytes(d, bits) bytes at `out[outOffset…]`. */
export function encodeScalar(p: ScalarParams, vectors: Float32Array, n: number, d: number, out: Uint8Array, outOffset = 0): void {
  const { min, step } = p;
  if (p.bits === 8) {
    for (let i = 0; i < n; i++) {
      const base = i * d;
      const o = outOffset + base;
      for (let j = 0; j < d; j++) out[o + j] = code(vectors[base + j], min[j], step[j], 255);
    }
    return;
  }
  const rec = scalarRecordBytes(d, 4);
  for (let i = 0; i < n; i++) {
    const base = i * d;
    const o = outOffset + i * rec;
    for (let j = 0; j < d; j += 2) {
      const lo = code(vectors[base + j], min[j], step[j], 15);
      const hi = j + 1 < d ? code(vectors[base + j + 1], min[j + 1], step[j + 1], 15) : 0;
      out[o + (j >> 1)] = lo | (hi << 4);
    }
  }
}

export function decodeScalar(p: ScalarParams, records: Uint8Array, n: number, d: number, out: Float32Array, recOffset = 0): void {
  const { min, step } = p;
  const rec = scalarRecordBytes(d, p.bits);
  for (let i = 0; i < n; i++) {
    const o = recOffset + i * rec;
    const base = i * d;
    if (p.bits === 8) {
      for (let j = 0; j < d; j++) out[base + j] = min[j] + records[o + j] * step[j];
    } else {
      for (let j = 0; j < d; j++) {
        const byte = records[o + (j >> 1)];
        out[base + j] = min[j] + ((j & 1) === 0 ? byte & 15 : byte >> 4) * step[j];
      }
    }
  }
}
