/** Embedding health arithmetic on data with planted problems: duplicates, outliers, a dead dimension, one direction. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { anisotropy, deadDimensions, groupsOf, normStats, outliersOf, verdictOf } from '../../src/services/insights/health.js';
import { cosine, robustZ } from '../../src/services/insights/math.js';
import { mulberry32 } from '../../src/random.js';
import { gaussianCloud, plantedClusters } from '../support/planted.js';

describe('insights: health', () => {
  it('groups near-duplicate pairs transitively, largest group first', () => {
    assert.deepEqual(groupsOf([['a', 'b'], ['c', 'd'], ['b', 'e'], ['x', 'y']]), [['a', 'b', 'e'], ['c', 'd'], ['x', 'y']]);
  });

  it('finds planted outliers by distance to the 5th neighbour (robust z > 3.5), the most extreme ones', () => {
    const { vectors } = plantedClusters(4, 100, 16, 3);
    const rng = mulberry32(8);
    const planted = [13, 77, 190, 255, 333];
    // Far from every cluster: the opposite of a point's own direction, scaled up.
    for (const i of planted) vectors[i] = Float32Array.from(vectors[i], (x) => -x * 3 + rng());
    const kth = vectors.map((v, i) => {
      const d = vectors.flatMap((w, j) => (i === j ? [] : [1 - cosine(v, w)])).sort((a, b) => a - b);
      return d[4];
    });
    const found = outliersOf(kth);
    // The planted ones are the most extreme; a natural straggler of a Gaussian cluster may follow them.
    assert.deepEqual(found.slice(0, 5).map((o) => o.index).sort((a, b) => a - b), planted);
    assert.ok(found.length <= 7, `${found.length} outliers`);
  });

  it('robust z-scores survive a majority of equal values (MAD 0)', () => {
    const z = robustZ([1, 1, 1, 1, 1, 1, 9]);
    assert.ok(z[6] > 3.5 && z[0] === 0);
  });

  it('finds a dead dimension, and none in healthy data', () => {
    const vs = gaussianCloud(500, 8, 4);
    assert.deepEqual(deadDimensions(vs), []);
    for (const v of vs) v[5] = 0.25;
    assert.deepEqual(deadDimensions(vs), [5]);
  });

  it('anisotropy: about 0 for directions spread evenly, near 1 when all point one way', () => {
    assert.ok(Math.abs(anisotropy(gaussianCloud(1000, 32, 5), mulberry32(1))) < 0.02);
    assert.ok(anisotropy(gaussianCloud(1000, 32, 5, 5), mulberry32(1)) > 0.9);
  });

  it('norm statistics', () => {
    const s = normStats([Float32Array.of(3, 4), Float32Array.of(0, 0), Float32Array.of(1, 0)]);
    assert.equal(s.min, 0);
    assert.equal(s.max, 5);
    assert.equal(s.p50, 1);
    assert.equal(s.mean, 2);
    assert.equal(s.zero, 1);
  });

  it('verdict: healthy without problems; warning and unhealthy with reasons that name the figure', () => {
    const base = { sampled: 1000, dimension: 100, metric: 'cosine', norms: normStats([Float32Array.of(1, 0), Float32Array.of(0, 1)]), duplicated: 0, outliers: 3, dead: 0, anisotropy: 0.1 };
    assert.equal(verdictOf(base).verdict, 'healthy');
    const w = verdictOf({ ...base, duplicated: 120 });
    assert.equal(w.verdict, 'warning');
    assert.match(w.reasons[0], /12 % of vectors have a near-duplicate/);
    const u = verdictOf({ ...base, dead: 20, anisotropy: 0.95 });
    assert.equal(u.verdict, 'unhealthy');
    assert.equal(u.reasons.length, 2);
  });
});
