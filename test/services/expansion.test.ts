/** Rocchio's update (pseudo-relevance feedback) and the many-list RRF of multi-query expansion, on planted vectors and rankings. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FlatIndex } from '../../src/engine/flat-index.js';
import { rocchio } from '../../src/services/expansion.js';
import { rrfFuseLists } from '../../src/services/fusion.js';
import { prepareVector } from '../../src/vector/math.js';

const at = (deg: number) => Float32Array.of(Math.cos((deg * Math.PI) / 180), Math.sin((deg * Math.PI) / 180));
const cos = (a: Float32Array, b: Float32Array) => (a[0] * b[0] + a[1] * b[1]) / (Math.hypot(...a) * Math.hypot(...b));

describe('rocchio', () => {
  it('moves the query toward the top hits by the weight, as a unit vector (cosine)', () => {
    const q = Float32Array.of(3, 0); // any length: the direction counts
    const top = [Float32Array.of(0, 1), Float32Array.of(0, 10)]; // as unit vectors, each counts alike
    const moved = rocchio(q, top, 0.5, 'cosine');
    assert.ok(Math.abs(Math.hypot(...moved) - 1) < 1e-6);
    assert.ok(Math.abs(moved[0] - Math.SQRT1_2) < 1e-6 && Math.abs(moved[1] - Math.SQRT1_2) < 1e-6, `${moved}`);
    assert.ok(cos(moved, top[0]) > cos(q, top[0]));
    assert.deepEqual(Array.from(rocchio(q, top, 0, 'cosine')), [1, 0], 'weight 0: the query itself');
    assert.deepEqual(Array.from(rocchio(q, top, 1, 'cosine')), [0, 1], "weight 1: the top hits' mean");
    // A larger weight moves it further.
    assert.ok(cos(rocchio(q, top, 0.7, 'cosine'), top[0]) > cos(moved, top[0]));
  });

  it('l2: moves the query point toward the top hits\' centroid, in the vectors\' own space', () => {
    assert.deepEqual(Array.from(rocchio(Float32Array.of(0, 0), [Float32Array.of(2, 0), Float32Array.of(4, 2)], 0.5, 'l2')), [1.5, 0.5]);
  });

  it('the new query ranks what lies beyond the top hits above what lies away from them', () => {
    // Unit vectors at angles: the query at 0°, three top hits at 10–14°, y at −20° and z at +30°.
    const angles = { a1: 10, a2: 12, a3: 14, y: -20, z: 30 };
    const ids = Object.keys(angles);
    const index = new FlatIndex(2, 'cosine', ids.length);
    const rows = new Float32Array(ids.length * 2);
    ids.forEach((id, i) => rows.set(prepareVector('cosine', at(angles[id as keyof typeof angles])), i * 2));
    index.add(ids.map((_, i) => i), rows);
    const rank = (q: Float32Array) => index.search(prepareVector('cosine', q), ids.length).labels.map((l) => ids[l]);
    const before = rank(at(0));
    assert.deepEqual(before, ['a1', 'a2', 'a3', 'y', 'z']);
    const moved = rocchio(at(0), before.slice(0, 3).map((id) => at(angles[id as keyof typeof angles])), 0.5, 'cosine');
    assert.deepEqual(rank(moved), ['a1', 'a2', 'a3', 'z', 'y'], 'z, on the top hits\' side, now ranks above y');
  });
});

describe('rrfFuseLists', () => {
  it('sums 1/(k + rank) over the lists holding an id; ties by best rank, then id', () => {
    const r = (...ids: string[]) => ids.map((id) => ({ id, score: 0 }));
    const fused = rrfFuseLists([r('a', 'b', 'c'), r('b', 'a', 'd'), r('b', 'e')], 60);
    // e (rank 2 once) is above c and d (rank 3 once each), which tie: the id decides.
    assert.deepEqual(fused.map((h) => h.id), ['b', 'a', 'e', 'c', 'd']);
    assert.ok(Math.abs(fused[0].score - (1 / 62 + 1 / 61 + 1 / 61)) < 1e-12);
    const tie = rrfFuseLists([r('x', 'c'), r('y', 'd')], 60);
    assert.deepEqual(tie.map((h) => h.id), ['x', 'y', 'c', 'd']);
    assert.deepEqual(rrfFuseLists([]), []);
  });
});
