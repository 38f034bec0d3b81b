/**
 * Per-vector int8 exactly as the Vectro seed defines it: scale = max|v|/127 (1 for a zero
 * vector), q = round(v/scale), reconstruction q·scale — in float32 with NumPy's round half
 * to even. Expected values below are computed by hand.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { quantizeInt8, reconstructInt8, roundHalfEven } from '../../src/compress/int8.js';

function roundTrip(v: number[]): { q: number[]; scale: number; back: number[] } {
  const d = v.length;
  const q = new Int8Array(d);
  const scales = new Float32Array(1);
  quantizeInt8(Float32Array.from(v), 1, d, q, scales);
  const back = new Float32Array(d);
  reconstructInt8(q, scales, 1, d, back);
  return { q: Array.from(q), scale: scales[0], back: Array.from(back) };
}

describe('per-vector int8 (the seed definition)', () => {
  it('rounds halves to even, as NumPy does', () => {
    assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, -2.6].map(roundHalfEven).map((x) => x + 0), [0, 2, 2, 0, -2, -2, 2, -3]);
  });

  it('max|v| = 127: scale 1, codes are the rounded values', () => {
    // 127/127 = 1; -63.5 → -64 (half to even); 0.5 → 0; 1.5 → 2
    assert.deepEqual(roundTrip([127, -63.5, 0.5, 1.5]), { q: [127, -64, 0, 2], scale: 1, back: [127, -64, 0, 2] });
  });

  it('max|v| = 254: scale 2; reconstruction is q · 2', () => {
    // 254/2 = 127; -127/2 = -63.5 → -64; 3/2 = 1.5 → 2; -1/2 = -0.5 → 0
    assert.deepEqual(roundTrip([254, -127, 3, -1]), { q: [127, -64, 2, 0], scale: 2, back: [254, -128, 4, 0] });
  });

  it('a negative vector: the largest magnitude maps to -127', () => {
    // max|v| = 508 → scale 4; -508/4 = -127; -254/4 = -63.5 → -64; 127/4 = 31.75 → 32; 0.25/4 → 0
    assert.deepEqual(roundTrip([-508, -254, 127, 0.25]), { q: [-127, -64, 32, 0], scale: 4, back: [-508, -256, 128, 0] });
    assert.deepEqual(roundTrip([-3, -3, -3]).q, [-127, -127, -127]);
  });

  it('a zero vector: scale 1, codes 0, reconstruction 0', () => {
    assert.deepEqual(roundTrip([0, 0, 0, 0]), { q: [0, 0, 0, 0], scale: 1, back: [0, 0, 0, 0] });
  });

  it('a scale that is not a power of two is the float32 of max/127', () => {
    // float32(1/127) = 0.007874015718698502 (just under 1/127), so 0.5/scale = 63.5000012 →
    // float32 63.5 → 64 (half to even).
    const r = roundTrip([1, 0.5, -0.25]);
    assert.equal(r.scale, 0.007874015718698502);
    assert.deepEqual(r.q, [127, 64, -32]);
    assert.deepEqual(r.back, [1, Math.fround(64 * 0.007874015718698502), Math.fround(-32 * 0.007874015718698502)]);
  });

  it('a vector too small for max/127 in float32 still encodes without dividing by zero', () => {
    assert.deepEqual(roundTrip([2 ** -149, -(2 ** -148)]), { q: [1, -2], scale: 2 ** -149, back: [2 ** -149, -(2 ** -148)] });
  });

  it('several vectors at once, each with its own scale', () => {
    const q = new Int8Array(6);
    const scales = new Float32Array(2);
    quantizeInt8(Float32Array.from([127, 0, -127, 0, 0, 0]), 2, 3, q, scales);
    assert.deepEqual(Array.from(q), [127, 0, -127, 0, 0, 0]);
    assert.deepEqual(Array.from(scales), [1, 1]);
  });

  it('property: |codes| ≤ 127, the largest component hits ±127, error ≤ scale/2', () => {
    fc.assert(
      fc.property(fc.array(fc.float({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 64 }), (v) => {
        const { q, scale, back } = roundTrip(v);
        const f = Float32Array.from(v);
        const max = Math.max(...f.map(Math.abs));
        if (max === 0) return scale === 1 && q.every((x) => x === 0);
        assert.ok(q.every((x) => x >= -127 && x <= 127));
        // (Unless max/127 would underflow float32: then the scale is the smallest float32.)
        if (max >= 1e-37) assert.equal(Math.max(...q.map(Math.abs)), 127);
        f.forEach((x, j) => assert.ok(Math.abs(back[j] - x) <= scale / 2 + Math.abs(x) * 1e-6, `v[${j}] = ${x}, back ${back[j]}, scale ${scale}`));
        return true;
      }),
      { numRuns: 300 },
    );
  });
});
