/** Drift: KS and Benjamini–Hochberg arithmetic, and a drifted window told from a stable one (seeded data). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { driftOf } from '../../src/services/insights/drift.js';
import { benjaminiHochberg, ksTwoSample } from '../../src/services/insights/math.js';
import { mulberry32 } from '../../src/random.js';
import { gaussianCloud } from '../support/planted.js';

describe('insights: drift', () => {
  it('KS: D of identical samples is 0 (p 1); of disjoint ones 1 (p ≈ 0); a known D', () => {
    assert.deepEqual(ksTwoSample([1, 2, 3], [1, 2, 3]), { d: 0, p: 1 });
    const far = ksTwoSample(Array.from({ length: 50 }, (_, i) => i), Array.from({ length: 50 }, (_, i) => i + 100));
    assert.equal(far.d, 1);
    assert.ok(far.p < 1e-10);
    assert.equal(ksTwoSample([1, 2, 3, 4], [3, 4, 5, 6]).d, 0.5);
  });

  it('Benjamini–Hochberg: p·m/rank, made monotone', () => {
    const adj = benjaminiHochberg([0.01, 0.04, 0.03, 0.5]);
    assert.deepEqual(adj.map((x) => Math.round(x * 1e6) / 1e6), [0.04, 0.053333, 0.053333, 0.5]);
  });

  it('per dimension (16-d): a window shifted on 2 dimensions is drifted, with those dimensions first; a fresh draw is stable', () => {
    const baseline = gaussianCloud(500, 16, 1);
    const stable = driftOf(baseline, gaussianCloud(500, 16, 2), mulberry32(1));
    assert.equal(stable.verdict, 'stable');
    assert.ok(stable.pValue > 0.01);
    const drifted = driftOf(baseline, gaussianCloud(500, 16, 3, 0.5, 2), mulberry32(1));
    assert.equal(drifted.verdict, 'drifted');
    assert.ok(drifted.pValue < 1e-6);
    assert.deepEqual(drifted.dimensions.slice(0, 2).map((d) => d.dimension).sort(), [0, 1]);
    assert.ok(drifted.centroidShift.l2 > 0.5 && stable.centroidShift.l2 < 0.3, JSON.stringify([drifted.centroidShift, stable.centroidShift]));
    assert.match(drifted.method, /each of the 16 dimensions/);
  });

  it('random projections above 64 dimensions: drifted and stable told apart, the same answer for the same seed', () => {
    const baseline = gaussianCloud(400, 128, 4);
    assert.equal(driftOf(baseline, gaussianCloud(400, 128, 5), mulberry32(2)).verdict, 'stable');
    const d = driftOf(baseline, gaussianCloud(400, 128, 6, 0.3), mulberry32(2));
    assert.equal(d.verdict, 'drifted');
    assert.match(d.method, /64 random projections/);
    assert.deepEqual(driftOf(baseline, gaussianCloud(400, 128, 6, 0.3), mulberry32(2)), d);
  });
});
