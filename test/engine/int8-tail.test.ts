import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { FlatIndex } from '../../src/engine/flat-index.js';
import { Int8Tail, INT8_MIN_ROWS } from '../../src/engine/int8-tail.js';
import { prepareVector } from '../../src/vector/math.js';
import { generated } from '../../tools/wasm-generate.js';

/** A seeded generator of unit vectors: random, near-copies of a few, or exact copies (ties). */
function rows(seed: number, n: number, d: number, kind: 'random' | 'near' | 'copies'): Float32Array {
  let s = seed >>> 0 || 1;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  const base = Array.from({ length: 8 }, () => Float32Array.from({ length: d }, rand));
  const m = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const v = new Float32Array(d);
    for (let j = 0; j < d; j++) {
      if (kind === 'random') v[j] = rand();
      // Differences far below the int8 step: the codes cannot tell these rows apart.
      else if (kind === 'near') v[j] = base[i % 8][j] + rand() * 1e-4;
      else v[j] = base[i % 8][j];
    }
    m.set(prepareVector('cosine', v), i * d);
  }
  return m;
}

function same(tail: Int8Tail, oracle: FlatIndex, query: Float32Array, k: number): void {
  const got = tail.search(query, k);
  const want = oracle.search(query, k);
  assert.equal(got.labels.length, want.labels.length);
  got.distances.forEach((dist, i) => assert.ok(Math.abs(dist - want.distances[i]) < 1e-5, `rank ${i}: ${dist} vs ${want.distances[i]}`));
  // Equal labels wherever the distances are not tied with a neighbour's.
  const tied = (arr: number[], i: number) => (i > 0 && Math.abs(arr[i] - arr[i - 1]) < 1e-5) || (i + 1 < arr.length && Math.abs(arr[i + 1] - arr[i]) < 1e-5);
  want.labels.forEach((l, i) => {
    if (!tied(want.distances, i) && i + 1 < want.labels.length) assert.equal(got.labels[i], l, `rank ${i}`);
  });
  if (!want.distances.some((_, i) => tied(want.distances, i))) assert.deepEqual(got.labels, want.labels);
}

test('the int8 tail answers exactly what the float32 scan answers, whatever the rows, removals, k and room reserved', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 2 ** 31 }),
      fc.integer({ min: INT8_MIN_ROWS, max: INT8_MIN_ROWS + 3000 }),
      fc.constantFrom(3, 16, 33, 100),
      fc.constantFrom('random', 'near', 'copies') as fc.Arbitrary<'random' | 'near' | 'copies'>,
      fc.integer({ min: 1, max: 60 }),
      fc.integer({ min: 0, max: 2000 }),
      fc.constantFrom(0, 0.5, 1, 2),
      (seed, n, d, kind, k, removals, room) => {
        const data = rows(seed, n, d, kind);
        const tail = new Int8Tail(d);
        const oracle = new FlatIndex(d, 'cosine', 0);
        // Room taken before the rows come (as a collection opening with a known tail does): none, too little, exact, too much.
        tail.reserve(Math.floor(n * room));
        oracle.reserve(Math.floor(n * room));
        // In batches, as writes arrive; labels are not slots.
        for (let at = 0; at < n; at += 700) {
          const labels = Array.from({ length: Math.min(700, n - at) }, (_, i) => 10 + 3 * (at + i));
          const part = data.subarray(at * d, (at + labels.length) * d);
          tail.add(labels, part);
          oracle.add(labels, part);
        }
        const gone = Array.from({ length: removals }, (_, i) => 10 + 3 * ((i * 7919 + seed) % n));
        assert.equal(tail.remove(gone), oracle.remove(gone));
        assert.equal(tail.size(), oracle.size());
        for (let q = 0; q < 4; q++) {
          const query = q < 2 ? data.subarray(((seed + q * 977) % n) * d, ((seed + q * 977) % n + 1) * d) : rows(seed + q, 1, d, 'random');
          same(tail, oracle, query, k);
        }
      },
    ),
    { numRuns: 40, seed: 20261202 },
  );
});

test('removals and re-adds keep the int8 copy in step with the float32 rows', () => {
  const d = 24;
  const n = INT8_MIN_ROWS * 2;
  const data = rows(7, n, d, 'random');
  const tail = new Int8Tail(d);
  const oracle = new FlatIndex(d, 'cosine', 0);
  const labels = Array.from({ length: n }, (_, i) => i);
  tail.add(labels, data);
  oracle.add(labels, data);
  for (let round = 0; round < 5; round++) {
    const out = labels.filter((l) => (l + round) % 3 === 0);
    tail.remove(out);
    oracle.remove(out);
    // The same labels come back with other vectors.
    const again = rows(100 + round, out.length, d, 'random');
    tail.add(out, again);
    oracle.add(out, again);
    for (let q = 0; q < 5; q++) same(tail, oracle, rows(round * 10 + q, 1, d, 'random'), 10);
  }
});

test('the generated WebAssembly is the assembly of its source', async () => {
  for (const [path, text] of await generated()) assert.equal(readFileSync(path, 'utf8'), text, `${path}: run npm run wasm:generate`);
});
