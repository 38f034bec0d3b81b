/** k-means, its seeding, the silhouette's choice of k and distinctive terms, on planted clusters. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseK, kmeans, kmeansPlusPlus, silhouette } from '../../src/services/insights/kmeans.js';
import { adjustedRand } from '../../src/services/insights/math.js';
import { countTerms, distinctiveTerms, tokens } from '../../src/services/insights/terms.js';
import { mulberry32 } from '../../src/random.js';
import { plantedClusters } from '../support/planted.js';

describe('insights: clustering', () => {
  const planted = plantedClusters(5, 200, 16, 7);

  it("Lloyd's k-means with k-means++ seeding recovers 5 planted clusters (adjusted Rand ≥ 0.95)", async () => {
    const fit = await kmeans(planted.vectors, { k: 5, rng: mulberry32(1), restarts: 3 });
    const ari = adjustedRand(planted.labels, [...fit.labels]);
    assert.ok(ari >= 0.95, `ARI ${ari}`);
  });

  it('mini-batch k-means recovers them too (adjusted Rand ≥ 0.9)', async () => {
    const fit = await kmeans(planted.vectors, { k: 5, rng: mulberry32(2), miniBatch: { size: 256, iterations: 100 } });
    const ari = adjustedRand(planted.labels, [...fit.labels]);
    assert.ok(ari >= 0.9, `ARI ${ari}`);
  });

  it('is deterministic for a seed', async () => {
    const a = await kmeans(planted.vectors, { k: 5, rng: mulberry32(9) });
    const b = await kmeans(planted.vectors, { k: 5, rng: mulberry32(9) });
    assert.deepEqual([...a.labels], [...b.labels]);
    assert.deepEqual(await kmeansPlusPlus(planted.vectors, 5, mulberry32(3)), await kmeansPlusPlus(planted.vectors, 5, mulberry32(3)));
  });

  it('long seeding, assignment and silhouette loops give the event loop turns, with the same answer as without', async () => {
    const p = plantedClusters(8, 500, 64, 12);
    let pauses = 0;
    const pause = () => {
      pauses++;
      return new Promise<void>((r) => setImmediate(r));
    };
    const seeded = await kmeansPlusPlus(p.vectors, 60, mulberry32(1), pause);
    assert.ok(pauses > 0, 'k-means++ over 4000 × 64 at k 60 never paused');
    assert.deepEqual(seeded, await kmeansPlusPlus(p.vectors, 60, mulberry32(1)));
    pauses = 0;
    const s = await silhouette(p.vectors.slice(0, 2000), p.labels.slice(0, 2000), 8, pause);
    assert.ok(pauses > 0);
    assert.equal(s, await silhouette(p.vectors.slice(0, 2000), p.labels.slice(0, 2000), 8));
  });

  it('k-means++ seeds land in distinct planted clusters far more often than not', async () => {
    let distinct = 0;
    for (let s = 0; s < 20; s++) {
      const seeds = await kmeansPlusPlus(planted.vectors, 5, mulberry32(100 + s));
      const owners = new Set(seeds.map((c) => planted.labels[planted.vectors.findIndex((v) => v.every((x, j) => x === c[j]))]));
      if (owners.size === 5) distinct++;
    }
    assert.ok(distinct >= 15, `${distinct}/20 seedings hit all 5 clusters`);
  });

  it('the silhouette picks the planted k (3, 5 and 8), and scores the true labels near 1', async () => {
    for (const k of [3, 5, 8]) {
      const p = plantedClusters(k, 100, 16, 20 + k);
      const chosen = await chooseK(p.vectors, { from: 2, to: 10 }, mulberry32(5), { silhouetteSample: 400 });
      assert.equal(chosen.k, k, JSON.stringify(chosen.scores));
    }
    const s = await silhouette(planted.vectors.slice(0, 300), planted.labels.slice(0, 300), 5);
    assert.ok(s > 0.8, `silhouette ${s}`);
  });

  it('adjusted Rand: 1 for the same partition under other names, about 0 for a random one', () => {
    assert.equal(adjustedRand([0, 0, 1, 1, 2, 2], [5, 5, 3, 3, 9, 9]), 1);
    const rng = mulberry32(4);
    const random = planted.labels.map(() => Math.floor(rng() * 5));
    assert.ok(Math.abs(adjustedRand(planted.labels, random)) < 0.05);
  });

  it('distinctive terms: the words of a group, not the words every text has', () => {
    assert.deepEqual(tokens("The barista's espresso, and THE Latte-art"), ["barista's", 'espresso', 'latte-art']);
    const coffee = Array.from({ length: 30 }, (_, i) => `espresso barista shop ${i % 2 ? 'latte' : 'grinder'} report`);
    const trucks = Array.from({ length: 30 }, (_, i) => `diesel truck driver ${i % 2 ? 'freight' : 'highway'} report`);
    const all = countTerms([...coffee, ...trucks]);
    const terms = distinctiveTerms(countTerms(coffee), all);
    assert.ok(terms.includes('espresso') && terms.includes('barista'), terms.join());
    assert.ok(!terms.includes('report') && !terms.includes('diesel'), terms.join());
    assert.deepEqual(distinctiveTerms(countTerms([]), all), []);
  });
});
