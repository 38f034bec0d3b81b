/**
 * A document's new version replaces its chunks in one transaction (Collection.replace): a
 * process killed with SIGKILL at any point of a re-upload leaves either the whole old version
 * or the whole new one — never the new chunks beside the old version's surplus, as the two
 * transactions it used to take could. Two ways of killing it:
 *
 *   - at each change row the replace writes (a SQLite function in a trigger kills the writer
 *     from inside its transaction): every point of the write, deterministically;
 *   - at random moments while a child replaces the document again and again (commits, fsyncs,
 *     background snapshots in flight).
 *
 * After each kill the collection is reopened and the document checked by get, list, count and
 * search (graph, exact, keyword): test/support/document-versions.ts.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Collection } from '../../src/engine/index.js';
import { assertWhole, DIM, version } from '../support/document-versions.js';
import { memoryLogger, tempDir } from '../support/tmp.js';
import { FULL, rng } from './scale.js';

const CHILD = fileURLToPath(new URL('../support/replace-kill.ts', import.meta.url));
const CYCLES = FULL ? 40 : 4;
const logger = memoryLogger();
const doc = { filter: { _document: 'doc' } };

/** Run the child to its end (it kills itself, or is killed after `killAfterMs` once ready). */
function child(args: string[], killAfterMs?: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    if (killAfterMs !== undefined) p.stdout.once('data', () => setTimeout(() => p.kill('SIGKILL'), killAfterMs).unref());
    p.stdout.resume();
    p.on('error', reject);
    p.on('close', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`the child exited with ${code}, not by SIGKILL`))));
  });
}

/** A collection holding version `ver` of "doc", `n` chunks. */
async function withVersion(ver: number, n: number): Promise<string> {
  const dir = join(tempDir(), 'c');
  const c = await Collection.create(dir, { dimension: DIM }, { logger });
  c.replace(version('doc', ver, n), doc);
  await c.close();
  return dir;
}

describe('a document replace killed with SIGKILL', () => {
  // 12 → 5 chunks: 5 upserts then 7 deletes; 5 → 9: 9 upserts (4 new). Every change row, and after.
  for (const [n0, n1] of [[12, 5], [5, 9]]) {
    it(`${n0} → ${n1} chunks, killed at each of its ${Math.max(n0, n1)} change rows and after it returned: the old version or the new one, whole`, async () => {
      const rows = n1 + Math.max(0, n0 - n1);
      const points = FULL ? Array.from({ length: rows + 1 }, (_, k) => k) : [0, 1, n1, n1 + 1, rows].filter((k, i, a) => k <= rows && a.indexOf(k) === i);
      for (const k of points) {
        const dir = await withVersion(1, n0);
        await child(['points', dir, '2', String(n1), String(k)]);
        const c = await Collection.open(dir, { logger });
        if (k === 0) assertWhole(c, 'doc', 2, n1, 'killed after the replace returned: the new version');
        else assertWhole(c, 'doc', 1, n0, `killed at change row ${k} of ${rows}: the old version`);
        await c.discard();
      }
    });
  }

  it(`killed at random moments over ${CYCLES} cycles of replaces: always a whole version, the last acknowledged or the one in flight`, async () => {
    const r = rng('document-crash');
    const dir = await withVersion(0, 3);
    let acked: [number, number] = [0, 3];
    const counts = { acked: 0, inFlight: 0 };
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const logPath = join(dir, `../cycle${cycle}.log`);
      await child(['loop', dir, String((cycle + 1) * 1_000_000), logPath], 30 + Math.floor(r() * 600));
      const lines = readFileSync(logPath, 'utf8').split('\n');
      lines.pop(); // the last line may be cut mid-write
      const last = (word: string) => lines.filter((l) => l.startsWith(`${word} `)).map((l) => l.split(' ').slice(1).map(Number) as [number, number]).pop();
      const tried = last('try');
      acked = last('ack') ?? acked;
      const c = await Collection.open(dir, { logger });
      const ver = c.get('doc#0')?.metadata.ver;
      if (tried && ver === tried[0] && tried[0] !== acked[0]) {
        assertWhole(c, 'doc', tried[0], tried[1], `cycle ${cycle}: the replace in flight`);
        acked = tried;
        counts.inFlight++;
      } else {
        assertWhole(c, 'doc', acked[0], acked[1], `cycle ${cycle}: the last acknowledged replace`);
        counts.acked++;
      }
      await c.close();
    }
    assert.equal(counts.acked + counts.inFlight, CYCLES);
    process.stdout.write(`# document crash: ${CYCLES} kills at random moments: ${counts.acked} found the last acknowledged version, ${counts.inFlight} the one in flight; never a mix\n`);
  });
});
