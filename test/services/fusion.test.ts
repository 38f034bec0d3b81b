/** Hybrid fusion and MMR arithmetic, checked against values worked out by hand. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mmr, normalizeScores, rrfFuse, weightedFuse } from '../../src/services/fusion.js';

const r = (...pairs: [string, number][]) => pairs.map(([id, score]) => ({ id, score }));
const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} ≠ ${b}`);

describe('fusion', () => {
  it('RRF: Σ weight / (k + rank), with each side\'s score and rank', () => {
    const fused = rrfFuse(r(['x', 0.9], ['y', 0.8], ['z', 0.7]), r(['y', 12], ['w', 3]));
    assert.deepEqual(fused.map((h) => h.id), ['y', 'x', 'w', 'z']);
    close(fused[0].score, 1 / 62 + 1 / 61);
    close(fused[1].score, 1 / 61);
    close(fused[2].score, 1 / 62);
    close(fused[3].score, 1 / 63);
    assert.deepEqual(fused[0].scores, { dense: 0.8, keyword: 12 });
    assert.deepEqual(fused[0].ranks, { dense: 2, keyword: 1 });
    assert.deepEqual(fused[2].ranks, { keyword: 2 });
  });

  it('RRF weights and rank constant', () => {
    const fused = rrfFuse(r(['x', 1], ['y', 0.5]), r(['y', 2], ['x', 1]), { k: 0, weights: { dense: 1, keyword: 3 } });
    // x: 1/1 + 3/2 = 2.5; y: 1/2 + 3/1 = 3.5
    assert.deepEqual(fused.map((h) => [h.id, h.score]), [['y', 3.5], ['x', 2.5]]);
    // Weight 0 on a side: only the other side orders; ties go to the better dense rank.
    const kwOnly = rrfFuse(r(['a', 1], ['b', 1]), r(['b', 5]), { k: 60, weights: { dense: 0, keyword: 1 } });
    assert.deepEqual(kwOnly.map((h) => h.id), ['b', 'a']);
  });

  it('weighted: alpha · dense + (1 − alpha) · keyword after min-max normalization', () => {
    const fused = weightedFuse(r(['a', 0.9], ['b', 0.5], ['c', 0.1]), r(['c', 10], ['d', 2]), 0.7);
    // a: .7·1 = .7; b: .7·.5 = .35; c: .7·0 + .3·1 = .3; d: .3·0 = 0
    assert.deepEqual(fused.map((h) => h.id), ['a', 'b', 'c', 'd']);
    close(fused[0].score, 0.7);
    close(fused[1].score, 0.35);
    close(fused[2].score, 0.3);
    close(fused[3].score, 0);
    // Distances (l2): the smallest is best.
    const l2 = weightedFuse(r(['near', 0.1], ['far', 4]), [], 1, true);
    assert.deepEqual(l2.map((h) => [h.id, h.score]), [['near', 1], ['far', 0]]);
  });

  it('normalization of one candidate or equal scores gives 1', () => {
    assert.deepEqual(normalizeScores([5]), [1]);
    assert.deepEqual(normalizeScores([2, 2]), [1, 1]);
    assert.deepEqual(normalizeScores([]), []);
    assert.deepEqual(normalizeScores([1, 3, 2], true), [1, 0, 0.5]);
  });
});

describe('MMR', () => {
  const cands = r(['a', 1.0], ['a2', 0.99], ['b', 0.8], ['c', 0.1]);
  const v = (...x: number[]) => new Float32Array(x);
  const vectors = [v(1, 0, 0), v(0.99, 0.14, 0), v(0, 1, 0), v(0, 0, 1)];

  it('lambda 1 keeps the relevance order', () => {
    assert.deepEqual(mmr(cands, vectors, 4, 1), [0, 1, 2, 3]);
  });

  it('a near-duplicate of a picked hit falls behind a different one', () => {
    // After a: a2 = .5·(.99/.9…) − .5·0.99 < b = .5·(.7/.9) − 0; the order becomes a, b, …
    const order = mmr(cands, vectors, 3, 0.5);
    assert.deepEqual(order.slice(0, 2), [0, 2]);
    assert.equal(order.length, 3);
  });

  it('lambda 0 picks the most different each time after the first', () => {
    assert.deepEqual(mmr(cands, vectors, 4, 0).slice(0, 1), [0]);
    assert.notEqual(mmr(cands, vectors, 4, 0)[1], 1);
  });

  it('candidates without a vector keep their relevance; k beyond the candidates stops there', () => {
    assert.deepEqual(mmr(cands, [undefined, undefined, undefined, undefined], 10, 0.5), [0, 1, 2, 3]);
  });
});
