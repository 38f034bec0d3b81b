/** The diff of a recorded ranking with today's (replay): added, removed, moved, score changes, overlap. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffRankings } from '../../src/services/insights/replay.js';

const r = (...pairs: [string, number][]) => pairs.map(([id, score]) => ({ id, score }));

describe('diffRankings', () => {
  it('the same ranking is unchanged, overlap 1; two empty ones too', () => {
    const a = r(['a', 0.9], ['b', 0.8]);
    assert.deepEqual(diffRankings(a, a), { diff: { added: [], removed: [], moved: [], scoreChanges: [] }, overlap: 1, unchanged: true });
    assert.deepEqual(diffRankings([], []).overlap, 1);
  });

  it('added, removed, moved (1-based ranks) and score changes beyond 1e-6', () => {
    const then = r(['a', 0.9], ['b', 0.8], ['c', 0.7], ['d', 0.6]);
    const now = r(['x', 0.95], ['a', 0.9 + 1e-9], ['c', 0.75], ['d', 0.6]);
    const { diff, overlap, unchanged } = diffRankings(then, now);
    assert.deepEqual(diff.added, [{ id: 'x', rank: 1, score: 0.95 }]);
    assert.deepEqual(diff.removed, [{ id: 'b', rank: 2, score: 0.8 }]);
    assert.deepEqual(diff.moved, [{ id: 'a', from: 1, to: 2 }]);
    assert.equal(diff.scoreChanges.length, 1);
    assert.equal(diff.scoreChanges[0].id, 'c');
    assert.ok(Math.abs(diff.scoreChanges[0].delta - 0.05) < 1e-12);
    assert.equal(overlap, 3 / 4);
    assert.equal(unchanged, false);
  });

  it('a shorter answer today: overlap over the longer; a reordering alone is a change', () => {
    assert.equal(diffRankings(r(['a', 1], ['b', 1]), r(['a', 1])).overlap, 1 / 2);
    const swapped = diffRankings(r(['a', 1], ['b', 1]), r(['b', 1], ['a', 1]));
    assert.equal(swapped.unchanged, false);
    assert.equal(swapped.overlap, 1);
    assert.deepEqual(swapped.diff.moved, [{ id: 'b', from: 2, to: 1 }, { id: 'a', from: 1, to: 2 }]);
  });
});
