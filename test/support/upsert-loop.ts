/**
 * Child process for the crash test: upserts (and sometimes deletes) in a loop and prints
 * every acknowledged write synchronously, until it is killed.
 *   try <id> <id> …   about to upsert these (they may or may not be stored if killed now)
 *   ack <id> <id> …   these records are committed
 *   try-del <id>      about to delete this record
 *   del <id>          this record's deletion is committed
 */
import { writeSync } from 'node:fs';
import { Collection } from '../../src/engine/index.js';
import { vectorFor } from './vectors.js';

const [dir, tag] = process.argv.slice(2);
const c = await Collection.open(dir, { snapshotEvery: 300, logger: { info() {}, warn() {}, error() {} } });
writeSync(1, 'ready\n');
let n = 0;
for (;;) {
  const size = 1 + (n % 17);
  const ids = Array.from({ length: size }, (_, i) => `${tag}-${n}-${i}`);
  writeSync(1, `try ${ids.join(' ')}\n`);
  c.upsert(ids.map((id) => ({ id, vector: vectorFor(id), metadata: { tag, n, nested: { i: n % 5 } }, text: `text ${id}` })));
  writeSync(1, `ack ${ids.join(' ')}\n`);
  if (n % 5 === 4) {
    const victim = `${tag}-${n - 2}-0`;
    writeSync(1, `try-del ${victim}\n`);
    c.delete([victim]);
    writeSync(1, `del ${victim}\n`);
  }
  n++;
  // Yield now and then so background snapshot workers report back (and get killed mid-way).
  if (n % 20 === 0) await new Promise((r) => setImmediate(r));
}
