/**
 * Child process for the document replace crash test (test/reliability/document-crash.test.ts).
 * The collection at `dir` holds a version of document "doc" (test/support/document-versions.ts).
 *
 *   points <dir> <ver> <n> <k>   replace it by version <ver> of <n> chunks, and SIGKILL this
 *                                process as its k-th change row is written (inside the write's
 *                                transaction); k = 0: right after the replace returned.
 *   loop <dir> <from> <logPath>  replace it again and again by versions <from>, <from> + 1, … of
 *                                varying length, logging "try <ver> <n>" before and "ack <ver> <n>"
 *                                after each, until killed.
 */
import { openSync, writeSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { Collection } from '../../src/engine/index.js';
import { version } from './document-versions.js';

const die = (): never => {
  process.kill(process.pid, 'SIGKILL');
  for (;;); // the signal is on its way
};

const [mode, dir, ...args] = process.argv.slice(2);
const quiet = { info() {}, warn() {}, error() {} };
const c = await Collection.open(dir, { snapshotEvery: 50, logger: quiet });
const doc = { filter: { _document: 'doc' } };

if (mode === 'points') {
  const [ver, n, k] = args.map(Number);
  if (k > 0) {
    // The collection's own connection (private: a test reaches in), so the kill lands inside its
    // transaction. A TEMP trigger lives on this connection only: the file is left as it was.
    const db = (c as unknown as { store: { db: Database.Database } }).store.db;
    let rows = 0;
    db.function('vectra_test_die', () => (++rows === k ? die() : 0));
    db.exec('CREATE TEMP TRIGGER vectra_test_die AFTER INSERT ON main.changes BEGIN SELECT vectra_test_die(); END');
  }
  c.replace(version('doc', ver, n), doc);
  die();
} else if (mode === 'loop') {
  const log = openSync(args[1], 'a');
  writeSync(1, 'ready\n');
  for (let ver = Number(args[0]); ; ver++) {
    // Lengths that grow and shrink (1–40 chunks): most replaces both upsert and delete.
    const n = 1 + ((ver * 7919) % 40);
    writeSync(log, `try ${ver} ${n}\n`);
    c.replace(version('doc', ver, n), doc);
    writeSync(log, `ack ${ver} ${n}\n`);
    // Yield now and then so background snapshot workers report back (and get killed mid-way).
    if (ver % 5 === 0) await new Promise((r) => setImmediate(r));
  }
}
