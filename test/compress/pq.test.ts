/**
 * Product quantization on real vectors: recall@10 of search over PQ-reconstructed vectors
 * against exact search over the originals (20k GloVe, 100 queries from the file, each left
 * out of its own results), through `evaluate` as `vectra eval` runs it. Plus the pieces:
 * bit packing, the Jacobi eigen-solver, the OPQ rotation.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { evaluate } from '../../src/compress/evaluate.js';
import { compressFile } from '../../src/compress/files.js';
import { decodePq, encodePq, opqRotation, pqCode, symmetricEigen, trainPq } from '../../src/compress/pq.js';
import { glove, gloveNpy } from '../support/glove.js';
import { tempDir } from '../support/tmp.js';

const dir = tempDir();
const input = join(dir, 'g20k.npy');

describe('PQ recall on 20k GloVe vectors', () => {
  before(() => gloveNpy(input, 20000));

  it('m 25 × 8 bits (25 bytes a vector, 16× smaller): recall@10 ≥ 0.70 over reconstructed vectors, ≥ 0.95 rescored', () => {
    const out = join(dir, 'pq.vqz');
    compressFile({ input, output: out, method: 'pq', pq: { m: 25, bits: 8 }, sample: 5000 });
    const r = evaluate({ orig: input, comp: out, queries: 100, k: 10 });
    console.log(`# pq m25 b8: ratio ${r.ratio.toFixed(2)}, mean cosine ${r.meanCosine.toFixed(4)}, recall@10 ${r.recall}, rescored ${r.recallRescored}`);
    assert.equal(r.bytesPerVector.compressed, 25);
    // The file also holds the codebooks (256 × 100 float32 = 102 KB): 13× at 20k vectors.
    assert.equal(r.compressedBytes, 64 + 102400 + 20000 * 25);
    assert.ok(r.ratio > 13);
    // Measured 0.786 / 1.0 (deterministic: seeded k-means); floors leave room.
    assert.ok(r.recall >= 0.7, `recall ${r.recall}`);
    assert.ok(r.recallRescored >= 0.95, `rescored recall ${r.recallRescored}`);
    assert.ok(r.meanCosine >= 0.94);
  });

  it('a lossless container scores recall 1 and cosine 1 (the evaluation itself is exact)', () => {
    const out = join(dir, 'f16.vqz');
    compressFile({ input, output: out, method: 'f16' });
    const r = evaluate({ orig: input, comp: out, queries: 20, k: 10 });
    assert.ok(r.meanCosine > 0.99999);
    assert.equal(r.recall, 1);
    assert.equal(r.ratio, (128 + 20000 * 400) / (64 + 20000 * 200));
  });
});

describe('PQ pieces', () => {
  it('codes of any bit width pack and unpack (they straddle bytes)', () => {
    const d = 6;
    const sample = Float32Array.from({ length: 64 * d }, (_, i) => Math.sin(i * 1.7) * 3);
    for (const bits of [3, 5, 6]) {
      const p = trainPq(sample, 64, d, { m: 3, bits, iterations: 5 });
      const rec = new Uint8Array(Math.ceil((3 * bits) / 8));
      encodePq(p, sample.subarray(0, d), 1, d, rec);
      const codes = [0, 1, 2].map((t) => pqCode(rec, 0, t, bits));
      const back = new Float32Array(d);
      decodePq(p, rec, 1, d, back);
      const ksub = 1 << bits;
      codes.forEach((c, t) => {
        assert.ok(c < ksub);
        assert.deepEqual(Array.from(back.subarray(t * 2, t * 2 + 2)), Array.from(p.codebooks.subarray((t * ksub + c) * 2, (t * ksub + c) * 2 + 2)));
      });
    }
  });

  it('Jacobi eigen-decomposition: A·v = λ·v', () => {
    const A = Float64Array.from([4, 1, 2, 1, 3, 0, 2, 0, 5]);
    const { values, vectors } = symmetricEigen(A, 3);
    for (let i = 0; i < 3; i++) {
      for (let r = 0; r < 3; r++) {
        const av = A[r * 3] * vectors[i] + A[r * 3 + 1] * vectors[3 + i] + A[r * 3 + 2] * vectors[6 + i];
        assert.ok(Math.abs(av - values[i] * vectors[r * 3 + i]) < 1e-9);
      }
    }
    assert.ok(Math.abs(values.reduce((a, b) => a + b, 0) - 12) < 1e-9, 'trace preserved');
  });

  it('the OPQ rotation is orthonormal and decoding rotates back', () => {
    const g = glove();
    const n = 2000;
    const d = g.dim;
    const R = opqRotation(g.vectors.subarray(0, n * d), n, d, 10);
    for (const [a, b] of [[0, 0], [0, 1], [5, 5], [17, 93], [99, 99]]) {
      let s = 0;
      for (let j = 0; j < d; j++) s += R[a * d + j] * R[b * d + j];
      assert.ok(Math.abs(s - (a === b ? 1 : 0)) < 1e-4, `row ${a} · row ${b} = ${s}`);
    }
    const p = trainPq(g.vectors.subarray(0, n * d), n, d, { m: 50, bits: 6, opq: true, iterations: 8 });
    const rec = new Uint8Array(n * 38);
    encodePq(p, g.vectors.subarray(0, n * d), n, d, rec);
    const back = new Float32Array(n * d);
    decodePq(p, rec, n, d, back);
    let cos = 0;
    for (let i = 0; i < n; i++) {
      let dd = 0, a = 0, b = 0;
      for (let j = 0; j < d; j++) {
        dd += g.vectors[i * d + j] * back[i * d + j];
        a += g.vectors[i * d + j] ** 2;
        b += back[i * d + j] ** 2;
      }
      cos += dd / Math.sqrt(a * b);
    }
    assert.ok(cos / n > 0.95, `OPQ reconstruction mean cosine ${cos / n}`);
  });
});
