/** The 2-D projections themselves: the sketched PCA against ml-pca on the full data, and UMAP's determinism. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PCA } from 'ml-pca';
import { projectPca, projectUmap } from '../../src/services/insights/project2d.js';
import { gaussianCloud, plantedClusters } from '../support/planted.js';

function flat(vs: Float32Array[]): Float32Array {
  const d = vs[0].length;
  const out = new Float32Array(vs.length * d);
  vs.forEach((v, i) => out.set(v, i * d));
  return out;
}

function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) (ma += a[i] / n), (mb += b[i] / n);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

describe('insights: 2-D projections', () => {
  it('PCA through the sketched subspace gives what ml-pca gives on the full data: the same axes (up to sign) and explained variance', () => {
    for (const [vs, label] of [
      [plantedClusters(5, 100, 50, 3).vectors, '500 × 50 planted'],
      [gaussianCloud(400, 64, 9).map((v) => v.map((x, j) => x * (1 + 4 / (j + 1)))), '400 × 64 anisotropic Gaussian'],
      [gaussianCloud(5, 24, 2), '5 × 24 (fewer points than the sketch)'],
    ] as const) {
      const n = vs.length;
      const d = vs[0].length;
      const mine = projectPca(flat(vs as Float32Array[]), n, d, 1);
      const rows = (vs as Float32Array[]).map((v) => [...v]);
      const exact = new PCA(rows);
      const ev = exact.getExplainedVariance();
      const coords = exact.predict(rows, { nComponents: 2 });
      assert.ok(Math.abs(mine.explainedVariance![0] - ev[0]) < 1e-4 && Math.abs(mine.explainedVariance![1] - ev[1]) < 1e-4, `${label}: ${mine.explainedVariance} vs ${ev.slice(0, 2)}`);
      assert.ok(Math.abs(correlation(mine.x, coords.getColumn(0))) > 0.999, `${label}: x`);
      assert.ok(Math.abs(correlation(mine.y, coords.getColumn(1))) > 0.999, `${label}: y`);
    }
  });

  it('UMAP is reproducible for a seed and differs for another', () => {
    const vs = plantedClusters(3, 40, 16, 4).vectors;
    const a = projectUmap(flat(vs), vs.length, 16, 5);
    const b = projectUmap(flat(vs), vs.length, 16, 5);
    const c = projectUmap(flat(vs), vs.length, 16, 6);
    assert.deepEqual([...a.x], [...b.x]);
    assert.deepEqual([...a.y], [...b.y]);
    assert.notDeepEqual([...a.x], [...c.x]);
  });
});
