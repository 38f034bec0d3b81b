/**
 * Acknowledged writes survive SIGKILL: a child upserts in a loop, printing each write once it
 * returns; we kill it at a random moment, reopen, and check every acknowledged record (vector,
 * metadata, searchable) and every acknowledged delete. 20+ cycles on one collection, so
 * kills land during upserts, deletes and background snapshots.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Collection } from '../../src/engine/index.js';
import { memoryLogger, tempDir } from '../support/tmp.js';
import { vectorFor } from '../support/vectors.js';

const CHILD = fileURLToPath(new URL('../support/upsert-loop.ts', import.meta.url));
const CYCLES = Number(process.env.VECTRA_CRASH_CYCLES ?? 20);

interface Outcome {
  acked: string[];
  deleted: string[];
  /** Writes in flight at the kill: either outcome is correct. */
  unsure: string[];
}

function runAndKill(dir: string, tag: string, ms: number): Promise<Outcome> {
  const logPath = join(dir, `../${tag}.log`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, tag, logPath], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.once('data', () => setTimeout(() => child.kill('SIGKILL'), ms).unref());
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`child exited with ${code}`));
      const lines = readFileSync(logPath, 'utf8').split('\n');
      // The last line may be cut mid-write: only whole lines count as acknowledged.
      lines.pop();
      const words = (prefix: string) => lines.filter((l) => l.startsWith(prefix)).flatMap((l) => l.slice(prefix.length).split(' '));
      const acked = words('ack ');
      const deleted = words('del ');
      // In flight at the kill: an upsert tried but not acknowledged, a delete tried but not
      // confirmed (its record was acknowledged earlier, so check against deletes only).
      const ackedSet = new Set(acked);
      const deletedSet = new Set(deleted);
      const unsure = [...words('try ').filter((id) => !ackedSet.has(id)), ...words('try-del ').filter((id) => !deletedSet.has(id))];
      resolve({ acked, deleted, unsure });
    });
  });
}

describe('durability under SIGKILL', () => {
  it(`loses no acknowledged write over ${CYCLES} kill -9 cycles`, async () => {
    const dir = join(tempDir(), 'crash');
    const logger = memoryLogger();
    await (await Collection.create(dir, { dimension: 16 }, { logger })).close();
    const live = new Set<string>();
    const gone = new Set<string>();
    const unsure = new Set<string>();
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const out = await runAndKill(dir, `c${cycle}`, 50 + Math.floor(Math.random() * 700));
      assert.ok(out.acked.length > 0, `cycle ${cycle}: the child acknowledged nothing`);
      out.acked.forEach((id) => live.add(id));
      out.deleted.forEach((id) => {
        live.delete(id);
        gone.add(id);
      });
      out.unsure.forEach((id) => {
        live.delete(id);
        unsure.add(id);
      });
      const c = await Collection.open(dir, { logger });
      try {
        const missing = [...live].filter((id) => c.get(id) === null);
        assert.deepEqual(missing, [], `cycle ${cycle}: acknowledged records are missing`);
        const present = [...unsure].filter((id) => c.get(id) !== null);
        const extra = c.list({ limit: 10000 }).records.map((r) => r.id).filter((id) => !live.has(id) && !present.includes(id));
        assert.deepEqual(extra, [], `cycle ${cycle}: records nobody wrote`);
        assert.equal(c.count(), live.size + present.length, `cycle ${cycle}: count`);
        for (const id of live) {
          const r = c.get(id, { includeVector: true });
          assert.ok(r, `cycle ${cycle}: acknowledged ${id} is missing`);
          const [tag, n] = id.split('-');
          assert.equal(r.metadata.tag, tag);
          assert.equal(r.metadata.n, Number(n));
          assert.deepEqual(r.vector, vectorFor(id).map(Math.fround));
        }
        for (const id of gone) assert.equal(c.get(id), null, `cycle ${cycle}: deleted ${id} is back`);
        // Searchable through the index (not only stored): each of a sample finds itself first.
        const sample = [...live].filter((_, i) => i % 7 === 0);
        for (const id of sample) {
          const hit = c.search({ vector: vectorFor(id), k: 1, include: 'id' });
          assert.equal(hit.plan, 'hnsw');
          assert.equal(hit.hits[0]?.id, id, `cycle ${cycle}: ${id} not found by its own vector`);
        }
      } finally {
        // Alternate clean closes (final snapshot) and crash-like closes (none).
        if (cycle % 2 === 0) await c.close();
        else await c.discard();
      }
    }
    console.log(`# ${CYCLES} cycles, ${live.size} live records, ${gone.size} deletes verified`);
  });
});
