/**
 * npm run bench:write-cost -- --roots /path/to/other/checkout,. [--rounds 3]
 *
 * What a commit costs the write path, in process: 100 batches of 1,000 upserts (100-d vectors,
 * two metadata fields) into a flat collection — SQLite and the record store only, no graph —
 * with the engine of each checkout (its src/, run through tsx), alternating `rounds` times.
 * Used to see whether the change feed (a row per change in the write's transaction) slows
 * upserts (docs/benchmarks.md, Realtime). Prints records/s per checkout and round.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { roots: { type: 'string' }, rounds: { type: 'string' } } });
const roots = (values.roots ?? '.').split(',').map((r) => resolve(r));
const rounds = Number(values.rounds ?? 3);
const quiet = { info() {}, warn() {}, error() {} };

async function rate(root: string): Promise<number> {
  const { Collection } = (await import(join(root, 'src/engine/index.ts'))) as typeof import('../src/engine/index.js');
  const dir = mkdtempSync(join(tmpdir(), 'vectra-write-cost-'));
  const c = await Collection.create(join(dir, 'c'), { dimension: 100, index: { type: 'flat' } }, { logger: quiet });
  const vec = Array.from({ length: 100 }, (_, i) => Math.sin(i));
  const t0 = performance.now();
  for (let b = 0; b < 100; b++) c.upsert(Array.from({ length: 1000 }, (_, i) => ({ id: `record-${b * 1000 + i}`, vector: vec, metadata: { i, city: 'Austin' } })));
  const s = (performance.now() - t0) / 1000;
  await c.close();
  rmSync(dir, { recursive: true, force: true });
  return 100_000 / s;
}

process.stdout.write('| round | ' + roots.join(' | ') + ' |\n|---|' + roots.map(() => '---|').join('') + '\n');
for (let r = 1; r <= rounds; r++) {
  const row: string[] = [];
  for (const root of roots) row.push(Math.round(await rate(root)).toLocaleString('en-US'));
  process.stdout.write(`| ${r} | ${row.join(' | ')} records/s |\n`);
}
