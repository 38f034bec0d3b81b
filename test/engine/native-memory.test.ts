import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, it } from 'node:test';
import { HnswIndex } from '../../src/engine/hnsw-index.js';
import { resolveConfig } from '../../src/engine/collection-config.js';
import { Collection } from '../../src/engine/index.js';
import { markBusy, releaseMemory, trimWhileBusy, tuneMallocForServer } from '../../src/engine/native-memory.js';
import { rssBytes } from '../support/spawn-server.js';
import { memoryLogger, tempDir } from '../support/tmp.js';

// RSS from /proc and malloc_trim are Linux (glibc) matters; CI runs Debian.
const linux = process.platform === 'linux';
const rssMb = () => rssBytes('self') / 2 ** 20;

describe('giving memory back', { skip: !linux && 'Linux only' }, () => {
  it('the server’s malloc settings are all accepted by glibc (mallopt answers 1 for each)', () => {
    assert.equal(tuneMallocForServer(), true);
  });

  it('collects only when buffers hold a load’s worth (or when forced), and trims', () => {
    releaseMemory(true);
    assert.deepEqual(releaseMemory(), { collected: false, trimmed: true }, 'nothing worth a blocking collection');
    let garbage: Float32Array | null = new Float32Array(8 * 1024 * 1024); // 32 MB
    garbage[0] = 1;
    garbage = null;
    assert.deepEqual(releaseMemory(), { collected: true, trimmed: true });
    assert.deepEqual(releaseMemory(true), { collected: true, trimmed: true });
  });

  it('a busy process’s freed memory goes back while it stays busy, off the main thread (trimWhileBusy)', async () => {
    releaseMemory(true);
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    // 80 MB in 64 KB blocks, inside the malloc arenas (under the 1 MiB mapping threshold); one
    // block in ten kept, so glibc cannot give them back as the free top of its heap by itself.
    let blocks = Array.from({ length: 1280 }, () => Buffer.allocUnsafeSlow(64 * 1024).fill(7));
    blocks = blocks.filter((_, i) => i % 10 === 0);
    gc();
    await sleep(50);
    const before = rssMb();
    const stop = trimWhileBusy(20);
    assert.ok(stop, 'glibc has malloc_trim');
    try {
      markBusy();
      await sleep(300);
    } finally {
      stop();
    }
    const after = rssMb();
    assert.equal(blocks.length, 128);
    assert.ok(before - after > 40, `resident memory fell by ${(before - after).toFixed(1)} MB only`);
  });

  it('a disposed graph gives its native memory back at once and is empty', () => {
    const config = resolveConfig({ dimension: 64, metric: 'cosine', storage: 'f32' });
    const index = new HnswIndex(config, 2);
    const n = 40000;
    const vectors = new Float32Array(n * 64).map(() => Math.random() - 0.5);
    index.add(Array.from({ length: n }, (_, i) => i), vectors);
    releaseMemory(true);
    const before = rssMb();
    index.dispose();
    releaseMemory(true);
    const after = rssMb();
    assert.equal(index.size(), 0);
    // 40k × (256 bytes of vector + links) ≈ 14 MB that usearch held outside V8's heap.
    assert.ok(before - after > 8, `resident memory fell by ${(before - after).toFixed(1)} MB only`);
  });

  it('adopting a background build disposes the graph it replaces, and searches use the new one', async () => {
    const c = await Collection.create(join(tempDir(), 'c'), { dimension: 8 }, { logger: memoryLogger(), deferIndexing: true });
    // Deterministic, well spread vectors (mulberry32).
    let seed = 42;
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
    };
    const table = Array.from({ length: 600 }, () => Array.from({ length: 8 }, random));
    const vector = (i: number) => table[i];
    c.upsert(Array.from({ length: 300 }, (_, i) => ({ id: `a${i}`, vector: vector(i) })));
    await c.indexed();
    const live = (c as unknown as { live: { index: HnswIndex } }).live;
    const first = live.index;
    assert.equal(first.size(), 300);
    c.upsert(Array.from({ length: 300 }, (_, i) => ({ id: `b${i}`, vector: vector(300 + i) })));
    await c.indexed();
    assert.notEqual(live.index, first, 'a build was adopted');
    assert.equal(first.size(), 0, 'the replaced graph was emptied');
    assert.equal(live.index.size(), 600);
    assert.equal(c.search({ vector: vector(450), k: 1 }).hits[0].id, 'b150');
    await c.close();
  });
});
