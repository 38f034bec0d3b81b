/**
 * usearch 2.25's key table fills up with tombstones under deletes and updates; once it has no
 * empty slot, `remove` answers 0 for a key `contains` still finds, and the next add of that key
 * fails with "Duplicate keys not allowed" (found by the 100k-request fuzz run, where it forced
 * index rebuilds). HnswIndex keeps the table sound; this is the regression test, with the raw
 * library beside it to show the operation mix does reach the bug.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import type * as Usearch from 'usearch';
import { HnswIndex } from '../../src/engine/hnsw-index.js';
import { mulberry32 } from '../../src/random.js';

const { Index } = createRequire(import.meta.url)('usearch') as typeof Usearch;
const D = 4;
const STEPS = 20_000;

interface Target {
  add(key: number, v: Float32Array): void;
  /** How many entries were removed. */
  remove(key: number): number;
  has(key: number): boolean;
}

/**
 * Inserts of new keys, deletes and updates (remove + add of the same key) on a collection that
 * hovers between 20 and 60 keys, as a busy small collection does. Returns the step at which a
 * present key could not be removed, or null if it never happened.
 */
function churn(t: Target, seed: number): number | null {
  const random = mulberry32(seed);
  const v = () => Float32Array.from({ length: D }, () => random() - 0.5);
  const live: number[] = [];
  let next = 1;
  for (let i = 0; i < 40; i++) {
    t.add(next, v());
    live.push(next++);
  }
  for (let step = 0; step < STEPS; step++) {
    const r = random();
    if (r < 0.4 && live.length < 60) {
      t.add(next, v());
      live.push(next++);
      continue;
    }
    const at = Math.floor(random() * live.length);
    const key = live[at];
    if (t.remove(key) !== 1) return step;
    if (r < 0.7 && live.length > 20) live.splice(at, 1);
    else t.add(key, v());
  }
  return null;
}

describe('usearch key table under deletes and updates', () => {
  it('raw usearch 2.25.3: a present key stops being removable (the upstream bug this works around)', () => {
    const idx = new Index({ dimensions: D, metric: 'ip', quantization: 'f32', connectivity: 16, expansion_add: 64, expansion_search: 1, multi: false } as unknown as Usearch.IndexConfig);
    let stale = false;
    const failedAt = churn(
      {
        // Growing adds get 2 threads so the index keeps a search context per core, as HnswIndex does.
        add: (k, v) => idx.add(BigInt(k), v, idx.size() + 1 >= idx.capacity() ? 2 : 1),
        remove: (k) => {
          const n = idx.remove(BigInt(k)) as number;
          if (n === 0) stale = idx.contains(BigInt(k)) as boolean;
          return n;
        },
        has: (k) => idx.contains(BigInt(k)) as boolean,
      },
      7,
    );
    // If this fails after a usearch upgrade, the bug may be fixed upstream: HnswIndex's
    // keepKeyTableSound can then go (and this test with it).
    assert.notEqual(failedAt, null, `usearch removed every key in ${STEPS} steps`);
    assert.ok(stale, 'the key it failed to remove is still reported as present');
  });

  it('HnswIndex: every present key is removed, every add succeeds, the index holds exactly the live keys', () => {
    const idx = new HnswIndex({ dimension: D, metric: 'l2', storage: 'f32', attributes: {}, index: { type: 'hnsw', m: 16, efConstruction: 64, efSearch: 64 } });
    const model = new Set<number>();
    const vectors = new Map<number, Float32Array>();
    const failedAt = churn(
      {
        add: (k, v) => {
          idx.add([k], v);
          model.add(k);
          vectors.set(k, v);
        },
        remove: (k) => {
          const n = idx.remove([k]);
          if (n === 1) model.delete(k);
          return n;
        },
        has: (k) => idx.has(k),
      },
      7,
    );
    assert.equal(failedAt, null, `a present key could not be removed at step ${failedAt}`);
    assert.equal(idx.size(), model.size);
    for (const k of model) assert.ok(idx.has(k), `key ${k} is missing`);
    for (let k = 1; k <= Math.max(...model); k++) if (!model.has(k)) assert.equal(idx.has(k), false, `removed key ${k} is still there`);
    // And the graph still answers: a live vector's own key is its nearest neighbour (l2).
    const found = [...model].filter((k) => idx.search(vectors.get(k)!, 1, 64).labels[0] === k).length;
    assert.ok(found >= model.size * 0.9, `${found} of ${model.size} keys found by their own vector`);
  });
});
