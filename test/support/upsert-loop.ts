/**
 * Child process for the crash test: upserts (and sometimes deletes) in a loop and logs
 * every acknowledged write synchronously to a file, until it is killed.
 *   try <id> <id> …   about to upsert these (they may or may not be stored if killed now)
 *   ack <id> <id> …   these records are committed
 *   try-del <id>      about to delete this record
 *   del <id>          this record's deletion is committed
 */
import { openSync, writeSync } from 'node:fs';
import { Collection } from '../../src/engine/index.js';
import { vectorFor } from './vectors.js';

const [dir, tag, logPath] = process.argv.slice(2);
const c = await Collection.open(dir, { snapshotEvery: 300, logger: { info() {}, warn() {}, error() {} } });
// The record of acknowledgements goes to a file, written synchronously: a pipe to the parent
// can be switched to non-blocking mode (when a worker thread starts), where a write may fail.
const log = openSync(logPath, 'a');
const say = (line: string) => writeSync(log, line);
writeSync(1, 'ready\n');
let n = 0;
for (;;) {
  const size = 1 + (n % 17);
  const ids = Array.from({ length: size }, (_, i) => `${tag}-${n}-${i}`);
  say(`try ${ids.join(' ')}\n`);
  c.upsert(ids.map((id) => ({ id, vector: vectorFor(id), metadata: { tag, n, nested: { i: n % 5 } }, text: `text ${id}` })));
  say(`ack ${ids.join(' ')}\n`);
  if (n % 5 === 4) {
    const victim = `${tag}-${n - 2}-0`;
    say(`try-del ${victim}\n`);
    c.delete([victim]);
    say(`del ${victim}\n`);
  }
  n++;
  // Yield now and then so background snapshot workers report back (and get killed mid-way).
  if (n % 20 === 0) await new Promise((r) => setImmediate(r));
}
