import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { HnswIndex } from '../../src/engine/hnsw-index.js';
import { resolveConfig } from '../../src/engine/collection-config.js';
import { releaseMemory } from '../../src/engine/native-memory.js';

const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;

test('releaseMemory collects and trims on this (glibc) machine', () => {
  assert.deepEqual(releaseMemory(), { collected: true, trimmed: process.platform === 'linux' });
});

test('a disposed graph gives its native memory back at once and is empty', () => {
  const config = resolveConfig({ dimension: 64, metric: 'cosine', storage: 'f32' });
  const index = new HnswIndex(config, 2);
  const n = 40000;
  const vectors = new Float32Array(n * 64).map(() => Math.random() - 0.5);
  index.add(Array.from({ length: n }, (_, i) => i), vectors);
  releaseMemory();
  const before = rssMb();
  index.dispose();
  releaseMemory();
  const after = rssMb();
  assert.equal(index.size(), 0);
  // 40k × (256 bytes of vector + links) ≈ 14 MB that usearch held outside V8's heap.
  assert.ok(before - after > 8, `resident memory fell by ${(before - after).toFixed(1)} MB only`);
});
